// Stripe's Payment Element, as Stripe means it: Elements made with the session's client secret,
// elements.submit() then stripe.confirmPayment() returning to our result page. Errors show
// beside the form. Stripe.js itself is loaded only when this chunk is.
import { useId, useMemo, useState } from "react";
import { loadStripe } from "@stripe/stripe-js";
import { Elements, PaymentElement, useElements, useStripe } from "@stripe/react-stripe-js";

const stripeByKey = new Map();
function stripeFor(publishableKey) {
  if (!stripeByKey.has(publishableKey)) stripeByKey.set(publishableKey, loadStripe(publishableKey));
  return stripeByKey.get(publishableKey);
}

function CheckoutForm({ amountLabel, returnUrl }) {
  const stripe = useStripe();
  const elements = useElements();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const errorId = useId();

  async function submit(event) {
    event.preventDefault();
    if (!stripe || !elements) return;
    setBusy(true);
    setError("");
    const submitted = await elements.submit();
    if (submitted.error) {
      setError(submitted.error.message);
      setBusy(false);
      return;
    }
    // On success Stripe sends the browser to returnUrl; we only get here on an error.
    const { error: confirmError } = await stripe.confirmPayment({ elements, confirmParams: { return_url: returnUrl } });
    setError(confirmError?.message || "The payment could not be confirmed. Try again.");
    setBusy(false);
  }

  return (
    <form onSubmit={submit} aria-describedby={error ? errorId : undefined}>
      <PaymentElement options={{ layout: "tabs" }} />
      {error && <p id={errorId} className="notice error" role="alert">{error}</p>}
      <button type="submit" className="primary wide" disabled={!stripe || !elements || busy}>
        {busy ? "Confirming…" : `Pay ${amountLabel}`}
      </button>
    </form>
  );
}

export default function StripePaymentForm({ session, amountLabel, returnUrl }) {
  const { client_secret: clientSecret, publishable_key: publishableKey } = session.client_params ?? {};
  const stripePromise = useMemo(() => (publishableKey ? stripeFor(publishableKey) : null), [publishableKey]);
  if (!clientSecret || !publishableKey) {
    return <p className="notice error" role="alert">This Stripe account is not set up for payments on this page.</p>;
  }
  return (
    <Elements stripe={stripePromise} options={{ clientSecret, appearance: { theme: "stripe" } }}>
      <CheckoutForm amountLabel={amountLabel} returnUrl={returnUrl} />
    </Elements>
  );
}
