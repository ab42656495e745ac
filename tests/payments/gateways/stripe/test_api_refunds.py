"""Refunds of Stripe payments over our API, and refunds made in Stripe's dashboard, counted once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import post_json
from tests.fakes.fake_stripe import Account, FakeStripe
from tests.payments.api.conftest import assert_error
from tests.payments.gateways.stripe.stripe_api import deliver, only, opened, payment, reference_of
from trackify.payments.models import PaymentRefund
from trackify.payments.services.catch_up import payments_catch_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(anon, invoice, stripe_config, stripe_account: Account) -> str:
    """A Checkout payment of the whole invoice (100.00 EUR), its events delivered."""
    payment_id = opened(anon, invoice)["payment_id"]
    deliver(stripe_account, stripe_account.pay_checkout(reference_of(payment_id)), stripe_config["id"])
    assert payment(payment_id).status == "succeeded"
    return str(payment_id)


def refund(api: Any, payment_id: str, amount: str | None = None) -> dict[str, Any]:
    response = post_json(api, f"/payment/{payment_id}/refund/", {} if amount is None else {"amount": amount})
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_partial_then_full_refund_with_stripes_events_counted_once(
    api, paid, stripe_config, stripe_account: Account, fake_stripe: FakeStripe
) -> None:
    first = refund(api, paid, "30.00")
    assert (first["status"], first["payment_status"], first["payment_refunded_amount"]) == (
        "succeeded",
        "partially_refunded",
        "30.00",
    )
    [call] = fake_stripe.requests_to("POST", "/v1/refunds")
    assert call.params["amount"] == "3000"
    assert call.params["payment_intent"] == payment(paid).gateway_payment_reference
    assert call.params["metadata"] == {"trackify_refund_id": first["refund_id"], "trackify_payment_id": paid}
    assert call.idempotency_key == f"trackify-refund-{first['refund_id']}"
    assert first["gateway_refund_id"] in stripe_account.refunds

    rest = refund(api, paid)  # everything not refunded yet
    assert (rest["amount"], rest["payment_status"]) == ("70.00", "refunded")

    # Stripe's events for both refunds arrive afterwards, some twice: nothing counts twice.
    events = stripe_account.take_events("refund.created", "charge.refunded")
    deliver(stripe_account, events + events, stripe_config["id"])
    done = payment(paid)
    assert (done.status, done.refunded_amount) == ("refunded", 10000)
    assert (done.invoice.status, done.invoice.amount_paid) == ("open", 0)
    assert PaymentRefund.objects.filter(payment=done).count() == 2


def test_a_refund_made_in_stripes_dashboard_is_recorded_once(
    api, paid, stripe_config, stripe_account: Account
) -> None:
    events = stripe_account.dashboard_refund(payment(paid).gateway_payment_reference, 2500)
    answers = deliver(stripe_account, events + list(reversed(events)), stripe_config["id"])
    assert [a["status"] for a in answers] == ["processed", "processed", "duplicate", "duplicate"]
    [recorded] = PaymentRefund.objects.filter(payment_id=paid)
    assert (recorded.amount, recorded.status, recorded.source) == (2500, "succeeded", "gateway")
    assert recorded.gateway_refund_id in stripe_account.refunds
    done = payment(paid)
    assert (done.status, done.refunded_amount) == ("partially_refunded", 2500)
    assert (done.invoice.status, done.invoice.amount_paid) == ("partially_paid", 7500)
    status = api.get(f"/payment/status/{paid}/").json()
    assert status["refunded_amount"] == "25.00"


def test_a_dashboard_refund_on_newer_api_versions_is_recorded_once_from_either_event(
    paid, stripe_config, stripe_account: Account
) -> None:
    stripe_account.charge_refunds_in_events = False  # charge.refunded no longer lists the refunds
    events = stripe_account.dashboard_refund(payment(paid).gateway_payment_reference, 1000)
    answers = deliver(stripe_account, list(reversed(events)) * 2, stripe_config["id"])
    assert [a["status"] for a in answers] == ["processed", "processed", "duplicate", "duplicate"]
    [recorded] = PaymentRefund.objects.filter(payment_id=paid)
    assert (recorded.amount, recorded.gateway_refund_id) == (1000, events[0]["data"]["object"]["id"])
    assert payment(paid).refunded_amount == 1000


def test_an_endpoint_that_gets_charge_refunded_only_records_every_refund(
    paid, stripe_config, stripe_account: Account, fake_stripe
) -> None:
    stripe_account.charge_refunds_in_events = False
    intent_id = payment(paid).gateway_payment_reference
    first = stripe_account.dashboard_refund(intent_id, 1000)
    second = stripe_account.dashboard_refund(intent_id, 2000)
    # The later charge.refunded first, then the earlier one: each lists the charge's refunds at Stripe.
    deliver(stripe_account, only(second, "charge.refunded") + only(first, "charge.refunded"), stripe_config["id"])
    assert sorted(PaymentRefund.objects.filter(payment_id=paid).values_list("amount", flat=True)) == [1000, 2000]
    done = payment(paid)
    assert (done.refunded_amount, done.invoice.amount_paid) == (3000, 7000)
    assert len(fake_stripe.requests_to("GET", "/v1/refunds")) == 2


def test_a_pending_refund_counts_when_it_succeeds(api, paid, stripe_config, stripe_account: Account) -> None:
    stripe_account.new_refund_status = "pending"
    pending = refund(api, paid, "40.00")
    assert pending["status"] == "pending"
    assert payment(paid).refunded_amount == 0
    settled = stripe_account.set_refund_status(pending["gateway_refund_id"], "succeeded")
    deliver(stripe_account, settled, stripe_config["id"])
    assert payment(paid).refunded_amount == 4000
    assert PaymentRefund.objects.get(pk=pending["refund_id"]).status == "succeeded"


def test_a_refund_that_fails_later_gives_the_amount_back(api, paid, stripe_config, stripe_account: Account) -> None:
    stripe_account.new_refund_status = "pending"
    pending = refund(api, paid, "40.00")
    events = stripe_account.set_refund_status(pending["gateway_refund_id"], "failed")
    assert [e["type"] for e in events] == ["refund.updated", "refund.failed"]
    deliver(stripe_account, events, stripe_config["id"])
    assert PaymentRefund.objects.get(pk=pending["refund_id"]).status == "failed"
    done = payment(paid)
    assert (done.status, done.refunded_amount, done.invoice.amount_paid) == ("succeeded", 0, 10000)
    assert refund(api, paid)["amount"] == "100.00"  # the failed refund no longer reserves its amount


def test_a_refund_stripe_cannot_answer_is_a_502_stays_pending_and_is_sent_again_with_its_key(
    api, paid, fake_stripe: FakeStripe, stripe_account: Account
) -> None:
    # Stripe made the refund, but no answer reached us through the SDK's retries: it is not failed.
    fake_stripe.drop_next(3, after_processing=True, path="/v1/refunds")
    answer = post_json(api, f"/payment/{paid}/refund/", {"amount": "10.00"})
    assert_error(answer, 502, "gateway_unavailable")
    assert "do not refund again" in answer.json()["error"]["message"]
    kept = PaymentRefund.objects.get(payment_id=paid)
    assert kept.status == "pending"  # still reserving its amount: the rest is all that can be refunded
    assert_error(post_json(api, f"/payment/{paid}/refund/", {"amount": "100.00"}), 400, "invalid")

    summary = payments_catch_up(older_than=timedelta(0), workers=1)

    assert summary.refunds_unanswered == {"sent": 1}
    kept.refresh_from_db()
    assert kept.status == "succeeded" and kept.gateway_refund_id
    assert len(stripe_account.refunds) == 1  # the same key: Stripe answered with the first refund
    assert payment(paid).refunded_amount == 1000


def test_a_refund_stripe_refused_is_failed_and_reserves_nothing(api, paid, fake_stripe: FakeStripe) -> None:
    fake_stripe.fail_next(1, status=400, path="/v1/refunds")
    assert post_json(api, f"/payment/{paid}/refund/", {"amount": "10.00"}).status_code == 400
    assert PaymentRefund.objects.get(payment_id=paid).status == "failed"
    assert refund(api, paid, "100.00")["payment_status"] == "refunded"


def test_a_refund_unanswered_past_the_key_lifetime_is_not_sent_again_but_flagged(
    api, paid, fake_stripe: FakeStripe, stripe_account: Account
) -> None:
    fake_stripe.fail_next(3, status=500, path="/v1/refunds")
    assert post_json(api, f"/payment/{paid}/refund/", {"amount": "10.00"}).status_code == 502
    PaymentRefund.objects.filter(payment_id=paid).update(created_at=timezone.now() - timedelta(hours=23, minutes=1))

    summary = payments_catch_up(older_than=timedelta(0), workers=1)

    assert summary.refunds_unanswered == {"flagged": 1}
    assert PaymentRefund.objects.get(payment_id=paid).status == "failed"
    assert "check its dashboard" in payment(paid).attention_reason
    assert not stripe_account.refunds


def test_a_refund_retried_after_a_lost_answer_is_made_once(api, paid, fake_stripe, stripe_account) -> None:
    fake_stripe.drop_next(path="/v1/refunds", after_processing=True)
    refund(api, paid, "10.00")
    assert len(fake_stripe.requests_to("POST", "/v1/refunds")) == 2
    assert len(stripe_account.refunds) == 1


def test_only_the_owner_refunds(other_api, anon, paid) -> None:
    assert post_json(other_api, f"/payment/{paid}/refund/", {}).status_code == 404
    assert post_json(anon, f"/payment/{paid}/refund/", {}).status_code in (401, 403)


def test_refund_events_before_the_payment_event_still_count_once(
    anon, invoice, stripe_config, stripe_account: Account
) -> None:
    payment_id = opened(anon, invoice)["payment_id"]
    paid_events = stripe_account.pay_checkout(reference_of(payment_id))
    intent_id = stripe_account.sessions[reference_of(payment_id)]["payment_intent"]
    refund_events = stripe_account.dashboard_refund(intent_id, 1500)
    # The refund arrives first (found by its PaymentIntent? not yet known: by the charge's metadata).
    deliver(stripe_account, only(refund_events, "charge.refunded"), stripe_config["id"])
    deliver(stripe_account, paid_events + refund_events, stripe_config["id"])
    done = payment(payment_id)
    assert (done.status, done.refunded_amount, done.invoice.amount_paid) == ("partially_refunded", 1500, 8500)
