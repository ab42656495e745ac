import { describe, expect, it, vi } from "vitest";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import PaymentModal from "../src/modal/PaymentModal.jsx";
import { fakeApi, gatewayInfo, INVOICE_ID, PAYMENT_ID, SANDBOX_CONFIG, session, STRIPE_CONFIG, TOKEN, twoGateways } from "./fakeApi.js";

const GATEWAY = `GET /payment/invoice/${INVOICE_ID}/gateway/`;
const CREATE = "POST /payment/create-session/";

function FakeForm({ session: s, amountLabel, onComplete }) {
  return (
    <form onSubmit={(e) => { e.preventDefault(); onComplete(); }}>
      <label>Card number <input name="card" /></label>
      <button type="submit">Pay {amountLabel} with {s.gateway}</button>
    </form>
  );
}

function open({ info = gatewayInfo(), routes = {}, forms = { sandbox: FakeForm }, amount, configId } = {}) {
  const api = fakeApi({ [GATEWAY]: { body: info }, [CREATE]: { status: 201, body: session() }, ...routes });
  const onClose = vi.fn();
  const navigate = vi.fn();
  render(
    <div>
      <button type="button">Opener</button>
      <PaymentModal invoiceId={INVOICE_ID} token={TOKEN} amount={amount} configId={configId} onClose={onClose} service={api.service} forms={forms} navigate={navigate} />
    </div>,
  );
  return { api, onClose, navigate };
}

const inModal = gatewayInfo({ gateway: { name: "sandbox", display_name: "Sandbox", public_config: { flow: "in_modal" } } });

describe("PaymentModal", () => {
  it("is a labelled dialog that takes the focus", async () => {
    open();
    const dialog = await screen.findByRole("dialog", { name: "Pay €380.00" });
    expect(dialog).toHaveAttribute("aria-modal", "true");
    await waitFor(() => expect(dialog.contains(document.activeElement)).toBe(true));
  });

  it("redirect flow: a 'Continue to' step, then one session and the gateway's page", async () => {
    const { api, navigate } = open();
    const go = await screen.findByRole("button", { name: "Continue to Sandbox" });
    await userEvent.dblClick(go);
    await waitFor(() => expect(navigate).toHaveBeenCalledWith("http://testserver/sandbox/checkout/sess_1/"));
    const creates = api.callsTo(CREATE);
    expect(creates.length).toBeGreaterThanOrEqual(1);
    // However often it is pressed, every request carries the same key: the server opens one session.
    expect(new Set(creates.map((c) => c.headers["Idempotency-Key"])).size).toBe(1);
    expect(screen.getByRole("status")).toHaveTextContent("Taking you to Sandbox");
  });

  it("in-modal flow: opens a session and renders the gateway's form from the registry", async () => {
    const { api, navigate } = open({ info: inModal, amount: "50.00" });
    const pay = await screen.findByRole("button", { name: "Pay €50.00 with sandbox" });
    expect(api.callsTo(CREATE)[0].body).toEqual({ invoice_id: INVOICE_ID, amount: "50.00" });
    await userEvent.click(pay);
    expect(screen.getByRole("status")).toHaveTextContent("Payment submitted");
    expect(navigate).toHaveBeenCalledWith(`/pay/${INVOICE_ID}/result/?token=${TOKEN}&payment=${PAYMENT_ID}`);
  });

  it("falls back to the redirect when no form is registered for the gateway", async () => {
    open({ info: inModal, forms: {} });
    expect(await screen.findByRole("button", { name: "Continue to Sandbox" })).toBeInTheDocument();
  });

  it("shows the error with a retry that reuses the same idempotency key", async () => {
    let attempt = 0;
    const { api } = open({
      info: inModal,
      routes: { [CREATE]: () => (++attempt === 1 ? { status: 502, body: { error: { code: "gateway_error", message: "The gateway did not answer." } } } : { status: 201, body: session() }) },
    });
    expect(await screen.findByRole("alert")).toHaveTextContent("The gateway did not answer.");
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("button", { name: /Pay €380.00/ })).toBeInTheDocument();
    const keys = api.callsTo(CREATE).map((c) => c.headers["Idempotency-Key"]);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it("says when the invoice can no longer be paid online", async () => {
    open({ info: gatewayInfo({ payable: false }) });
    expect(await screen.findByRole("alert")).toHaveTextContent("cannot be paid online right now");
  });

  it("closes with Escape and with the close button", async () => {
    const { onClose } = open();
    await screen.findByRole("button", { name: "Continue to Sandbox" });
    await userEvent.keyboard("{Escape}");
    expect(onClose).toHaveBeenCalledTimes(1);
    await userEvent.click(screen.getByRole("button", { name: "Close" }));
    expect(onClose).toHaveBeenCalledTimes(2);
  });

  it("keeps the focus inside while tabbing, both ways, and works with the keyboard alone", async () => {
    const { navigate } = open({ info: inModal });
    const card = await screen.findByLabelText("Card number");
    const dialog = screen.getByRole("dialog");
    for (let i = 0; i < 6; i += 1) {
      await userEvent.tab();
      expect(dialog.contains(document.activeElement)).toBe(true);
    }
    for (let i = 0; i < 6; i += 1) {
      await userEvent.tab({ shift: true });
      expect(dialog.contains(document.activeElement)).toBe(true);
    }
    card.focus();
    await userEvent.tab();
    expect(document.activeElement).toHaveTextContent(/^Pay/);
    await userEvent.keyboard("{Enter}");
    expect(navigate).toHaveBeenCalled();
  });

  it("labels every control", async () => {
    open({ info: inModal });
    await screen.findByLabelText("Card number");
    for (const control of screen.getByRole("dialog").querySelectorAll("button, input, select, textarea")) {
      const named = control.getAttribute("aria-label") || control.labels?.length || control.textContent.trim();
      expect(named, control.outerHTML).toBeTruthy();
    }
  });

  it("opens the session on the gateway chosen, and shows that gateway's form", async () => {
    const { api } = open({
      info: twoGateways(),
      configId: STRIPE_CONFIG,
      forms: { sandbox: FakeForm, stripe: FakeForm },
      routes: { [CREATE]: { status: 201, body: session({ gateway: "stripe", redirect_url: "" }) } },
    });
    expect(await screen.findByRole("button", { name: "Pay €380.00 with stripe" })).toBeInTheDocument();
    expect(screen.getByText(/paid through Card \(Stripe\)/)).toBeInTheDocument();
    expect(api.callsTo(CREATE)[0].body).toEqual({ invoice_id: INVOICE_ID, gateway_config_id: STRIPE_CONFIG });
  });

  it("a redirect gateway chosen redirects, and the session names its config", async () => {
    const { api, navigate } = open({ info: twoGateways(), configId: SANDBOX_CONFIG });
    await userEvent.click(await screen.findByRole("button", { name: "Continue to Sandbox" }));
    await waitFor(() => expect(navigate).toHaveBeenCalledWith("http://testserver/sandbox/checkout/sess_1/"));
    expect(api.callsTo(CREATE)[0].body).toEqual({ invoice_id: INVOICE_ID, gateway_config_id: SANDBOX_CONFIG });
  });

  it("says so, and opens nothing, when the gateway chosen is offered no more", async () => {
    const { api } = open({ info: twoGateways(), configId: "55555555-5555-5555-5555-555555555555" });
    expect(await screen.findByRole("alert")).toHaveTextContent("no longer offered");
    expect(api.callsTo(CREATE)).toHaveLength(0);
  });
});
