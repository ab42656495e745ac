// The network boundary for component tests: a fake fetch answering by "METHOD /path", recording
// every request. Components get the real paymentService and API client on top of it.
import { createApiClient } from "../src/api/client.js";
import { createPaymentService } from "../src/api/paymentService.js";

export function jsonResponse(status, body) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

export function fakeApi(routes = {}) {
  const calls = [];
  async function fetchImpl(url, init) {
    const [path, query = ""] = url.split("?");
    const key = `${init.method} ${path}`;
    const call = { key, url, query, headers: init.headers, body: init.body ? JSON.parse(init.body) : undefined };
    calls.push(call);
    const route = routes[key];
    if (route === undefined) return jsonResponse(404, { error: { code: "not_found", message: "No such thing." } });
    const answer = typeof route === "function" ? await route(call, calls) : route;
    if (answer instanceof Response) return answer;
    return jsonResponse(answer.status ?? 200, answer.body);
  }
  const client = createApiClient({ fetchImpl, cookie: "csrftoken=csrf-123" });
  const service = createPaymentService(client);
  return { service, calls, routes, callsTo: (key) => calls.filter((c) => c.key === key) };
}

export const INVOICE_ID = "11111111-1111-1111-1111-111111111111";
export const TOKEN = "tok-abc";
export const PAYMENT_ID = "22222222-2222-2222-2222-222222222222";

export function gatewayInfo(overrides = {}) {
  return {
    invoice_id: INVOICE_ID,
    invoice_number: "INV-7",
    invoice_status: "open",
    payable: true,
    currency: "EUR",
    total: "380.00",
    amount_due: "380.00",
    amount_payable: "380.00",
    allow_partial_payment: false,
    gateway: { name: "sandbox", display_name: "Sandbox", public_config: { flow: "redirect" } },
    issuer_name: "Studio Nord",
    client_name: "Ada Client",
    issued_on: "2026-11-01",
    due_on: "2026-12-01",
    amount_paid: "0.00",
    amount_in_flight: "0.00",
    ...overrides,
  };
}

export function session(overrides = {}) {
  return {
    payment_id: PAYMENT_ID,
    status: "pending",
    amount: "380.00",
    currency: "EUR",
    gateway: "sandbox",
    redirect_url: "http://testserver/sandbox/checkout/sess_1/",
    client_params: { session_id: "sess_1" },
    expires_at: null,
    ...overrides,
  };
}

export function paymentStatus(status, overrides = {}) {
  return {
    payment_id: PAYMENT_ID,
    status,
    amount: "380.00",
    refunded_amount: "0.00",
    currency: "EUR",
    gateway: "sandbox",
    failure_message: "",
    needs_attention: false,
    invoice: { id: INVOICE_ID, number: "INV-7", status: "open", currency: "EUR", total: "380.00", amount_paid: "0.00", amount_due: "380.00", amount_overpaid: "0.00" },
    ...overrides,
  };
}

export const SANDBOX_CONFIG = "33333333-3333-3333-3333-333333333333";
export const STRIPE_CONFIG = "44444444-4444-4444-4444-444444444444";

// An invoice whose owner offers two gateways: the sandbox (the default, by redirect) and Stripe (in the page).
export function twoGateways(overrides = {}) {
  const sandbox = { config_id: SANDBOX_CONFIG, name: "sandbox", display_name: "Sandbox", public_config: { flow: "redirect" } };
  const stripe = { config_id: STRIPE_CONFIG, name: "stripe", display_name: "Card (Stripe)", public_config: { flow: "in_modal", publishable_key: "pk_test_123" } };
  const { config_id: _omitted, ...gateway } = sandbox;
  return gatewayInfo({ gateway, gateways: [sandbox, stripe], ...overrides });
}
