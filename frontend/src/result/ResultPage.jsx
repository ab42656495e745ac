// After a redirect back or an in-modal confirmation: polls the payment with back-off until it is
// final, then says what happened and what the invoice still needs. It never spins forever.
import { useCallback, useEffect, useRef, useState } from "react";
import { paymentService as defaultService } from "../api/paymentService.js";
import { formatMoney } from "../lib/money.js";
import { INVOICE_STATUS, label } from "../lib/labels.js";
import { payPageUrl } from "../lib/urls.js";
import { FINAL, MAX_ATTEMPTS, nextDelay } from "./polling.js";
import { InvalidLink } from "../pay/PayPage.jsx";

const HEADINGS = {
  succeeded: "Payment received",
  partially_refunded: "Payment received",
  refunded: "Payment refunded",
  failed: "Payment failed",
  cancelled: "Payment cancelled",
  expired: "Payment session expired",
  authorized: "Payment approved",
  processing: "Payment processing",
  pending: "Checking your payment…",
};

function Explanation({ payment, gaveUp }) {
  const { status } = payment;
  if (status === "succeeded") return <p className="notice success" role="status">Thank you! Your payment of {formatMoney(payment.amount, payment.currency)} is confirmed.</p>;
  if (status === "partially_refunded" || status === "refunded") return <p className="notice info" role="status">Part or all of this payment was refunded to you.</p>;
  if (status === "failed") {
    return (
      <p className="notice error" role="alert">
        The payment did not go through{payment.failure_message ? `: ${payment.failure_message}` : "."} No money was taken.
      </p>
    );
  }
  if (status === "cancelled") return <p className="notice warn" role="status">The payment was cancelled. No money was taken.</p>;
  if (status === "expired") return <p className="notice warn" role="status">The payment session ran out of time. No money was taken.</p>;
  if (gaveUp) {
    return (
      <p className="notice info" role="status">
        Your payment is being confirmed by the payment provider. You can close this page: the invoice will show the payment as soon as it is confirmed.
      </p>
    );
  }
  if (status === "authorized") {
    return (
      <p className="notice info" role="status">
        You approved the payment; it is being completed with the payment provider. You do not need to pay again.
        This page updates by itself.
      </p>
    );
  }
  if (status === "processing") {
    return (
      <p className="notice info" role="status">
        Your payment was sent and is being processed. Some payment methods take a while to confirm; you do not need to pay again.
        This page updates by itself.
      </p>
    );
  }
  return <p className="status" role="status"><span className="spinner" aria-hidden="true" /> Waiting for the payment provider…</p>;
}

export default function ResultPage({ invoiceId, token, paymentId, service = defaultService, schedule = setTimeout, cancel = clearTimeout }) {
  const [payment, setPayment] = useState(null);
  const [error, setError] = useState(null);
  const [gaveUp, setGaveUp] = useState(false);
  const timer = useRef(null);

  const poll = useCallback(
    async (attempt) => {
      try {
        const latest = await service.getPaymentStatus(paymentId, token);
        setPayment(latest);
        setError(null);
        if (FINAL.has(latest.status)) return;
      } catch (err) {
        if (err.status === 404) {
          setError({ invalid: true });
          return;
        }
        setError({ message: err.message });
      }
      if (attempt + 1 >= MAX_ATTEMPTS) {
        setGaveUp(true);
        return;
      }
      timer.current = schedule(() => poll(attempt + 1), nextDelay(attempt));
    },
    [service, paymentId, token, schedule],
  );

  useEffect(() => {
    if (!paymentId || !token) return undefined;
    poll(0);
    return () => cancel(timer.current);
  }, [poll, paymentId, token, cancel]);

  if (!paymentId || !token || error?.invalid) return <InvalidLink />;
  if (!payment) {
    return (
      <section className="card">
        <h1>Checking your payment…</h1>
        {error ? <p className="notice error" role="alert">{error.message} Retrying…</p> : <p className="status" role="status"><span className="spinner" aria-hidden="true" /> One moment.</p>}
      </section>
    );
  }

  const invoice = payment.invoice;
  const money = (amount) => formatMoney(amount, invoice.currency);
  const canRetry = ["failed", "cancelled", "expired"].includes(payment.status) && /[1-9]/.test(invoice.amount_due);
  const final = FINAL.has(payment.status);
  return (
    <section className="card">
      <p className="muted small">Invoice {invoice.number}</p>
      <h1>{HEADINGS[payment.status] ?? "Payment"}</h1>
      <Explanation payment={payment} gaveUp={gaveUp && !final} />
      {error && <p className="notice error" role="alert">{error.message}</p>}
      <table className="lines">
        <caption className="visually-hidden">The invoice now</caption>
        <tbody>
          <tr><th scope="row">This payment</th><td className="num">{formatMoney(payment.amount, payment.currency)}</td></tr>
          <tr><th scope="row">Invoice total</th><td className="num">{money(invoice.total)}</td></tr>
          <tr><th scope="row">Paid</th><td className="num">{money(invoice.amount_paid)}</td></tr>
          <tr className="due"><th scope="row">Amount due</th><td className="num">{money(invoice.amount_due)}</td></tr>
          <tr><th scope="row">Invoice status</th><td className="num">{label(INVOICE_STATUS, invoice.status)}</td></tr>
        </tbody>
      </table>
      <div className="actions">
        {canRetry && <a className="button primary" href={payPageUrl(invoiceId, token)}>Try again</a>}
        {gaveUp && !final && <button type="button" onClick={() => { setGaveUp(false); poll(0); }}>Check again</button>}
        {!canRetry && <a href={payPageUrl(invoiceId, token)}>Back to the invoice</a>}
      </div>
    </section>
  );
}
