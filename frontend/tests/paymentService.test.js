import { describe, expect, it } from "vitest";
import { fakeApi, gatewayInfo, INVOICE_ID, PAYMENT_ID, session, TOKEN, paymentStatus } from "./fakeApi.js";

describe("paymentService", () => {
  it("getInvoicePaymentGateway presents the invoice token", async () => {
    const api = fakeApi({ [`GET /payment/invoice/${INVOICE_ID}/gateway/`]: { body: gatewayInfo() } });
    const info = await api.service.getInvoicePaymentGateway(INVOICE_ID, TOKEN);
    expect(info.invoice_number).toBe("INV-7");
    expect(api.calls[0].headers["X-Invoice-Token"]).toBe(TOKEN);
  });

  it("checkInvoiceGateway says whether and through what the invoice can be paid", async () => {
    const api = fakeApi({ [`GET /payment/invoice/${INVOICE_ID}/gateway/`]: { body: gatewayInfo({ amount_payable: "330.00" }) } });
    expect(await api.service.checkInvoiceGateway(INVOICE_ID, TOKEN)).toEqual({
      payable: true,
      gateway: gatewayInfo().gateway,
      amountPayable: "330.00",
      currency: "EUR",
    });
  });

  it("createPaymentSession sends the amount, the token and an idempotency key", async () => {
    const api = fakeApi({ "POST /payment/create-session/": { status: 201, body: session() } });
    await api.service.createPaymentSession({ invoiceId: INVOICE_ID, token: TOKEN, amount: "50.00", idempotencyKey: "k-1" });
    const [call] = api.calls;
    expect(call.body).toEqual({ invoice_id: INVOICE_ID, amount: "50.00" });
    expect(call.headers["Idempotency-Key"]).toBe("k-1");
    expect(call.headers["X-Invoice-Token"]).toBe(TOKEN);
    expect(call.headers["X-CSRFToken"]).toBe("csrf-123");
  });

  it("createPaymentSession makes up an idempotency key when none is given, a new one each time", async () => {
    const api = fakeApi({ "POST /payment/create-session/": { status: 201, body: session() } });
    await api.service.createPaymentSession({ invoiceId: INVOICE_ID, token: TOKEN });
    await api.service.createPaymentSession({ invoiceId: INVOICE_ID, token: TOKEN });
    const [a, b] = api.calls.map((c) => c.headers["Idempotency-Key"]);
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
    expect(api.calls[0].body).toEqual({ invoice_id: INVOICE_ID });
  });

  it("getPaymentStatus reads the payment with the token", async () => {
    const api = fakeApi({ [`GET /payment/status/${PAYMENT_ID}/`]: { body: paymentStatus("succeeded") } });
    expect((await api.service.getPaymentStatus(PAYMENT_ID, TOKEN)).status).toBe("succeeded");
  });

  it("covers gateway types, configs, default, test connection and refunds", async () => {
    const api = fakeApi({
      "GET /payment/gateway-types/": { body: [] },
      "GET /payment/gateways/": { body: [] },
      "POST /payment/gateways/": { status: 201, body: { id: "c1" } },
      "PATCH /payment/gateways/c1/": { body: { id: "c1" } },
      "DELETE /payment/gateways/c1/": new Response(null, { status: 204 }),
      "POST /payment/gateways/c1/default/": { body: { id: "c1" } },
      "POST /payment/gateways/c1/test-connection/": { body: { ok: true, message: "Connected." } },
      [`POST /payment/${PAYMENT_ID}/refund/`]: { status: 201, body: { refund_id: "r1" } },
    });
    const s = api.service;
    await s.listGatewayTypes();
    await s.listGatewayConfigs();
    await s.createGatewayConfig({ gateway_name: "stripe" });
    await s.updateGatewayConfig("c1", { is_active: false });
    expect(await s.deleteGatewayConfig("c1")).toBeNull();
    await s.setDefaultGatewayConfig("c1");
    expect((await s.testGatewayConnection("c1")).message).toBe("Connected.");
    await s.refundPayment(PAYMENT_ID, { amount: "10.00", reason: "goodwill" });
    expect(api.calls.map((c) => c.key)).toEqual([
      "GET /payment/gateway-types/",
      "GET /payment/gateways/",
      "POST /payment/gateways/",
      "PATCH /payment/gateways/c1/",
      "DELETE /payment/gateways/c1/",
      "POST /payment/gateways/c1/default/",
      "POST /payment/gateways/c1/test-connection/",
      `POST /payment/${PAYMENT_ID}/refund/`,
    ]);
    expect(api.calls.at(-1).body).toEqual({ amount: "10.00", reason: "goodwill" });
  });

  it("listPayments sends only the filters given, and the page past the first", async () => {
    const api = fakeApi({ "GET /payment/payments/": { body: { count: 0, next: null, previous: null, results: [] } } });
    await api.service.listPayments();
    await api.service.listPayments({ status: "refunded", q: "INV 7", page: 2 });
    expect(api.calls.map((c) => c.query)).toEqual(["", "status=refunded&q=INV+7&page=2"]);
  });

  it("refundOverpayment posts to the invoice with the CSRF token", async () => {
    const api = fakeApi({ [`POST /payment/invoice/${INVOICE_ID}/refund-overpayment/`]: { status: 201, body: [] } });
    expect(await api.service.refundOverpayment(INVOICE_ID)).toEqual([]);
    expect(api.calls[0].headers["X-CSRFToken"]).toBe("csrf-123");
  });

  it("listDisputes asks for the open ones, or those needing a response, and the page past the first", async () => {
    const api = fakeApi({ "GET /payment/disputes/": { body: { count: 0, next: null, previous: null, results: [] } } });
    await api.service.listDisputes({ open: true });
    await api.service.listDisputes({ needsResponse: true, page: 3 });
    await api.service.listDisputes();
    expect(api.calls.map((c) => c.query)).toEqual(["open=true", "needs_response=true&page=3", ""]);
  });

  it("simulateSandboxDispute posts the action to the sandbox with the CSRF token", async () => {
    const answer = { delivered: true, webhook: { url: "/w/", headers: {}, body: "{}" } };
    const api = fakeApi({ [`POST /payment/sandbox/${PAYMENT_ID}/dispute/`]: { body: answer } });
    expect(await api.service.simulateSandboxDispute(PAYMENT_ID, "lose")).toEqual(answer);
    expect(api.calls[0].body).toEqual({ action: "lose" });
    expect(api.calls[0].headers["X-CSRFToken"]).toBe("csrf-123");
  });
});
