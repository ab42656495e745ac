"""Stripe webhook events, normalised into our `WebhookEvent`. Pure: no I/O.

Handlers are dispatched from a dict keyed by event type. Each reports what Stripe says, in ISO
minor units and upper-case ISO currency codes; the ledger decides what that means (state
machine, amount and currency checks, refunds and disputes counted once by their Stripe id).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from trackify.payments.gateways.stripe import objects
from trackify.payments.gateways.types import (
    DisputeUpdate,
    PaymentStatus,
    PaymentUpdate,
    RefundStatus,
    RefundUpdate,
    WebhookEvent,
)

ASYNC_FAILURE_MESSAGE = "The payment failed after checkout (for example, a bank debit was refused)."


@dataclass(frozen=True)
class _Target:
    """What a handler found in an event's object."""

    payment_id: UUID | None = None
    gateway_reference: str = ""
    payment_update: PaymentUpdate | None = None
    refund_updates: tuple[RefundUpdate, ...] = field(default_factory=tuple)
    dispute_updates: tuple[DisputeUpdate, ...] = field(default_factory=tuple)
    incomplete: bool = False


Handler = Callable[[Mapping[str, Any]], _Target]


def _session_handler(fixed: PaymentStatus | None, failure_message: str = "") -> Handler:
    """A Checkout Session event; `fixed` None means: read the state from the session."""

    def handle(session: Mapping[str, Any]) -> _Target:
        amount, currency = objects.iso_amount(session, "amount_total")
        status = fixed or objects.checkout_session_status(session)
        return _Target(
            payment_id=objects.payment_id_of(session),
            gateway_reference=str(session.get("id") or ""),
            payment_update=PaymentUpdate(
                status=status,
                amount=amount,
                currency=currency,
                gateway_payment_reference=objects.expandable_id(session.get("payment_intent")),
                failure_message=failure_message,
            ),
        )

    return handle


def _payment_intent_handler(status: PaymentStatus) -> Handler:
    def handle(intent: Mapping[str, Any]) -> _Target:
        # Money actually received counts for a success; the requested amount otherwise.
        field_name = "amount_received" if status == PaymentStatus.SUCCEEDED else "amount"
        amount, currency = objects.iso_amount(intent, field_name)
        pi_id = str(intent.get("id") or "")
        return _Target(
            payment_id=objects.payment_id_of(intent),
            gateway_reference=pi_id,
            payment_update=PaymentUpdate(
                status=status,
                amount=amount,
                currency=currency,
                gateway_payment_reference=pi_id,
                failure_message=objects.payment_failure_message(intent) if status == PaymentStatus.FAILED else "",
            ),
        )

    return handle


def _refund_update(refund: Mapping[str, Any], status: RefundStatus | None = None) -> RefundUpdate | None:
    amount, currency = objects.iso_amount(refund)
    refund_id = str(refund.get("id") or "")
    if not refund_id or currency is None or (amount is None and currency != objects.NO_CURRENCY):
        return None
    return RefundUpdate(
        gateway_refund_id=refund_id,
        status=status or objects.refund_status(refund),
        # A refund whose amount is not exact in ISO units comes with currency XXX: flagged.
        amount=amount if amount is not None else 0,
        currency=currency,
        refund_id=objects.refund_id_of(refund),
    )


def _refund_handler(status: RefundStatus | None = None) -> Handler:
    def handle(refund: Mapping[str, Any]) -> _Target:
        update = _refund_update(refund, status)
        return _Target(
            payment_id=objects.payment_id_of(refund),
            gateway_reference=objects.expandable_id(refund.get("payment_intent")),
            refund_updates=(update,) if update else (),
        )

    return handle


def refund_updates(refunds: object) -> tuple[RefundUpdate, ...]:
    """Our updates for a list of Stripe refunds (as a charge lists them, or as the API lists them)."""
    return tuple(
        update
        for refund in (refunds if isinstance(refunds, list) else [])
        if isinstance(refund, Mapping) and (update := _refund_update(refund)) is not None
    )


def _charge_refunded(charge: Mapping[str, Any]) -> _Target:
    """A charge's refunds, each by its own id, so that `refund.*` events for them count once.

    Since API version 2022-11-15 the charge in this event no longer lists its refunds: the event
    is then `incomplete`, and the gateway lists the charge's refunds at Stripe (`with_refunds`).
    """
    refunds = charge.get("refunds")
    listed = refunds.get("data") if isinstance(refunds, Mapping) else None
    complete = isinstance(listed, list) and not (isinstance(refunds, Mapping) and refunds.get("has_more"))
    return _Target(
        payment_id=objects.payment_id_of(charge),
        gateway_reference=objects.expandable_id(charge.get("payment_intent")),
        refund_updates=refund_updates(listed) if complete else (),
        incomplete=not complete,
    )


