import { describe, expect, it } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import SettingsPage from "../src/settings/SettingsPage.jsx";
import { configChanges } from "../src/settings/ConfigEditForm.jsx";
import { fakeApi } from "./fakeApi.js";

const STRIPE_TYPE = {
  name: "stripe",
  display_name: "Stripe",
  credential_fields: [
    { name: "secret_key", label: "Secret key", secret: true, required: true, generated: false, help_text: "sk_test_…" },
    { name: "publishable_key", label: "Publishable key", secret: false, required: true, generated: false, help_text: "" },
    { name: "webhook_secret", label: "Webhook signing secret", secret: true, required: false, generated: false, help_text: "" },
  ],
  capabilities: { refunds: true, partial_refunds: true, flows: ["redirect", "in_modal"], currencies: null },
};
const SANDBOX_TYPE = {
  name: "sandbox",
  display_name: "Sandbox (test payments)",
  credential_fields: [{ name: "webhook_secret", label: "Webhook signing secret", secret: true, required: false, generated: true, help_text: "" }],
  capabilities: { refunds: true, partial_refunds: true, flows: ["redirect", "in_modal"], currencies: null },
};
const SANDBOX_CONFIG = {
  id: "c-sandbox",
  gateway_name: "sandbox",
  display_name: "Sandbox",
  flow: "redirect",
  test_mode: true,
  is_default: true,
  is_active: true,
  credentials: { webhook_secret: "whsec_…a1b2" },
  webhook_url: "http://127.0.0.1:8000/payment/webhook/sandbox/c-sandbox/",
};
const STRIPE_CONFIG = {
  ...SANDBOX_CONFIG,
  id: "c-stripe",
  gateway_name: "stripe",
  display_name: "Stripe",
  is_default: false,
  credentials: { secret_key: "sk_test_…9xYz", publishable_key: "pk_test_123" },
  webhook_url: "http://127.0.0.1:8000/payment/webhook/stripe/c-stripe/",
};

function renderSettings(configs, routes = {}) {
  const api = fakeApi({
    "GET /payment/gateway-types/": { body: [SANDBOX_TYPE, STRIPE_TYPE] },
    "GET /payment/gateways/": () => ({ body: configs }),
    ...routes,
  });
  render(<SettingsPage service={api.service} />);
  return api;
}

