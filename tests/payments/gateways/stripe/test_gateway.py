"""StripeGateway against the fake Stripe server: both flows, status, refunds, connection test."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.fake_stripe import Account, FakeStripe
from tests.payments.gateways.stripe.conftest import credentials_of, session_request
from trackify.payments.gateways.errors import GatewayConfigurationError, InvalidGatewayRequest
from trackify.payments.gateways.stripe import StripeGateway
from trackify.payments.gateways.stripe.gateway import _success_url
from trackify.payments.gateways.types import (
    PaymentFlow,
    PaymentLookup,
    PaymentStatus,
    RefundRequest,
    RefundStatus,
)


def lookup(result_reference: str, *, amount: int = 12345, currency: str = "EUR", pi: str = "") -> PaymentLookup:
    return PaymentLookup(
        payment_id=uuid.uuid4(),
        gateway_reference=result_reference,
        amount=amount,
        currency=currency,
        gateway_payment_reference=pi,
    )


def refund_request(payment: PaymentLookup, amount: int, currency: str = "EUR") -> RefundRequest:
    refund_id = uuid.uuid4()
    return RefundRequest(
        refund_id=refund_id,
        payment=payment,
        amount=amount,
        currency=currency,
        reason="client asked",
        idempotency_key=f"trackify-refund-{refund_id}",
    )


# -- redirect flow: Checkout Session -------------------------------------------------------------


def test_redirect_flow_opens_one_checkout_session_for_the_invoice(gateway, fake_stripe: FakeStripe) -> None:
    request = session_request()
    result = gateway.create_payment_session(request)

    [call] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert call.idempotency_key == request.idempotency_key
    params = call.params
    assert params["mode"] == "payment"
    assert params["line_items"] == [
        {
            "quantity": "1",
            "price_data": {"currency": "eur", "unit_amount": "12345", "product_data": {"name": "Invoice INV-0042"}},
        }
    ]
    ours = {
        "trackify_payment_id": str(request.payment_id),
        "trackify_invoice_id": str(request.invoice_id),
        "trackify_invoice_number": "INV-0042",
    }
    assert params["metadata"] == ours
    assert params["payment_intent_data"]["metadata"] == ours
    assert params["client_reference_id"] == str(request.payment_id)
    assert params["success_url"] == f"{request.return_url}&session_id={{CHECKOUT_SESSION_ID}}"
    assert params["cancel_url"] == request.cancel_url
    assert params["customer_email"] == "client@example.com"
    assert int(params["expires_at"]) == int(request.expires_at.timestamp())

    assert result.gateway_reference.startswith("cs_test_")
    assert result.status == PaymentStatus.PENDING
    assert result.redirect_url == f"{fake_stripe.url}/checkout/pay/{result.gateway_reference}"
    assert result.expires_at == datetime.fromtimestamp(int(request.expires_at.timestamp()), tz=UTC)


def test_a_session_shorter_than_stripes_minimum_is_stretched_to_it(gateway, fake_stripe: FakeStripe) -> None:
    result = gateway.create_payment_session(session_request(expires_at=datetime.now(tz=UTC) + timedelta(minutes=5)))
    assert result.expires_at is not None
    assert timedelta(minutes=30) < result.expires_at - datetime.now(tz=UTC) < timedelta(minutes=32)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://pay.example.com/r/", "https://pay.example.com/r/?session_id={CHECKOUT_SESSION_ID}"),
        ("https://pay.example.com/r/?a=1", "https://pay.example.com/r/?a=1&session_id={CHECKOUT_SESSION_ID}"),
        ("https://pay.example.com/r/#top", "https://pay.example.com/r/?session_id={CHECKOUT_SESSION_ID}#top"),
    ],
)
def test_the_success_url_carries_stripes_session_placeholder_unencoded(url: str, expected: str) -> None:
    assert _success_url(url) == expected


# -- in-modal flow: PaymentIntent ----------------------------------------------------------------


def test_in_modal_flow_creates_a_payment_intent_for_stripe_elements(make_gateway, stripe_account, fake_stripe):
    gateway = make_gateway(flow=PaymentFlow.IN_MODAL)
    request = session_request()
    result = gateway.create_payment_session(request)

    [call] = fake_stripe.requests_to("POST", "/v1/payment_intents")
    assert call.idempotency_key == request.idempotency_key
    assert call.params["amount"] == "12345" and call.params["currency"] == "eur"
    assert call.params["automatic_payment_methods"] == {"enabled": "true"}
    assert call.params["metadata"]["trackify_payment_id"] == str(request.payment_id)
    assert fake_stripe.requests_to("POST", "/v1/checkout") == []

    intent = stripe_account.intents[result.gateway_reference]
    assert result.redirect_url is None
    assert result.client_params == {
        "client_secret": intent["client_secret"],
        "publishable_key": stripe_account.publishable_key,
    }
    assert result.status == PaymentStatus.PENDING
    assert result.expires_at == request.expires_at


def test_public_config_shows_the_publishable_key_and_flow_never_a_secret(make_gateway, stripe_account) -> None:
    config = make_gateway(flow=PaymentFlow.IN_MODAL).public_config()
    assert config == {"flow": "in_modal", "publishable_key": stripe_account.publishable_key}
    assert stripe_account.secret_key not in str(config) and stripe_account.webhook_secret not in str(config)


# -- currencies at the API's edge ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "amount", "sent"),
    [("JPY", 5000, "5000"), ("KWD", 12340, "12340"), ("MGA", 123400, "1234"), ("ISK", 5, "500")],
)
def test_amounts_reach_stripe_in_stripes_units(gateway, fake_stripe, currency, amount, sent) -> None:
    result = gateway.create_payment_session(session_request(currency=currency, amount=amount))
    [call] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    price = call.params["line_items"][0]["price_data"]
    assert (price["currency"], price["unit_amount"]) == (currency.lower(), sent)
    status = gateway.get_payment_status(lookup(result.gateway_reference, amount=amount, currency=currency))
    assert (status.amount, status.currency) == (amount, currency)


@pytest.mark.parametrize(
    ("currency", "amount", "code"),
    [
        ("IQD", 10000, "currency_not_supported"),
        ("KWD", 12345, "amount_not_representable"),
        ("MGA", 123450, "amount_not_representable"),
    ],
)
def test_what_stripe_cannot_take_is_refused_before_any_call(gateway, fake_stripe, currency, amount, code) -> None:
    with pytest.raises(InvalidGatewayRequest) as caught:
        gateway.create_payment_session(session_request(currency=currency, amount=amount))
    assert caught.value.code == code
    assert fake_stripe.requests == []


def test_capabilities_list_exactly_what_stripe_takes() -> None:
    caps = StripeGateway.capabilities
    assert caps.supports_currency("JPY") and caps.supports_currency("kwd") and caps.supports_currency("MGA")
    assert not caps.supports_currency("IQD")
    assert caps.refunds and caps.partial_refunds
    assert set(caps.flows) == {PaymentFlow.REDIRECT, PaymentFlow.IN_MODAL}


# -- status ------------------------------------------------------------------------------------


def test_status_of_a_checkout_session_through_its_life(gateway, stripe_account: Account) -> None:
    result = gateway.create_payment_session(session_request())
    ref = result.gateway_reference
    assert gateway.get_payment_status(lookup(ref)).status == PaymentStatus.PENDING

    stripe_account.pay_checkout(ref, "processing")
    processing = gateway.get_payment_status(lookup(ref))
    assert processing.status == PaymentStatus.PROCESSING
    assert processing.gateway_payment_reference.startswith("pi_")

    stripe_account.settle_checkout(ref, succeeded=False)
    failed = gateway.get_payment_status(lookup(ref))
    assert failed.status == PaymentStatus.FAILED
    assert failed.failure_message == "The bank debit was refused."


def test_status_of_a_paid_and_of_an_expired_session(gateway, stripe_account: Account) -> None:
    paid = gateway.create_payment_session(session_request()).gateway_reference
    stripe_account.pay_checkout(paid)
    status = gateway.get_payment_status(lookup(paid))
    assert (status.status, status.amount, status.currency) == (PaymentStatus.SUCCEEDED, 12345, "EUR")
    assert status.gateway_payment_reference == stripe_account.sessions[paid]["payment_intent"]

    expired = gateway.create_payment_session(session_request()).gateway_reference
    stripe_account.expire_checkout(expired)
    assert gateway.get_payment_status(lookup(expired)).status == PaymentStatus.EXPIRED


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (None, PaymentStatus.PENDING),
        ("succeeded", PaymentStatus.SUCCEEDED),
        ("processing", PaymentStatus.PROCESSING),
        ("declined", PaymentStatus.FAILED),
        ("cancel", PaymentStatus.CANCELLED),
    ],
)
def test_status_of_a_payment_intent(make_gateway, stripe_account: Account, outcome, status) -> None:
    gateway = make_gateway(flow=PaymentFlow.IN_MODAL)
    ref = gateway.create_payment_session(session_request()).gateway_reference
    if outcome == "cancel":
        stripe_account.cancel_intent(ref)
    elif outcome:
        stripe_account.confirm_intent(ref, outcome)
    result = gateway.get_payment_status(lookup(ref))
    assert result.status == status
    assert result.gateway_payment_reference == ref
    assert (result.amount, result.currency) == (12345, "EUR")
    assert bool(result.failure_message) == (status == PaymentStatus.FAILED)


def test_status_of_something_stripe_does_not_know(gateway) -> None:
    with pytest.raises(InvalidGatewayRequest, match=r"No such checkout\.session"):
        gateway.get_payment_status(lookup("cs_test_unknown"))
    with pytest.raises(InvalidGatewayRequest):
        gateway.get_payment_status(lookup("sbx_sess_1"))


# -- refunds -----------------------------------------------------------------------------------


def test_refund_of_an_in_modal_payment(make_gateway, stripe_account: Account, fake_stripe: FakeStripe) -> None:
    gateway = make_gateway(flow=PaymentFlow.IN_MODAL)
    ref = gateway.create_payment_session(session_request()).gateway_reference
    stripe_account.confirm_intent(ref, "succeeded")
    request = refund_request(lookup(ref), 2000)

    result = gateway.refund_payment(request)

    [call] = fake_stripe.requests_to("POST", "/v1/refunds")
    assert call.idempotency_key == request.idempotency_key
    assert call.params == {
        "payment_intent": ref,
        "amount": "2000",
        "metadata": {
            "trackify_refund_id": str(request.refund_id),
            "trackify_payment_id": str(request.payment.payment_id),
        },
    }
    assert result.gateway_refund_id.startswith("re_")
    assert (result.status, result.amount) == (RefundStatus.SUCCEEDED, 2000)


def test_refund_of_a_checkout_payment_finds_its_payment_intent(gateway, stripe_account, fake_stripe) -> None:
    ref = gateway.create_payment_session(session_request()).gateway_reference
    stripe_account.pay_checkout(ref)
    result = gateway.refund_payment(refund_request(lookup(ref), 12345))
    pi = stripe_account.sessions[ref]["payment_intent"]
    assert fake_stripe.requests_to("POST", "/v1/refunds")[0].params["payment_intent"] == pi
    assert stripe_account.refunds[result.gateway_refund_id]["amount"] == 12345


def test_refund_uses_a_known_payment_intent_without_asking_for_the_session(gateway, stripe_account, fake_stripe):
    ref = gateway.create_payment_session(session_request()).gateway_reference
    stripe_account.pay_checkout(ref)
    pi = stripe_account.sessions[ref]["payment_intent"]
    gateway.refund_payment(refund_request(lookup(ref, pi=pi), 100))
    assert fake_stripe.requests_to("GET", "/v1/checkout/sessions") == []


def test_refunds_beyond_the_payment_and_of_unpaid_sessions_are_refused(gateway, stripe_account) -> None:
    ref = gateway.create_payment_session(session_request()).gateway_reference
    with pytest.raises(InvalidGatewayRequest, match="nothing can be refunded"):
        gateway.refund_payment(refund_request(lookup(ref), 100))
    stripe_account.pay_checkout(ref)
    gateway.refund_payment(refund_request(lookup(ref), 12000))
    with pytest.raises(InvalidGatewayRequest, match="greater than unrefunded amount"):
        gateway.refund_payment(refund_request(lookup(ref), 1000))


def test_a_pending_refund_is_reported_pending(gateway, stripe_account: Account) -> None:
    stripe_account.new_refund_status = "pending"
    ref = gateway.create_payment_session(session_request()).gateway_reference
    stripe_account.pay_checkout(ref)
    assert gateway.refund_payment(refund_request(lookup(ref), 500)).status == RefundStatus.PENDING


def test_kwd_refunds_are_converted_and_checked_before_the_call(gateway, stripe_account, fake_stripe) -> None:
    ref = gateway.create_payment_session(session_request(currency="KWD", amount=12340)).gateway_reference
    stripe_account.pay_checkout(ref)
    payment = lookup(ref, amount=12340, currency="KWD")
    with pytest.raises(InvalidGatewayRequest, match="end in 0"):
        gateway.refund_payment(refund_request(payment, 1005, "KWD"))
    assert fake_stripe.requests_to("POST", "/v1/refunds") == []
    assert gateway.refund_payment(refund_request(payment, 1000, "KWD")).amount == 1000


# -- connection test ---------------------------------------------------------------------------


def test_connection_test_retrieves_the_balance_once(gateway, stripe_account, fake_stripe) -> None:
    report = gateway.test_connection()
    assert fake_stripe.requests_to("GET", "/v1/balance")[0].account_id == stripe_account.id
    assert len(fake_stripe.requests) == 1
    assert report.startswith("Connected to Stripe in test mode.")
    assert "0.00 EUR" in report
    assert "webhook" not in report


def test_connection_test_says_when_the_webhook_secret_is_missing(make_gateway, stripe_account) -> None:
    gateway = make_gateway(credentials=credentials_of(stripe_account, webhook_secret=False))
    assert "No webhook signing secret" in gateway.test_connection()


def test_connection_test_with_a_key_stripe_does_not_know(make_gateway, stripe_account, caplog) -> None:
    wrong = {**credentials_of(stripe_account), "secret_key": "sk_test_" + "W" * 99}
    with pytest.raises(GatewayConfigurationError) as caught:
        make_gateway(credentials=wrong).test_connection()
    assert "secret key" in caught.value.message
    assert "sk_test_" not in caught.value.message + caught.value.detail + caplog.text
    assert caught.value.request_id.startswith("req_")


# -- the SDK stays behind one module -----------------------------------------------------------


def test_exactly_one_module_of_trackify_imports_the_stripe_sdk() -> None:
    root = Path(__file__).resolve().parents[4] / "trackify"
    importers = sorted(
        str(path.relative_to(root.parent))
        for path in root.rglob("*.py")
        if any(
            line.strip().startswith(("import stripe", "from stripe"))
            for line in path.read_text().splitlines()
        )
    )
    assert importers == ["trackify/payments/gateways/stripe/api.py"]


def test_settings_point_the_sdk_at_the_fake(gateway, fake_stripe: FakeStripe, settings: Any) -> None:
    assert fake_stripe.url == settings.STRIPE_API_BASE
    gateway.test_connection()
    assert fake_stripe.requests[0].stripe_version  # the SDK's pinned API version is sent
