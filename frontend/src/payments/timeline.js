// A payment's history as one list, oldest first: its status changes, its refunds and its disputes
// (disputes.js), each with the words the timeline shows.
import { disputeEntries } from "./disputes.js";
import { PAYMENT_STATUS, label } from "../lib/labels.js";
import { formatMoney } from "../lib/money.js";

const SOURCE = {
  webhook: "the gateway's notification",
  status_check: "a status check with the gateway",
  refund: "a refund",
  api: "this site",
};

const REFUND_STATUS = { pending: "waiting for the gateway", succeeded: "done", failed: "failed" };

export function timelineEntries(detail) {
  const currency = detail.payment.currency;
  const changes = detail.status_changes.map((change, index) => ({
    key: `status-${index}`,
    at: change.created_at,
    kind: change.applied ? "status" : "refused",
    title: change.applied
      ? `${label(PAYMENT_STATUS, change.from_status)} → ${label(PAYMENT_STATUS, change.to_status)}`
      : `Ignored: ${label(PAYMENT_STATUS, change.to_status)} after ${label(PAYMENT_STATUS, change.from_status)}`,
    detail: [`From ${SOURCE[change.source] ?? change.source}`, change.note].filter(Boolean).join(". "),
  }));
  const refunds = detail.refunds.map((refund) => ({
    key: `refund-${refund.refund_id}`,
    at: refund.created_at,
    kind: refund.status === "failed" ? "refund-failed" : "refund",
    title: `Refund of ${formatMoney(refund.amount, currency)}: ${REFUND_STATUS[refund.status] ?? refund.status}`,
    detail: [
      refund.source === "gateway" ? "Made in the gateway's dashboard" : "Made here",
      refund.reason && `Reason: ${refund.reason}`,
      refund.failure_message,
    ].filter(Boolean).join(". "),
  }));
  const disputes = (detail.disputes ?? []).flatMap((dispute) => disputeEntries(dispute, currency));
  // Compared as instants, not as text: "10:00:00Z" and "10:00:00.5Z" do not sort right as text.
  // The sort is stable, so at one instant a change stays before its refund, and a dispute's
  // opening before the money it withdrew.
  return [...changes, ...refunds, ...disputes].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

export function formatTime(iso, locale) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}
