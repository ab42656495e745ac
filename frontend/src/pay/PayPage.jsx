// The page a client opens from the invoice link.
import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import InvoiceSummary from "./InvoiceSummary.jsx";
import AmountChoice from "./AmountChoice.jsx";
import GatewayChoice from "./GatewayChoice.jsx";
import { chosenGateway, gatewayChoices } from "./gatewayChoices.js";
import { paymentService as defaultService } from "../api/paymentService.js";
import { checkAmount } from "../lib/money.js";

// The modal (and through it each gateway's form) is a chunk of its own, fetched on "Pay now".
const PaymentModal = lazy(() => import("../modal/PaymentModal.jsx"));

export function InvalidLink() {
  return (
    <section className="card">
      <h1>This link is not valid</h1>
      <p>Check that you opened the whole link from your invoice e-mail, or ask the sender for a new one.</p>
    </section>
  );
}

export default function PayPage({ invoiceId, token, service = defaultService, Modal = PaymentModal }) {
  const [state, setState] = useState({ step: "loading" });
  const [mode, setMode] = useState("full");
  const [other, setOther] = useState("");
  const [amountError, setAmountError] = useState("");
  const [modalAmount, setModalAmount] = useState(undefined);
  const [configId, setConfigId] = useState(null); // null: the default gateway
  const [open, setOpen] = useState(false);

  const load = useCallback(async () => {
    try {
      const info = await service.getInvoicePaymentGateway(invoiceId, token);
      setState({ step: "ready", info });
    } catch (err) {
      setState(err.status === 404 ? { step: "invalid" } : { step: "error", message: err.message });
    }
  }, [service, invoiceId, token]);

  useEffect(() => {
    if (!token) setState({ step: "invalid" });
    else load();
  }, [load, token]);

  useEffect(() => {
    if (state.step === "ready") performance.mark("invoice-shown"); // read by bench/frontend_size.py
  }, [state.step]);

  if (state.step === "loading") return <section className="card"><p role="status">Loading the invoice…</p></section>;
  if (state.step === "invalid") return <InvalidLink />;
  if (state.step === "error") {
    return (
      <section className="card">
        <h1>The invoice could not be loaded</h1>
        <p className="notice error" role="alert">{state.message}</p>
        <button type="button" className="primary" onClick={() => { setState({ step: "loading" }); load(); }}>Try again</button>
      </section>
    );
  }

  const { info } = state;
  const nothingDue = !/[1-9]/.test(info.amount_due);
  const choices = gatewayChoices(info);
  // A choice the page no longer offers (disabled meanwhile) falls back to the default.
  const gateway = chosenGateway(info, configId) ?? choices[0];
  function payNow(event) {
    event.preventDefault();
    let amount;
    if (info.allow_partial_payment && mode === "other") {
      const checked = checkAmount(other, { currency: info.currency, max: info.amount_payable });
      if (checked.error) {
        setAmountError(checked.error);
        return;
      }
      amount = checked.amount;
    }
    setAmountError("");
    setModalAmount(amount);
    setOpen(true);
  }

  let action;
  if (nothingDue || info.invoice_status === "paid") {
    action = <p className="notice success big" role="status">This invoice is paid in full. Thank you!</p>;
  } else if (info.payable) {
    action = (
      <form className="pay-form" onSubmit={payNow} noValidate>
        <AmountChoice info={info} mode={mode} onMode={setMode} other={other} onOther={setOther} error={amountError} />
        {choices.length > 1 && <GatewayChoice choices={choices} chosen={gateway.config_id} onChoose={setConfigId} />}
        <button type="submit" className="primary wide">Pay now</button>
        <p className="muted small">Paid securely through {gateway.display_name}.</p>
      </form>
    );
  } else if (!info.gateway) {
    action = (
      <p className="notice warn" role="status">
        Online payment is not available for this invoice right now. Please contact {info.issuer_name || "the sender of the invoice"} to pay another way.
      </p>
    );
  } else if (!/[1-9]/.test(info.amount_payable)) {
    action = null; // the in-flight notice above says it all
  } else {
    action = <p className="notice warn" role="status">This invoice cannot be paid online.</p>;
  }

  return (
    <section className="card">
      <InvoiceSummary info={info} />
      {action}
      {open && (
        <Suspense fallback={null}>
          <Modal
            invoiceId={invoiceId}
            token={token}
            amount={modalAmount}
            configId={gateway?.config_id}
            service={service}
            onClose={() => { setOpen(false); load(); }}
          />
        </Suspense>
      )}
    </section>
  );
}
