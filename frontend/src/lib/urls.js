// The page addresses; the pages read their ids from the element Django renders.
export function payPageUrl(invoiceId, token) {
  return `/pay/${invoiceId}/?token=${encodeURIComponent(token)}`;
}

export function resultPageUrl(invoiceId, token, paymentId, origin = "") {
  return `${origin}/pay/${invoiceId}/result/?token=${encodeURIComponent(token)}&payment=${encodeURIComponent(paymentId)}`;
}

export function pageParams(root, search = globalThis.location?.search ?? "") {
  const params = new URLSearchParams(search);
  return { ...root.dataset, token: params.get("token") || "", paymentId: params.get("payment") || "" };
}
