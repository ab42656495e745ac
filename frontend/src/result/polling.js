// How often and how long the result page asks about a payment that is not final yet.
export const FINAL = new Set(["succeeded", "failed", "cancelled", "expired", "partially_refunded", "refunded"]);
export const FIRST_DELAY_MS = 1000;
export const MAX_DELAY_MS = 10000;
export const MAX_ATTEMPTS = 25; // about three minutes in all, then the page says it can be closed

export function nextDelay(attempt) {
  return Math.min(FIRST_DELAY_MS * 1.5 ** attempt, MAX_DELAY_MS);
}
