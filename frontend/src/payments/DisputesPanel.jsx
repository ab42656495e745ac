// The open disputes, at the top of the payments page: those waiting for the owner's evidence
// first (the days left, the deadline, a link to answer at the gateway), then those the bank is
// deciding on. Nothing is shown while there are none.
import { daysLeftText, panelDisputes } from "./disputes.js";
import { DISPUTE_STATUS, label } from "../lib/labels.js";
import { formatDate, formatMoney } from "../lib/money.js";

export function RespondLink({ dispute }) {
  if (!dispute.dashboard_url) return null;
  const name = `Respond at ${dispute.gateway_display_name}`;
  return (
    <a className="button" href={dispute.dashboard_url} target="_blank" rel="noopener noreferrer" aria-label={`${name} (opens in a new tab)`}>
      {name} ↗
    </a>
  );
}

export function DueText({ dispute }) {
  const days = daysLeftText(dispute.days_left);
  if (!days) return null;
  const urgent = dispute.days_left <= 3;
  return (
    <span className={urgent ? "due due-soon" : "due"}>
      {days}
      {dispute.evidence_due_by && <span className="muted small"> (respond by {formatDate(dispute.evidence_due_by)})</span>}
    </span>
  );
}

function DisputeItem({ dispute, onOpen }) {
  return (
    <li className="dispute-item">
      <span className="dispute-main">
        <strong>Invoice {dispute.invoice_number}</strong>
        <span className="muted">{dispute.client_name}</span>
      </span>
      <span className="dispute-amount">{formatMoney(dispute.amount, dispute.currency)}</span>
      <span className="dispute-meta">
        <span className={`badge badge-dispute-${dispute.status}`}>{label(DISPUTE_STATUS, dispute.status)}</span>
        {dispute.needs_response && <DueText dispute={dispute} />}
      </span>
      <span className="dispute-actions">
        {dispute.needs_response && <RespondLink dispute={dispute} />}
        <button type="button" onClick={() => onOpen(dispute.payment_id)} aria-label={`Open the payment for invoice ${dispute.invoice_number}`}>
          Open the payment
        </button>
      </span>
    </li>
  );
}

export default function DisputesPanel({ page, error, onOpen }) {
  if (error) return <p className="notice error" role="alert">Could not load your open disputes: {error}</p>;
  if (!page || page.results.length === 0) return null;
  const { toAnswer, waiting } = panelDisputes(page.results);
  if (toAnswer.length === 0 && waiting.length === 0) return null;
  const more = page.count - page.results.length;
  return (
    <section className="card disputes-panel" aria-labelledby="disputes-title">
      <h2 id="disputes-title">Open disputes</h2>
      {toAnswer.length > 0 && (
        <>
          <p>
            {toAnswer.length === 1 ? "A client's bank is" : `${toAnswer.length} clients' banks are`} taking money back.
            Send your evidence at the gateway before the deadline, or the money is lost.
          </p>
          <ul className="dispute-list" aria-label="Disputes to answer">
            {toAnswer.map((d) => <DisputeItem key={d.dispute_id} dispute={d} onOpen={onOpen} />)}
          </ul>
        </>
      )}
      {waiting.length > 0 && (
        <>
          <h3>Waiting for the bank&apos;s decision</h3>
          <ul className="dispute-list" aria-label="Disputes waiting for the bank">
            {waiting.map((d) => <DisputeItem key={d.dispute_id} dispute={d} onOpen={onOpen} />)}
          </ul>
        </>
      )}
      {more > 0 && <p className="muted small">And {more} more open {more === 1 ? "dispute" : "disputes"}.</p>}
    </section>
  );
}
