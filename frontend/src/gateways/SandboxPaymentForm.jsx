// The sandbox's in-modal form: the person paying chooses what the simulated provider does.
import { useId, useState } from "react";

const OUTCOMES = [
  { value: "succeeded", label: "Pay: the payment succeeds" },
  { value: "declined", label: "Decline: the card is refused" },
  { value: "processing", label: "Asynchronous: the payment settles later" },
];

export default function SandboxPaymentForm({ session, token, amountLabel, service, onComplete }) {
  const [outcome, setOutcome] = useState("succeeded");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const errorId = useId();

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      await service.completeSandboxPayment(session.payment_id, token, outcome);
      onComplete();
    } catch (err) {
      setError(err.message);
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-describedby={error ? errorId : undefined}>
      <fieldset className="choices">
        <legend>Sandbox: choose what happens to this test payment</legend>
        {OUTCOMES.map((o) => (
          <label key={o.value} className="choice">
            <input type="radio" name="outcome" value={o.value} checked={outcome === o.value} onChange={() => setOutcome(o.value)} />
            {o.label}
          </label>
        ))}
      </fieldset>
      {error && <p id={errorId} className="notice error" role="alert">{error}</p>}
      <button type="submit" className="primary wide" disabled={busy}>
        {busy ? "Sending…" : `Pay ${amountLabel}`}
      </button>
      <p className="muted small">No real money moves: this is the sandbox gateway.</p>
    </form>
  );
}
