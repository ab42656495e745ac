"""Every Stripe event type the gateway acts on, normalised; other types stored and ignored.

Pure: events are built from the fake's Stripe-shaped objects, no server involved.
"""

from __future__ import annotations

import uuid

import pytest

from tests.fakes import stripe_objects as so
from trackify.payments.gateways.stripe.events import HANDLED_EVENT_TYPES, normalize
from trackify.payments.gateways.types import PaymentStatus, RefundStatus

PAYMENT_ID = uuid.uuid4()
REFUND_ID = uuid.uuid4()
OURS = {"trackify_payment_id": str(PAYMENT_ID), "trackify_invoice_id": str(uuid.uuid4())}


def session(**overrides: object) -> dict:
    fields = {
        "amount_total": 12345,
        "currency": "eur",
        "client_reference_id": str(PAYMENT_ID),
        "metadata": OURS,
        "payment_intent": "pi_123",
        "status": "complete",
        "payment_status": "paid",
    }
    return so.checkout_session(**{**fields, **overrides})


def intent(**overrides: object) -> dict:
    fields = {"id": "pi_123", "amount": 12345, "amount_received": 0, "currency": "eur", "metadata": OURS}
    return so.payment_intent(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("event_type", "obj", "status"),
    [
        ("checkout.session.completed", session(), PaymentStatus.SUCCEEDED),
        ("checkout.session.completed", session(payment_status="unpaid"), PaymentStatus.PROCESSING),
        ("checkout.session.completed", session(payment_status="no_payment_required"), PaymentStatus.SUCCEEDED),
        ("checkout.session.async_payment_succeeded", session(), PaymentStatus.SUCCEEDED),
        ("checkout.session.async_payment_failed", session(payment_status="unpaid"), PaymentStatus.FAILED),
        (
            "checkout.session.expired",
            session(status="expired", payment_status="unpaid", payment_intent=None),
            PaymentStatus.EXPIRED,
        ),
    ],
)
def test_checkout_session_events(event_type: str, obj: dict, status: PaymentStatus) -> None:
    event = normalize(so.event(event_type, obj, event_id="evt_1"))
    assert event.gateway_event_id == "evt_1"
    assert event.event_type == event_type
    assert event.payment_id == PAYMENT_ID
    assert event.gateway_reference == obj["id"]
    assert event.payment_update is not None
    assert event.payment_update.status == status
    assert (event.payment_update.amount, event.payment_update.currency) == (12345, "EUR")
    assert event.payment_update.gateway_payment_reference == (obj["payment_intent"] or "")
    assert event.is_actionable
    assert event.livemode is False
    if status == PaymentStatus.FAILED:
        assert event.payment_update.failure_message


def test_a_session_found_by_client_reference_id_alone() -> None:
    event = normalize(so.event("checkout.session.completed", session(metadata={})))
    assert event.payment_id == PAYMENT_ID


@pytest.mark.parametrize(
    ("event_type", "obj", "status", "amount"),
    [
        ("payment_intent.succeeded", intent(status="succeeded", amount_received=12345), PaymentStatus.SUCCEEDED, 12345),
        ("payment_intent.processing", intent(status="processing"), PaymentStatus.PROCESSING, 12345),
        (
            "payment_intent.payment_failed",
            intent(last_payment_error=so.card_error(message="Your card has insufficient funds.")),
            PaymentStatus.FAILED,
            12345,
        ),
        ("payment_intent.canceled", intent(status="canceled"), PaymentStatus.CANCELLED, 12345),
    ],
)
def test_payment_intent_events(event_type: str, obj: dict, status: PaymentStatus, amount: int) -> None:
    event = normalize(so.event(event_type, obj))
    assert event.payment_id == PAYMENT_ID
    assert event.gateway_reference == "pi_123"
    update = event.payment_update
    assert update is not None
    assert (update.status, update.amount, update.currency) == (status, amount, "EUR")
    assert update.gateway_payment_reference == "pi_123"
    if status == PaymentStatus.FAILED:
        assert update.failure_message == "Your card has insufficient funds."


def test_a_success_reports_the_amount_received_not_the_amount_asked() -> None:
    event = normalize(so.event("payment_intent.succeeded", intent(status="succeeded", amount_received=12000)))
    assert event.payment_update is not None and event.payment_update.amount == 12000