def with_refunds(event: WebhookEvent, refunds: list[dict[str, Any]]) -> WebhookEvent:
    """An incomplete `charge.refunded` completed with the charge's refunds as Stripe lists them."""
    return replace(event, refund_updates=refund_updates(refunds), incomplete=False)


def _dispute_handler(dispute: Mapping[str, Any]) -> _Target:
    """A dispute, reported whole (its status and the money moved so far) by every `charge.dispute.*`.

    The target is the dispute's PaymentIntent. A dispute that names only its charge (a charge made
    without a PaymentIntent, or an older API version) is `incomplete`: the gateway reads the charge's
    PaymentIntent at Stripe first, so that what the event links to a payment is never a `ch_` id
    (refunds need the PaymentIntent).
    """
    update = objects.dispute_update(dispute)
    intent_id = objects.expandable_id(dispute.get("payment_intent"))
    charge_id = objects.expandable_id(dispute.get("charge"))
    return _Target(
        payment_id=objects.payment_id_of(dispute),
        gateway_reference=intent_id or charge_id,
        dispute_updates=(update,) if update else (),
        incomplete=update is not None and not intent_id and bool(charge_id),
    )


def dispute_updates(disputes: object) -> tuple[DisputeUpdate, ...]:
    """Our updates for a list of Stripe disputes (as `GET /v1/disputes` lists them)."""
    return tuple(
        update
        for dispute in (disputes if isinstance(disputes, list) else [])
        if isinstance(dispute, Mapping) and (update := objects.dispute_update(dispute)) is not None
    )


def with_charge(event: WebhookEvent, charge: Mapping[str, Any]) -> WebhookEvent:
    """An incomplete dispute event completed with its charge: the charge's PaymentIntent becomes
    the target, as if the dispute had named it (an unmatched one is then resolved, and linked,
    through that PaymentIntent). A charge with no PaymentIntent is none of our payments' (we always
    make one): the event is left with no target."""
    return replace(event, gateway_reference=objects.expandable_id(charge.get("payment_intent")), incomplete=False)


def charge_id_of(event: WebhookEvent) -> str:
    """The charge an event is about: the object itself, or the charge a refund or dispute names."""
    obj = event_object(event.payload)
    if obj.get("object") == "charge":
        return str(obj.get("id") or "")
    return objects.expandable_id(obj.get("charge"))


def event_object(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    data = payload.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    return obj if isinstance(obj, Mapping) else {}


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _session_handler(None),
    "checkout.session.async_payment_succeeded": _session_handler(PaymentStatus.SUCCEEDED),
    "checkout.session.async_payment_failed": _session_handler(PaymentStatus.FAILED, ASYNC_FAILURE_MESSAGE),
    "checkout.session.expired": _session_handler(PaymentStatus.EXPIRED),
    "payment_intent.succeeded": _payment_intent_handler(PaymentStatus.SUCCEEDED),
    "payment_intent.processing": _payment_intent_handler(PaymentStatus.PROCESSING),
    "payment_intent.payment_failed": _payment_intent_handler(PaymentStatus.FAILED),
    "payment_intent.canceled": _payment_intent_handler(PaymentStatus.CANCELLED),
    "charge.refunded": _charge_refunded,
    "refund.created": _refund_handler(),
    "refund.updated": _refund_handler(),
    "refund.failed": _refund_handler(RefundStatus.FAILED),
    "charge.dispute.created": _dispute_handler,
    "charge.dispute.updated": _dispute_handler,
    "charge.dispute.funds_withdrawn": _dispute_handler,
    "charge.dispute.funds_reinstated": _dispute_handler,
    "charge.dispute.closed": _dispute_handler,
}

#: The event types to enable on a Stripe webhook endpoint (docs/stripe.md lists them too).
HANDLED_EVENT_TYPES: tuple[str, ...] = tuple(HANDLERS)


def normalize(payload: Mapping[str, Any]) -> WebhookEvent:
    """A verified Stripe event as our `WebhookEvent`; unhandled types come back with no update."""
    event_type = str(payload.get("type") or "")
    obj = event_object(payload)
    livemode = payload.get("livemode")
    handler = HANDLERS.get(event_type)
    target = handler(obj) if handler is not None and obj else _Target()
    return WebhookEvent(
        gateway_event_id=str(payload.get("id") or ""),
        event_type=event_type,
        payload=payload,
        payment_id=target.payment_id,
        gateway_reference=target.gateway_reference,
        payment_update=target.payment_update,
        refund_updates=target.refund_updates,
        dispute_updates=target.dispute_updates,
        livemode=livemode if isinstance(livemode, bool) else None,
        incomplete=target.incomplete,
    )
