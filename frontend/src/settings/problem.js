// What the notifications page says when a call failed: a lost session is said plainly, the rest as
// the API says it.
export function problem(err) {
  return err.status === 401 || err.status === 403 ? "Your session has ended. Sign in again." : err.message;
}
