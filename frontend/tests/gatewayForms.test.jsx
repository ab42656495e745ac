import { describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import SandboxPaymentForm from "../src/gateways/SandboxPaymentForm.jsx";
import { fakeApi, PAYMENT_ID, session, TOKEN } from "./fakeApi.js";

const stripe = vi.hoisted(() => ({ confirmPayment: null, submit: null, loadStripe: null }));

vi.mock("@stripe/stripe-js", () => ({ loadStripe: (...args) => stripe.loadStripe(...args) }));
vi.mock("@stripe/react-stripe-js", () => ({
  Elements: ({ children, options }) => <div data-client-secret={options.clientSecret}>{children}</div>,
  PaymentElement: () => <div>Payment Element</div>,
  useStripe: () => ({ confirmPayment: stripe.confirmPayment }),
  useElements: () => ({ submit: stripe.submit }),
}));

const { default: StripePaymentForm } = await import("../src/gateways/StripePaymentForm.jsx");

describe("SandboxPaymentForm", () => {
  it("offers succeed, decline and asynchronous, as labelled radio buttons", () => {
    render(<SandboxPaymentForm session={session()} token={TOKEN} amountLabel="€380.00" service={fakeApi().service} onComplete={() => {}} />);
    expect(screen.getByRole("group", { name: /choose what happens/ })).toBeInTheDocument();
    expect(screen.getByRole("radio", { name: /succeeds/ })).toBeChecked();
    expect(screen.getByRole("radio", { name: /Decline/ })).toBeInTheDocument();
    expect(screen.getByRole("radio", { name: /Asynchronous/ })).toBeInTheDocument();
  });

  it("completes the sandbox payment with the chosen outcome", async () => {
    const api = fakeApi({ [`POST /payment/sandbox/${PAYMENT_ID}/complete/`]: { body: { delivered: true } } });
    const onComplete = vi.fn();
    render(<SandboxPaymentForm session={session()} token={TOKEN} amountLabel="€380.00" service={api.service} onComplete={onComplete} />);
    await userEvent.click(screen.getByRole("radio", { name: /Decline/ }));
    await userEvent.click(screen.getByRole("button", { name: "Pay €380.00" }));
    expect(api.calls[0].body).toEqual({ outcome: "declined" });
    expect(api.calls[0].headers["X-Invoice-Token"]).toBe(TOKEN);
    expect(onComplete).toHaveBeenCalled();
  });

  it("shows the provider's refusal beside the form", async () => {
    const api = fakeApi({ [`POST /payment/sandbox/${PAYMENT_ID}/complete/`]: { status: 409, body: { error: { code: "conflict", message: "The session is already complete." } } } });
    const onComplete = vi.fn();
    render(<SandboxPaymentForm session={session()} token={TOKEN} amountLabel="€380.00" service={api.service} onComplete={onComplete} />);
    await userEvent.click(screen.getByRole("button", { name: "Pay €380.00" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("already complete");
    expect(onComplete).not.toHaveBeenCalled();
  });
});

describe("StripePaymentForm", () => {
  const stripeSession = session({ gateway: "stripe", redirect_url: "", client_params: { client_secret: "pi_1_secret_2", publishable_key: "pk_test_1" } });

  it("mounts the Payment Element with the session's client secret and publishable key", () => {
    stripe.loadStripe = vi.fn(async () => ({}));
    render(<StripePaymentForm session={stripeSession} amountLabel="€380.00" returnUrl="http://x/result/" />);
    expect(stripe.loadStripe).toHaveBeenCalledWith("pk_test_1");
    expect(screen.getByText("Payment Element").closest("[data-client-secret]")).toHaveAttribute("data-client-secret", "pi_1_secret_2");
  });

  it("confirms with our result page as return_url, and shows Stripe's error beside the form", async () => {
    stripe.loadStripe = vi.fn(async () => ({}));
    stripe.submit = vi.fn(async () => ({}));
    stripe.confirmPayment = vi.fn(async () => ({ error: { message: "Your card was declined." } }));
    render(<StripePaymentForm session={stripeSession} amountLabel="€380.00" returnUrl="http://x/result/?payment=1" />);
    await userEvent.click(screen.getByRole("button", { name: "Pay €380.00" }));
    expect(stripe.confirmPayment).toHaveBeenCalledWith(expect.objectContaining({ confirmParams: { return_url: "http://x/result/?payment=1" } }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Your card was declined.");
    expect(screen.getByRole("button", { name: "Pay €380.00" })).toBeEnabled();
  });

  it("does not confirm when the Payment Element's own check fails", async () => {
    stripe.submit = vi.fn(async () => ({ error: { message: "Your card number is incomplete." } }));
    stripe.confirmPayment = vi.fn();
    render(<StripePaymentForm session={stripeSession} amountLabel="€380.00" returnUrl="http://x/" />);
    await userEvent.click(screen.getByRole("button", { name: "Pay €380.00" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("incomplete");
    expect(stripe.confirmPayment).not.toHaveBeenCalled();
  });

  it("says so when the session carries no client secret", () => {
    render(<StripePaymentForm session={session({ gateway: "stripe", client_params: {} })} amountLabel="€1" returnUrl="http://x/" />);
    expect(screen.getByRole("alert")).toHaveTextContent("not set up");
  });
});
