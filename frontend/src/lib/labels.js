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

export const FLOW = { redirect: "Redirect to the gateway's page", in_modal: "Pay in a window on the invoice page" };

export function label(map, value) {
  return map[value] ?? String(value ?? "").replaceAll("_", " ");
}
