// PayPal's buttons inside our pay page. The order exists already (our create-session opened it): the
// buttons only let the payer approve it; on approval we ask our API to check the payment now, which
// captures it, and then show the result as the other forms do.
import { useId, useState } from "react";
import { PayPalButtons, PayPalScriptProvider } from "@paypal/react-paypal-js";

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
      <p>Pay {amountLabel} with PayPal.</p>
      <PayPalScriptProvider options={options}>
        <PayPalButtons
          style={{ layout: "vertical" }}
          disabled={busy}
          createOrder={() => Promise.resolve(params.order_id)}
          onApprove={approved}
          onCancel={() => setError("The PayPal payment was cancelled. You can try again.")}
          onError={() => setError("PayPal could not complete the payment. Please try again.")}
        />
      </PayPalScriptProvider>
      {busy && <p className="muted small">Confirming your payment…</p>}
      {error && <p id={errorId} className="notice error" role="alert">{error}</p>}
    </div>
  );
}
