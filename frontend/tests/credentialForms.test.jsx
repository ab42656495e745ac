// The settings page's credential forms are built from each gateway type's credential_fields: one
// shaped like PayPal (a plain client id and webhook id beside a secret) and one like Mollie (one secret).
import { describe, expect, it } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import SettingsPage from "../src/settings/SettingsPage.jsx";
import { fakeApi } from "./fakeApi.js";

const caps = { refunds: true, partial_refunds: true, flows: ["redirect"], currencies: null };
const MIXED = {
  name: "mixedpay",
  display_name: "Mixed Pay",
  credential_fields: [
    { name: "client_id", label: "Client ID", secret: false, required: true, generated: false, help_text: "" },
    { name: "client_secret", label: "Client secret", secret: true, required: true, generated: false, help_text: "" },
    { name: "webhook_id", label: "Webhook ID", secret: false, required: false, generated: false, help_text: "" },
  ],
  capabilities: caps,
};
const ONE_KEY = {
  name: "onekeypay",
  display_name: "One Key Pay",
  credential_fields: [{ name: "api_key", label: "API key", secret: true, required: true, generated: false, help_text: "" }],
  capabilities: caps,
};
const MIXED_CONFIG = {
  id: "c-mixed",
  gateway_name: "mixedpay",
  display_name: "Mixed Pay",
  flow: "redirect",
  test_mode: true,
  is_default: true,
  is_active: true,
  credentials: { client_id: "Acl-client-1", client_secret: "…7788", webhook_id: "WH-1" },
  webhook_url: "http://127.0.0.1:8000/payment/webhook/mixedpay/c-mixed/",
};
const ONE_KEY_CONFIG = {
  ...MIXED_CONFIG,
  id: "c-onekey",
  gateway_name: "onekeypay",
  display_name: "One Key Pay",
  is_default: false,
  credentials: { api_key: "test_…5566" },
  webhook_url: "http://127.0.0.1:8000/payment/webhook/onekeypay/c-onekey/",
};

function renderSettings(routes = {}) {
  const api = fakeApi({
    "GET /payment/gateway-types/": { body: [MIXED, ONE_KEY] },
    "GET /payment/gateways/": { body: [MIXED_CONFIG, ONE_KEY_CONFIG] },
    ...routes,
  });
  render(<SettingsPage service={api.service} />);
  return api;
}

describe("credential forms from credential_fields", () => {
  it("shows plain values back and secrets only masked on the cards", async () => {
    renderSettings();
    const mixed = await screen.findByRole("article", { name: "Mixed Pay" });
    expect(within(mixed).getByText("Acl-client-1")).toBeInTheDocument();
    expect(within(mixed).getByText("…7788")).toBeInTheDocument();
    expect(within(screen.getByRole("article", { name: "One Key Pay" })).getByText("test_…5566")).toBeInTheDocument();
  });

  it("the add form: plain inputs for plain fields, password inputs for secrets", async () => {
    renderSettings();
    await userEvent.click(await screen.findByRole("button", { name: "Add a gateway" }));
    const form = screen.getByRole("form", { name: "Add a gateway" });
    expect(within(form).getByLabelText("Client ID")).toHaveAttribute("type", "text");
    expect(within(form).getByLabelText("Client secret")).toHaveAttribute("type", "password");
    expect(within(form).getByLabelText("Webhook ID (optional)")).toHaveAttribute("type", "text");
    await userEvent.selectOptions(within(form).getByLabelText("Gateway"), "onekeypay");
    expect(within(form).getByLabelText("API key")).toHaveAttribute("type", "password");
    expect(within(form).queryByLabelText("Client ID")).toBeNull();
  });

  it("the edit form: plain fields prefilled and clearable, secrets empty and kept unless typed", async () => {
    const api = renderSettings({ "PATCH /payment/gateways/c-mixed/": { body: MIXED_CONFIG } });
    const card = await screen.findByRole("article", { name: "Mixed Pay" });
    await userEvent.click(within(card).getByRole("button", { name: "Edit" }));
    const form = within(card).getByRole("form", { name: "Edit Mixed Pay" });
    expect(within(form).getByLabelText("Client ID")).toHaveValue("Acl-client-1");
    const secret = within(form).getByLabelText("Client secret");
    expect(secret).toHaveAttribute("type", "password");
    expect(secret).toHaveValue("");
    expect(secret).toHaveAccessibleDescription(/Saved as …7788\. Leave empty to keep it/);
    await userEvent.clear(within(form).getByLabelText("Webhook ID (optional)"));
    await userEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(api.callsTo("PATCH /payment/gateways/c-mixed/")).toHaveLength(1));
    expect(api.callsTo("PATCH /payment/gateways/c-mixed/")[0].body).toEqual({ credentials: { webhook_id: "" } });
  });

  it("the edit form of a single secret: empty, masked hint, nothing sent when left empty", async () => {
    renderSettings();
    const card = await screen.findByRole("article", { name: "One Key Pay" });
    await userEvent.click(within(card).getByRole("button", { name: "Edit" }));
    const form = within(card).getByRole("form", { name: "Edit One Key Pay" });
    const key = within(form).getByLabelText("API key");
    expect(key).toHaveAttribute("type", "password");
    expect(key).toHaveValue("");
    expect(key).toHaveAccessibleDescription(/Saved as test_…5566/);
    await userEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    expect(await within(card).findByText("Nothing changed.")).toBeInTheDocument();
  });
});
