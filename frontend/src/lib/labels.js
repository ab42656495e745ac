// Human words for the API's status values.
export const PAYMENT_STATUS = {
  pending: "Waiting for payment",
  authorized: "Authorized",
  processing: "Processing",
  succeeded: "Paid",
  failed: "Failed",
  cancelled: "Cancelled",
  expired: "Expired",
  partially_refunded: "Partly refunded",
  refunded: "Refunded",
};

export const INVOICE_STATUS = {
  draft: "Draft",
  open: "Open",
  partially_paid: "Partly paid",
  paid: "Paid",
  void: "Void",
};

// A dispute (a chargeback, or an inquiry before one) as the provider reports it.
export const DISPUTE_STATUS = {
  inquiry: "Inquiry",
  needs_response: "Needs your response",
  under_review: "Waiting for the bank",
  won: "Won",
  lost: "Lost",
};

// The reasons card networks give (Stripe's words); an unknown one is shown as sent, without underscores.
export const DISPUTE_REASON = {
  bank_cannot_process: "the bank cannot process it",
  credit_not_processed: "a promised credit was not made",
  customer_initiated: "the client disputed it",
  debit_not_authorized: "the debit was not authorized",
  duplicate: "charged twice",
  fraudulent: "fraud",
  general: "general",
  incorrect_account_details: "incorrect account details",
  insufficient_funds: "insufficient funds",
  noncompliant: "the card network's rules",
  product_not_received: "product not received",
  product_unacceptable: "product not acceptable",
  subscription_canceled: "subscription cancelled",
  unrecognized: "the client does not recognize it",
};

// The e-mails an owner turns on or off, by whom they go to (the API's `kinds`).
export const CLIENT_NOTIFICATIONS = {
  client_receipt: "A receipt when they pay",
  client_refund: "A notice when they are refunded",
};
export const OWNER_NOTIFICATIONS = {
  owner_payment_received: "A payment was received",
  owner_payment_failed: "A payment failed",
  owner_refund: "A refund was made (here or in the gateway's dashboard)",
  owner_overpayment: "An invoice was overpaid",
  owner_dispute_opened: "A dispute was opened, with its deadline",
  owner_dispute_closed: "A dispute was closed",
  owner_health_digest: "A daily digest of webhook-health warnings",
};

// The events an owner's webhook endpoint can subscribe to, in the API's order.
export const WEBHOOK_EVENT = {
  "payment.succeeded": "Payment succeeded",
  "payment.failed": "Payment failed",
  "payment.refunded": "Payment refunded",
  "invoice.paid": "Invoice paid",
  "invoice.partially_paid": "Invoice partly paid",
  "dispute.opened": "Dispute opened",
  "dispute.closed": "Dispute closed",
  "overpayment.detected": "Overpayment detected",
};
// Sent only by "Send a test event", never subscribed to.
export const TEST_EVENT = { "webhook.test": "Test event" };

export const DELIVERY_STATUS = { pending: "Waiting", sent: "Sent", failed: "Failed" };

export const FLOW = { redirect: "Redirect to the gateway's page", in_modal: "Pay in a window on the invoice page" };

export function label(map, value) {
  return map[value] ?? String(value ?? "").replaceAll("_", " ");
}
