import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { checkRefund } from "../src/payments/RefundForm.jsx";
import { timelineEntries } from "../src/payments/timeline.js";
import { detail, page, renderPage, ROW } from "./paymentFixtures.jsx";

describe("the payments page", () => {
  it("lists the payments with invoice, client, amount, refunded, status and gateway", async () => {
    renderPage({ "GET /payment/payments/": { body: page([ROW]) } });
    const row = await screen.findByRole("button", { name: /Invoice INV-0042/ });
    expect(within(row).getByText("Acme Ltd")).toBeInTheDocument();
    expect(within(row).getByText("Partly refunded")).toBeInTheDocument();
    expect(row.textContent).toContain("100.00");
    expect(row.textContent).toMatch(/30\.00.*refunded/);
    expect(row.textContent).toContain("Sandbox");
  });

  it("filters by status and searches by invoice number through the API", async () => {
    const api = renderPage({ "GET /payment/payments/": (call) => ({ body: page(call.query.includes("q=0042") ? [ROW] : []) }) });
    await screen.findByText(/No payment|No payments yet/);
    await userEvent.selectOptions(screen.getByLabelText("Status"), "refunded");
    await waitFor(() => expect(api.calls.at(-1).query).toBe("status=refunded"));
    await userEvent.type(screen.getByLabelText("Invoice number"), "0042");
    await userEvent.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() => expect(api.calls.at(-1).query).toBe("status=refunded&q=0042"));
    expect(await screen.findByRole("button", { name: /Invoice INV-0042/ })).toBeInTheDocument();
  });

  it("pages through the payments", async () => {
    const api = renderPage({
      "GET /payment/payments/": (call) => ({ body: call.query === "page=2" ? { ...page([ROW], 21), previous: "x" } : page([ROW], 21, "next") }),
    });
    expect(await screen.findByText("Page 1 of 2")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Older" }));
    expect(await screen.findByText("Page 2 of 2")).toBeInTheDocument();
    expect(api.calls.at(-1).query).toBe("page=2");
    expect(screen.getByRole("button", { name: "Older" })).toBeDisabled();
  });

  it("opens a payment into its timeline with the gateway's reference", async () => {
    renderPage({ "GET /payment/payments/": { body: page([ROW]) }, "GET /payment/payments/p-1/": { body: detail() } });
    await userEvent.click(await screen.findByRole("button", { name: /Invoice INV-0042/ }));
    expect(await screen.findByRole("heading", { name: "Payment for invoice INV-0042" })).toBeInTheDocument();
    expect(screen.getByText("sbx_cs_123")).toBeInTheDocument();
    const history = screen.getByRole("heading", { name: "Timeline" }).closest("section");
    const items = within(history).getAllByRole("listitem").map((li) => li.textContent);
    expect(items[0]).toContain("Waiting for payment → Paid");
    expect(items[0]).toContain("From the gateway's notification");
    expect(items[1]).toMatch(/Refund of .*30\.00.*done/);
    expect(items[1]).toContain("One hour less");
    expect(items[2]).toContain("Ignored: Waiting for payment after Paid");
    await userEvent.click(screen.getByRole("button", { name: "← All payments" }));
    expect(await screen.findByRole("heading", { name: "Payments" })).toBeInTheDocument();
  });

  it("refunds part of a payment and shows the new refundable amount", async () => {
    let refunded = false;
    const api = renderPage({
      "GET /payment/payments/": { body: page([ROW]) },
      "GET /payment/payments/p-1/": () => ({ body: refunded ? detail({ refundable: "50.00" }) : detail() }),
      "POST /payment/p-1/refund/": () => {
        refunded = true;
        return { status: 201, body: { refund_id: "r-2", payment_id: "p-1", amount: "20.00", currency: "EUR", status: "succeeded" } };
      },
    });
    await userEvent.click(await screen.findByRole("button", { name: /Invoice INV-0042/ }));
    const amount = await screen.findByLabelText("Amount (EUR)");
    expect(amount).toHaveValue("70.00");
    await userEvent.clear(amount);
    await userEvent.type(amount, "20");
    await userEvent.type(screen.getByLabelText("Reason (optional)"), "Discount");
    await userEvent.click(screen.getByRole("button", { name: "Refund" }));
    expect(await screen.findByRole("status")).toHaveTextContent(/Refunded .*20\.00/);
    expect(api.callsTo("POST /payment/p-1/refund/")[0].body).toEqual({ amount: "20.00", reason: "Discount" });
    await waitFor(() => expect(screen.getByLabelText("Amount (EUR)")).toHaveValue("50.00"));
  });

  it("refuses more than is refundable before any call, and shows the API's error", async () => {
    const api = renderPage({
      "GET /payment/payments/": { body: page([ROW]) },
      "GET /payment/payments/p-1/": { body: detail() },
      "POST /payment/p-1/refund/": { status: 409, body: { error: { code: "not_refundable", message: "This payment has been refunded in full already." } } },
    });
    await userEvent.click(await screen.findByRole("button", { name: /Invoice INV-0042/ }));
    const amount = await screen.findByLabelText("Amount (EUR)");
    await userEvent.clear(amount);
    await userEvent.type(amount, "70.01");
    await userEvent.click(screen.getByRole("button", { name: "Refund" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(/at most .*70\.00/);
    expect(api.callsTo("POST /payment/p-1/refund/")).toHaveLength(0);
    await userEvent.clear(amount);
    await userEvent.type(amount, "10");
    await userEvent.click(screen.getByRole("button", { name: "Refund" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This payment has been refunded in full already.");
  });

  it("offers no refund for a payment with nothing refundable", async () => {
    renderPage({ "GET /payment/payments/": { body: page([ROW]) }, "GET /payment/payments/p-1/": { body: detail({ refundable: "0.00" }) } });
    await userEvent.click(await screen.findByRole("button", { name: /Invoice INV-0042/ }));
    await screen.findByRole("heading", { name: "Timeline" });
    expect(screen.queryByRole("button", { name: "Refund" })).not.toBeInTheDocument();
  });

  it("refunds an overpayment's excess", async () => {
    let done = false;
    const api = renderPage({
      "GET /payment/payments/": { body: page([ROW]) },
      "GET /payment/payments/p-1/": () => ({ body: done ? detail() : detail({ invoice_overpaid: "40.00", overpayment_refundable: "40.00" }) }),
      "POST /payment/invoice/i-1/refund-overpayment/": () => {
        done = true;
        return { status: 201, body: [{ refund_id: "r-3", amount: "40.00", status: "succeeded" }] };
      },
    });
    await userEvent.click(await screen.findByRole("button", { name: /Invoice INV-0042/ }));
    await userEvent.click(await screen.findByRole("button", { name: /Refund the excess/ }));
    expect(await screen.findByRole("status")).toHaveTextContent(/excess of .*40\.00 was refunded/);
    expect(api.callsTo("POST /payment/invoice/i-1/refund-overpayment/")).toHaveLength(1);
    await waitFor(() => expect(screen.queryByRole("button", { name: /Refund the excess/ })).not.toBeInTheDocument());
  });

  it("says when the session has ended", async () => {
    renderPage({ "GET /payment/payments/": { status: 403, body: { error: { code: "not_authenticated", message: "x" } } } });
    expect(await screen.findByRole("alert")).toHaveTextContent("Your session has ended");
  });
});

describe("checkRefund and timelineEntries", () => {
  it("checks a refund amount against what is refundable", () => {
    expect(checkRefund("12,5", { currency: "EUR", refundable: "70.00" })).toEqual({ amount: "12.50" });
    expect(checkRefund("", { currency: "EUR", refundable: "70.00" }).error).toMatch(/Enter an amount/);
    expect(checkRefund("0", { currency: "EUR", refundable: "70.00" }).error).toMatch(/greater than zero/);
    expect(checkRefund("1.234", { currency: "EUR", refundable: "70.00" }).error).toMatch(/at most 2 decimals/);
    expect(checkRefund("1.5", { currency: "JPY", refundable: "700" }).error).toMatch(/whole amount/);
    expect(checkRefund("70.01", { currency: "EUR", refundable: "70.00" }).error).toMatch(/at most/);
  });

  it("merges status changes and refunds oldest first", () => {
    expect(timelineEntries(detail()).map((e) => e.kind)).toEqual(["status", "refund", "refused"]);
  });
});
