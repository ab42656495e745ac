"""Stripe disputes through our webhook endpoint: the invoice's amount paid follows the money Stripe
moves, in any order of events and with duplicates; unmatched disputes are resolved through Stripe
or deferred, never dropped."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import post_json
from tests.fakes import stripe_objects as so
from tests.fakes.fake_stripe import Account, FakeStripe
from tests.payments.api.conftest import assert_error
from tests.payments.gateways.stripe.stripe_api import deliver, only, opened, payment, post_delivery, reference_of
from trackify.payments.models import PaymentDispute, PaymentDisputeChange, PaymentWebhookEvent
from trackify.payments.services.catch_up import webhook_events_reprocess

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(anon, invoice, stripe_config, stripe_account: Account) -> str:
    """A Checkout payment of the whole invoice (100.00 EUR), its events delivered."""
    payment_id = opened(anon, invoice)["payment_id"]
    deliver(stripe_account, stripe_account.pay_checkout(reference_of(payment_id)), stripe_config["id"])
    assert payment(payment_id).invoice.status == "paid"
    return str(payment_id)


def intent_of(payment_id: str) -> str:
    return payment(payment_id).gateway_payment_reference


def dispute_id_of(events: list[dict[str, Any]]) -> str:
    return str(events[0]["data"]["object"]["id"])


def books(payment_id: str) -> tuple[Any, ...]:
    """What our books say: the dispute, the payment's disputed amount, the invoice."""
    done = payment(payment_id)
    [dispute] = PaymentDispute.objects.filter(payment=done)
    return (
        dispute.status, dispute.is_inquiry, dispute.withdrawn_amount, dispute.reinstated_amount,
        done.status, done.disputed_amount, done.invoice.status, done.invoice.amount_paid,
    )  # fmt: skip


def test_a_chargeback_takes_the_money_back_and_a_won_dispute_restores_it(
    paid, stripe_config, stripe_account: Account
) -> None:
    opened_events = stripe_account.open_dispute(intent_of(paid), amount=4000)
    deliver(stripe_account, only(opened_events, "charge.dispute.created"), stripe_config["id"])
    assert books(paid) == ("needs_response", False, 0, 0, "succeeded", 0, "paid", 10000)

    deliver(stripe_account, only(opened_events, "charge.dispute.funds_withdrawn"), stripe_config["id"])
    assert books(paid) == ("needs_response", False, 4000, 0, "succeeded", 4000, "partially_paid", 6000)
    assert payment(paid).invoice.amount_due == 4000
    [dispute] = PaymentDispute.objects.filter(payment_id=paid)
    assert dispute.evidence_due_by is not None and dispute.reason == "fraudulent"

    dispute_id = dispute_id_of(opened_events)
    deliver(stripe_account, stripe_account.submit_dispute_evidence(dispute_id), stripe_config["id"])
    assert books(paid)[0] == "under_review"
    deliver(stripe_account, stripe_account.close_dispute(dispute_id, "won"), stripe_config["id"])
    assert books(paid) == ("won", False, 4000, 4000, "succeeded", 0, "paid", 10000)
    changes = PaymentDisputeChange.objects.filter(dispute__payment_id=paid, applied=True)
    assert all(change.webhook_event_id for change in changes)


def test_a_whole_chargeback_opens_the_invoice_again_and_a_lost_one_keeps_it_so(
    paid, stripe_config, stripe_account: Account
) -> None:
    opened_events = stripe_account.open_dispute(intent_of(paid))
    deliver(stripe_account, opened_events, stripe_config["id"])
    assert books(paid) == ("needs_response", False, 10000, 0, "succeeded", 10000, "open", 0)
    deliver(stripe_account, stripe_account.close_dispute(dispute_id_of(opened_events), "lost"), stripe_config["id"])
    assert books(paid) == ("lost", False, 10000, 0, "succeeded", 10000, "open", 0)


def test_an_inquiry_closed_without_a_chargeback_leaves_the_invoice_paid(
    paid, stripe_config, stripe_account: Account
) -> None:
    opened_events = stripe_account.open_dispute(intent_of(paid), inquiry=True)
    deliver(stripe_account, opened_events, stripe_config["id"])
    assert books(paid) == ("inquiry", True, 0, 0, "succeeded", 0, "paid", 10000)
    deliver(stripe_account, stripe_account.close_dispute(dispute_id_of(opened_events), "won"), stripe_config["id"])
    assert books(paid) == ("won", True, 0, 0, "succeeded", 0, "paid", 10000)


