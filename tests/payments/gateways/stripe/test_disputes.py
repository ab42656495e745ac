"""Stripe disputes at the gateway: each `charge.dispute.*` event as our `DisputeUpdate`, the fake's
disputes shaped like Stripe's own, and `list_disputes` / `dispute_dashboard_url`, over real HTTP."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.fakes import stripe_objects as so
from tests.fakes.fake_stripe import Account, FakeStripe
from tests.payments.gateways.stripe.conftest import credentials_of, session_request
from tests.payments.gateways.stripe.test_fake_stripe import assert_shaped_like, stripe_examples  # noqa: F401
from trackify.payments.gateways.errors import GatewayUnavailable
from trackify.payments.gateways.stripe import StripeGateway, events, objects
from trackify.payments.gateways.types import (
    DisputeStatus,
    DisputeUpdate,
    GatewayContext,
    PaymentLookup,
    WebhookRequest,
)

DISPUTE_EVENTS = (
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
    "charge.dispute.closed",
)


@pytest.fixture
def paid_intent(gateway: StripeGateway, stripe_account: Account) -> str:
    """A Checkout payment of 123.45 EUR, paid; its events taken."""
    session_id = gateway.create_payment_session(session_request()).gateway_reference
    stripe_account.pay_checkout(session_id)
    stripe_account.take_events()
    return str(stripe_account.sessions[session_id]["payment_intent"])


def lifecycle(account: Account, intent_id: str, outcome: str) -> list[dict[str, Any]]:
    """A chargeback opened, answered, and closed as `outcome`: every event Stripe sends for it."""
    opened = account.open_dispute(intent_id)
    dispute_id = opened[0]["data"]["object"]["id"]
    return opened + account.submit_dispute_evidence(dispute_id) + account.close_dispute(dispute_id, outcome)


def update_of(event: dict[str, Any]) -> DisputeUpdate:
    normalized = events.normalize(event)
    assert normalized.is_actionable
    [update] = normalized.dispute_updates
    return update


def test_the_dispute_events_are_handled_and_listed_for_the_webhook_endpoint() -> None:
    assert set(DISPUTE_EVENTS) <= set(events.HANDLED_EVENT_TYPES)


def test_each_event_of_a_won_chargeback_reports_the_dispute_and_the_money_moved_so_far(
    stripe_account: Account, paid_intent: str
) -> None:
    sent = lifecycle(stripe_account, paid_intent, "won")
    assert [e["type"] for e in sent] == [
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "charge.dispute.funds_reinstated",
    ]
    reports = [(u.status, u.withdrawn, u.reinstated, u.is_inquiry) for u in map(update_of, sent)]
    assert reports == [
        (DisputeStatus.NEEDS_RESPONSE, 0, 0, False),
        (DisputeStatus.NEEDS_RESPONSE, 12345, 0, False),
        (DisputeStatus.UNDER_REVIEW, 12345, 0, False),
        (DisputeStatus.WON, 12345, 0, False),
        (DisputeStatus.WON, 12345, 12345, False),
    ]
    dispute = stripe_account.disputes[sent[0]["data"]["object"]["id"]]
    first = update_of(sent[0])
    assert (first.gateway_dispute_id, first.amount, first.currency, first.reason) == (
        dispute["id"], 12345, "EUR", "fraudulent",
    )  # fmt: skip
    assert first.evidence_due_by == datetime.fromtimestamp(dispute["evidence_details"]["due_by"], tz=UTC)
    for event in sent:  # every event names the PaymentIntent: nothing to complete, the ledger matches it
        normalized = events.normalize(event)
        assert (normalized.gateway_reference, normalized.incomplete) == (paid_intent, False)


def test_a_lost_chargeback_leaves_the_money_withdrawn(stripe_account: Account, paid_intent: str) -> None:
    closed = lifecycle(stripe_account, paid_intent, "lost")[-1]
    assert closed["type"] == "charge.dispute.closed"
    update = update_of(closed)
    assert (update.status, update.withdrawn, update.reinstated) == (DisputeStatus.LOST, 12345, 0)


def test_an_inquiry_moves_no_money_and_closes_as_won(stripe_account: Account, paid_intent: str) -> None:
    opened = stripe_account.open_dispute(paid_intent, inquiry=True)
    assert [e["type"] for e in opened] == ["charge.dispute.created"]
    dispute_id = opened[0]["data"]["object"]["id"]
    reviewed = stripe_account.submit_dispute_evidence(dispute_id)
    closed = stripe_account.close_dispute(dispute_id, "won")
    assert [e["type"] for e in closed] == ["charge.dispute.closed"]
    reports = [(u.status, u.is_inquiry, u.withdrawn) for u in map(update_of, opened + reviewed + closed)]
    assert reports == [
        (DisputeStatus.INQUIRY, True, 0),
        (DisputeStatus.UNDER_REVIEW, True, 0),
        (DisputeStatus.WON, True, 0),
    ]


@pytest.mark.parametrize(
    ("stripe_status", "status", "is_inquiry"),
    [
        ("warning_needs_response", DisputeStatus.INQUIRY, True),
        ("warning_under_review", DisputeStatus.UNDER_REVIEW, True),
        ("warning_closed", DisputeStatus.WON, True),
        ("needs_response", DisputeStatus.NEEDS_RESPONSE, False),
        ("under_review", DisputeStatus.UNDER_REVIEW, False),
        ("won", DisputeStatus.WON, False),
        ("lost", DisputeStatus.LOST, False),
    ],
)
def test_every_stripe_dispute_status_maps_to_ours(stripe_status: str, status: DisputeStatus, is_inquiry: bool) -> None:
    dispute = so.dispute(amount=5000, currency="eur", charge="ch_1", payment_intent="pi_1", status=stripe_status)
    update = update_of(so.event("charge.dispute.updated", dispute))
    assert (update.status, update.is_inquiry) == (status, is_inquiry)


def test_an_unknown_dispute_status_reports_nothing() -> None:
    dispute = so.dispute(amount=5000, currency="eur", charge="ch_1", payment_intent="pi_1", status="prevented")
    assert events.normalize(so.event("charge.dispute.updated", dispute)).dispute_updates == ()


def test_stripes_own_example_dispute_is_an_inquiry_about_its_charge(stripe_examples) -> None:  # noqa: F811
    example = copy.deepcopy(stripe_examples["dispute"])
    normalized = events.normalize(so.event("charge.dispute.created", example))
    [update] = normalized.dispute_updates
    assert update == DisputeUpdate(
        gateway_dispute_id=example["id"],
        status=DisputeStatus.INQUIRY,
        amount=1000,
        currency="USD",
        reason="general",
        evidence_due_by=datetime.fromtimestamp(example["evidence_details"]["due_by"], tz=UTC),
        is_inquiry=True,
    )
    # It names no PaymentIntent: its charge's is read first (`complete_event`), never linked as a ch_.
    assert (normalized.gateway_reference, normalized.incomplete) == (example["charge"], True)


def test_the_fakes_disputes_and_balance_transactions_have_stripes_fields(
    stripe_examples, stripe_account: Account, paid_intent: str, fake_stripe: FakeStripe  # noqa: F811
) -> None:
    sent = lifecycle(stripe_account, paid_intent, "won")
    for event in sent:
        assert_shaped_like(event, stripe_examples["event"], "event")
        assert_shaped_like(event["data"]["object"], stripe_examples["dispute"], "dispute")
    withdrawal, reinstatement = sent[-1]["data"]["object"]["balance_transactions"]
    for transaction in (withdrawal, reinstatement):
        assert transaction["object"] == "balance_transaction"
        assert_shaped_like(transaction, stripe_examples["balance_transaction"], "balance_transaction")
    assert (withdrawal["amount"], withdrawal["fee"], withdrawal["net"]) == (-12345, 1500, -13845)
    assert (reinstatement["amount"], reinstatement["fee"], reinstatement["net"]) == (12345, -1500, 13845)


def test_stripes_dispute_fee_is_not_counted_as_money_the_payer_took_back() -> None:
    dispute = so.dispute(amount=5000, currency="eur", charge="ch_1", payment_intent="pi_1", status="lost")
    dispute["balance_transactions"] = [so.balance_transaction(amount=-5000, fee=1500, currency="eur")]
    update = update_of(so.event("charge.dispute.closed", dispute))
    assert (update.withdrawn, update.reinstated) == (5000, 0)


def test_a_balance_transaction_in_the_settlement_currency_counts_as_the_disputed_amount(
    stripe_account: Account, paid_intent: str
) -> None:
    stripe_account.settlement = ("usd", 1.0834)  # a EUR charge on an account that settles in USD
    sent = lifecycle(stripe_account, paid_intent, "won")
    withdrawal = sent[-1]["data"]["object"]["balance_transactions"][0]
    assert (withdrawal["currency"], withdrawal["amount"]) == ("usd", -13375)
    update = update_of(sent[-1])
    assert (update.currency, update.withdrawn, update.reinstated) == ("EUR", 12345, 12345)


@pytest.mark.parametrize(
    ("currency", "stripe_amount", "iso_amount"),
    [("jpy", 5000, 5000), ("mga", 1234, 123400), ("kwd", 12340, 12340), ("isk", 500, 5)],
)
def test_dispute_amounts_are_converted_to_iso_minor_units(currency: str, stripe_amount: int, iso_amount: int) -> None:
    dispute = so.dispute(amount=stripe_amount, currency=currency, charge="ch_1", payment_intent="pi_1", status="lost")
    dispute["balance_transactions"] = [so.balance_transaction(amount=-stripe_amount, currency=currency)]
    update = update_of(so.event("charge.dispute.closed", dispute))
    assert (update.amount, update.currency, update.withdrawn) == (iso_amount, currency.upper(), iso_amount)


def test_a_dispute_amount_not_exact_in_iso_units_is_reported_in_no_currency() -> None:
    dispute = so.dispute(amount=1234, currency="isk", charge="ch_1", payment_intent="pi_1")  # 12.34 ISK
    assert update_of(so.event("charge.dispute.created", dispute)).currency == objects.NO_CURRENCY


def test_a_dispute_naming_only_its_charge_is_completed_with_the_charges_payment_intent(
    gateway: StripeGateway, stripe_account: Account, paid_intent: str, fake_stripe: FakeStripe
) -> None:
    [created, _withdrawn] = stripe_account.open_dispute(paid_intent)
    created["data"]["object"]["payment_intent"] = None  # as for an older API version
    event = gateway.normalize_event(created)
    assert event.incomplete and event.gateway_reference.startswith("ch_")
    completed = gateway.complete_event(event)
    assert (completed.gateway_reference, completed.incomplete) == (paid_intent, False)
    [charge] = stripe_account.charges.values()
    assert len(fake_stripe.requests_to("GET", f"/v1/charges/{charge['id']}")) == 1


def test_the_webhook_reference_hint_of_a_dispute_event_is_its_payment_intent(
    stripe_account: Account, paid_intent: str
) -> None:
    [created, _] = stripe_account.open_dispute(paid_intent)
    delivery = FakeStripe.delivery(created, stripe_account.webhook_secret)
    request = WebhookRequest(body=delivery.body, headers={k.lower(): v for k, v in delivery.headers.items()})
    assert StripeGateway.webhook_reference_hint(request) == paid_intent


def test_list_disputes_follows_stripes_pages_and_filters_by_payment_intent(
    gateway: StripeGateway, stripe_account: Account, paid_intent: str, fake_stripe: FakeStripe
) -> None:
    for _ in range(101):
        stripe_account.open_dispute(paid_intent, amount=100)
    other = gateway.create_payment_session(session_request()).gateway_reference
    stripe_account.pay_checkout(other)
    stripe_account.open_dispute(stripe_account.sessions[other]["payment_intent"])
    lookup = PaymentLookup(
        payment_id=uuid.uuid4(), gateway_reference="cs_x", amount=12345, currency="EUR",
        gateway_payment_reference=paid_intent,
    )  # fmt: skip
    found = gateway.list_disputes(lookup)
    assert len(found) == 101 and {u.amount for u in found} == {100}
    calls = fake_stripe.requests_to("GET", "/v1/disputes")
    assert [c.params.get("payment_intent") for c in calls] == [paid_intent, paid_intent]
    assert calls[0].params["limit"] == "100" and calls[1].params["starting_after"]


def test_list_disputes_of_a_checkout_payment_reads_its_payment_intent(
    gateway: StripeGateway, stripe_account: Account
) -> None:
    session_id = gateway.create_payment_session(session_request()).gateway_reference
    lookup = PaymentLookup(payment_id=uuid.uuid4(), gateway_reference=session_id, amount=12345, currency="EUR")
    assert gateway.list_disputes(lookup) == ()  # not paid: no PaymentIntent, no dispute, no list call
    stripe_account.pay_checkout(session_id)
    stripe_account.open_dispute(stripe_account.sessions[session_id]["payment_intent"], inquiry=True)
    [update] = gateway.list_disputes(lookup)
    assert (update.status, update.is_inquiry) == (DisputeStatus.INQUIRY, True)


def test_list_disputes_raises_our_error_when_stripe_is_down(
    gateway: StripeGateway, paid_intent: str, fake_stripe: FakeStripe
) -> None:
    fake_stripe.fail_next(10, path="/v1/disputes")
    lookup = PaymentLookup(uuid.uuid4(), "cs_x", 12345, "EUR", gateway_payment_reference=paid_intent)
    with pytest.raises(GatewayUnavailable):
        gateway.list_disputes(lookup)


@pytest.mark.parametrize(("test_mode", "url"), [
    (True, "https://dashboard.stripe.com/test/disputes/dp_123"),
    (False, "https://dashboard.stripe.com/disputes/dp_123"),
])  # fmt: skip
def test_the_dashboard_url_of_a_dispute(stripe_account: Account, test_mode: bool, url: str) -> None:
    gateway = StripeGateway(
        GatewayContext(config_id=uuid.uuid4(), credentials=credentials_of(stripe_account), test_mode=test_mode)
    )
    assert StripeGateway.capabilities.disputes
    assert gateway.dispute_dashboard_url("dp_123") == url
