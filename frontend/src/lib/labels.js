// Human words for the API's status values.
export const PAYMENT_STATUS = {
  pending: "Waiting for payment",
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

export const FLOW = { redirect: "Redirect to the gateway's page", in_modal: "Pay in a window on the invoice page" };

export function label(map, value) {
  return map[value] ?? String(value ?? "").replaceAll("_", " ");
}
