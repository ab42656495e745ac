import { describe, expect, it } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import NotificationsPage from "../src/settings/NotificationsPage.jsx";
import { fakeApi, jsonResponse } from "./fakeApi.js";

const KINDS = {
  client_receipt: true,
  client_refund: true,
  owner_payment_received: true,
  owner_payment_failed: true,
  owner_refund: true,
  owner_overpayment: true,
  owner_dispute_opened: true,
  owner_dispute_closed: true,
  owner_health_digest: true,
};
const ENDPOINT = {
  endpoint_id: "we_1",
  url: "https://books.example.com/hooks",
  description: "Accounting",
  event_types: ["invoice.paid", "payment.succeeded"], // the API's order
  enabled: true,
  disabled_reason: "",
  created_at: "2026-12-01T10:00:00Z",
};
const DELIVERY = {
  delivery_id: "wd_1",
  event_type: "payment.succeeded",
  status: "failed",
  attempts: 2,
  next_attempt_at: null,
  last_error: "HTTP 500",
  sent_at: null,
  created_at: "2026-12-01T11:00:00Z",
  attempts_log: [
    { attempted_at: "2026-12-01T11:00:00Z", status_code: 500, duration_ms: 41, response_excerpt: "Internal Server Error", error: "HTTP 500" },
    { attempted_at: "2026-12-01T11:01:00Z", status_code: null, duration_ms: null, response_excerpt: "", error: "timed out" },
  ],
};
const page = (results) => ({ count: results.length, next: null, previous: null, results });

function renderPage(routes = {}) {
  const api = fakeApi({
    "GET /payment/notification-settings/": { body: { reply_to: "", kinds: KINDS } },
    "GET /payment/webhook-endpoints/": { body: [] },
    "GET /payment/notification-emails/": { body: page([]) },
    ...routes,
  });
  render(<NotificationsPage service={api.service} />);
  return api;
}

