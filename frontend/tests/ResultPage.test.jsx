import { describe, expect, it } from "vitest";
import { act, render, screen } from "@testing-library/react";
import ResultPage from "../src/result/ResultPage.jsx";
import { MAX_ATTEMPTS, nextDelay } from "../src/result/polling.js";
import { fakeApi, INVOICE_ID, PAYMENT_ID, paymentStatus, TOKEN } from "./fakeApi.js";

const STATUS = `GET /payment/status/${PAYMENT_ID}/`;

// A scheduler the test drives: no real time passes, and the delays asked for are recorded.
function manualScheduler() {
  const queue = [];
  return {
    delays: [],
    schedule(fn, ms) {
      this.delays.push(ms);
      queue.push(fn);
      return queue.length;
    },
    cancel() {},
    async runNext() {
      const fn = queue.shift();
      await act(async () => fn());
    },
    get pending() {
      return queue.length;
    },
  };
}

function renderResult(answers) {
  const api = fakeApi({ [STATUS]: (call, calls) => ({ body: answers[Math.min(calls.length - 1, answers.length - 1)] }) });
  const clock = manualScheduler();
  render(<ResultPage invoiceId={INVOICE_ID} token={TOKEN} paymentId={PAYMENT_ID} service={api.service} schedule={clock.schedule.bind(clock)} cancel={() => {}} />);
  return { api, clock };
}

describe("the result page", () => {
  it("polls with back-off until the payment is final, then shows it paid with the new balance", async () => {
    const paidInvoice = { status: "paid", amount_paid: "380.00", amount_due: "0.00" };
    const { api, clock } = renderResult([
      paymentStatus("pending"),
      paymentStatus("processing"),
      paymentStatus("succeeded", { invoice: { ...paymentStatus("x").invoice, ...paidInvoice } }),
    ]);
    expect(await screen.findByText(/Waiting for the payment provider/)).toBeInTheDocument();
    await clock.runNext();
    expect(await screen.findByRole("heading", { name: "Payment processing" })).toBeInTheDocument();
    expect(screen.getByText(/you do not need to pay again/)).toBeInTheDocument();
    await clock.runNext();
    expect(await screen.findByRole("heading", { name: "Payment received" })).toBeInTheDocument();
    expect(screen.getByRole("row", { name: /Amount due €0.00/ })).toBeInTheDocument();
    expect(screen.getByRole("row", { name: /Invoice status Paid/ })).toBeInTheDocument();
    expect(clock.pending).toBe(0); // final: no more polling
    expect(api.callsTo(STATUS)).toHaveLength(3);
    expect(clock.delays).toEqual([nextDelay(0), nextDelay(1)]);
    expect(nextDelay(1)).toBeGreaterThan(nextDelay(0));
  });

  it("shows an approved payment as being completed, and keeps polling until it is captured", async () => {
    const { clock } = renderResult([paymentStatus("authorized"), paymentStatus("succeeded")]);
    expect(await screen.findByRole("heading", { name: "Payment approved" })).toBeInTheDocument();
    expect(screen.getByText(/You do not need to pay again/)).toBeInTheDocument();
    await clock.runNext();
    expect(await screen.findByRole("heading", { name: "Payment received" })).toBeInTheDocument();
  });

  it("shows a failure with its reason and a 'try again' link to the pay page", async () => {
    renderResult([paymentStatus("failed", { failure_message: "The card was declined (sandbox)." })]);
    expect(await screen.findByRole("heading", { name: "Payment failed" })).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("The card was declined (sandbox).");
    expect(screen.getByRole("link", { name: "Try again" })).toHaveAttribute("href", `/pay/${INVOICE_ID}/?token=${TOKEN}`);
  });

  it("stops after a bound and says the page can be closed", async () => {
    const { api, clock } = renderResult([paymentStatus("processing")]);
    await screen.findByRole("heading", { name: "Payment processing" });
    while (clock.pending) await clock.runNext();
    expect(api.callsTo(STATUS)).toHaveLength(MAX_ATTEMPTS);
    expect(screen.getByText(/You can close this page/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Check again" })).toBeInTheDocument();
    expect(Math.max(...clock.delays)).toBeLessThanOrEqual(10000);
  });

  it("says the link is not valid for a payment it may not see", async () => {
    const api = fakeApi({});
    render(<ResultPage invoiceId={INVOICE_ID} token="wrong" paymentId={PAYMENT_ID} service={api.service} />);
    expect(await screen.findByRole("heading", { name: "This link is not valid" })).toBeInTheDocument();
  });
});
