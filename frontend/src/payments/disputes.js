// Disputes in words: the days left to answer one, which open disputes the panel lists first, and
// a dispute's history as timeline entries. Pure functions: the components only render them.
import { DISPUTE_REASON, DISPUTE_STATUS, label } from "../lib/labels.js";
import { formatDate, formatMoney, toDecimalString, toMinorUnits } from "../lib/money.js";

const OPEN = new Set(["inquiry", "needs_response", "under_review"]);

const SOURCE = {
  webhook: "the gateway's notification",
  catch_up: "a check with the gateway",
  sandbox: "the sandbox",
};

export function isOpenDispute(dispute) {
  return OPEN.has(dispute.status);
}

// `days` is the API's `days_left`: whole days to the evidence deadline, negative once past it.
export function daysLeftText(days) {
  if (days === null || days === undefined) return "";
  if (days < 0) return "past due";
  if (days === 0) return "due today";
  return days === 1 ? "1 day left" : `${days} days left`;
}

export function reasonText(reason) {
  return reason ? label(DISPUTE_REASON, reason) : "";
}

// The panel at the top of the page: the disputes to answer, nearest deadline first (none last),
// then those the bank is deciding on, which wait for nothing from the owner.
export function panelDisputes(disputes) {
  const due = (d) => (d.evidence_due_by ? Date.parse(d.evidence_due_by) : Number.POSITIVE_INFINITY);
  const toAnswer = disputes.filter((d) => d.needs_response).sort((a, b) => due(a) - due(b));
  const waiting = disputes.filter((d) => !d.needs_response && d.status === "under_review");
  return { toAnswer, waiting };
}

// One dispute's history, from its `changes` (each one a snapshot of the totals withdrawn and
// reinstated so far): the opening, every status it moved to, and the money each change moved.
export function disputeEntries(dispute, currency) {
  const minor = (amount) => toMinorUnits(amount, currency) ?? 0n;
  const entries = [];
  let withdrawn = 0n;
  let reinstated = 0n;
  dispute.changes.forEach((change, index) => {
    const entry = (what, fields) => entries.push({ key: `dispute-${dispute.dispute_id}-${index}-${what}`, at: change.created_at, ...fields });
    const from = `From ${SOURCE[change.source] ?? change.source}`;
    if (!change.applied) {
      entry("refused", {
        kind: "refused",
        title: `Ignored: dispute ${label(DISPUTE_STATUS, change.to_status)} after ${label(DISPUTE_STATUS, change.from_status)}`,
        detail: [from, change.note].filter(Boolean).join(". "),
      });
      return;
    }
    statusEntries(dispute, change, currency).forEach((status, n) =>
      entry(`status-${n}`, { ...status, detail: [status.detail, from, change.note].filter(Boolean).join(". ") }));
    if (minor(change.withdrawn_amount) > withdrawn) {
      const moved = toDecimalString(minor(change.withdrawn_amount) - withdrawn, currency);
      entry("withdrawn", { kind: "dispute-withdrawn", title: `${formatMoney(moved, currency)} withdrawn by the client's bank`, detail: "Taken off the invoice's amount paid" });
      withdrawn = minor(change.withdrawn_amount);
    }
    if (minor(change.reinstated_amount) > reinstated) {
      const moved = toDecimalString(minor(change.reinstated_amount) - reinstated, currency);
      entry("reinstated", { kind: "dispute-reinstated", title: `${formatMoney(moved, currency)} reinstated`, detail: "Back in the invoice's amount paid" });
      reinstated = minor(change.reinstated_amount);
    }
  });
  return entries;
}

// What a change did to the dispute's status: opened it (then perhaps closed it at once, when the
// provider's first report is its last), moved it on, or nothing (only money moved).
function statusEntries(dispute, change, currency) {
  const what = dispute.is_inquiry ? "Inquiry" : "Dispute";
  const entries = [];
  if (!change.from_status) {
    const reason = reasonText(dispute.reason);
    const deadline = dispute.evidence_due_by ? `Respond by ${formatDate(dispute.evidence_due_by)}` : "";
    entries.push({
      kind: "dispute",
      title: `${what} opened: ${formatMoney(dispute.amount, currency)}`,
      detail: [reason && `Reason: ${reason}`, deadline].filter(Boolean).join(". "),
    });
  }
  if (change.from_status === change.to_status) return entries;
  if (change.to_status === "won") {
    entries.push({ kind: "dispute-won", title: `${what} won`, detail: "" });
  } else if (change.to_status === "lost") {
    entries.push({ kind: "dispute-lost", title: `${what} lost`, detail: "What was withdrawn stays withdrawn" });
  } else if (change.from_status) {
    entries.push({ kind: "dispute", title: `${what}: ${label(DISPUTE_STATUS, change.from_status)} → ${label(DISPUTE_STATUS, change.to_status)}`, detail: "" });
  }
  return entries;
}
