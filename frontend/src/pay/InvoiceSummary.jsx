// What the invoice says: who, when, how much, and how much is still due.
import { formatDate, formatMoney } from "../lib/money.js";
import { INVOICE_STATUS, label } from "../lib/labels.js";

export default function InvoiceSummary({ info }) {
  const money = (amount) => formatMoney(amount, info.currency);
  const inFlight = info.amount_in_flight && info.amount_in_flight !== "0" && /[1-9]/.test(info.amount_in_flight);
  return (
    <>
      <header className="invoice-head">
        <div>
          <p className="muted small">Invoice</p>
          <h1>{info.invoice_number}</h1>
        </div>
        <span className={`badge badge-${info.invoice_status}`}>{label(INVOICE_STATUS, info.invoice_status)}</span>
      </header>
      <dl className="facts">
        {info.issuer_name && <div><dt>From</dt><dd>{info.issuer_name}</dd></div>}
        <div><dt>To</dt><dd>{info.client_name}</dd></div>
        {info.issued_on && <div><dt>Issued</dt><dd>{formatDate(info.issued_on)}</dd></div>}
        {info.due_on && <div><dt>Due</dt><dd>{formatDate(info.due_on)}</dd></div>}
      </dl>
      <table className="lines">
        <caption className="visually-hidden">Amounts in {info.currency}</caption>
        <thead>
          <tr><th scope="col">Description</th><th scope="col" className="num">Amount</th></tr>
        </thead>
        <tbody>
          <tr><td>{info.description || `Invoice ${info.invoice_number}`}</td><td className="num">{money(info.total)}</td></tr>
        </tbody>
        <tfoot>
          <tr><th scope="row">Total</th><td className="num">{money(info.total)}</td></tr>
          <tr><th scope="row">Paid</th><td className="num">{money(info.amount_paid)}</td></tr>
          {inFlight && <tr><th scope="row">Being processed</th><td className="num">{money(info.amount_in_flight)}</td></tr>}
          <tr className="due"><th scope="row">Amount due</th><td className="num">{money(info.amount_due)}</td></tr>
        </tfoot>
      </table>
      {inFlight && (
        <p className="notice info" role="note">
          A payment of {money(info.amount_in_flight)} is being processed and counts once it is confirmed.
          {info.payable ? ` You can pay the remaining ${money(info.amount_payable)} now.` : " There is nothing more to pay until then."}
        </p>
      )}
    </>
  );
}
