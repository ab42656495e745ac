"""Stripe webhooks over HTTP: verified with the right config's secret, stored once, applied once,
whatever the order, repetition or delay; two users with two Stripe accounts never mix."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest
from django.test import Client

from tests.conftest import client_for
from tests.fakes import stripe_objects as so
from tests.fakes.fake_stripe import Account, FakeStripe
from tests.payments.api.conftest import assert_error
from tests.payments.gateways.stripe.stripe_api import (
    create_stripe_config,
    deliver,
    only,
    opened,
    outcomes_of,
    payment,
    post_delivery,
    reference_of,
)
from trackify.payments.models import InvoicePayment, PaymentStatusChange, PaymentWebhookEvent
from trackify.payments.services.ledger import Outcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_events(anon, invoice, stripe_config, stripe_account: Account) -> tuple[str, list[dict[str, Any]]]:
    """A Checkout payment made at Stripe whose events have not been delivered yet."""
    session = opened(anon, invoice)
    return session["payment_id"], stripe_account.pay_checkout(reference_of(session["payment_id"]))


def completed(events: list[dict[str, Any]]) -> dict[str, Any]:
    return only(events, "checkout.session.completed")[0]


# -- repetition, order, delay ---------------------------------------------------------------------


def test_a_duplicate_delivery_is_answered_200_and_changes_nothing(paid_events, stripe_config, stripe_account):
    payment_id, events = paid_events
    event = completed(events)
    first, second = deliver(stripe_account, [event, event], stripe_config["id"])
    assert first["status"] == "processed"
    assert second["status"] == "duplicate"
    assert PaymentWebhookEvent.objects.filter(gateway_event_id=event["id"]).count() == 1
    paid = payment(payment_id)
    assert (paid.status, paid.invoice.amount_paid) == ("succeeded", 10000)
    assert PaymentStatusChange.objects.filter(payment=paid, applied=True).count() == 1


def test_every_event_of_a_payment_delivered_twice_in_reverse_order_counts_once(
    paid_events, stripe_config, stripe_account
) -> None:
    payment_id, events = paid_events
    reordered = list(reversed(events)) * 2
    deliver(stripe_account, reordered, stripe_config["id"])
    paid = payment(payment_id)
    assert (paid.status, paid.invoice.status, paid.invoice.amount_paid) == ("succeeded", "paid", 10000)


def test_a_late_processing_event_after_success_is_recorded_not_applied(anon, invoice, stripe_config, stripe_account):
    session = opened(anon, invoice)
    reference = reference_of(session["payment_id"])
    processing = stripe_account.pay_checkout(reference, "processing")
    settled = stripe_account.settle_checkout(reference)
    deliver(stripe_account, settled, stripe_config["id"])
    [answer, *_] = deliver(stripe_account, only(processing, "payment_intent.processing"), stripe_config["id"])
    assert outcomes_of(answer) == [Outcome.NOT_APPLIED]
    assert payment(session["payment_id"]).status == "succeeded"
    refused = PaymentStatusChange.objects.get(payment_id=session["payment_id"], applied=False)
    assert (refused.from_status, refused.to_status) == ("succeeded", "processing")


def test_an_expiry_arriving_after_the_payment_changes_nothing(paid_events, stripe_config, stripe_account) -> None:
    payment_id, events = paid_events
    deliver(stripe_account, events, stripe_config["id"])
    session = copy.deepcopy(completed(events)["data"]["object"])
    session.update(status="expired")
    [answer] = deliver(stripe_account, [so.event("checkout.session.expired", session)], stripe_config["id"])
    assert outcomes_of(answer) == [Outcome.NOT_APPLIED]
    assert payment(payment_id).status == "succeeded"


def test_an_event_redelivered_days_later_is_accepted_once(paid_events, stripe_config, stripe_account) -> None:
    # Stripe retries for up to three days; each retry is signed anew, the event keeps its `created`.
    payment_id, events = paid_events
    event = completed(events)
    event["created"] = int(time.time()) - 2 * 86400
    [first] = deliver(stripe_account, [event], stripe_config["id"])
    [again] = deliver(stripe_account, [event], stripe_config["id"], timestamp=int(time.time()) - 200)
    assert (first["status"], again["status"]) == ("processed", "duplicate")
    assert payment(payment_id).status == "succeeded"


# -- verification ------------------------------------------------------------------------------


def test_a_tampered_body_is_refused_and_nothing_is_stored(paid_events, stripe_config, stripe_account) -> None:
    _, events = paid_events
    delivery = FakeStripe.delivery(completed(events), stripe_account.webhook_secret).tampered()
    assert_error(post_delivery(delivery, stripe_config["id"]), 400, "webhook_invalid")
    assert not PaymentWebhookEvent.objects.exists()


def test_a_wrong_secret_is_refused(paid_events, stripe_config, stripe_account) -> None:
    payment_id, events = paid_events
    delivery = FakeStripe.delivery(completed(events), "whsec_" + "x" * 32)
    assert_error(post_delivery(delivery, stripe_config["id"]), 400, "webhook_invalid")
    assert_error(post_delivery(delivery), 400, "webhook_invalid")
    assert payment(payment_id).status == "pending"


def test_a_stale_timestamp_is_refused(paid_events, stripe_config, stripe_account) -> None:
    _, events = paid_events
    delivery = FakeStripe.delivery(completed(events), stripe_account.webhook_secret, timestamp=int(time.time()) - 600)
    error = assert_error(post_delivery(delivery, stripe_config["id"]), 400, "webhook_invalid")
    assert "tolerance" in error["message"]
    assert not PaymentWebhookEvent.objects.exists()


def test_a_missing_signature_is_refused(paid_events, stripe_config) -> None:
    _, events = paid_events
    url = f"/payment/webhook/stripe/{stripe_config['id']}/"
    response = Client().post(url, data=json.dumps(completed(events)), content_type="application/json")
    assert_error(response, 400, "webhook_invalid")


def test_an_unknown_config_url_answers_404(paid_events, stripe_account) -> None:
    _, events = paid_events
    delivery = FakeStripe.delivery(completed(events), stripe_account.webhook_secret)
    assert_error(post_delivery(delivery, "00000000-0000-0000-0000-000000000000"), 404)


# -- amounts and currencies that do not match ---------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("amount_total", 9999), ("currency", "usd")])
def test_a_mismatched_amount_or_currency_is_stored_flagged_and_never_applied(
    anon, invoice, stripe_config, stripe_account, field, value
) -> None:
    session = opened(anon, invoice)
    event = completed(stripe_account.pay_checkout(reference_of(session["payment_id"])))
    event["data"]["object"][field] = value  # Stripe says so, signed: e.g. a session edited in the dashboard
    [answer] = deliver(stripe_account, [event], stripe_config["id"])
    assert outcomes_of(answer) == [Outcome.NOT_APPLIED]
    stored = PaymentWebhookEvent.objects.get(gateway_event_id=event["id"])
    assert stored.payload["data"]["object"][field] == value
    flagged = payment(session["payment_id"])
    assert flagged.status == "pending"
    assert flagged.attention_reason
    assert flagged.invoice.status == "open"
    status = anon.get(f"/payment/status/{session['payment_id']}/", {"token": invoice.public_token}).json()
    assert status["needs_attention"] is True


# -- two users, two Stripe accounts, two webhook URLs each -------------------------------------------


def test_two_users_with_two_stripe_accounts_on_both_webhook_urls(
    anon, make_user, make_invoice, fake_stripe: FakeStripe
) -> None:
    users = [make_user("alice"), make_user("bob")]
    accounts = [fake_stripe.add_account(), fake_stripe.add_account()]
    configs = [create_stripe_config(client_for(u), a, is_default=True) for u, a in zip(users, accounts, strict=True)]
    invoices = [make_invoice(owner=u, total="40.00") for u in users]
    payments = [opened(anon, inv)["payment_id"] for inv in invoices]
    events = [a.pay_checkout(reference_of(p)) for a, p in zip(accounts, payments, strict=True)]
    alice_events, bob_events = (only(e, "checkout.session.completed", "payment_intent.succeeded") for e in events)

    # Each account's event on the other's config URL fails that config's signature check.
    for delivery, config in [
        (FakeStripe.delivery(alice_events[0], accounts[0].webhook_secret), configs[1]),
        (FakeStripe.delivery(bob_events[0], accounts[1].webhook_secret), configs[0]),
    ]:
        assert_error(post_delivery(delivery, config["id"]), 400, "webhook_invalid")

    # Alice's events on her config URL, Bob's on the shared URL: each finds the right config.
    deliver(accounts[0], alice_events[:1], configs[0]["id"])
    deliver(accounts[1], bob_events[:1])
    # And the other way round for the rest.
    deliver(accounts[0], alice_events[1:])
    deliver(accounts[1], bob_events[1:], configs[1]["id"])

    for payment_id, config in zip(payments, configs, strict=True):
        paid = payment(payment_id)
        assert (paid.status, paid.invoice.status) == ("succeeded", "paid")
        assert str(paid.config_id) == config["id"]
        stored = PaymentWebhookEvent.objects.filter(payment=paid).values_list("config_id", flat=True)
        assert set(stored) == {paid.config_id}


def test_an_event_signed_by_one_account_naming_anothers_payment_is_refused(
    anon, make_user, make_invoice, fake_stripe: FakeStripe
) -> None:
    users = [make_user("alice"), make_user("bob")]
    accounts = [fake_stripe.add_account(), fake_stripe.add_account()]
    for user, account in zip(users, accounts, strict=True):
        create_stripe_config(client_for(user), account, is_default=True)
    bob_payment = opened(anon, make_invoice(owner=users[1]))["payment_id"]
    # Alice (or whoever holds her signing secret) forges a success for Bob's payment.
    forged = completed(accounts[1].pay_checkout(reference_of(bob_payment)))
    response = post_delivery(FakeStripe.delivery(forged, accounts[0].webhook_secret))
    assert_error(response, 400, "webhook_invalid")  # the shared URL verified with Bob's secret only
    assert payment(bob_payment).status == "pending"


def test_the_shared_url_takes_a_dashboard_refund_by_its_payment_intent(paid_events, stripe_config, stripe_account):
    payment_id, events = paid_events
    deliver(stripe_account, events, stripe_config["id"])
    # A refund made in Stripe's dashboard carries no metadata of ours, but names the PaymentIntent.
    refund_events = stripe_account.dashboard_refund(payment(payment_id).gateway_payment_reference, 1000)
    deliver(stripe_account, only(refund_events, "refund.created"))
    assert payment(payment_id).refunded_amount == 1000
    assert InvoicePayment.objects.count() == 1


def test_the_shared_url_refuses_an_event_that_names_no_payment_of_ours(paid_events, stripe_config, stripe_account):
    payment_id, events = paid_events
    deliver(stripe_account, events, stripe_config["id"])
    refund_event = only(stripe_account.dashboard_refund(payment(payment_id).gateway_payment_reference, 1000),
                        "refund.created")[0]
    refund_event["data"]["object"]["payment_intent"] = "pi_not_ours_0000"
    delivery = FakeStripe.delivery(refund_event, stripe_account.webhook_secret)
    assert_error(post_delivery(delivery), 400, "webhook_invalid")
    del refund_event["data"]["object"]["payment_intent"]
    delivery = FakeStripe.delivery(refund_event, stripe_account.webhook_secret)
    assert_error(post_delivery(delivery), 400, "webhook_invalid")
    assert payment(payment_id).refunded_amount == 0
