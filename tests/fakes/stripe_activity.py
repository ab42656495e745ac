"""What happens at Stripe outside our API calls: a payer on the hosted page or in Stripe
Elements, a bank debit settling days later, the account's owner refunding in the dashboard.

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
