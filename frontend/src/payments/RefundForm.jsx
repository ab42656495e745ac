// Refund a payment, in full or in part, within what the API says is refundable.
import { useState } from "react";
import { checkAmount, formatMoney } from "../lib/money.js";

export function checkRefund(text, { currency, refundable }) {
  return checkAmount(text, { currency, max: refundable, verb: "refund", empty: "Enter an amount to refund." });
}

export default function RefundForm({ detail, service, onDone, onBlocked }) {
  const { payment, refundable, partial_refunds_supported: partial } = detail;
  const [amount, setAmount] = useState(refundable);
  const [reason, setReason] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    const checked = partial ? checkRefund(amount, { currency: payment.currency, refundable }) : { amount: refundable };
    if (checked.error) {
      setError(checked.error);
      return;
    }
    setBusy(true);
    setError("");
    try {
      const refund = await service.refundPayment(payment.payment_id, { amount: checked.amount, reason: reason.trim() });
      onDone(refund.status === "succeeded"
        ? `Refunded ${formatMoney(refund.amount, payment.currency)}.`
        : `The refund of ${formatMoney(refund.amount, payment.currency)} was sent; the gateway has not confirmed it yet.`);
    } catch (err) {
      if (err.code === "payment_disputed" && onBlocked) {
        onBlocked(err.message);
        return;
      }
      setError(err.fields?.amount ?? err.message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="refund-title">
      <h2 id="refund-title">Refund</h2>
      <p className="muted">Up to {formatMoney(refundable, payment.currency)} can be refunded.</p>
      {partial ? (
        <div className="field">
          <label htmlFor="refund-amount">Amount ({payment.currency})</label>
          <input id="refund-amount" inputMode="decimal" value={amount} aria-invalid={error ? "true" : undefined}
            aria-describedby={error ? "refund-error" : undefined} onChange={(e) => setAmount(e.target.value)} />
        </div>
      ) : (
        <p>This gateway refunds in full only.</p>
      )}
      <div className="field">
        <label htmlFor="refund-reason">Reason (optional)</label>
        <input id="refund-reason" maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
      </div>
      {error && <p id="refund-error" className="field-error" role="alert">{error}</p>}
      <div className="actions">
        <button type="submit" className="danger" disabled={busy}>{busy ? "Refunding…" : "Refund"}</button>
      </div>
    </form>
  );
}