@pytest.mark.parametrize(
    ("event_type", "stripe_status", "status"),
    [
        ("refund.created", "succeeded", RefundStatus.SUCCEEDED),
        ("refund.created", "pending", RefundStatus.PENDING),
        ("refund.updated", "succeeded", RefundStatus.SUCCEEDED),
        ("refund.updated", "canceled", RefundStatus.CANCELLED),
        ("refund.updated", "requires_action", RefundStatus.PENDING),
        ("refund.failed", "failed", RefundStatus.FAILED),
    ],
)
def test_refund_events_made_through_us(event_type: str, stripe_status: str, status: RefundStatus) -> None:
    refund = so.refund(
        id="re_1",
        amount=500,
        currency="eur",
        payment_intent="pi_123",
        status=stripe_status,
        metadata={"trackify_refund_id": str(REFUND_ID), "trackify_payment_id": str(PAYMENT_ID)},
    )
    event = normalize(so.event(event_type, refund))
    assert event.payment_id == PAYMENT_ID
    assert event.gateway_reference == "pi_123"
    assert event.payment_update is None
    assert len(event.refund_updates) == 1
    update = event.refund_updates[0]
    assert (update.gateway_refund_id, update.status, update.amount, update.currency) == ("re_1", status, 500, "EUR")
    assert update.refund_id == REFUND_ID


def test_a_refund_made_in_the_dashboard_is_found_by_its_payment_intent() -> None:
    refund = so.refund(id="re_2", amount=700, currency="eur", payment_intent="pi_123")
    event = normalize(so.event("refund.created", refund))
    assert event.payment_id is None
    assert event.gateway_reference == "pi_123"
    assert event.refund_updates[0].refund_id is None
    assert event.is_actionable


def test_charge_refunded_lists_each_refund_by_its_own_id() -> None:
    refunds = [
        so.refund(id="re_a", amount=300, currency="eur", payment_intent="pi_123"),
        so.refund(id="re_b", amount=200, currency="eur", payment_intent="pi_123", status="pending"),
    ]
    charge = so.charge(amount=12345, amount_refunded=500, currency="eur", payment_intent="pi_123", metadata=OURS)
    charge["refunds"]["data"] = refunds
    event = normalize(so.event("charge.refunded", charge))
    assert event.payment_id == PAYMENT_ID
    assert event.gateway_reference == "pi_123"
    assert [(u.gateway_refund_id, u.amount, u.status) for u in event.refund_updates] == [
        ("re_a", 300, RefundStatus.SUCCEEDED),
        ("re_b", 200, RefundStatus.PENDING),
    ]


def test_charge_refunded_without_its_refund_list_is_incomplete() -> None:
    # API versions since 2022-11-15 leave the list out: the gateway lists the refunds at Stripe.
    charge = so.charge(amount=12345, amount_refunded=500, currency="eur", payment_intent="pi_123", metadata=OURS)
    del charge["refunds"]
    event = normalize(so.event("charge.refunded", charge))
    assert event.refund_updates == ()
    assert event.incomplete
    assert (event.payment_id, event.gateway_reference) == (PAYMENT_ID, "pi_123")


def test_charge_refunded_with_more_refunds_than_listed_is_incomplete() -> None:
    charge = so.charge(amount=12345, amount_refunded=500, currency="eur", payment_intent="pi_123", metadata=OURS)
    charge["refunds"]["data"] = [so.refund(id="re_a", amount=300, currency="eur")]
    charge["refunds"]["has_more"] = True
    assert normalize(so.event("charge.refunded", charge)).incomplete


@pytest.mark.parametrize(
    ("currency", "stripe_amount", "amount"),
    [("jpy", 5000, 5000), ("kwd", 12340, 12340), ("mga", 1234, 123400), ("isk", 500, 5)],
)
def test_event_amounts_come_back_in_iso_minor_units(currency: str, stripe_amount: int, amount: int) -> None:
    event = normalize(so.event("checkout.session.completed", session(amount_total=stripe_amount, currency=currency)))
    assert event.payment_update is not None
    assert (event.payment_update.amount, event.payment_update.currency) == (amount, currency.upper())


def test_an_amount_not_exact_in_iso_units_is_reported_so_it_is_flagged_never_applied() -> None:
    event = normalize(so.event("checkout.session.completed", session(amount_total=550, currency="isk")))
    assert event.payment_update is not None
    assert event.payment_update.currency == "XXX"  # never equal to the payment's currency


@pytest.mark.parametrize(
    "event_type", ["payment_intent.created", "charge.succeeded", "customer.created", "checkout.session.unknown"]
)
def test_other_event_types_are_kept_but_carry_no_update(event_type: str) -> None:
    event = normalize(so.event(event_type, intent()))
    assert event.event_type == event_type
    assert event.payment_update is None and event.refund_updates == ()
    assert not event.is_actionable


def test_metadata_that_is_not_our_uuid_names_no_payment() -> None:
    event = normalize(so.event("payment_intent.succeeded", intent(metadata={"trackify_payment_id": "nope"})))
    assert event.payment_id is None
    assert event.gateway_reference == "pi_123"


def test_the_handled_types_are_exactly_the_issues_list() -> None:
    assert set(HANDLED_EVENT_TYPES) == {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
        "payment_intent.succeeded",
        "payment_intent.processing",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "charge.refunded",
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
        "charge.dispute.closed",
    }