describe("the notification settings", () => {
  it("shows a toggle per kind, grouped by who gets the e-mail", async () => {
    renderPage();
    const client = await screen.findByRole("group", { name: "To your client" });
    expect(within(client).getAllByRole("checkbox")).toHaveLength(2);
    expect(within(client).getByRole("checkbox", { name: "A receipt when they pay" })).toBeChecked();
    const owner = screen.getByRole("group", { name: "To you" });
    expect(within(owner).getAllByRole("checkbox")).toHaveLength(7);
    expect(within(owner).getByRole("checkbox", { name: "A daily digest of webhook-health warnings" })).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "E-mails" })).toBeInTheDocument();
  });

  it("saves the toggles and the reply-to, and shows what the API kept", async () => {
    const api = renderPage({
      "PATCH /payment/notification-settings/": (call) => ({ body: { reply_to: call.body.reply_to, kinds: { ...KINDS, ...call.body.kinds } } }),
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("checkbox", { name: "A payment failed" }));
    await user.type(screen.getByLabelText("Reply-to address (optional)"), " billing@studio.example ");
    await user.click(screen.getByRole("button", { name: "Save notification settings" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Your notification settings were saved.");
    const [call] = api.callsTo("PATCH /payment/notification-settings/");
    expect(call.body).toEqual({ reply_to: "billing@studio.example", kinds: { ...KINDS, owner_payment_failed: false } });
    expect(call.headers["X-CSRFToken"]).toBe("csrf-123");
    expect(screen.getByRole("checkbox", { name: "A payment failed" })).not.toBeChecked();
  });

  it("ties a refused reply-to to its field", async () => {
    renderPage({
      "PATCH /payment/notification-settings/": { status: 400, body: { error: { code: "invalid", message: "Enter a valid e-mail address.", field: "reply_to" } } },
    });
    const user = userEvent.setup();
    const field = await screen.findByLabelText("Reply-to address (optional)");
    await user.type(field, "not-an-address");
    await user.click(screen.getByRole("button", { name: "Save notification settings" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Not saved: check the reply-to address.");
    expect(field).toHaveAttribute("aria-invalid", "true");
    expect(field).toHaveAccessibleDescription(expect.stringContaining("Enter a valid e-mail address."));
  });

  it("says when the session has ended", async () => {
    renderPage({ "GET /payment/notification-settings/": { status: 403, body: { error: { code: "forbidden", message: "No." } } } });
    expect(await screen.findByText("Your session has ended. Sign in again.")).toBeInTheDocument();
  });
});

describe("the webhook endpoints", () => {
  it("says when there is none yet", async () => {
    renderPage();
    expect(await screen.findByText(/No endpoint yet/)).toBeInTheDocument();
  });

  it("adds an endpoint and shows its secret once, with a warning and a copy button", async () => {
    let endpoints = [];
    const api = renderPage({
      "GET /payment/webhook-endpoints/": () => ({ body: endpoints }),
      "POST /payment/webhook-endpoints/": (call) => {
        endpoints = [{ ...ENDPOINT, url: call.body.url, event_types: call.body.event_types }];
        return { status: 201, body: { ...endpoints[0], secret: "whsec_c2VjcmV0" } };
      },
    });
    const user = userEvent.setup(); // with a clipboard of its own, read below
    await user.click(await screen.findByRole("button", { name: "Add an endpoint" }));
    const form = screen.getByRole("form", { name: "Add an endpoint" });
    await user.type(within(form).getByLabelText("URL"), "https://books.example.com/hooks");
    await user.click(within(form).getByRole("checkbox", { name: /Dispute opened/ }));
    await user.click(within(form).getByRole("button", { name: "Save endpoint" }));

    const secret = await screen.findByRole("region", { name: "Signing secret for https://books.example.com/hooks" });
    expect(within(secret).getByRole("textbox", { name: "Signing secret" })).toHaveValue("whsec_c2VjcmV0");
    expect(within(secret).getByRole("textbox", { name: "Signing secret" })).toHaveFocus();
    expect(secret).toHaveTextContent("It is shown only now.");
    await user.click(within(secret).getByRole("button", { name: "Copy the signing secret" }));
    expect(await navigator.clipboard.readText()).toBe("whsec_c2VjcmV0");
    expect(within(secret).getByRole("status")).toHaveTextContent("Signing secret copied.");
    const [call] = api.callsTo("POST /payment/webhook-endpoints/");
    expect(call.body.event_types).not.toContain("dispute.opened");
    expect(call.body).toMatchObject({ url: "https://books.example.com/hooks", description: "", enabled: true });
    expect(await screen.findByRole("article", { name: "https://books.example.com/hooks" })).toBeInTheDocument();

    await user.click(within(secret).getByRole("button", { name: "I have copied it" }));
    expect(screen.queryByDisplayValue("whsec_c2VjcmV0")).not.toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Webhook endpoints" })).toHaveFocus();
  });

  it("shows a refused URL on its field", async () => {
    renderPage({
      "POST /payment/webhook-endpoints/": { status: 400, body: { error: { code: "invalid_url", message: "Loopback addresses are not allowed.", field: "url" } } },
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Add an endpoint" }));
    const url = screen.getByLabelText("URL");
    await user.type(url, "http://127.0.0.1/");
    await user.click(screen.getByRole("button", { name: "Save endpoint" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Loopback addresses are not allowed.");
    expect(url).toHaveAttribute("aria-invalid", "true");
    expect(url).toHaveAccessibleDescription(expect.stringContaining("Loopback addresses are not allowed."));
  });

  it("asks for at least one event", async () => {
    const api = renderPage();
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Add an endpoint" }));
    for (const box of screen.getByRole("group", { name: "Events to send" }).querySelectorAll("input")) await user.click(box);
    await user.click(screen.getByRole("button", { name: "Save endpoint" }));
    expect(screen.getByText("Choose at least one event.")).toBeInTheDocument();
    expect(api.callsTo("POST /payment/webhook-endpoints/")).toHaveLength(0);
  });

  it("shows why an endpoint was disabled, and enables it again", async () => {
    let endpoint = { ...ENDPOINT, enabled: false, disabled_reason: "It failed to answer for three days." };
    const api = renderPage({
      "GET /payment/webhook-endpoints/": () => ({ body: [endpoint] }),
      "PATCH /payment/webhook-endpoints/we_1/": (call) => {
        endpoint = { ...endpoint, ...call.body, disabled_reason: "" };
        return { body: endpoint };
      },
    });
    const user = userEvent.setup();
    const card = await screen.findByRole("article", { name: ENDPOINT.url });
    expect(card).toHaveTextContent("Disabled: It failed to answer for three days.");
    expect(card).toHaveTextContent("Payment succeeded, Invoice paid"); // in the add form's order
    await user.click(within(card).getByRole("button", { name: "Enable" }));
    expect(await within(card).findByRole("status")).toHaveTextContent("Enabled");
    expect(api.callsTo("PATCH /payment/webhook-endpoints/we_1/")[0].body).toEqual({ enabled: true });
    expect(await within(card).findByRole("button", { name: "Disable" })).toBeInTheDocument();
  });

  it("deletes an endpoint only after it is confirmed", async () => {
    let endpoints = [ENDPOINT];
    const api = renderPage({
      "GET /payment/webhook-endpoints/": () => ({ body: endpoints }),
      "DELETE /payment/webhook-endpoints/we_1/": () => {
        endpoints = [];
        return jsonResponse(204);
      },
    });
    const user = userEvent.setup();
    const card = await screen.findByRole("article", { name: ENDPOINT.url });
    await user.click(within(card).getByRole("button", { name: "Delete" }));
    const dialog = screen.getByRole("dialog", { name: "Delete this endpoint?" });
    await user.click(within(dialog).getByRole("button", { name: "Keep it" }));
    expect(api.callsTo("DELETE /payment/webhook-endpoints/we_1/")).toHaveLength(0);
    await user.click(within(card).getByRole("button", { name: "Delete" }));
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText(`The endpoint ${ENDPOINT.url} was deleted.`)).toBeInTheDocument();
    expect(screen.queryByRole("article")).not.toBeInTheDocument();
  });

  it("rolls the secret after a confirmation and shows the new one once", async () => {
    const api = renderPage({
      "GET /payment/webhook-endpoints/": { body: [ENDPOINT] },
      "POST /payment/webhook-endpoints/we_1/roll-secret/": { body: { ...ENDPOINT, secret: "whsec_bmV3" } },
    });
    const user = userEvent.setup();
    const card = await screen.findByRole("article", { name: ENDPOINT.url });
    await user.click(within(card).getByRole("button", { name: "Roll secret" }));
    await user.click(within(screen.getByRole("dialog", { name: "Roll the signing secret?" })).getByRole("button", { name: "Roll secret" }));
    const secret = await screen.findByRole("region", { name: `Signing secret for ${ENDPOINT.url}` });
    expect(within(secret).getByLabelText("Signing secret")).toHaveValue("whsec_bmV3");
    expect(api.callsTo("POST /payment/webhook-endpoints/we_1/roll-secret/")).toHaveLength(1);
  });

  it("shows the delivery log with each attempt, and sends a delivery again", async () => {
    let delivery = DELIVERY;
    const api = renderPage({
      "GET /payment/webhook-endpoints/": { body: [ENDPOINT] },
      "GET /payment/webhook-endpoints/we_1/deliveries/": () => ({ body: page([delivery]) }),
      "POST /payment/webhook-endpoints/we_1/deliveries/wd_1/send-again/": () => {
        delivery = { ...DELIVERY, status: "sent", attempts: 3, last_error: "", sent_at: "2026-12-01T12:00:00Z" };
        return { body: delivery };
      },
    });
    const user = userEvent.setup();
    const card = await screen.findByRole("article", { name: ENDPOINT.url });
    const toggle = within(card).getByRole("button", { name: "Show deliveries" });
    await user.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    const log = await within(card).findByRole("list", { name: `Deliveries to ${ENDPOINT.url}` });
    const item = within(log).getAllByRole("listitem")[0];
    expect(item).toHaveTextContent("Failed");
    expect(item).toHaveTextContent("Last error: HTTP 500");
    const attempts = within(item).getByRole("list", { name: "Attempts" });
    expect(within(attempts).getAllByRole("listitem")).toHaveLength(2);
    expect(attempts).toHaveTextContent("HTTP 500");
    expect(attempts).toHaveTextContent("41 ms");
    expect(attempts).toHaveTextContent("No answer");
    expect(attempts).toHaveTextContent("timed out");
    expect(within(attempts).getByLabelText("First bytes of the answer")).toHaveTextContent("Internal Server Error");

    await user.click(within(item).getByRole("button", { name: /^Send again: payment.succeeded/ }));
    expect(await within(card).findByText(/The payment.succeeded event was sent again. Status: sent./)).toBeInTheDocument();
    expect(api.callsTo("POST /payment/webhook-endpoints/we_1/deliveries/wd_1/send-again/")).toHaveLength(1);
    expect(await within(log).findByText("Sent", { selector: ".badge" })).toBeInTheDocument();
  });

  it("sends a test event and opens the log to show its delivery", async () => {
    let deliveries = [];
    const api = renderPage({
      "GET /payment/webhook-endpoints/": { body: [ENDPOINT] },
      "GET /payment/webhook-endpoints/we_1/deliveries/": () => ({ body: page(deliveries) }),
      "POST /payment/webhook-endpoints/we_1/test-event/": () => {
        deliveries = [{ ...DELIVERY, delivery_id: "wd_2", event_type: "webhook.test", status: "sent", attempts: 1, last_error: "", attempts_log: [{ ...DELIVERY.attempts_log[0], status_code: 204, response_excerpt: "" }] }];
        return { status: 202, body: deliveries[0] };
      },
    });
    const user = userEvent.setup();
    const card = await screen.findByRole("article", { name: ENDPOINT.url });
    await user.click(within(card).getByRole("button", { name: "Send a test event" }));
    expect(await within(card).findByText("A test event was sent. Its delivery is in the log below.")).toBeInTheDocument();
    const log = await within(card).findByRole("list", { name: `Deliveries to ${ENDPOINT.url}` });
    expect(within(log).getByText("Sent", { selector: ".badge" })).toBeInTheDocument();
    expect(log).toHaveTextContent("HTTP 204");
    expect(within(log).getByText("Test event")).toBeInTheDocument();
    expect(api.callsTo("POST /payment/webhook-endpoints/we_1/test-event/")).toHaveLength(1);
  });

  it("pages through the deliveries", async () => {
    const api = renderPage({
      "GET /payment/webhook-endpoints/": { body: { count: 1, next: null, previous: null, results: [ENDPOINT] } },
      "GET /payment/webhook-endpoints/we_1/deliveries/": (call) => ({
        body: { count: 25, next: call.query ? null : "?page=2", previous: call.query ? "?page=1" : null, results: [DELIVERY] },
      }),
    });
    const user = userEvent.setup();
    const card = await screen.findByRole("article", { name: ENDPOINT.url }); // a paged list of endpoints works too
    await user.click(within(card).getByRole("button", { name: "Show deliveries" }));
    await user.click(await within(card).findByRole("button", { name: "Older" }));
    await waitFor(() => expect(within(card).getByText("Page 2 of 2")).toBeInTheDocument());
    expect(api.callsTo("GET /payment/webhook-endpoints/we_1/deliveries/").at(-1).query).toBe("page=2");
  });
});


describe("the e-mails that could not be sent", () => {
  const FAILED = {
    delivery_id: "nd_1", kind: "client_receipt", event_type: "payment.succeeded", to: "client@example.com",
    status: "failed", attempts: 8, next_attempt_at: null,
    last_error: "The mail server could not be reached (ConnectionRefusedError).", sent_at: null,
    created_at: "2026-12-01T11:00:00Z",
  };

  it("says nothing when none failed", async () => {
    renderPage();
    await screen.findByRole("group", { name: "To your client" });
    expect(screen.queryByRole("heading", { name: "E-mails that could not be sent" })).toBeNull();
  });

  it("lists them with their error and sends one again", async () => {
    let failed = [FAILED];
    const api = renderPage({
      "GET /payment/notification-emails/": () => ({ body: page(failed) }),
      "POST /payment/notification-emails/nd_1/send-again/": () => {
        failed = [];
        return { status: 202, body: { ...FAILED, status: "sent", attempts: 1, last_error: "" } };
      },
    });
    const region = await screen.findByRole("region", { name: "E-mails that could not be sent" });
    expect(within(region).getByText(FAILED.last_error)).toBeInTheDocument();
    expect(api.callsTo("GET /payment/notification-emails/")[0].query).toBe("status=failed");
    await userEvent.click(within(region).getByRole("button", {
      name: "Send again: A receipt when they pay to client@example.com",
    }));
    expect(await screen.findByText("Sent again to client@example.com.")).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByText(FAILED.last_error)).toBeNull());
  });
});
