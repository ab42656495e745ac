import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { detail, dispute, page, renderPage, ROW } from "./paymentFixtures.jsx";

const DISPUTED = { ...ROW, status: "succeeded", refunded_amount: "0.00", disputed_amount: "70.00", open_disputes: 1 };
const SANDBOX_PAID = { ...ROW, status: "succeeded", refunded_amount: "0.00", amount: "100.00" };

function sandboxDispute(overrides = {}) {
  return dispute({ gateway: "sandbox", gateway_display_name: "Sandbox", gateway_dispute_id: "sbx_dp_1", dashboard_url: "", amount: "100.00", withdrawn_amount: "100.00", held_amount: "100.00", ...overrides });
}

describe("disputes on the payments list", () => {
  it("shows a Disputed column, the amount or a dash, and a marker for open disputes", async () => {
    renderPage({ "GET /payment/payments/": { body: page([DISPUTED, { ...ROW, payment_id: "p-2", invoice_number: "INV-0043" }]) } });
    const disputed = await screen.findByRole("button", { name: /Invoice INV-0042/ });
    expect(disputed).toHaveAccessibleName("Invoice INV-0042, €100.00, Paid, €70.00 disputed, open dispute");
    expect(disputed.querySelector(".payment-disputed").textContent).toBe("Disputed€70.00");
    expect(within(disputed).getByText("Open dispute")).toBeInTheDocument();
    const plain = screen.getByRole("button", { name: /Invoice INV-0043/ });
    expect(plain.querySelector(".payment-disputed").textContent).toBe("Disputed—");
    expect(within(plain).queryByText("Open dispute")).not.toBeInTheDocument();
  });

  it("stands the open disputes at the top: days left, deadline, and a link to answer at the gateway", async () => {
    const api = renderPage({
      "GET /payment/payments/": { body: page([DISPUTED]) },
      "GET /payment/disputes/": { body: page([dispute({ dispute_id: "d-2", status: "under_review", needs_response: false, days_left: null, invoice_number: "INV-0050" }), dispute()]) },
    });
    const panel = await screen.findByRole("region", { name: "Open disputes" });
    expect(api.callsTo("GET /payment/disputes/")[0].query).toBe("open=true");
    const toAnswer = within(panel).getByRole("list", { name: "Disputes to answer" });
    expect(toAnswer.textContent).toContain("Invoice INV-0042");
    expect(toAnswer.textContent).toContain("Acme Ltd");
    expect(toAnswer.textContent).toContain("€70.00");
    expect(toAnswer.textContent).toContain("Needs your response");
    expect(toAnswer.textContent).toContain("6 days left");
    expect(toAnswer.textContent).toContain("respond by December 15, 2026");
    const link = within(toAnswer).getByRole("link", { name: "Respond at Stripe (opens in a new tab)" });
    expect(link).toHaveAttribute("href", "https://dashboard.stripe.com/test/disputes/dp_123");
    expect(link).toHaveAttribute("target", "_blank");
    expect(link.getAttribute("rel")).toContain("noopener");
    const waiting = within(panel).getByRole("list", { name: "Disputes waiting for the bank" });
    expect(waiting.textContent).toContain("INV-0050");
    expect(within(waiting).queryByRole("link")).not.toBeInTheDocument();
    // The panel comes before the list of payments.
    const list = screen.getByRole("list", { name: "Payments" });
    expect(panel.compareDocumentPosition(list) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it("says due today and past due, and links nowhere when the gateway has no dashboard", async () => {
    renderPage({
      "GET /payment/payments/": { body: page([DISPUTED]) },
      "GET /payment/disputes/": { body: page([dispute({ days_left: 0 }), sandboxDispute({ dispute_id: "d-3", days_left: -2, invoice_number: "INV-0051" })], 3) },
    });
    const panel = await screen.findByRole("region", { name: "Open disputes" });
    expect(panel.textContent).toContain("due today");
    expect(panel.textContent).toContain("past due");
    expect(within(panel).getAllByRole("link")).toHaveLength(1);
    expect(panel.textContent).toContain("And 1 more open dispute.");
  });

  it("shows no panel when no dispute is open", async () => {
    renderPage({ "GET /payment/payments/": { body: page([ROW]) } });
    await screen.findByRole("button", { name: /Invoice INV-0042/ });
    expect(screen.queryByRole("region", { name: "Open disputes" })).not.toBeInTheDocument();
  });

  it("opens a disputed payment from the panel", async () => {
    renderPage({
      "GET /payment/payments/": { body: page([DISPUTED]) },
      "GET /payment/disputes/": { body: page([dispute()]) },
      "GET /payment/payments/p-1/": { body: detail({ payment: DISPUTED, disputes: [dispute()], refundable: "0.00", refund_blocked_reason: "A dispute is open." }) },
    });
    await userEvent.click(await screen.findByRole("button", { name: "Open the payment for invoice INV-0042" }));
    expect(await screen.findByRole("heading", { name: "Payment for invoice INV-0042" })).toBeInTheDocument();
  });
});

describe("disputes on a payment's timeline", () => {
  const blocked = "A dispute of this payment is open: it cannot be refunded until the dispute is won.";

  it("shows the disputed amount, the dispute in the timeline, and the refund blocked with its reason", async () => {
    renderPage({
      "GET /payment/payments/": { body: page([DISPUTED]) },
      "GET /payment/payments/p-1/": { body: detail({ payment: DISPUTED, refunds: [], disputes: [dispute()], refundable: "0.00", refund_blocked_reason: blocked }) },
    });
    await userEvent.click(await screen.findByRole("button", { name: /Invoice INV-0042/ }));
    await screen.findByRole("heading", { name: "Payment for invoice INV-0042" });
    const facts = screen.getByText("Disputed").closest("div");
    expect(facts.textContent).toBe("Disputed€70.00");
    const disputes = screen.getByRole("region", { name: "Disputes" });
    expect(disputes.textContent).toContain("Dispute of €70.00");
    expect(disputes.textContent).toContain("6 days left");
    expect(within(disputes).getByRole("link", { name: /Respond at Stripe/ })).toBeInTheDocument();
    const history = screen.getByRole("heading", { name: "Timeline" }).closest("section");
    const items = within(history).getAllByRole("listitem").map((li) => li.textContent);
    expect(items[2]).toContain("Dispute opened: €70.00");
    expect(items[2]).toContain("Reason: fraud. Respond by December 15, 2026");
    expect(items[3]).toContain("€70.00 withdrawn by the client's bank");
    const refund = screen.getByRole("heading", { name: "Refund" }).closest("section");
    expect(refund.textContent).toContain(blocked);
    expect(screen.queryByLabelText("Amount (EUR)")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Refund" })).not.toBeInTheDocument();
  });

  it("shows a refund refused for a dispute (409 payment_disputed) in words, in place of the form", async () => {
    let disputed = false;
    renderPage({
      "GET /payment/payments/": { body: page([ROW]) },
      "GET /payment/payments/p-1/": () => ({ body: disputed ? detail({ disputes: [dispute()], refundable: "0.00", refund_blocked_reason: blocked }) : detail() }),
      "POST /payment/p-1/refund/": () => {
        disputed = true;
        return { status: 409, body: { error: { code: "payment_disputed", message: "This payment is disputed: it cannot be refunded now." } } };
      },
    });
    await userEvent.click(await screen.findByRole("button", { name: /Invoice INV-0042/ }));
    await userEvent.click(await screen.findByRole("button", { name: "Refund" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This payment is disputed: it cannot be refunded now.");
    await waitFor(() => expect(screen.queryByLabelText("Amount (EUR)")).not.toBeInTheDocument());
    expect(screen.getByRole("region", { name: "Disputes" })).toBeInTheDocument();
  });
});

describe("the sandbox's dispute buttons", () => {
  function sandboxRoutes(state) {
    return {
      "GET /payment/payments/": { body: page([SANDBOX_PAID]) },
      "GET /payment/disputes/": () => ({ body: page(state.dispute && state.dispute.status === "needs_response" ? [state.dispute] : []) }),
      "GET /payment/payments/p-1/": () => ({
        body: detail({ payment: { ...SANDBOX_PAID, disputed_amount: state.dispute?.held_amount ?? "0.00" }, refunds: [], disputes: state.dispute ? [state.dispute] : [] }),
      }),
      "POST /payment/sandbox/p-1/dispute/": (call) => {
        if (state.refuse) return { status: 409, body: { error: { code: "dispute_not_open", message: state.refuse } } };
        const won = call.body.action === "win";
        state.dispute = call.body.action === "open" ? sandboxDispute() : sandboxDispute({ status: won ? "won" : "lost", needs_response: false, days_left: null, reinstated_amount: won ? "100.00" : "0.00", held_amount: won ? "0.00" : "100.00" });
        return { body: { delivered: true, webhook: { url: "/payment/webhook/sandbox/c-1/", headers: {}, body: "{}" } } };
      },
    };
  }

  it("opens a dispute, reloads the payment and the panel, then closes it as lost", async () => {
    const state = {};
    const api = renderPage(sandboxRoutes(state));
    await userEvent.click(await screen.findByRole("button", { name: /Invoice INV-0042/ }));
    expect(screen.queryByRole("button", { name: "Close as won" })).not.toBeInTheDocument();
    await userEvent.click(await screen.findByRole("button", { name: "Simulate a dispute" }));
    expect(await screen.findByRole("status")).toHaveTextContent("The sandbox opened a dispute");
    expect(api.callsTo("POST /payment/sandbox/p-1/dispute/")[0].body).toEqual({ action: "open" });
    expect(await screen.findByRole("button", { name: "Close as won" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Simulate a dispute" })).not.toBeInTheDocument();
    await waitFor(() => expect(api.callsTo("GET /payment/disputes/")).toHaveLength(2)); // the panel reloaded

    await userEvent.click(screen.getByRole("button", { name: "Close as lost" }));
    expect(await screen.findByRole("status")).toHaveTextContent("closed as lost: the money stays withdrawn");
    expect(api.callsTo("POST /payment/sandbox/p-1/dispute/")[1].body).toEqual({ action: "lose" });
    await waitFor(() => expect(screen.queryByRole("button", { name: "Close as lost" })).not.toBeInTheDocument());
    expect(screen.getByRole("region", { name: "Disputes" }).textContent).toContain("Lost");
    // All of the payment is held by the lost dispute: nothing is left to dispute again.
    expect(screen.queryByRole("button", { name: "Simulate a dispute" })).not.toBeInTheDocument();
  });

  it("closes a dispute as won", async () => {
    const state = { dispute: sandboxDispute() };
    const api = renderPage(sandboxRoutes(state));
    expect(await screen.findByRole("region", { name: "Open disputes" })).toBeInTheDocument();
    await userEvent.click(await screen.findByRole("button", { name: /Invoice INV-0042/ }));
    await userEvent.click(await screen.findByRole("button", { name: "Close as won" }));
    expect(await screen.findByRole("status")).toHaveTextContent("closed as won: the money is back");
    expect(api.callsTo("POST /payment/sandbox/p-1/dispute/")[0].body).toEqual({ action: "win" });
    expect(await screen.findByRole("button", { name: "Simulate a dispute" })).toBeInTheDocument(); // won: all is back
    await userEvent.click(screen.getByRole("button", { name: "← All payments" }));
    await screen.findByRole("heading", { name: "Payments" });
    expect(screen.queryByRole("region", { name: "Open disputes" })).not.toBeInTheDocument();
  });

  it("shows the sandbox's refusal", async () => {
    const state = { dispute: sandboxDispute(), refuse: "This dispute is closed already." };
    renderPage(sandboxRoutes(state));
    await userEvent.click(await screen.findByRole("button", { name: /Invoice INV-0042/ }));
    await userEvent.click(await screen.findByRole("button", { name: "Close as won" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This dispute is closed already.");
    expect(screen.getByRole("button", { name: "Close as won" })).toBeEnabled();
  });

  it("are offered only on a paid sandbox payment", async () => {
    renderPage({
      "GET /payment/payments/": { body: page([{ ...ROW, gateway: "stripe" }]) },
      "GET /payment/payments/p-1/": { body: detail({ payment: { ...SANDBOX_PAID, gateway: "stripe" } }) },
    });
    await userEvent.click(await screen.findByRole("button", { name: /Invoice INV-0042/ }));
    await screen.findByRole("heading", { name: "Timeline" });
    expect(screen.queryByRole("button", { name: "Simulate a dispute" })).not.toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Disputes" })).not.toBeInTheDocument();
  });

  it("are not offered on a sandbox payment not paid", async () => {
    const pending = { ...SANDBOX_PAID, status: "pending" };
    renderPage({ "GET /payment/payments/": { body: page([pending]) }, "GET /payment/payments/p-1/": { body: detail({ payment: pending }) } });
    await userEvent.click(await screen.findByRole("button", { name: /Invoice INV-0042/ }));
    await screen.findByRole("heading", { name: "Timeline" });
    expect(screen.queryByRole("button", { name: "Simulate a dispute" })).not.toBeInTheDocument();
  });
});
