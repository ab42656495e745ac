// Every call the pages make, one small function each, over the one API client.
import { api as defaultClient, newIdempotencyKey } from "./client.js";

export function createPaymentService(client = defaultClient) {
  return {
    // -- the client paying an invoice (the invoice's public token) --
    getInvoicePaymentGateway: (invoiceId, token) => client.get(`/payment/invoice/${invoiceId}/gateway/`, { invoiceToken: token }),
    async checkInvoiceGateway(invoiceId, token) {
      // Whether the invoice can be paid online now, and through what.
      const info = await client.get(`/payment/invoice/${invoiceId}/gateway/`, { invoiceToken: token });
      return { payable: info.payable, gateway: info.gateway, amountPayable: info.amount_payable, currency: info.currency };
    },
    createPaymentSession({ invoiceId, token, amount, gatewayConfigId, returnUrl, idempotencyKey = newIdempotencyKey() }) {
      const body = { invoice_id: invoiceId };
      if (amount !== undefined && amount !== null) body.amount = amount;
      if (gatewayConfigId) body.gateway_config_id = gatewayConfigId;
      if (returnUrl) body.return_url = returnUrl;
      return client.post("/payment/create-session/", body, { invoiceToken: token, idempotencyKey });
    },
    getPaymentStatus: (paymentId, token) => client.get(`/payment/status/${paymentId}/`, { invoiceToken: token }),
    // Refresh the payment from its gateway now (PayPal's buttons, on approval: the core captures it).
    checkPayment: (paymentId, token) => client.post(`/payment/status/${paymentId}/check/`, undefined, { invoiceToken: token }),
    completeSandboxPayment: (paymentId, token, outcome) =>
      client.post(`/payment/sandbox/${paymentId}/complete/`, { outcome }, { invoiceToken: token }),

    // -- the signed-in user's gateways --
    listGatewayTypes: () => client.get("/payment/gateway-types/"),
    listGatewayConfigs: () => client.get("/payment/gateways/"),
    createGatewayConfig: (data) => client.post("/payment/gateways/", data),
    updateGatewayConfig: (configId, data) => client.patch(`/payment/gateways/${configId}/`, data),
    deleteGatewayConfig: (configId) => client.delete(`/payment/gateways/${configId}/`),
    setDefaultGatewayConfig: (configId) => client.post(`/payment/gateways/${configId}/default/`),
    testGatewayConnection: (configId) => client.post(`/payment/gateways/${configId}/test-connection/`),

    // -- the signed-in user's payments --
    listPayments({ status = "", q = "", page = 1 } = {}) {
      const query = {};
      if (status) query.status = status;
      if (q) query.q = q;
      if (page > 1) query.page = String(page);
      return client.get("/payment/payments/", Object.keys(query).length ? { query } : undefined);
    },
    getPayment: (paymentId) => client.get(`/payment/payments/${paymentId}/`),
    refundOverpayment: (invoiceId) => client.post(`/payment/invoice/${invoiceId}/refund-overpayment/`),
    // The owner's disputes, paged like the payments: `open` (not won or lost yet) and/or
    // `needsResponse` (evidence to send before the deadline).
    listDisputes({ open = false, needsResponse = false, page = 1 } = {}) {
      const query = {};
      if (open) query.open = "true";
      if (needsResponse) query.needs_response = "true";
      if (page > 1) query.page = String(page);
      return client.get("/payment/disputes/", Object.keys(query).length ? { query } : undefined);
    },
    // Sandbox payments only: "open" a dispute on a paid payment, then "win" or "lose" it; the
    // sandbox's provider sends the signed events, as a real one would.
    simulateSandboxDispute: (paymentId, action) => client.post(`/payment/sandbox/${paymentId}/dispute/`, { action }),

    // -- the signed-in user's notifications: which e-mails go out, and the reply-to address --
    getNotificationSettings: () => client.get("/payment/notification-settings/"),
    // Partial: only the keys given change ({reply_to}, {kinds: {client_receipt: false}}, or both).
    updateNotificationSettings: (changes) => client.patch("/payment/notification-settings/", changes),
    // The e-mails sent for the owner, newest first, paged; {status: "failed"}: those every attempt failed.
    listEmails: ({ status } = {}) =>
      client.get("/payment/notification-emails/", status ? { query: { status } } : undefined),
    sendEmailAgain: (deliveryId) => client.post(`/payment/notification-emails/${deliveryId}/send-again/`),

    // -- the signed-in user's webhook endpoints; a secret is in an answer only when made or rolled --
    async listWebhookEndpoints() {
      // A plain list, or a page of them: either way the endpoints.
      const answer = await client.get("/payment/webhook-endpoints/");
      return Array.isArray(answer) ? answer : answer.results;
    },
    createWebhookEndpoint: ({ url, description = "", eventTypes, enabled = true }) =>
      client.post("/payment/webhook-endpoints/", { url, description, event_types: eventTypes, enabled }),
    updateWebhookEndpoint: (endpointId, changes) => client.patch(`/payment/webhook-endpoints/${endpointId}/`, changes),
    deleteWebhookEndpoint: (endpointId) => client.delete(`/payment/webhook-endpoints/${endpointId}/`),
    rollWebhookSecret: (endpointId) => client.post(`/payment/webhook-endpoints/${endpointId}/roll-secret/`),
    // Newest first, paged like the payments ({count, next, previous, results}).
    listWebhookDeliveries(endpointId, { page = 1 } = {}) {
      const options = page > 1 ? { query: { page: String(page) } } : undefined;
      return client.get(`/payment/webhook-endpoints/${endpointId}/deliveries/`, options);
    },
    sendWebhookDeliveryAgain: (endpointId, deliveryId) =>
      client.post(`/payment/webhook-endpoints/${endpointId}/deliveries/${deliveryId}/send-again/`),
    sendWebhookTestEvent: (endpointId) => client.post(`/payment/webhook-endpoints/${endpointId}/test-event/`),

    // -- refunds (the owner) --
    refundPayment: (paymentId, { amount, reason } = {}) => {
      const body = {};
      if (amount) body.amount = amount;
      if (reason) body.reason = reason;
      return client.post(`/payment/${paymentId}/refund/`, body);
    },
  };
}

export const paymentService = createPaymentService();
export const {
  getInvoicePaymentGateway,
  checkInvoiceGateway,
  createPaymentSession,
  getPaymentStatus,
} = paymentService;