describe("the gateway settings page", () => {
  it("lists the configs with masked secrets and the webhook URL", async () => {
    renderSettings([SANDBOX_CONFIG, STRIPE_CONFIG]);
    const stripe = await screen.findByRole("article", { name: "Stripe" });
    expect(within(stripe).getByText("sk_test_…9xYz")).toBeInTheDocument();
    expect(within(stripe).getByText("Secret key")).toBeInTheDocument(); // the type's label, not the field name
    expect(within(stripe).getByLabelText("Webhook URL")).toHaveValue(STRIPE_CONFIG.webhook_url);
    expect(within(stripe).getByRole("button", { name: "Copy the webhook URL of Stripe" })).toBeInTheDocument();
    expect(within(screen.getByRole("article", { name: "Sandbox" })).getByText("Default")).toBeInTheDocument();
  });

  it("adds a config with a form made from the gateway type's credential fields", async () => {
    const configs = [SANDBOX_CONFIG];
    const api = renderSettings(configs, {
      "POST /payment/gateways/": (call) => {
        configs.push({ ...STRIPE_CONFIG, display_name: call.body.display_name || "Stripe" });
        return { status: 201, body: configs.at(-1) };
      },
    });
    await userEvent.click(await screen.findByRole("button", { name: "Add a gateway" }));
    await userEvent.selectOptions(screen.getByLabelText("Gateway"), "stripe");
    const secret = screen.getByLabelText("Secret key");
    expect(secret).toHaveAttribute("type", "password");
    expect(screen.getByLabelText("Publishable key")).toHaveAttribute("type", "text");
    expect(screen.getByLabelText("Webhook signing secret (optional)")).toHaveAttribute("type", "password");
    await userEvent.type(secret, "sk_test_abc");
    await userEvent.type(screen.getByLabelText("Publishable key"), "pk_test_abc");
    await userEvent.click(screen.getByRole("radio", { name: /Pay in a window/ }));
    await userEvent.click(screen.getByRole("checkbox", { name: /default/ }));
    await userEvent.click(screen.getByRole("button", { name: "Save gateway" }));
    expect(api.callsTo("POST /payment/gateways/")[0].body).toEqual({
      gateway_name: "stripe",
      display_name: "",
      credentials: { secret_key: "sk_test_abc", publishable_key: "pk_test_abc" },
      flow: "in_modal",
      test_mode: true,
      is_default: true,
    });
    expect(await screen.findByRole("article", { name: "Stripe" })).toBeInTheDocument();
    expect(screen.queryByLabelText("Secret key")).toBeNull();
  });

  it("shows the API's field errors on their field", async () => {
    renderSettings([], {
      "POST /payment/gateways/": { status: 400, body: { error: { code: "validation", message: "The publishable key must look like pk_test_… or pk_live_….", field: "publishable_key" } } },
    });
    await userEvent.click(await screen.findByRole("button", { name: "Add a gateway" }));
    await userEvent.selectOptions(screen.getByLabelText("Gateway"), "stripe");
    await userEvent.type(screen.getByLabelText("Publishable key"), "nope");
    await userEvent.click(screen.getByRole("button", { name: "Save gateway" }));
    const field = screen.getByLabelText("Publishable key");
    await waitFor(() => expect(field).toHaveAttribute("aria-invalid", "true"));
    expect(field).toHaveAccessibleDescription(/must look like pk_test_/);
  });

  it("makes a config the default, disables one, and tests the connection", async () => {
    const api = renderSettings([SANDBOX_CONFIG, STRIPE_CONFIG], {
      "POST /payment/gateways/c-stripe/default/": { body: { ...STRIPE_CONFIG, is_default: true } },
      "PATCH /payment/gateways/c-stripe/": { body: { ...STRIPE_CONFIG, is_active: false } },
      "POST /payment/gateways/c-stripe/test-connection/": { body: { ok: true, message: "Connected to Stripe (test mode)." } },
    });
    const stripe = await screen.findByRole("article", { name: "Stripe" });
    await userEvent.click(within(stripe).getByRole("button", { name: "Make default" }));
    expect(await within(stripe).findByText("This is now your default gateway.")).toBeInTheDocument();
    await userEvent.click(within(stripe).getByRole("button", { name: "Test connection" }));
    expect(await within(stripe).findByText("Connected to Stripe (test mode).")).toBeInTheDocument();
    await userEvent.click(within(stripe).getByRole("button", { name: "Disable" }));
    await waitFor(() => expect(api.callsTo("PATCH /payment/gateways/c-stripe/")[0].body).toEqual({ is_active: false }));
  });

  it("switches the flow where the gateway offers both", async () => {
    const api = renderSettings([SANDBOX_CONFIG], {
      "PATCH /payment/gateways/c-sandbox/": (call) => ({ body: { ...SANDBOX_CONFIG, ...call.body } }),
    });
    const card = await screen.findByRole("article", { name: "Sandbox" });
    const flow = within(card).getByLabelText("How clients pay");
    expect(flow).toHaveValue("redirect");
    await userEvent.selectOptions(flow, "in_modal");
    await waitFor(() => expect(api.callsTo("PATCH /payment/gateways/c-sandbox/")[0].body).toEqual({ flow: "in_modal" }));
    expect(await within(card).findByText(/Clients now pay: pay in a window/)).toBeInTheDocument();
  });

  it("deletes only after a confirmation", async () => {
    const configs = [SANDBOX_CONFIG, STRIPE_CONFIG];
    const api = renderSettings(configs, {
      "DELETE /payment/gateways/c-stripe/": () => {
        configs.pop();
        return new Response(null, { status: 204 });
      },
    });
    const stripe = await screen.findByRole("article", { name: "Stripe" });
    await userEvent.click(within(stripe).getByRole("button", { name: "Delete" }));
    const dialog = screen.getByRole("dialog", { name: "Delete Stripe?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Keep it" }));
    expect(api.callsTo("DELETE /payment/gateways/c-stripe/")).toHaveLength(0);
    await userEvent.click(within(stripe).getByRole("button", { name: "Delete" }));
    await userEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText("Stripe was deleted.")).toBeInTheDocument();
    expect(screen.queryByRole("article", { name: "Stripe" })).toBeNull();
  });

  it("edits a config: renames it and replaces one secret, keeping the others", async () => {
    const configs = [SANDBOX_CONFIG, STRIPE_CONFIG];
    const api = renderSettings(configs, {
      "PATCH /payment/gateways/c-stripe/": (call) => {
        configs[1] = { ...STRIPE_CONFIG, display_name: call.body.display_name, credentials: { ...STRIPE_CONFIG.credentials, secret_key: "sk_test_…4321" } };
        return { body: configs[1] };
      },
    });
    const card = await screen.findByRole("article", { name: "Stripe" });
    await userEvent.click(within(card).getByRole("button", { name: "Edit" }));
    const form = within(card).getByRole("form", { name: "Edit Stripe" });
    const name = within(form).getByLabelText("Name shown to you and your clients");
    expect(name).toHaveValue("Stripe");
    expect(name).toHaveFocus();
    const secret = within(form).getByLabelText("Secret key");
    expect(secret).toHaveAttribute("type", "password");
    expect(secret).toHaveValue(""); // write-only: the saved secret never comes back
    expect(secret).toHaveAccessibleDescription(/Saved as sk_test_…9xYz\. Leave empty to keep it/);
    expect(within(form).getByLabelText("Webhook signing secret")).toHaveAccessibleDescription(/Nothing saved yet/);
    expect(within(form).getByLabelText("Publishable key")).toHaveValue("pk_test_123");
    await userEvent.clear(name);
    await userEvent.type(name, "Stripe EU");
    await userEvent.type(secret, "sk_test_new4321");
    await userEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(api.callsTo("PATCH /payment/gateways/c-stripe/")).toHaveLength(1));
    expect(api.callsTo("PATCH /payment/gateways/c-stripe/")[0].body).toEqual({
      display_name: "Stripe EU",
      credentials: { secret_key: "sk_test_new4321" },
    });
    const renamed = await screen.findByRole("article", { name: "Stripe EU" });
    expect(within(renamed).getByText("Saved. Replaced: Secret key.")).toBeInTheDocument();
    expect(within(renamed).getByText("sk_test_…4321")).toBeInTheDocument();
    expect(within(renamed).getByRole("button", { name: "Edit" })).toHaveFocus();
  });

  it("shows the API's field errors on the edited field and keeps the form open", async () => {
    renderSettings([STRIPE_CONFIG], {
      "PATCH /payment/gateways/c-stripe/": { status: 400, body: { error: { code: "invalid", message: "The secret key must look like sk_test_….", field: "secret_key" } } },
    });
    const card = await screen.findByRole("article", { name: "Stripe" });
    await userEvent.click(within(card).getByRole("button", { name: "Edit" }));
    const secret = within(card).getByLabelText("Secret key");
    await userEvent.type(secret, "pk_test_wrongfield");
    await userEvent.click(within(card).getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(secret).toHaveAttribute("aria-invalid", "true"));
    expect(secret).toHaveAccessibleDescription(/must look like sk_test_/);
    expect(within(card).getByRole("alert")).toHaveTextContent("The secret key must look like sk_test_….");
  });

  it("sends nothing when nothing changed, and Cancel closes the form", async () => {
    const api = renderSettings([STRIPE_CONFIG]);
    const card = await screen.findByRole("article", { name: "Stripe" });
    await userEvent.click(within(card).getByRole("button", { name: "Edit" }));
    await userEvent.click(within(card).getByRole("button", { name: "Save changes" }));
    expect(await within(card).findByText("Nothing changed.")).toBeInTheDocument();
    await userEvent.click(within(card).getByRole("button", { name: "Edit" }));
    await userEvent.type(within(card).getByLabelText("Secret key"), "sk_test_typed");
    await userEvent.click(within(card).getByRole("button", { name: "Cancel" }));
    expect(within(card).queryByLabelText("Secret key")).toBeNull();
    expect(within(card).getByRole("button", { name: "Edit" })).toHaveFocus();
    expect(api.calls.filter((c) => c.key.startsWith("PATCH"))).toHaveLength(0);
  });
});

describe("configChanges", () => {
  const fields = STRIPE_TYPE.credential_fields;
  const base = { displayName: "Stripe", testMode: true, values: { publishable_key: "pk_test_123" } };

  it("sends a secret only when one is typed, trimmed", () => {
    expect(configChanges(STRIPE_CONFIG, fields, base)).toEqual({});
    const typed = { ...base, values: { ...base.values, webhook_secret: "  whsec_new  " } };
    expect(configChanges(STRIPE_CONFIG, fields, typed)).toEqual({ credentials: { webhook_secret: "whsec_new" } });
  });

  it("sends a plain credential when it differs from the saved one, and the mode when switched", () => {
    const changed = { ...base, testMode: false, values: { publishable_key: "pk_live_456" } };
    expect(configChanges(STRIPE_CONFIG, fields, changed)).toEqual({ test_mode: false, credentials: { publishable_key: "pk_live_456" } });
  });
});
