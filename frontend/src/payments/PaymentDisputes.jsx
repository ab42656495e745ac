// A payment's disputes beside its timeline: each one's status, what it holds, the days left to
// answer and where; and on a sandbox payment, buttons that play a chargeback end to end.
import { useState } from "react";
import { DueText, RespondLink } from "./DisputesPanel.jsx";
import { isOpenDispute, reasonText } from "./disputes.js";
import { DISPUTE_STATUS, label } from "../lib/labels.js";
import { formatMoney, toMinorUnits } from "../lib/money.js";

const SANDBOX_DONE = {
  open: "The sandbox opened a dispute: the client's bank took the money back.",
  win: "The dispute was closed as won: the money is back.",
  lose: "The dispute was closed as lost: the money stays withdrawn.",
};

// Only a paid payment can be disputed, for what is neither refunded nor held by a dispute; the
// sandbox plays one open dispute at a time.
const DISPUTABLE = new Set(["succeeded", "partially_refunded"]);

function undisputed(payment) {
  const minor = (amount) => toMinorUnits(amount ?? "0", payment.currency) ?? 0n;
  return minor(payment.amount) - minor(payment.refunded_amount) - minor(payment.disputed_amount);
}

// What the sandbox can do to this payment now: decide its open dispute, or open one.
function sandboxMoves(detail) {
  if (detail.payment.gateway !== "sandbox") return { open: null, canOpen: false };
  const open = (detail.disputes ?? []).find(isOpenDispute) ?? null;
  return { open, canOpen: !open && DISPUTABLE.has(detail.payment.status) && undisputed(detail.payment) > 0n };
}

function SandboxButtons({ detail, service, onDone }) {
  const { payment } = detail;
  const [busy, setBusy] = useState("");
  const [error, setError] = useState("");
  const { open, canOpen } = sandboxMoves(detail);

  async function act(action) {
    setBusy(action);
    setError("");
    try {
      const answer = await service.simulateSandboxDispute(payment.payment_id, action);
      await onDone(answer.delivered ? SANDBOX_DONE[action] : "The sandbox made the dispute's event but did not deliver it.");
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy("");
    }
  }

  return (
    <div className="sandbox-actions" role="group" aria-labelledby="sandbox-dispute-title">
      <h3 id="sandbox-dispute-title">Sandbox</h3>
      <p className="muted small">
        {open ? "Decide the dispute as the client's bank would." : "Play a chargeback: the client's bank takes the money back until the dispute is decided."}
      </p>
      {error && <p className="field-error" role="alert">{error}</p>}
      <div className="actions">
        {canOpen && (
          <button type="button" disabled={Boolean(busy)} onClick={() => act("open")}>
            {busy === "open" ? "Opening a dispute…" : "Simulate a dispute"}
          </button>
        )}
        {open && (
          <>
            <button type="button" disabled={Boolean(busy)} onClick={() => act("win")}>{busy === "win" ? "Closing…" : "Close as won"}</button>
            <button type="button" className="danger" disabled={Boolean(busy)} onClick={() => act("lose")}>{busy === "lose" ? "Closing…" : "Close as lost"}</button>
          </>
        )}
      </div>
    </div>
  );
}

function DisputeSummary({ dispute }) {
  const money = (amount) => formatMoney(amount, dispute.currency);
  const reason = reasonText(dispute.reason);
  return (
    <li className="dispute-item">
      <span className="dispute-main">
        <strong>{dispute.is_inquiry ? "Inquiry" : "Dispute"} of {money(dispute.amount)}</strong>
        {reason && <span className="muted small">Reason: {reason}</span>}
      </span>
      <span className="dispute-meta">
        <span className={`badge badge-dispute-${dispute.status}`}>{label(DISPUTE_STATUS, dispute.status)}</span>
        {dispute.needs_response && <DueText dispute={dispute} />}
        {Number(dispute.held_amount) > 0 && <span className="small">{money(dispute.held_amount)} withdrawn</span>}
        <span className="muted small mono">{dispute.gateway_dispute_id}</span>
      </span>
      {dispute.needs_response && <span className="dispute-actions"><RespondLink dispute={dispute} /></span>}
    </li>
  );
}

export default function PaymentDisputes({ detail, service, onDone }) {
  const disputes = detail.disputes ?? [];
  const moves = sandboxMoves(detail);
  const sandbox = Boolean(moves.open) || moves.canOpen;
  if (disputes.length === 0 && !sandbox) return null;
  return (
    <section className="card" aria-labelledby="payment-disputes-title">
      <h2 id="payment-disputes-title">Disputes</h2>
      {disputes.length === 0
        ? <p className="muted">No dispute.</p>
        : <ul className="dispute-list" aria-label="Disputes of this payment">{disputes.map((d) => <DisputeSummary key={d.dispute_id} dispute={d} />)}</ul>}
      {sandbox && <SandboxButtons detail={detail} service={service} onDone={onDone} />}
    </section>
  );
}