def test_an_inquiry_escalated_to_a_chargeback_takes_the_money_with_the_new_dispute(
    api, paid, stripe_config, stripe_account: Account
) -> None:
    inquiry = stripe_account.open_dispute(intent_of(paid), inquiry=True, amount=6000)
    escalated = stripe_account.escalate_inquiry(dispute_id_of(inquiry))
    assert [e["type"] for e in escalated] == [
        "charge.dispute.closed", "charge.dispute.created", "charge.dispute.funds_withdrawn",
    ]  # fmt: skip
    deliver(stripe_account, list(reversed(inquiry + escalated)), stripe_config["id"])
    disputes = PaymentDispute.objects.filter(payment_id=paid).order_by("is_inquiry")
    assert [(d.status, d.is_inquiry, d.withdrawn_amount) for d in disputes] == [
        ("needs_response", False, 6000), ("won", True, 0),
    ]  # fmt: skip
    done = payment(paid)
    assert (done.disputed_amount, done.invoice.status, done.invoice.amount_paid) == (6000, "partially_paid", 4000)
    assert_error(post_json(api, f"/payment/{paid}/refund/", {"amount": "1.00"}), 409, "payment_disputed")


def test_closed_lost_before_created_ends_as_the_right_order_does(
    paid, stripe_config, stripe_account: Account
) -> None:
    opened_events = stripe_account.open_dispute(intent_of(paid), amount=2500)
    closing = stripe_account.close_dispute(dispute_id_of(opened_events), "lost")
    answers = deliver(stripe_account, closing + list(reversed(opened_events)), stripe_config["id"])
    assert [a["status"] for a in answers] == ["processed"] * 3
    assert books(paid) == ("lost", False, 2500, 0, "succeeded", 2500, "partially_paid", 7500)


@pytest.mark.parametrize("seed", range(4))
def test_every_order_of_a_won_chargebacks_events_with_duplicates_ends_the_same(
    paid, stripe_config, stripe_account: Account, seed: int
) -> None:
    opened_events = stripe_account.open_dispute(intent_of(paid), amount=3000)
    dispute_id = dispute_id_of(opened_events)
    sent = opened_events + stripe_account.submit_dispute_evidence(dispute_id)
    sent += stripe_account.close_dispute(dispute_id, "won")
    shuffled = sent * 2
    random.Random(seed).shuffle(shuffled)
    answers = deliver(stripe_account, shuffled, stripe_config["id"])
    assert sorted(a["status"] for a in answers) == ["duplicate"] * len(sent) + ["processed"] * len(sent)
    assert books(paid) == ("won", False, 3000, 3000, "succeeded", 0, "paid", 10000)


def test_a_repeated_withdrawal_counts_once(paid, stripe_config, stripe_account: Account) -> None:
    withdrawn = only(stripe_account.open_dispute(intent_of(paid), amount=1000), "charge.dispute.funds_withdrawn")
    answers = deliver(stripe_account, withdrawn * 3, stripe_config["id"])
    assert [a["status"] for a in answers] == ["processed", "duplicate", "duplicate"]
    assert books(paid)[2::3] == (1000, 1000)  # withdrawn; the payment's disputed amount
    assert payment(paid).invoice.amount_paid == 9000


def test_zero_decimal_amounts_are_withdrawn_exactly(
    anon, make_invoice, stripe_config, stripe_account: Account, fake_stripe: FakeStripe
) -> None:
    invoice = make_invoice(currency="JPY", total="12000")
    payment_id = opened(anon, invoice)["payment_id"]
    deliver(stripe_account, stripe_account.pay_checkout(reference_of(payment_id)), stripe_config["id"])
    [session_call] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert session_call.params["line_items"][0]["price_data"]["unit_amount"] == "12000"
    deliver(stripe_account, stripe_account.open_dispute(intent_of(payment_id), amount=5000), stripe_config["id"])
    assert books(payment_id) == ("needs_response", False, 5000, 0, "succeeded", 5000, "partially_paid", 7000)
    [dispute] = PaymentDispute.objects.filter(payment_id=payment_id)
    assert (dispute.amount, dispute.currency) == (5000, "JPY")


def test_a_refund_of_a_disputed_payment_is_refused(api, paid, stripe_config, stripe_account, fake_stripe) -> None:
    deliver(stripe_account, stripe_account.open_dispute(intent_of(paid), inquiry=True), stripe_config["id"])
    response = post_json(api, f"/payment/{paid}/refund/", {"amount": "10.00"})
    assert_error(response, 409, "payment_disputed")
    assert fake_stripe.requests_to("POST", "/v1/refunds") == []


def test_the_shared_url_takes_a_dispute_by_its_payment_intent(paid, stripe_account: Account) -> None:
    deliver(stripe_account, stripe_account.open_dispute(intent_of(paid), amount=1500))  # no config id
    assert books(paid)[2] == 1500


# -- disputes of payments whose PaymentIntent is not linked yet -------------------------------------


@pytest.fixture
def paid_unlinked(anon, invoice, stripe_config, stripe_account: Account) -> tuple[str, list[dict[str, Any]]]:
    """A Checkout payment paid at Stripe whose events have not arrived: we know only its cs_."""
    payment_id = opened(anon, invoice)["payment_id"]
    events = stripe_account.pay_checkout(reference_of(payment_id))
    assert payment(payment_id).gateway_payment_reference == ""
    return str(payment_id), events


