// One payment: its facts, its disputes, what happened to it, and the refunds the owner can still make.
import { useCallback, useEffect, useState } from "react";
import PaymentDisputes from "./PaymentDisputes.jsx";
import RefundForm from "./RefundForm.jsx";
import { formatTime, timelineEntries } from "./timeline.js";
import { PAYMENT_STATUS, label } from "../lib/labels.js";
import { formatMoney } from "../lib/money.js";

export default function PaymentTimeline({ paymentId, service, onBack, onChanged }) {
  const [detail, setDetail] = useState(null);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const [refundRefused, setRefundRefused] = useState("");
  const [excessError, setExcessError] = useState("");
  const [busy, setBusy] = useState(false);

  const reload = useCallback(async () => {
    try {
      setDetail(await service.getPayment(paymentId));
      setError("");
    } catch (err) {
      setError(err.message);
    }
  }, [service, paymentId]);

  useEffect(() => {
    reload();
  }, [reload]);

  async function changed(message) {
    setNotice(message);
    setRefundRefused("");
    await reload();
    await onChanged();
  }

  // A dispute opened since the page was loaded: the API refuses the refund (409 payment_disputed);
  // its words stay on the page, and the reload brings the dispute in.
  async function refundBlocked(message) {
    setNotice("");
    setRefundRefused(message);
    await reload();
  }

  async function refundExcess() {
    setBusy(true);
    setExcessError("");
    try {
      await service.refundOverpayment(detail.payment.invoice_id);
      await changed(`The excess of ${formatMoney(detail.overpayment_refundable, detail.payment.currency)} was refunded.`);
    } catch (err) {
      setExcessError(err.message);
    } finally {
      setBusy(false);
    }
  }

  const back = <button type="button" onClick={onBack}>← All payments</button>;
  if (error) return <section className="stack">{back}<p className="notice error" role="alert">{error}</p></section>;
  if (!detail) return <section className="stack">{back}<p role="status">Loading the payment…</p></section>;

  const { payment } = detail;
  const money = (amount) => formatMoney(amount, payment.currency);
  const overpaid = Number(detail.overpayment_refundable) > 0; // a decimal string, compared only with zero
  return (
    <section className="stack" aria-labelledby="payment-title">
      {back}
      <article className="card">
        <header className="page-head">
          <h1 id="payment-title">Payment for invoice {payment.invoice_number}</h1>
          <span className={`badge badge-${payment.status}`}>{label(PAYMENT_STATUS, payment.status)}</span>
        </header>
        <dl className="facts">
          <div><dt>Client</dt><dd>{payment.client_name}</dd></div>
          <div><dt>Amount</dt><dd>{money(payment.amount)}</dd></div>
          <div><dt>Refunded</dt><dd>{money(payment.refunded_amount)}</dd></div>
          {(Number(payment.disputed_amount) > 0 || (detail.disputes ?? []).length > 0) && (
            <div><dt>Disputed</dt><dd>{money(payment.disputed_amount ?? "0")}</dd></div>
          )}
          <div><dt>Gateway</dt><dd>{payment.gateway_display_name}</dd></div>
          <div><dt>Started</dt><dd>{formatTime(payment.created_at)}</dd></div>
          {payment.succeeded_at && <div><dt>Paid</dt><dd>{formatTime(payment.succeeded_at)}</dd></div>}
        </dl>
        <dl className="facts">
          <div><dt>Gateway reference</dt><dd className="mono">{detail.gateway_reference || "—"}</dd></div>
          {detail.gateway_payment_reference && detail.gateway_payment_reference !== detail.gateway_reference && (
            <div><dt>Payment reference</dt><dd className="mono">{detail.gateway_payment_reference}</dd></div>
          )}
        </dl>
        {detail.attention_reason && <p className="notice warn" role="note">Needs your attention: {detail.attention_reason}</p>}
        {detail.failure_message && <p className="notice error">{detail.failure_message}</p>}
      </article>
      {notice && <p className="notice success" role="status">{notice}</p>}
      {overpaid && (
        <section className="card" aria-labelledby="excess-title">
          <h2 id="excess-title">Overpaid invoice</h2>
          <p>Invoice {payment.invoice_number} was paid {money(detail.invoice_overpaid)} more than its total.</p>
          {excessError && <p className="field-error" role="alert">{excessError}</p>}
          <div className="actions">
            <button type="button" className="primary" disabled={busy} onClick={refundExcess}>
              {busy ? "Refunding…" : `Refund the excess (${money(detail.overpayment_refundable)})`}
            </button>
          </div>
        </section>
      )}
      <PaymentDisputes detail={detail} service={service} onDone={changed} />
      {detail.refund_blocked_reason || refundRefused ? (
        <section className="card" aria-labelledby="refund-title">
          <h2 id="refund-title">Refund</h2>
          <p className="notice warn" role={refundRefused ? "alert" : "note"}>{refundRefused || detail.refund_blocked_reason}</p>
        </section>
      ) : (
        Number(detail.refundable) > 0 && <RefundForm key={detail.refundable} detail={detail} service={service} onDone={changed} onBlocked={refundBlocked} />
      )}
      <section className="card" aria-labelledby="history-title">
        <h2 id="history-title">Timeline</h2>
        <ol className="timeline">
          {timelineEntries(detail).map((entry) => (
            <li key={entry.key} className={`timeline-${entry.kind}`}>
              <time dateTime={entry.at} className="muted small">{formatTime(entry.at)}</time>
              <div>{entry.title}</div>
              {entry.detail && <div className="muted small">{entry.detail}</div>}
            </li>
          ))}
        </ol>
      </section>
    </section>
  );
}
