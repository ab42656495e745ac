import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import PayPage from "../src/pay/PayPage.jsx";
import { fakeApi, gatewayInfo, INVOICE_ID, SANDBOX_CONFIG, STRIPE_CONFIG, TOKEN, twoGateways } from "./fakeApi.js";

const GATEWAY = `GET /payment/invoice/${INVOICE_ID}/gateway/`;

function ModalSpy({ amount, configId }) {
  return <div role="dialog" aria-label="spy">modal for {amount ?? "the full amount"} through {configId ?? "the default"}</div>;
}

function renderPage(info, routes = {}) {
  const api = fakeApi({ [GATEWAY]: { body: info }, ...routes });
  render(<PayPage invoiceId={INVOICE_ID} token={TOKEN} service={api.service} Modal={ModalSpy} />);
  return api;
}

describe("the pay page", () => {
  it("shows the invoice: number, issuer, client, dates, line total, paid, due", async () => {
    renderPage(gatewayInfo({ amount_paid: "100.00", amount_due: "280.00", amount_payable: "280.00", invoice_status: "partially_paid" }));
    expect(await screen.findByRole("heading", { name: "INV-7" })).toBeInTheDocument();
    expect(screen.getByText("Studio Nord")).toBeInTheDocument();
    expect(screen.getByText("Ada Client")).toBeInTheDocument();
    expect(screen.getByText("Partly paid")).toBeInTheDocument();
    const table = screen.getByRole("table");
    expect(within(table).getByRole("row", { name: /Amount due €280.00/ })).toBeInTheDocument();
    expect(within(table).getByRole("row", { name: /Paid €100.00/ })).toBeInTheDocument();
    expect(within(table).getByRole("row", { name: /Total €380.00/ })).toBeInTheDocument();
    expect(screen.getByText(/December 1, 2026/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Pay now" })).toBeInTheDocument();
  });

  it("is honest about money in flight: what is processing and what remains", async () => {
    renderPage(gatewayInfo({ amount_in_flight: "50.00", amount_payable: "330.00" }));
    const note = await screen.findByRole("note");
    expect(note).toHaveTextContent("A payment of €50.00 is being processed");
    expect(note).toHaveTextContent("remaining €330.00");
    expect(screen.getByRole("row", { name: /Being processed €50.00/ })).toBeInTheDocument();
  });

  it("shows a paid invoice as paid, with nothing to press", async () => {
    renderPage(gatewayInfo({ invoice_status: "paid", payable: false, amount_paid: "380.00", amount_due: "0.00", amount_payable: "0.00" }));
    expect(await screen.findByText(/paid in full/)).toBeInTheDocument();
    expect(screen.queryByRole("button")).toBeNull();
  });

  it("says so plainly when the owner has no working gateway", async () => {
    renderPage(gatewayInfo({ payable: false, gateway: null }));
    expect(await screen.findByText(/Online payment is not available/)).toHaveTextContent("contact Studio Nord");
    expect(screen.queryByRole("button")).toBeNull();
  });

  it("says the link is not valid, and nothing more, for an unknown invoice or a wrong token", async () => {
    const api = fakeApi({});
    render(<PayPage invoiceId={INVOICE_ID} token="wrong" service={api.service} Modal={ModalSpy} />);
    expect(await screen.findByRole("heading", { name: "This link is not valid" })).toBeInTheDocument();
    expect(screen.queryByText(/No such/)).toBeNull();
  });

  it("opens the modal for the full amount", async () => {
    renderPage(gatewayInfo());
    await userEvent.click(await screen.findByRole("button", { name: "Pay now" }));
    expect(screen.getByRole("dialog")).toHaveTextContent("modal for the full amount");
  });

  it("checks another amount against what is due before any call", async () => {
    const api = renderPage(gatewayInfo({ allow_partial_payment: true, amount_payable: "330.00" }));
    await userEvent.click(await screen.findByRole("radio", { name: "Another amount" }));
    const input = screen.getByLabelText("Amount in EUR");
    await userEvent.type(input, "400");
    await userEvent.click(screen.getByRole("button", { name: "Pay now" }));
    expect(screen.getByText("You can pay at most €330.00.")).toBeInTheDocument();
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(api.calls.filter((c) => c.key.startsWith("POST"))).toHaveLength(0);

    await userEvent.clear(input);
    await userEvent.type(input, "50,5");
    await userEvent.click(screen.getByRole("button", { name: "Pay now" }));
    expect(screen.getByRole("dialog")).toHaveTextContent("modal for 50.50");
  });

  it("offers a retry when the invoice cannot be loaded", async () => {
    let fail = true;
    renderPage(null, { [GATEWAY]: () => (fail ? { status: 503, body: { error: { code: "unavailable", message: "Down for a moment." } } } : { body: gatewayInfo() }) });
    expect(await screen.findByRole("alert")).toHaveTextContent("Down for a moment.");
    fail = false;
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("heading", { name: "INV-7" })).toBeInTheDocument();
  });

  it("with one gateway, offers no choice and names it", async () => {
    renderPage(gatewayInfo({ gateways: [{ config_id: SANDBOX_CONFIG, ...gatewayInfo().gateway }] }));
    await screen.findByRole("button", { name: "Pay now" });
    expect(screen.queryByRole("group", { name: "How do you want to pay?" })).toBeNull();
    expect(screen.queryByRole("radio")).toBeNull();
    expect(screen.getByText("Paid securely through Sandbox.")).toBeInTheDocument();
  });

  it("with several gateways, offers each, the default first and chosen", async () => {
    renderPage(twoGateways());
    const group = await screen.findByRole("group", { name: "How do you want to pay?" });
    const radios = within(group).getAllByRole("radio");
    expect(radios.map((r) => r.value)).toEqual([SANDBOX_CONFIG, STRIPE_CONFIG]);
    expect(within(group).getByRole("radio", { name: "Sandbox" })).toBeChecked();
    expect(within(group).getByRole("radio", { name: "Card (Stripe)" })).toHaveAccessibleDescription("Here, on this page");
    expect(within(group).getByRole("radio", { name: "Sandbox" })).toHaveAccessibleDescription("On its own secure page, then back here");
    await userEvent.click(screen.getByRole("button", { name: "Pay now" }));
    expect(screen.getByRole("dialog")).toHaveTextContent(`through ${SANDBOX_CONFIG}`);
  });

  it("opens the modal for the gateway the client picked, with the keyboard too", async () => {
    renderPage(twoGateways());
    const sandbox = await screen.findByRole("radio", { name: "Sandbox" });
    sandbox.focus();
    await userEvent.keyboard("{ArrowDown}");
    expect(screen.getByRole("radio", { name: "Card (Stripe)" })).toBeChecked();
    expect(screen.getByText("Paid securely through Card (Stripe).")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Pay now" }));
    expect(screen.getByRole("dialog")).toHaveTextContent(`modal for the full amount through ${STRIPE_CONFIG}`);
  });
});
