"""What happens at Stripe outside our API calls: a payer on the hosted page or in Stripe
Elements, a bank debit settling days later, the account's owner refunding in the dashboard, a
payer's bank disputing a charge (an inquiry or a chargeback) and the dispute's outcome.

Each action changes the account's objects as Stripe would and returns the webhook events Stripe
sends for it (also left in the account's `outbox`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from tests.fakes import stripe_objects as so

T = TypeVar("T")


def locked(method: Callable[..., T]) -> Callable[..., T]:
    """Run under the fake server's lock, so tests and HTTP requests never interleave."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        with self.lock:
            return method(self, *args, **kwargs)

    return wrapper


class StripeActivity:
    """Mixed into `Account`, whose objects, `outbox` and API operations these use."""

    def _charge(self, intent: dict[str, Any]) -> dict[str, Any]:
        charge = so.charge(
            amount=intent["amount"],
            amount_captured=intent["amount"],
            currency=intent["currency"],
            payment_intent=intent["id"],
            metadata=dict(intent["metadata"]),  # Stripe copies the intent's metadata on confirmation
            description=intent["description"],
            livemode=self.livemode,
        )
        self.charges[charge["id"]] = charge
        intent.update(latest_charge=charge["id"], amount_received=intent["amount"], status="succeeded")
        intent["last_payment_error"] = None
        return charge

    def _succeed(self, intent: dict[str, Any]) -> None:
        charge = self._charge(intent)
        self._emit("charge.succeeded", charge)
        self._emit("payment_intent.succeeded", intent)

    def _fail(self, intent: dict[str, Any], message: str = "Your card was declined.") -> None:
        intent.update(status="requires_payment_method", last_payment_error=so.card_error(message=message))
        self._emit("payment_intent.payment_failed", intent)

    def _session_intent(self, session: dict[str, Any]) -> dict[str, Any]:
        if session["payment_intent"]:
            return self.intents[session["payment_intent"]]
        data = self._intent_data[session["id"]]
        intent = self.create_payment_intent(
            {"amount": session["amount_total"], "currency": session["currency"], **data}
        )
        session["payment_intent"] = intent["id"]
        return intent

    @locked
    def pay_checkout(self, session_id: str, outcome: str = "paid") -> list[dict[str, Any]]:
        """The payer completes the hosted page: "paid" by card, or "processing" (a bank debit)."""
        before = len(self.outbox)
        session = self._session(session_id)
        if session["status"] != "open":
            raise AssertionError(f"session {session_id} is {session['status']}, not open")
        intent = self._session_intent(session)
        if outcome == "paid":
            self._succeed(intent)
            session.update(status="complete", payment_status="paid")
        elif outcome == "processing":
            intent.update(status="processing", processing={"type": "sepa_debit"})
            self._emit("payment_intent.processing", intent)
            session.update(status="complete", payment_status="unpaid")
        else:
            raise ValueError(outcome)
        session["customer_details"] = {"address": None, "email": session["customer_email"], "name": "Payer"}
        self._emit("checkout.session.completed", session)
        return self.outbox[before:]

    @locked
    def decline_checkout_attempt(self, session_id: str) -> list[dict[str, Any]]:
        """A card is declined on the hosted page; the session stays open for another try."""
        before = len(self.outbox)
        self._fail(self._session_intent(self._session(session_id)))
        return self.outbox[before:]

    @locked
    def settle_checkout(self, session_id: str, *, succeeded: bool = True) -> list[dict[str, Any]]:
        """A delayed payment method of a completed session settles, or fails."""
        before = len(self.outbox)
        session = self._session(session_id)
        intent = self.intents[session["payment_intent"]]
        if succeeded:
            self._succeed(intent)
            session["payment_status"] = "paid"
            self._emit("checkout.session.async_payment_succeeded", session)
        else:
            self._fail(intent, "The bank debit was refused.")
            self._emit("checkout.session.async_payment_failed", session)
        return self.outbox[before:]

    @locked
    def expire_checkout(self, session_id: str) -> list[dict[str, Any]]:
        before = len(self.outbox)
        self.expire_checkout_session(session_id)
        return self.outbox[before:]

    @locked
    def confirm_intent(self, intent_id: str, outcome: str = "succeeded") -> list[dict[str, Any]]:
        """Stripe Elements confirms an in-modal PaymentIntent: "succeeded", "processing" or "declined"."""
        before = len(self.outbox)
        intent = self._intent(intent_id)
        if outcome == "succeeded":
            self._succeed(intent)
        elif outcome == "processing":
            intent.update(status="processing", processing={"type": "sepa_debit"})
            self._emit("payment_intent.processing", intent)
        elif outcome == "declined":
            self._fail(intent)
        else:
            raise ValueError(outcome)
        return self.outbox[before:]

    @locked
    def cancel_intent(self, intent_id: str) -> list[dict[str, Any]]:
        before = len(self.outbox)
        self.cancel_payment_intent(intent_id, {})
        return self.outbox[before:]

    @locked
    def dashboard_refund(self, intent_id: str, amount: int | None = None) -> list[dict[str, Any]]:
        """The account's owner refunds in Stripe's dashboard: no metadata of ours on it."""
        before = len(self.outbox)
        params: dict[str, Any] = {"payment_intent": intent_id}
        if amount is not None:
            params["amount"] = amount
        self.create_refund(params, metadata={})
        return self.outbox[before:]

    @locked
    def set_refund_status(self, refund_id: str, status: str) -> list[dict[str, Any]]:
        """A pending refund settles ("succeeded") or fails ("failed", the money returns)."""
        before = len(self.outbox)
        refund = self.retrieve_refund(refund_id)
        previous = refund["status"]
        refund["status"] = status
        if status in ("failed", "canceled") and previous not in ("failed", "canceled"):
            charge = self.charges[refund["charge"]]
            charge["amount_refunded"] -= refund["amount"]
            charge["refunded"] = False
            refund["failure_reason"] = "lost_or_stolen_card" if status == "failed" else None
        self._emit("refund.updated", refund, previous_attributes={"status": previous})
        if status == "failed":
            self._emit("refund.failed", refund)
        return self.outbox[before:]

    # -- disputes ----------------------------------------------------------------------------------

    def _dispute_transaction(self, dispute: dict[str, Any], sign: int) -> dict[str, Any]:
        """The balance transaction of a dispute's withdrawal (sign -1) or reinstatement (+1), in the
        account's settlement currency; Stripe's dispute fee on the withdrawal, given back when won."""
        currency, amount, rate = dispute["currency"], dispute["amount"], None
        if self.settlement is not None and self.settlement[0] != currency:
            currency, rate = self.settlement
            amount = round(amount * rate)
        fee = -sign * so.DISPUTE_FEE
        withdrawal = sign < 0
        return so.balance_transaction(
            amount=sign * amount,
            currency=currency,
            exchange_rate=rate,
            fee=fee,
            fee_details=[
                {"amount": fee, "application": None, "currency": currency, "description": "Dispute fee",
                 "type": "stripe_fee"}
            ],
            description=f"Chargeback {'withdrawal' if withdrawal else 'reversal'} for {dispute['charge']}",
            reporting_category="dispute" if withdrawal else "dispute_reversal",
            source=dispute["id"],
            type="adjustment",
        )

    @locked
    def open_dispute(
        self, intent_id: str, *, inquiry: bool = False, amount: int | None = None, reason: str = "fraudulent"
    ) -> list[dict[str, Any]]:
        """The payer's bank disputes the paid charge of a PaymentIntent (the whole charge by default).

        An inquiry (`inquiry=True`) moves no money: `charge.dispute.created` only. A chargeback
        takes the money at once: `created`, then `funds_withdrawn` carrying the withdrawal's
        balance transaction. The dispute's id is `events[0]["data"]["object"]["id"]`.
        """
        before = len(self.outbox)
        intent = self._intent(intent_id)
        charge = self.charges.get(intent["latest_charge"] or "")
        if charge is None or not charge["paid"]:
            raise AssertionError(f"payment intent {intent_id} has no paid charge to dispute")
        dispute = so.dispute(
            amount=charge["amount"] if amount is None else amount,
            charge=charge["id"],
            currency=charge["currency"],
            payment_intent=intent_id,
            reason=reason,
            status="warning_needs_response" if inquiry else "needs_response",
            is_charge_refundable=inquiry,
            livemode=self.livemode,
        )
        dispute["payment_method_details"]["card"]["case_type"] = "inquiry" if inquiry else "chargeback"
        self.disputes[dispute["id"]] = dispute
        charge["disputed"] = True
        self._emit("charge.dispute.created", dispute)
        if not inquiry:
            dispute["balance_transactions"].append(self._dispute_transaction(dispute, -1))
            self._emit("charge.dispute.funds_withdrawn", dispute)
        return self.outbox[before:]

    @locked
    def escalate_inquiry(self, dispute_id: str) -> list[dict[str, Any]]:
        """The bank turns an inquiry into a chargeback: Stripe closes the inquiry (`warning_closed`)
        and opens a new dispute for the chargeback, which takes the money."""
        before = len(self.outbox)
        inquiry = self.retrieve_dispute(dispute_id)
        if not inquiry["status"].startswith("warning_") or inquiry["status"] == "warning_closed":
            raise ValueError(f"dispute {dispute_id} is {inquiry['status']}, not an open inquiry")
        self.close_dispute(dispute_id, "won")
        self.open_dispute(inquiry["payment_intent"], amount=inquiry["amount"], reason=inquiry["reason"])
        return self.outbox[before:]

    @locked
    def submit_dispute_evidence(self, dispute_id: str) -> list[dict[str, Any]]:
        """The merchant answers in the dashboard: the dispute goes under review (`updated`)."""
        before = len(self.outbox)
        dispute = self.retrieve_dispute(dispute_id)
        previous = dispute["status"]
        dispute["status"] = "warning_under_review" if previous.startswith("warning_") else "under_review"
        dispute["evidence"]["uncategorized_text"] = "Delivered as invoiced; the client confirmed by e-mail."
        dispute["evidence_details"].update(has_evidence=True, submission_count=1)
        self._emit("charge.dispute.updated", dispute, previous_attributes={"status": previous})
        return self.outbox[before:]

    @locked
    def close_dispute(self, dispute_id: str, outcome: str) -> list[dict[str, Any]]:
        """The bank decides, "won" or "lost": `closed`; a chargeback won then gives the money back
        (`funds_reinstated`, with the reinstatement's balance transaction). An inquiry can only be
        closed in the merchant's favour (`warning_closed`): no money ever moved."""
        before = len(self.outbox)
        dispute = self.retrieve_dispute(dispute_id)
        previous = dispute["status"]
        inquiry = previous.startswith("warning_")
        if outcome not in ("won", "lost") or (inquiry and outcome != "won"):
            raise ValueError(f"a {previous} dispute cannot be closed as {outcome}")
        dispute["status"] = "warning_closed" if inquiry else outcome
        self._emit("charge.dispute.closed", dispute, previous_attributes={"status": previous})
        if outcome == "won" and not inquiry:
            dispute["balance_transactions"].append(self._dispute_transaction(dispute, +1))
            self._emit("charge.dispute.funds_reinstated", dispute)
        return self.outbox[before:]
