import { describe, expect, it, vi } from "vitest";
import { ApiError, createApiClient, readCookie } from "../src/api/client.js";
import { jsonResponse } from "./fakeApi.js";

describe("the API client", () => {
  it("sends the CSRF cookie as a header on writes, and JSON", async () => {
    const fetchImpl = vi.fn(async () => jsonResponse(201, { ok: true }));
    const client = createApiClient({ fetchImpl, cookie: "other=1; csrftoken=abc%3D" });
    await client.post("/payment/create-session/", { a: 1 });
    const [url, init] = fetchImpl.mock.calls[0];
    expect(url).toBe("/payment/create-session/");
    expect(init.method).toBe("POST");
    expect(init.headers["X-CSRFToken"]).toBe("abc=");
    expect(init.headers["Content-Type"]).toBe("application/json");
    expect(init.credentials).toBe("same-origin");
    expect(JSON.parse(init.body)).toEqual({ a: 1 });
  });

  it("sends no CSRF header on reads, and the invoice token and idempotency key when given", async () => {
    const fetchImpl = vi.fn(async () => jsonResponse(200, {}));
    const client = createApiClient({ fetchImpl, cookie: "csrftoken=abc" });
    await client.get("/x/", { invoiceToken: "tok", idempotencyKey: "key-1" });
    const { headers } = fetchImpl.mock.calls[0][1];
    expect(headers["X-CSRFToken"]).toBeUndefined();
    expect(headers["X-Invoice-Token"]).toBe("tok");
    expect(headers["Idempotency-Key"]).toBe("key-1");
  });

  it("turns the API's error body into a readable ApiError with its fields", async () => {
    const fetchImpl = async () =>
      jsonResponse(400, { error: { code: "invalid", message: "credentials: Bad key.", fields: { credentials: { secret_key: ["Bad key."] } } } });
    const client = createApiClient({ fetchImpl });
    const error = await client.post("/x/", {}).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toBe("credentials: Bad key.");
    expect(error.status).toBe(400);
    expect(error.code).toBe("invalid");
    expect(error.fields.secret_key).toBe("Bad key.");
  });

  it("puts a single-field error on that field", async () => {
    const fetchImpl = async () => jsonResponse(400, { error: { code: "validation", message: "The publishable key must look like pk_test_…", field: "publishable_key" } });
    const error = await createApiClient({ fetchImpl }).post("/x/", {}).catch((e) => e);
    expect(error.fields).toEqual({ publishable_key: "The publishable key must look like pk_test_…" });
  });

  it("gives a plain message when the body is not the API's (a proxy's HTML page)", async () => {
    const fetchImpl = async () => new Response("<html>Bad gateway</html>", { status: 502 });
    const error = await createApiClient({ fetchImpl }).get("/x/").catch((e) => e);
    expect(error.message).toMatch(/Something went wrong on our side/);
    expect(error.status).toBe(502);
  });

  it("gives up after its time-out with a clear message", async () => {
    vi.useFakeTimers();
    const fetchImpl = (url, init) =>
      new Promise((resolve, reject) => init.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))));
    const pending = createApiClient({ fetchImpl, timeoutMs: 5000 }).get("/slow/").catch((e) => e);
    await vi.advanceTimersByTimeAsync(5000);
    const error = await pending;
    vi.useRealTimers();
    expect(error.code).toBe("timeout");
    expect(error.message).toMatch(/did not answer in time/);
  });

  it("says when the server cannot be reached", async () => {
    const fetchImpl = async () => {
      throw new TypeError("Failed to fetch");
    };
    const error = await createApiClient({ fetchImpl }).get("/x/").catch((e) => e);
    expect(error.code).toBe("network");
  });

  it("reads cookies by exact name", () => {
    expect(readCookie("csrftoken", "xcsrftoken=no; csrftoken=yes")).toBe("yes");
    expect(readCookie("csrftoken", "")).toBe("");
  });
});
