// Opens from the pay page for the gateway the client chose (`configId`; none: the default): loads the
// invoice's gateways, opens a payment session on that one, and shows the gateway's own form (in-modal
// flow) or a "Continue to <gateway>" step (redirect flow).
import { Suspense, useCallback, useEffect, useRef, useState } from "react";
import Dialog from "./Dialog.jsx";
import { gatewayForms } from "../gateways/registry.js";
import { paymentService as defaultService } from "../api/paymentService.js";
import { newIdempotencyKey } from "../api/client.js";
import { formatMoney } from "../lib/money.js";
import { resultPageUrl } from "../lib/urls.js";
import { chosenGateway } from "../pay/gatewayChoices.js";

const goTo = (url) => globalThis.location.assign(url);

function Status({ children }) {
  return (
    <p className="status" role="status">
      <span className="spinner" aria-hidden="true" /> {children}
    </p>
  );
}

export default function PaymentModal({ invoiceId, token, amount, configId, onClose, service = defaultService, forms = gatewayForms, navigate = goTo }) {
  const [state, setState] = useState({ step: "loading" });
  const idempotencyKey = useRef(newIdempotencyKey()); // one per opening: a double click opens one session
  const info = state.info;

  const startSession = useCallback(
    async (gatewayInfo) => {
      setState({ step: "starting", info: gatewayInfo });
      try {
        const session = await service.createPaymentSession({
          invoiceId,
          token,
          amount,
          gatewayConfigId: gatewayInfo.gateway.config_id, // absent from a server that predates the choice
          idempotencyKey: idempotencyKey.current,
        });
        if (gatewayInfo.gateway.public_config?.flow === "in_modal" && forms[session.gateway]) {
          setState({ step: "form", info: gatewayInfo, session });
        } else if (session.redirect_url) {
          setState({ step: "redirecting", info: gatewayInfo, session });
          navigate(session.redirect_url);
        } else {
          setState({ step: "error", info: gatewayInfo, message: "This gateway cannot be used from this page." });
        }
      } catch (err) {
        setState({ step: "error", info: gatewayInfo, message: err.message, retry: () => startSession(gatewayInfo) });
      }
    },
    [service, invoiceId, token, amount, forms, navigate],
  );

  const load = useCallback(async () => {
    setState({ step: "loading" });
    try {
      const loaded = await service.getInvoicePaymentGateway(invoiceId, token);
      // From here on `gateway` is the chosen one: the title, the flow and the session follow it.
      const gatewayInfo = { ...loaded, gateway: chosenGateway(loaded, configId) };
      if (!loaded.payable || !loaded.gateway) {
        setState({ step: "error", info: gatewayInfo, message: "This invoice cannot be paid online right now.", retry: load });
      } else if (!gatewayInfo.gateway) {
        setState({ step: "error", info: gatewayInfo, message: "This way of paying is no longer offered. Close this window and choose another." });
      } else if (gatewayInfo.gateway.public_config?.flow === "in_modal" && forms[gatewayInfo.gateway.name]) {
        startSession(gatewayInfo);
      } else {
        setState({ step: "confirm", info: gatewayInfo });
      }
    } catch (err) {
      setState({ step: "error", message: err.message, retry: load });
    }
  }, [service, invoiceId, token, configId, forms, startSession]);

  useEffect(() => {
    load();
  }, [load]);

  const shown = info ? formatMoney(amount ?? info.amount_payable, info.currency) : "";
  const title = info ? `Pay ${shown}` : "Pay invoice";
  const complete = (paymentId) => {
    setState((s) => ({ ...s, step: "success" }));
    navigate(resultPageUrl(invoiceId, token, paymentId));
  };

  let body;
  if (state.step === "loading") body = <Status>Loading payment options…</Status>;
  else if (state.step === "starting") body = <Status>Preparing your payment…</Status>;
  else if (state.step === "redirecting") body = <Status>Taking you to {info.gateway.display_name}…</Status>;
  else if (state.step === "success") body = <p className="notice success" role="status">Payment submitted. Showing its result…</p>;
  else if (state.step === "error") {
    body = (
      <div>
        <p className="notice error" role="alert">{state.message}</p>
        {state.retry && <button type="button" className="primary" onClick={state.retry}>Try again</button>}
      </div>
    );
  } else if (state.step === "confirm") {
    body = (
      <div>
        <p>You will pay <strong>{shown}</strong> on {info.gateway.display_name}'s secure page, then come back here.</p>
        <button type="button" className="primary wide" onClick={() => startSession(info)}>
          Continue to {info.gateway.display_name}
        </button>
      </div>
    );
  } else if (state.step === "form") {
    const Form = forms[state.session.gateway];
    body = (
      <Suspense fallback={<Status>Loading the payment form…</Status>}>
        <Form
          session={state.session}
          token={token}
          amountLabel={shown}
          service={service}
          returnUrl={resultPageUrl(invoiceId, token, state.session.payment_id, globalThis.location?.origin ?? "")}
          onComplete={() => complete(state.session.payment_id)}
        />
      </Suspense>
    );
  }

  return (
    <Dialog title={title} onClose={onClose}>
      {info?.gateway && <p className="muted small">Invoice {info.invoice_number} · paid through {info.gateway.display_name}</p>}
      {body}
    </Dialog>
  );
}
