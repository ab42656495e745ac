// Payments, their timelines and disputes as the owner's API sends them, and the payments page on
// a fake network that answers them.
import { render } from "@testing-library/react";
import PaymentsPage from "../src/payments/PaymentsPage.jsx";
import { fakeApi } from "./fakeApi.js";

export const ROW = {
  payment_id: "p-1",
  invoice_id: "i-1",
  invoice_number: "INV-0042",
  client_name: "Acme Ltd",
  gateway: "sandbox",
  gateway_display_name: "Sandbox",
  amount: "100.00",
  refunded_amount: "30.00",
  disputed_amount: "0.00",
  open_disputes: 0,
  currency: "EUR",
  status: "partially_refunded",
  needs_attention: false,
  created_at: "2026-12-01T10:00:00Z",
  succeeded_at: "2026-12-01T10:01:00Z",
};

export function detail(overrides = {}) {
  return {
    payment: ROW,
    gateway_reference: "sbx_cs_123",
    gateway_payment_reference: "sbx_pi_123",
    failure_message: "",
    attention_reason: "",
    status_changes: [
      { from_status: "pending", to_status: "succeeded", applied: true, source: "webhook", note: "", created_at: "2026-12-01T10:01:00Z" },
      { from_status: "succeeded", to_status: "pending", applied: false, source: "webhook", note: "late event", created_at: "2026-12-01T10:03:00Z" },
    ],
    refunds: [
      { refund_id: "r-1", amount: "30.00", status: "succeeded", reason: "One hour less", source: "api", gateway_refund_id: "sbx_re_1", failure_message: "", created_at: "2026-12-01T10:02:00Z" },
    ],
    refundable: "70.00",
    refunds_supported: true,
    partial_refunds_supported: true,
    invoice_overpaid: "0.00",
    overpayment_refundable: "0.00",
    disputes: [],
    refund_blocked_reason: "",
    ...overrides,
  };
}

export function page(results, count = results.length, next = null) {
  return { count, next, previous: null, results };
}

// A dispute needing a response, opened on ROW's payment, its funds withdrawn in the same report.
export function dispute(overrides = {}) {
  return {
    dispute_id: "d-1",
    payment_id: "p-1",
    invoice_id: "i-1",
    invoice_number: "INV-0042",
    client_name: "Acme Ltd",
    gateway: "stripe",
    gateway_display_name: "Stripe",
    gateway_dispute_id: "dp_123",
    amount: "70.00",
    currency: "EUR",
    reason: "fraudulent",
    status: "needs_response",
    is_inquiry: false,
    needs_response: true,
    evidence_due_by: "2026-12-15T23:59:59Z",
    days_left: 6,
    withdrawn_amount: "70.00",
    reinstated_amount: "0.00",
    held_amount: "70.00",
    dashboard_url: "https://dashboard.stripe.com/test/disputes/dp_123",
    created_at: "2026-12-05T09:00:00Z",
    closed_at: null,
    changes: [
      { from_status: "", to_status: "needs_response", withdrawn_amount: "70.00", reinstated_amount: "0.00", applied: true, source: "webhook", note: "", created_at: "2026-12-05T09:00:00Z" },
    ],
    ...overrides,
  };
}

// The payments page; the open disputes answer an empty page unless `routes` says otherwise.
export function renderPage(routes) {
  const api = fakeApi({ "GET /payment/disputes/": { body: page([]) }, ...routes });
  render(<PaymentsPage service={api.service} />);
  return api;
}

