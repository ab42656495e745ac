"""Faults on the way to Stripe while a client opens a session: either the SDK's retry with the same
idempotency key leaves exactly one session, or the client gets a clear 502 and the payment reserved
for the session is released (failed, with the error kept): nothing stays reserved."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import post_json
from tests.fakes.fake_stripe import Account, FakeStripe
from tests.payments.api.conftest import assert_error
from tests.payments.gateways.stripe.stripe_api import assert_nothing_reserved, open_session, opened
from trackify.payments.models import InvoicePayment

pytestmark = pytest.mark.django_db

SESSIONS = "/v1/checkout/sessions"


def assert_one_session_one_payment(fake: FakeStripe, account: Account, attempts: int) -> None:
    calls = fake.requests_to("POST", SESSIONS)
    assert len(calls) == attempts
    assert len({c.idempotency_key for c in calls}) == 1
    assert len(account.sessions) == 1
    [payment] = InvoicePayment.objects.all()
    assert payment.gateway_reference in account.sessions
    assert calls[0].idempotency_key == f"trackify-payment-{payment.pk}"


@pytest.mark.parametrize(
    "inject",
    [
        lambda fake: fake.fail_next(status=500, path=SESSIONS),
        lambda fake: fake.fail_next(status=500, path=SESSIONS, after_processing=True),
        lambda fake: fake.rate_limit_next(should_retry=True, path=SESSIONS),
        lambda fake: fake.drop_next(path=SESSIONS),
        lambda fake: fake.drop_next(path=SESSIONS, after_processing=True),
    ],
    ids=["500", "500-after-create", "429-lock-timeout", "dropped", "dropped-after-create"],
)
def test_a_fault_then_a_retry_leaves_one_session_and_one_payment(
    anon, invoice, stripe_config, fake_stripe: FakeStripe, stripe_account: Account, inject
) -> None:
    inject(fake_stripe)
    session = opened(anon, invoice)
    assert_one_session_one_payment(fake_stripe, stripe_account, 2)
    assert session["redirect_url"].endswith(InvoicePayment.objects.get().gateway_reference)


def test_a_timeout_then_a_retry_leaves_one_session(anon, invoice, stripe_config, fake_stripe, stripe_account, settings):
    settings.STRIPE_TIMEOUT_SECONDS = 0.3
    fake_stripe.hang_next(seconds=0.6, path=SESSIONS)
    opened(anon, invoice)
    # The first, timed-out attempt completes at the fake and is saved under the key.
    assert fake_stripe.requests_to("POST", SESSIONS)[0].processed.wait(timeout=30)
    assert_one_session_one_payment(fake_stripe, stripe_account, 2)


@pytest.mark.parametrize(
    "inject",
    [
        lambda fake: fake.fail_next(3, status=500, path=SESSIONS),
        lambda fake: fake.drop_next(3, path=SESSIONS),
        lambda fake: fake.rate_limit_next(path=SESSIONS),
    ],
    ids=["500s", "dropped", "429"],
)
def test_when_stripe_stays_unreachable_the_client_gets_a_502_and_nothing_is_reserved(
    anon, invoice, stripe_config, fake_stripe: FakeStripe, inject
) -> None:
    inject(fake_stripe)
    response = open_session(anon, invoice)
    error = assert_error(response, 502, "gateway_unavailable")
    assert "try again" in error["message"]
    assert_nothing_reserved(invoice, error)
    assert (invoice.status, invoice.amount_paid) == ("open", 0)
    # Stripe is back: the client's next try opens a session normally.
    assert opened(anon, invoice)["status"] == "pending"
    assert sorted(InvoicePayment.objects.values_list("status", flat=True)) == ["failed", "pending"]


def test_a_retry_with_the_same_idempotency_key_after_a_failure_is_a_new_attempt(
    anon, invoice, stripe_config, fake_stripe: FakeStripe
) -> None:
    """The pay page's "try again" repeats its Idempotency-Key: it must not be answered with the failed
    payment, and must not reuse that payment's key at Stripe (which answers a key it has seen with its
    first answer, errors included)."""
    fake_stripe.fail_next(3, status=500, path=SESSIONS)
    body = {"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token}

    def open_with_the_key() -> Any:
        return post_json(anon, "/payment/create-session/", body, HTTP_IDEMPOTENCY_KEY="modal-1")

    failed = assert_error(open_with_the_key(), 502, "gateway_unavailable")
    retried = open_with_the_key()
    assert retried.status_code == 201, retried.content
    attempt = InvoicePayment.objects.get(status="failed")
    assert attempt.failure_message == failed["message"]
    assert InvoicePayment.objects.get(pk=retried.json()["payment_id"]).client_idempotency_key == "modal-1"
    keys = {call.idempotency_key for call in fake_stripe.requests_to("POST", SESSIONS)}
    assert keys == {f"trackify-payment-{attempt.pk}", f"trackify-payment-{retried.json()['payment_id']}"}
    assert open_with_the_key().json()["payment_id"] == retried.json()["payment_id"]


def test_a_timeout_on_every_attempt_is_a_502_with_nothing_reserved(anon, invoice, stripe_config, fake_stripe, settings):
    settings.STRIPE_TIMEOUT_SECONDS = 0.2
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    fake_stripe.hang_next(2, seconds=0.4, path=SESSIONS)
    assert_nothing_reserved(invoice, assert_error(open_session(anon, invoice), 502, "gateway_unavailable"))


def test_a_request_stripe_rejects_is_a_400_with_nothing_reserved(anon, invoice, stripe_config, fake_stripe) -> None:
    fake_stripe.fail_next(
        status=400,
        error_type="invalid_request_error",
        code="amount_too_small",
        message="Amount must be at least €0.50.",
    )
    error = assert_error(open_session(anon, invoice), 400, "gateway_rejected_request")
    assert "Amount must be at least" in error["message"]
    assert_nothing_reserved(invoice, error)


def test_a_revoked_key_is_a_502_naming_the_merchants_problem(anon, invoice, stripe_config, fake_stripe, stripe_account):
    fake_stripe.accounts.remove(stripe_account)
    response = open_session(anon, invoice)
    error = assert_error(response, 502, "gateway_misconfigured")
    assert stripe_account.secret_key[8:] not in response.content.decode()
    assert_nothing_reserved(invoice, error)


def test_a_currency_stripe_cannot_take_is_refused_before_any_call(anon, make_invoice, stripe_config, fake_stripe):
    invoice = make_invoice(currency="IQD", total="10.000")
    error = assert_error(open_session(anon, invoice), 400)
    assert "IQD" in error["message"]
    assert fake_stripe.requests == []
    assert not InvoicePayment.objects.exists()


def test_a_429_with_retry_after_tells_the_client_how_long_to_wait(anon, invoice, stripe_config, fake_stripe) -> None:
    fake_stripe.rate_limit_next(retry_after=30, path=SESSIONS)
    response = open_session(anon, invoice)
    error = assert_error(response, 502, "gateway_unavailable")
    assert response["Retry-After"] == "30"
    assert "30 seconds" in error["message"]
    assert_nothing_reserved(invoice, error)
