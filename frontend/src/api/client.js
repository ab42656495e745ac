// The one API client: JSON in and out, the CSRF cookie, the invoice token, idempotency keys,
// time-outs, and the API's {"error": {code, message}} bodies turned into ApiError.

export const DEFAULT_TIMEOUT_MS = 15000;
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export class ApiError extends Error {
  constructor(message, { status = 0, code = "error", fields = {} } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields; // field name -> message, for forms
  }
}

export function readCookie(name, cookie = globalThis.document?.cookie ?? "") {
  const match = cookie.match(new RegExp(`(?:^|; )${name}=([^;]*)`));
  return match ? decodeURIComponent(match[1]) : "";
}

export function newIdempotencyKey() {
  return globalThis.crypto.randomUUID();
}

// {"credentials": {"secret_key": ["…"]}} -> {"secret_key": "…", "credentials.secret_key": "…"}
function flattenFields(detail, prefix = "", out = {}) {
  if (Array.isArray(detail)) {
    const first = detail.find((d) => typeof d === "string");
    if (first && prefix) out[prefix] = first;
    detail.forEach((d) => typeof d === "object" && d !== null && flattenFields(d, prefix, out));
  } else if (detail && typeof detail === "object") {
    for (const [key, value] of Object.entries(detail)) {
      const name = prefix ? `${prefix}.${key}` : key;
      flattenFields(value, name, out);
      if (prefix && out[name] !== undefined && out[key] === undefined) out[key] = out[name];
    }
  }
  return out;
}

const GENERIC = {
  400: "The request was not accepted.",
  401: "Please sign in again.",
  403: "You are not allowed to do that. Reload the page and try again.",
  404: "Not found.",
  409: "That conflicts with the current state. Reload and try again.",
  429: "Too many attempts. Wait a moment and try again.",
};

export async function errorFromResponse(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = body && typeof body.error === "object" ? body.error : null;
  const status = response.status;
  const fallback = GENERIC[status] ?? (status >= 500 ? "Something went wrong on our side. Try again in a moment." : `Request failed (${status}).`);
  const fields = error ? flattenFields(error.fields ?? {}) : {};
  if (error?.field) fields[error.field] = error.message;
  return new ApiError(error?.message || fallback, { status, code: error?.code || "error", fields });
}

export function createApiClient({ fetchImpl = (...a) => globalThis.fetch(...a), timeoutMs = DEFAULT_TIMEOUT_MS, cookie } = {}) {
  async function request(method, path, { body, query, invoiceToken, idempotencyKey, timeout = timeoutMs } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (UNSAFE.has(method)) headers["X-CSRFToken"] = readCookie("csrftoken", cookie ?? globalThis.document?.cookie ?? "");
    if (invoiceToken) headers["X-Invoice-Token"] = invoiceToken;
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    const qs = query ? `?${new URLSearchParams(query)}` : "";
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    let response;
    try {
      response = await fetchImpl(`${path}${qs}`, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
    } catch (err) {
      if (controller.signal.aborted) {
        throw new ApiError("The server did not answer in time. Check your connection and try again.", { code: "timeout" });
      }
      throw new ApiError("Could not reach the server. Check your connection and try again.", { code: "network" });
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) throw await errorFromResponse(response);
    if (response.status === 204) return null;
    return response.json();
  }
  return {
    request,
    get: (path, options) => request("GET", path, options),
    post: (path, body, options) => request("POST", path, { ...options, body }),
    patch: (path, body, options) => request("PATCH", path, { ...options, body }),
    delete: (path, options) => request("DELETE", path, options),
  };
}

export const api = createApiClient();
