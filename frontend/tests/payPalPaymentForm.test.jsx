import { beforeEach, describe, expect, it, vi } from "vitest";
import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { fakeApi, PAYMENT_ID, session, TOKEN } from "./fakeApi.js";

const paypal = vi.hoisted(() => ({ options: null, buttons: null, script: { isPending: false, isRejected: false }, dispatched: [] }));

vi.mock("@paypal/react-paypal-js", () => ({
  PayPalScriptProvider: ({ options, children }) => {
    paypal.options = options;
    return <div>{children}</div>;
  },
  DISPATCH_ACTION: { RESET_OPTIONS: "resetOptions" },
  usePayPalScriptReducer: () => [paypal.script, (action) => paypal.dispatched.push(action)],
  PayPalButtons: (props) => {
    paypal.buttons = props;
    return (
      <button type="button" onClick={async () => props.onApprove({ orderID: await props.createOrder({}, {}) }, {})}>
        PayPal
      </button>
    );
  },
}));

const { default: PayPalPaymentForm } = await import("../src/gateways/PayPalPaymentForm.jsx");

const payPalSession = session({
  gateway: "paypal",
  client_params: { order_id: "5O190127TN364715T", client_id: "AbC123", currency: "EUR", sdk_url: "http://127.0.0.1:9/sdk/js" },
});

describe("PayPalPaymentForm", () => {
  beforeEach(() => {
    paypal.script = { isPending: false, isRejected: false };
    paypal.dispatched = [];
  });

  it("loads PayPal's SDK with the session's client id, currency, capture intent and SDK URL", () => {
    render(<PayPalPaymentForm session={payPalSession} token={TOKEN} amountLabel="€380.00" service={fakeApi().service} onComplete={() => {}} />);
    expect(paypal.options).toEqual({ clientId: "AbC123", currency: "EUR", intent: "capture", sdkBaseUrl: "http://127.0.0.1:9/sdk/js" });
    expect(screen.getByText(/PayPal opens in its own window: approve the payment of €380.00 there/)).toBeInTheDocument();
  });

  it("gives the buttons our order, and on approval checks the payment, then completes", async () => {
    const api = fakeApi({ [`POST /payment/status/${PAYMENT_ID}/check/`]: { body: { status: "succeeded" } } });
    const onComplete = vi.fn();
    render(<PayPalPaymentForm session={payPalSession} token={TOKEN} amountLabel="€380.00" service={api.service} onComplete={onComplete} />);
    expect(await paypal.buttons.createOrder({}, {})).toBe("5O190127TN364715T");
    await userEvent.click(screen.getByRole("button", { name: "PayPal" }));
    expect(api.calls[0].key).toBe(`POST /payment/status/${PAYMENT_ID}/check/`);
    expect(api.calls[0].headers["X-Invoice-Token"]).toBe(TOKEN);
    expect(onComplete).toHaveBeenCalled();
  });

  it("shows our API's refusal beside the buttons", async () => {
    const api = fakeApi({ [`POST /payment/status/${PAYMENT_ID}/check/`]: { status: 502, body: { error: { code: "gateway_unavailable", message: "PayPal could not be reached." } } } });
    const onComplete = vi.fn();
    render(<PayPalPaymentForm session={payPalSession} token={TOKEN} amountLabel="€380.00" service={api.service} onComplete={onComplete} />);
    await userEvent.click(screen.getByRole("button", { name: "PayPal" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("could not be reached");
    expect(onComplete).not.toHaveBeenCalled();
  });

  it("says PayPal is loading while its SDK loads, and when it cannot load, says so and loads it again on request", async () => {
    paypal.script = { isPending: true, isRejected: false };
    const { rerender } = render(<PayPalPaymentForm session={payPalSession} token={TOKEN} amountLabel="€380.00" service={fakeApi().service} onComplete={() => {}} />);
    expect(screen.getByRole("status")).toHaveTextContent("Loading PayPal");
    paypal.script = { isPending: false, isRejected: true };
    rerender(<PayPalPaymentForm session={payPalSession} token={TOKEN} amountLabel="€381.00" service={fakeApi().service} onComplete={() => {}} />);
    expect(screen.queryByRole("status")).toBeNull();
    expect(screen.getByRole("alert")).toHaveTextContent("PayPal could not be loaded");
    await userEvent.click(screen.getByRole("button", { name: "Load PayPal again" }));
    expect(paypal.dispatched).toEqual([{ type: "resetOptions", value: paypal.options }]);
  });

  it("tells the payer who closed PayPal's window that they can try again", async () => {
    const api = fakeApi();
    render(<PayPalPaymentForm session={payPalSession} token={TOKEN} amountLabel="€380.00" service={api.service} onComplete={() => {}} />);
    act(() => paypal.buttons.onCancel({ orderID: "5O190127TN364715T" }));
    expect(screen.getByRole("alert")).toHaveTextContent("cancelled. You can try again.");
    expect(api.calls).toEqual([]);
  });

  it("says so when the session carries no order", () => {
    render(<PayPalPaymentForm session={session({ gateway: "paypal", client_params: {} })} token={TOKEN} amountLabel="€1" service={fakeApi().service} onComplete={() => {}} />);
    expect(screen.getByRole("alert")).toHaveTextContent("cannot be shown");
  });
});
