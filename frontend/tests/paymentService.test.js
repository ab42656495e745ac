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

describe("paymentService: notifications and webhook endpoints", () => {
  it("reads and patches the notification settings", async () => {
    const api = fakeApi({
      "GET /payment/notification-settings/": { body: { reply_to: "", kinds: { client_receipt: true } } },
      "PATCH /payment/notification-settings/": (call) => ({ body: { reply_to: "", kinds: call.body.kinds } }),
    });
    expect((await api.service.getNotificationSettings()).kinds).toEqual({ client_receipt: true });
    await api.service.updateNotificationSettings({ kinds: { client_receipt: false } });
    const patch = api.callsTo("PATCH /payment/notification-settings/")[0];
    expect(patch.body).toEqual({ kinds: { client_receipt: false } });
    expect(patch.headers["X-CSRFToken"]).toBe("csrf-123");
  });

  it("lists the endpoints whether the API pages them or not", async () => {
    const plain = fakeApi({ "GET /payment/webhook-endpoints/": { body: [{ endpoint_id: "a" }] } });
    expect(await plain.service.listWebhookEndpoints()).toEqual([{ endpoint_id: "a" }]);
    const paged = fakeApi({ "GET /payment/webhook-endpoints/": { body: { count: 1, next: null, previous: null, results: [{ endpoint_id: "b" }] } } });
    expect(await paged.service.listWebhookEndpoints()).toEqual([{ endpoint_id: "b" }]);
  });

  it("creates an endpoint with the API's field names", async () => {
    const api = fakeApi({ "POST /payment/webhook-endpoints/": { status: 201, body: { endpoint_id: "a", secret: "whsec_x" } } });
    const made = await api.service.createWebhookEndpoint({ url: "https://x.example/h", eventTypes: ["invoice.paid"] });
    expect(made.secret).toBe("whsec_x");
    expect(api.calls[0].body).toEqual({ url: "https://x.example/h", description: "", event_types: ["invoice.paid"], enabled: true });
  });

  it("calls each endpoint action at its address", async () => {
    const ok = { body: {} };
    const api = fakeApi({
      "PATCH /payment/webhook-endpoints/e1/": ok,
      "DELETE /payment/webhook-endpoints/e1/": { status: 204 },
      "POST /payment/webhook-endpoints/e1/roll-secret/": ok,
      "GET /payment/webhook-endpoints/e1/deliveries/": ok,
      "POST /payment/webhook-endpoints/e1/deliveries/d1/send-again/": ok,
      "POST /payment/webhook-endpoints/e1/test-event/": ok,
    });
    await api.service.updateWebhookEndpoint("e1", { enabled: false });
    expect(await api.service.deleteWebhookEndpoint("e1")).toBeNull();
    await api.service.rollWebhookSecret("e1");
    await api.service.listWebhookDeliveries("e1");
    await api.service.listWebhookDeliveries("e1", { page: 3 });
    await api.service.sendWebhookDeliveryAgain("e1", "d1");
    await api.service.sendWebhookTestEvent("e1");
    expect(api.calls.map((c) => c.key)).toEqual([
      "PATCH /payment/webhook-endpoints/e1/",
      "DELETE /payment/webhook-endpoints/e1/",
      "POST /payment/webhook-endpoints/e1/roll-secret/",
      "GET /payment/webhook-endpoints/e1/deliveries/",
      "GET /payment/webhook-endpoints/e1/deliveries/",
      "POST /payment/webhook-endpoints/e1/deliveries/d1/send-again/",
      "POST /payment/webhook-endpoints/e1/test-event/",
    ]);
    expect(api.calls[0].body).toEqual({ enabled: false });
    expect(api.calls[3].query).toBe("");
    expect(api.calls[4].query).toBe("page=3");
  });
});
