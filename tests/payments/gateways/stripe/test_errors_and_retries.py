"""Stripe's errors become ours; faults on the way to Stripe are retried with the same key.

Every fault is real at the HTTP level (the fake answers 500 or 429, hangs, or drops the
connection), so what is tested is the SDK's retry and our translation, not a mock of either.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.fakes.fake_stripe import Account, FakeStripe
from tests.payments.gateways.stripe.conftest import credentials_of, session_request
from trackify.payments.gateways.errors import (
    GatewayConfigurationError,
    GatewayError,
    GatewayUnavailable,
    InvalidGatewayRequest,
    PaymentDeclined,
)
from trackify.payments.gateways.stripe.api import redact
from trackify.payments.gateways.types import PaymentFlow, PaymentLookup, RefundRequest

SESSIONS = "/v1/checkout/sessions"


def assert_no_secret(account: Account, *texts: str) -> None:
    for text in texts:
        assert account.secret_key not in text
        assert account.secret_key[:12] not in text  # not even the masked "sk_test_****…" form
        assert account.webhook_secret not in text


# -- translation of each Stripe error type ------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_type", "code", "expected", "http_status"),
    [
        (402, "card_error", "card_declined", PaymentDeclined, 402),
        (400, "invalid_request_error", "parameter_invalid_integer", InvalidGatewayRequest, 400),
        (404, "invalid_request_error", "resource_missing", InvalidGatewayRequest, 400),
        (401, "invalid_request_error", None, GatewayConfigurationError, 502),
        (403, "invalid_request_error", None, GatewayConfigurationError, 502),
        (429, "invalid_request_error", "rate_limit", GatewayUnavailable, 502),
        (400, "idempotency_error", None, GatewayError, 502),
        (500, "api_error", None, GatewayUnavailable, 502),
        (503, "api_error", None, GatewayUnavailable, 502),
    ],
)
def test_each_stripe_error_type_maps_onto_ours(
    gateway, fake_stripe: FakeStripe, stripe_account: Account, settings: Any, caplog: Any,
    status: int, error_type: str, code: str | None, expected: type[GatewayError], http_status: int,
) -> None:
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    key = stripe_account.secret_key
    message = f"Stripe says no. Invalid API Key provided: {key[:8]}****{key[-4:]}"
    fake_stripe.fail_next(status=status, error_type=error_type, code=code, message=message)
    caplog.set_level(logging.WARNING, logger="trackify")

    with pytest.raises(GatewayError) as caught:
        gateway.create_payment_session(session_request())

    error = caught.value
    assert type(error) is expected
    assert error.status_code == http_status
    assert error.request_id.startswith("req_")
    assert error.request_id in caplog.text  # the log names Stripe's request id
    assert_no_secret(stripe_account, error.message, error.detail, caplog.text)
    assert len(fake_stripe.requests) == 1


def test_a_card_error_shows_stripes_message_to_the_payer(gateway, fake_stripe: FakeStripe) -> None:
    fake_stripe.fail_next(status=402, error_type="card_error", code="card_declined", message="Your card was declined.")
    with pytest.raises(PaymentDeclined) as caught:
        gateway.create_payment_session(session_request())
    assert caught.value.message == "Your card was declined."


def test_a_wrong_key_is_a_configuration_error_without_the_key(make_gateway, stripe_account, caplog) -> None:
    credentials = {**credentials_of(stripe_account), "secret_key": stripe_account.secret_key[:-6] + "XXXXXX"}
    with pytest.raises(GatewayConfigurationError) as caught:
        make_gateway(credentials=credentials).create_payment_session(session_request())
    assert "Invalid API Key" in caught.value.detail  # Stripe's words are kept for the log, key masked
    assert "[redacted]" in caught.value.detail
    assert_no_secret(stripe_account, caught.value.message, caught.value.detail, caplog.text)


def test_a_restricted_key_without_permission_is_a_configuration_error(fake_stripe, make_gateway) -> None:
    account = fake_stripe.add_account(restricted=True)
    account.forbidden.add("refund_create")
    gateway = make_gateway(account, flow=PaymentFlow.IN_MODAL)
    ref = gateway.create_payment_session(session_request()).gateway_reference
    account.confirm_intent(ref)
    lookup = PaymentLookup(payment_id=session_request().payment_id, gateway_reference=ref, amount=12345, currency="EUR")
    with pytest.raises(GatewayConfigurationError, match="lacks a permission"):
        gateway.refund_payment(
            RefundRequest(
                refund_id=lookup.payment_id, payment=lookup, amount=100, currency="EUR", reason="", idempotency_key="k"
            )
        )


def test_reusing_an_idempotency_key_for_other_parameters_is_refused(gateway, fake_stripe, stripe_account) -> None:
    first = session_request(idempotency_key="trackify-payment-same")
    gateway.create_payment_session(first)
    with pytest.raises(GatewayError) as caught:
        gateway.create_payment_session(session_request(idempotency_key="trackify-payment-same", amount=999))
    assert caught.value.code == "gateway_idempotency_conflict"
    assert len(stripe_account.sessions) == 1


def test_redaction_covers_every_kind_of_key() -> None:
    text = "sk_test_abc123 rk_live_XYZ pk_test_q sk_test_****1234 whsec_ab+c/d= Bearer"
    assert redact(text) == "[redacted] [redacted] [redacted] [redacted] [redacted] Bearer"


# -- retries: one session whatever happens on the way ----------------------------------------------


def assert_one_session_created_with_one_key(fake: FakeStripe, account: Account, attempts: int) -> None:
    calls = fake.requests_to("POST", SESSIONS)
    assert len(calls) == attempts
    assert len({call.idempotency_key for call in calls}) == 1
    assert calls[0].idempotency_key.startswith("trackify-payment-")
    assert len(account.sessions) == 1


@pytest.mark.parametrize("failures", [1, 2])
def test_500s_are_retried_with_the_same_key_and_leave_one_session(
    gateway, fake_stripe: FakeStripe, stripe_account: Account, failures: int
) -> None:
    fake_stripe.fail_next(failures, status=500, path=SESSIONS)
    result = gateway.create_payment_session(session_request())
    assert_one_session_created_with_one_key(fake_stripe, stripe_account, failures + 1)
    assert result.gateway_reference in stripe_account.sessions


def test_a_500_after_the_session_was_made_replays_it_on_retry(gateway, fake_stripe, stripe_account) -> None:
    fake_stripe.fail_next(status=500, path=SESSIONS, after_processing=True)
    result = gateway.create_payment_session(session_request())
    assert_one_session_created_with_one_key(fake_stripe, stripe_account, 2)
    assert fake_stripe.requests_to("POST", SESSIONS)[1].replayed
    assert result.gateway_reference in stripe_account.sessions


def test_a_429_stripe_asks_to_retry_is_retried_with_the_same_key(gateway, fake_stripe, stripe_account) -> None:
    fake_stripe.rate_limit_next(should_retry=True, path=SESSIONS)
    gateway.create_payment_session(session_request())
    assert_one_session_created_with_one_key(fake_stripe, stripe_account, 2)


def test_a_plain_429_is_not_hammered_but_reported_unavailable(gateway, fake_stripe, stripe_account) -> None:
    fake_stripe.rate_limit_next(path=SESSIONS)
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.create_payment_session(session_request())
    assert caught.value.retryable
    assert len(fake_stripe.requests) == 1 and stripe_account.sessions == {}


@pytest.mark.parametrize("after_processing", [False, True])
def test_a_dropped_connection_is_retried_and_leaves_one_session(
    gateway, fake_stripe: FakeStripe, stripe_account: Account, after_processing: bool
) -> None:
    fake_stripe.drop_next(path=SESSIONS, after_processing=after_processing)
    gateway.create_payment_session(session_request())
    assert_one_session_created_with_one_key(fake_stripe, stripe_account, 2)


def test_connections_dropped_every_time_end_as_gateway_unavailable(gateway, fake_stripe, stripe_account) -> None:
    fake_stripe.drop_next(3, path=SESSIONS)
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.create_payment_session(session_request())
    assert "could not be reached" in caught.value.message
    assert len(fake_stripe.requests_to("POST", SESSIONS)) == 3  # 1 + STRIPE_MAX_NETWORK_RETRIES
    assert stripe_account.sessions == {}


def test_a_slow_answer_within_the_timeout_is_simply_waited_for(gateway, fake_stripe, settings) -> None:
    settings.STRIPE_TIMEOUT_SECONDS = 2
    fake_stripe.hang_next(seconds=0.3, path=SESSIONS)
    gateway.create_payment_session(session_request())
    assert len(fake_stripe.requests) == 1


def test_a_timeout_is_retried_and_the_late_first_attempt_replays(gateway, fake_stripe, stripe_account, settings):
    settings.STRIPE_TIMEOUT_SECONDS = 0.3
    fake_stripe.hang_next(seconds=0.8, path=SESSIONS)
    result = gateway.create_payment_session(session_request())
    hung = fake_stripe.requests_to("POST", SESSIONS)[0]
    assert hung.processed.wait(timeout=30)  # the hung first attempt has now taken effect at the fake
    assert_one_session_created_with_one_key(fake_stripe, stripe_account, 2)
    assert result.gateway_reference in stripe_account.sessions


def test_timeouts_every_time_end_as_gateway_unavailable(gateway, fake_stripe, settings) -> None:
    settings.STRIPE_TIMEOUT_SECONDS = 0.2
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    fake_stripe.hang_next(2, seconds=0.5, path=SESSIONS)
    with pytest.raises(GatewayUnavailable):
        gateway.create_payment_session(session_request())
    attempts = fake_stripe.requests_to("POST", SESSIONS)
    assert [attempt.fault for attempt in attempts] == ["hang", "hang"]  # both timed out: no third try


def test_the_number_of_retries_comes_from_the_settings(gateway, fake_stripe, settings) -> None:
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    fake_stripe.fail_next(status=500)
    with pytest.raises(GatewayUnavailable):
        gateway.create_payment_session(session_request())
    assert len(fake_stripe.requests) == 1


def test_refunds_are_retried_with_the_refunds_own_key(make_gateway, fake_stripe, stripe_account) -> None:
    gateway = make_gateway(flow=PaymentFlow.IN_MODAL)
    ref = gateway.create_payment_session(session_request()).gateway_reference
    stripe_account.confirm_intent(ref)
    fake_stripe.drop_next(path="/v1/refunds", after_processing=True)
    lookup = PaymentLookup(payment_id=session_request().payment_id, gateway_reference=ref, amount=12345, currency="EUR")
    request = RefundRequest(
        refund_id=lookup.payment_id,
        payment=lookup,
        amount=100,
        currency="EUR",
        reason="",
        idempotency_key="trackify-refund-1",
    )
    gateway.refund_payment(request)
    calls = fake_stripe.requests_to("POST", "/v1/refunds")
    assert [c.idempotency_key for c in calls] == ["trackify-refund-1", "trackify-refund-1"]
    assert len(stripe_account.refunds) == 1


def test_reads_are_retried_too(gateway, fake_stripe, stripe_account) -> None:
    ref = gateway.create_payment_session(session_request()).gateway_reference
    fake_stripe.fail_next(status=503, method="GET")
    lookup = PaymentLookup(payment_id=session_request().payment_id, gateway_reference=ref, amount=12345, currency="EUR")
    assert gateway.get_payment_status(lookup).amount == 12345
    assert len(fake_stripe.requests_to("GET", SESSIONS)) == 2