def test_a_dispute_before_the_payments_own_events_is_resolved_through_the_payment_intent(
    paid_unlinked, stripe_config, stripe_account: Account, fake_stripe: FakeStripe
) -> None:
    payment_id, payment_events = paid_unlinked
    intent_id = stripe_account.sessions[reference_of(payment_id)]["payment_intent"]
    deliver(stripe_account, stripe_account.open_dispute(intent_id, amount=2000), stripe_config["id"])
    assert payment(payment_id).gateway_payment_reference == intent_id  # linked: later events match
    assert fake_stripe.requests_to("GET", f"/v1/payment_intents/{intent_id}")
    deliver(stripe_account, payment_events, stripe_config["id"])
    assert books(payment_id) == ("needs_response", False, 2000, 0, "succeeded", 2000, "partially_paid", 8000)


def test_a_dispute_naming_only_its_charge_links_the_charges_payment_intent_never_the_charge(
    paid_unlinked, stripe_config, stripe_account: Account, fake_stripe: FakeStripe
) -> None:
    payment_id, payment_events = paid_unlinked
    intent_id = stripe_account.sessions[reference_of(payment_id)]["payment_intent"]
    dispute_events = stripe_account.open_dispute(intent_id, amount=2000)
    for event in dispute_events:
        event["data"]["object"]["payment_intent"] = None
    deliver(stripe_account, dispute_events, stripe_config["id"])
    assert payment(payment_id).gateway_payment_reference == intent_id
    assert len(fake_stripe.requests_to("GET", "/v1/charges/")) == 2  # each event reads the charge
    deliver(stripe_account, payment_events, stripe_config["id"])
    assert books(payment_id)[2] == 2000 and payment(payment_id).invoice.amount_paid == 8000


def test_a_dispute_stripe_cannot_resolve_now_is_deferred_then_reprocessed(
    paid_unlinked, stripe_config, stripe_account: Account, fake_stripe: FakeStripe
) -> None:
    payment_id, payment_events = paid_unlinked
    intent_id = stripe_account.sessions[reference_of(payment_id)]["payment_intent"]
    withdrawn = only(stripe_account.open_dispute(intent_id, amount=2000), "charge.dispute.funds_withdrawn")
    fake_stripe.fail_next(10, path="/v1/payment_intents")
    [answer] = deliver(stripe_account, withdrawn, stripe_config["id"])
    assert answer["status"] == "deferred"
    row = PaymentWebhookEvent.objects.get(gateway_event_id=withdrawn[0]["id"])
    assert (row.status, row.payment_id) == ("deferred", None)
    assert not PaymentDispute.objects.exists()

    fake_stripe.faults.clear()  # Stripe is back
    PaymentWebhookEvent.objects.filter(pk=row.pk).update(received_at=row.received_at - timedelta(minutes=5))
    summary = webhook_events_reprocess()
    assert summary.outcomes["processed"] == 1
    row.refresh_from_db()
    assert (row.status, str(row.payment_id)) == ("processed", payment_id)
    deliver(stripe_account, payment_events, stripe_config["id"])
    assert books(payment_id)[2] == 2000 and payment(payment_id).invoice.amount_paid == 8000


def test_a_charge_only_dispute_stripe_cannot_complete_now_is_kept_and_reprocessed(
    paid_unlinked, stripe_config, stripe_account: Account, fake_stripe: FakeStripe
) -> None:
    payment_id, payment_events = paid_unlinked
    intent_id = stripe_account.sessions[reference_of(payment_id)]["payment_intent"]
    [withdrawn] = only(stripe_account.open_dispute(intent_id, amount=2000), "charge.dispute.funds_withdrawn")
    withdrawn["data"]["object"]["payment_intent"] = None
    fake_stripe.fail_next(10, path="/v1/charges")
    response = post_delivery(FakeStripe.delivery(withdrawn, stripe_account.webhook_secret), stripe_config["id"])
    assert response.status_code == 500  # Stripe delivers it again; the stored event is reprocessed meanwhile
    row = PaymentWebhookEvent.objects.get(gateway_event_id=withdrawn["id"])
    assert (row.status, payment(payment_id).gateway_payment_reference) == ("failed", "")

    fake_stripe.faults.clear()
    PaymentWebhookEvent.objects.filter(pk=row.pk).update(received_at=row.received_at - timedelta(minutes=5))
    assert webhook_events_reprocess().outcomes["processed"] == 1
    assert payment(payment_id).gateway_payment_reference == intent_id
    deliver(stripe_account, payment_events, stripe_config["id"])
    assert books(payment_id)[2] == 2000 and payment(payment_id).invoice.amount_paid == 8000


def test_a_dispute_of_a_charge_that_is_not_ours_is_ignored(paid, stripe_config, stripe_account: Account) -> None:
    [created, _] = stripe_account.open_dispute(intent_of(paid))
    elsewhere = so.payment_intent(amount=10000, currency="eur", status="succeeded")  # no metadata of ours
    stripe_account.intents[elsewhere["id"]] = elsewhere
    created["data"]["object"]["payment_intent"] = elsewhere["id"]
    response = post_delivery(FakeStripe.delivery(created, stripe_account.webhook_secret), stripe_config["id"])
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert not PaymentDispute.objects.exists()
