// PayPal's buttons inside our pay page. The order exists already (our create-session opened it): the
// buttons only let the payer approve it; on approval we ask our API to check the payment now, which
// captures it, and then show the result as the other forms do.
import { useId, useState } from "react";
import { DISPATCH_ACTION, PayPalButtons, PayPalScriptProvider, usePayPalScriptReducer } from "@paypal/react-paypal-js";

// PayPal's SDK draws nothing while it loads or when it cannot load (offline, blocked by an extension),
// so the payer would face an empty modal: say what is happening, and let them load it again.
function ScriptState({ options }) {
  const [{ isPending, isRejected }, dispatch] = usePayPalScriptReducer();
  if (isPending) return <p className="muted" role="status">Loading PayPal…</p>;
  if (!isRejected) return null;
  return (
    <div className="notice error" role="alert">
      <p>PayPal could not be loaded. Check your connection, or whether something in your browser blocks PayPal.</p>
      <button type="button" onClick={() => dispatch({ type: DISPATCH_ACTION.RESET_OPTIONS, value: options })}>
        Load PayPal again
      </button>
    </div>
  );
}

export default function PayPalPaymentForm({ session, token, amountLabel, service, onComplete }) {
  const params = session.client_params || {};
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const errorId = useId();

  if (!params.order_id || !params.client_id) {
    return <p className="notice error" role="alert">This PayPal payment cannot be shown here. Please try again.</p>;
  }

  const options = {
    clientId: params.client_id,
    currency: params.currency,
    intent: "capture",
    ...(params.sdk_url ? { sdkBaseUrl: params.sdk_url } : {}),
  };

  async function approved() {
    setBusy(true);
    setError("");
    try {
      await service.checkPayment(session.payment_id, token);
      onComplete();
    } catch (err) {
      setError(err.message);
      setBusy(false);
    }
  }

  return (
    <div aria-describedby={error ? errorId : undefined} aria-busy={busy}>
      {/* The modal's title shows the amount already; say instead where the payer will approve it. */}
      <p>PayPal opens in its own window: approve the payment of {amountLabel} there, and we confirm it here.</p>
      <PayPalScriptProvider options={options}>
        <ScriptState options={options} />
        <PayPalButtons
          className="paypal-buttons-slot"
          style={{ layout: "vertical" }}
          disabled={busy}
          createOrder={() => Promise.resolve(params.order_id)}
          onApprove={approved}
          onCancel={() => setError("The PayPal payment was cancelled. You can try again.")}
          onError={() => setError("PayPal could not complete the payment. Please try again.")}
        />
      </PayPalScriptProvider>
      {busy && <p className="muted small" role="status">Confirming your payment…</p>}
      {error && <p id={errorId} className="notice error" role="alert">{error}</p>}
    </div>
  );
}
