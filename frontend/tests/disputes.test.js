import { describe, expect, it } from "vitest";
import { daysLeftText, disputeEntries, isOpenDispute, panelDisputes } from "../src/payments/disputes.js";
import { timelineEntries } from "../src/payments/timeline.js";
import { detail, dispute } from "./paymentFixtures.jsx";

const change = (from, to, withdrawn, reinstated, at, extra = {}) => ({
  from_status: from, to_status: to, withdrawn_amount: withdrawn, reinstated_amount: reinstated,
  applied: true, source: "webhook", note: "", created_at: at, ...extra,
});

describe("daysLeftText", () => {
  it("words the days left to answer a dispute", () => {
    expect(daysLeftText(6)).toBe("6 days left");
    expect(daysLeftText(1)).toBe("1 day left");
    expect(daysLeftText(0)).toBe("due today");
    expect(daysLeftText(-1)).toBe("past due");
    expect(daysLeftText(-30)).toBe("past due");
    expect(daysLeftText(null)).toBe("");
  });
});

describe("panelDisputes", () => {
  it("puts the disputes to answer first, nearest deadline first, then those under review", () => {
    const later = dispute({ dispute_id: "later", evidence_due_by: "2026-12-20T00:00:00Z" });
    const sooner = dispute({ dispute_id: "sooner", evidence_due_by: "2026-12-09T00:00:00Z" });
    const undated = dispute({ dispute_id: "undated", evidence_due_by: null, days_left: null });
    const review = dispute({ dispute_id: "review", status: "under_review", needs_response: false });
    const { toAnswer, waiting } = panelDisputes([later, review, undated, sooner]);
    expect(toAnswer.map((d) => d.dispute_id)).toEqual(["sooner", "later", "undated"]);
    expect(waiting.map((d) => d.dispute_id)).toEqual(["review"]);
  });

  it("knows an open dispute from a closed one", () => {
    expect(["inquiry", "needs_response", "under_review"].every((status) => isOpenDispute({ status }))).toBe(true);
    expect(isOpenDispute({ status: "won" }) || isOpenDispute({ status: "lost" })).toBe(false);
  });
});

describe("disputeEntries", () => {
  it("tells the opening (amount, reason, deadline) and the money withdrawn in the same report", () => {
    const entries = disputeEntries(dispute(), "EUR");
    expect(entries.map((e) => e.kind)).toEqual(["dispute", "dispute-withdrawn"]);
    expect(entries[0].title).toBe("Dispute opened: €70.00");
    expect(entries[0].detail).toBe("Reason: fraud. Respond by December 15, 2026. From the gateway's notification");
    expect(entries[1].title).toBe("€70.00 withdrawn by the client's bank");
  });

  it("tells a won dispute and the money reinstated, from the totals each change carries", () => {
    const won = dispute({
      status: "won",
      changes: [
        change("", "needs_response", "0.00", "0.00", "2026-12-05T09:00:00Z"),
        change("needs_response", "needs_response", "70.00", "0.00", "2026-12-05T09:00:01Z"),
        change("needs_response", "under_review", "70.00", "0.00", "2026-12-06T09:00:00Z"),
        change("under_review", "won", "70.00", "70.00", "2026-12-08T09:00:00Z", { source: "sandbox" }),
      ],
    });
    expect(disputeEntries(won, "EUR").map((e) => [e.kind, e.title])).toEqual([
      ["dispute", "Dispute opened: €70.00"],
      ["dispute-withdrawn", "€70.00 withdrawn by the client's bank"],
      ["dispute", "Dispute: Needs your response → Waiting for the bank"],
      ["dispute-won", "Dispute won"],
      ["dispute-reinstated", "€70.00 reinstated"],
    ]);
  });

  it("tells a lost dispute, a refused report, and a closing reported before the opening", () => {
    const lost = dispute({
      status: "lost",
      changes: [
        change("", "lost", "70.00", "0.00", "2026-12-05T09:00:00Z"),
        change("lost", "needs_response", "70.00", "0.00", "2026-12-05T09:00:02Z", { applied: false, note: "dispute dp_123 is lost, not needs_response" }),
      ],
    });
    const entries = disputeEntries(lost, "EUR");
    expect(entries.map((e) => e.kind)).toEqual(["dispute", "dispute-lost", "dispute-withdrawn", "refused"]);
    expect(entries[1].detail).toContain("What was withdrawn stays withdrawn");
    expect(entries[3].title).toBe("Ignored: dispute Needs your response after Lost");
    expect(entries[3].detail).toContain("is lost, not needs_response");
  });

  it("counts money in the currency's minor units (no floating point drift)", () => {
    const odd = dispute({
      amount: "0.30",
      changes: [change("", "needs_response", "0.10", "0.00", "2026-12-05T09:00:00Z"), change("needs_response", "needs_response", "0.30", "0.00", "2026-12-05T09:01:00Z")],
    });
    expect(disputeEntries(odd, "EUR").filter((e) => e.kind === "dispute-withdrawn").map((e) => e.title))
      .toEqual(["€0.10 withdrawn by the client's bank", "€0.20 withdrawn by the client's bank"]);
    expect(disputeEntries(dispute({ amount: "7000", changes: [change("", "needs_response", "7000", "0", "2026-12-05T09:00:00Z")] }), "JPY")[1].title)
      .toBe("¥7,000 withdrawn by the client's bank");
  });

  it("calls an inquiry an inquiry", () => {
    expect(disputeEntries(dispute({ is_inquiry: true, status: "inquiry" }), "EUR")[0].title).toBe("Inquiry opened: €70.00");
  });
});

describe("timelineEntries with disputes", () => {
  it("merges a payment's status changes, refunds and disputes in time order", () => {
    const entries = timelineEntries(detail({ disputes: [dispute({ changes: [change("", "needs_response", "70.00", "0.00", "2026-12-01T10:02:30Z")] })] }));
    expect(entries.map((e) => e.kind)).toEqual(["status", "refund", "dispute", "dispute-withdrawn", "refused"]);
  });

  it("orders by instant, not by text, when one time has a fraction of a second", () => {
    const entries = timelineEntries(detail({
      refunds: [],
      status_changes: [
        { from_status: "pending", to_status: "succeeded", applied: true, source: "webhook", note: "", created_at: "2026-12-01T10:01:00Z" },
      ],
      disputes: [dispute({ changes: [change("", "needs_response", "0.00", "0.00", "2026-12-01T10:01:00.250000Z")] })],
    }));
    expect(entries.map((e) => e.kind)).toEqual(["status", "dispute"]);
  });
});
