"""Deliveries are verified with the SDK against this config's signing secret before anything
in them is read; the shared URL's hint reads only our payment id from the unverified body."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.fakes import stripe_objects as so
from tests.fakes.fake_stripe import Account, Delivery, FakeStripe
from tests.payments.gateways.stripe.conftest import credentials_of
from trackify.payments.gateways.errors import WebhookVerificationError
from trackify.payments.gateways.stripe import StripeGateway
from trackify.payments.gateways.types import PaymentStatus, WebhookRequest

PAYMENT_ID = uuid.uuid4()


def paid_session_event() -> dict:
    session = so.checkout_session(
        status="complete",
        payment_status="paid",
        amount_total=12345,
        currency="eur",
        payment_intent="pi_1",
        metadata={"trackify_payment_id": str(PAYMENT_ID)},
    )
    return so.event("checkout.session.completed", session)


def as_request(delivery: Delivery) -> WebhookRequest:
    return WebhookRequest(body=delivery.body, headers={k.lower(): v for k, v in delivery.headers.items()})


def test_a_signed_delivery_is_verified_and_normalised(gateway, stripe_account: Account) -> None:
    delivery = FakeStripe.delivery(paid_session_event(), stripe_account.webhook_secret)
    event = gateway.handle_webhook(as_request(delivery))
    assert event.gateway_event_id == delivery.event["id"]
    assert event.payment_id == PAYMENT_ID
    assert event.payment_update is not None and event.payment_update.status == PaymentStatus.SUCCEEDED
    assert event.payload == json.loads(delivery.body)


def test_a_tampered_body_is_refused(gateway, stripe_account: Account) -> None:
    delivery = FakeStripe.delivery(paid_session_event(), stripe_account.webhook_secret).tampered()
    with pytest.raises(WebhookVerificationError, match="No signatures found matching"):
        gateway.handle_webhook(as_request(delivery))


def test_a_delivery_signed_with_another_accounts_secret_is_refused(gateway, fake_stripe: FakeStripe) -> None:
    other = fake_stripe.add_account()
    delivery = FakeStripe.delivery(paid_session_event(), other.webhook_secret)
    with pytest.raises(WebhookVerificationError):
        gateway.handle_webhook(as_request(delivery))


def test_a_stale_timestamp_is_refused_after_300_seconds(gateway, stripe_account: Account) -> None:
    stale = FakeStripe.delivery(paid_session_event(), stripe_account.webhook_secret, timestamp=int(time.time()) - 301)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        gateway.handle_webhook(as_request(stale))
    recent = FakeStripe.delivery(paid_session_event(), stripe_account.webhook_secret, timestamp=int(time.time()) - 290)
    assert gateway.handle_webhook(as_request(recent)).payment_id == PAYMENT_ID


def test_one_matching_signature_among_several_passes(gateway, stripe_account: Account) -> None:
    # While a secret is rolled, Stripe signs with both: one v1 per secret.
    now = int(time.time())
    current = FakeStripe.delivery(paid_session_event(), stripe_account.webhook_secret, timestamp=now)
    old = FakeStripe.delivery(current.event, "whsec_" + "0" * 32, timestamp=now, body=current.body)
    old_v1, current_v1 = (d.headers["Stripe-Signature"].split(",")[1] for d in (old, current))
    both = f"t={now},{old_v1},{current_v1}"
    request = WebhookRequest(body=current.body, headers={"stripe-signature": both})
    assert gateway.handle_webhook(request).payment_id == PAYMENT_ID


@pytest.mark.parametrize("header", ["", "garbage", "t=abc,v1=00", "v1=deadbeef"])
def test_a_missing_or_malformed_signature_header_is_refused(gateway, header: str) -> None:
    body = json.dumps(paid_session_event()).encode()
    with pytest.raises(WebhookVerificationError):
        gateway.handle_webhook(WebhookRequest(body=body, headers={"stripe-signature": header} if header else {}))


@pytest.mark.parametrize(
    "body",
    [b"not json", b"\xff\xfe", b'["a list"]', b'{"object": "event"}', b'{"id": "evt_1", "object": "charge"}'],
)
def test_a_signed_body_that_is_not_a_stripe_event_is_refused(gateway, stripe_account: Account, body: bytes) -> None:
    try:
        delivery = FakeStripe.delivery({}, stripe_account.webhook_secret, body=body)
    except UnicodeDecodeError:  # the SDK signs text; sign the raw bytes' latin-1 reading instead
        delivery = Delivery(body=body, headers={"Stripe-Signature": "t=1,v1=00"}, event={})
    with pytest.raises(WebhookVerificationError):
        gateway.handle_webhook(as_request(delivery))


def test_without_a_signing_secret_nothing_is_accepted(make_gateway, stripe_account: Account) -> None:
    gateway = make_gateway(credentials=credentials_of(stripe_account, webhook_secret=False))
    delivery = FakeStripe.delivery(paid_session_event(), stripe_account.webhook_secret)
    with pytest.raises(WebhookVerificationError, match="no webhook signing secret"):
        gateway.handle_webhook(as_request(delivery))


def test_verification_never_calls_stripe(gateway, stripe_account: Account, fake_stripe: FakeStripe) -> None:
    gateway.handle_webhook(as_request(FakeStripe.delivery(paid_session_event(), stripe_account.webhook_secret)))
    assert fake_stripe.requests == []


# -- the hint for the shared URL ---------------------------------------------------------------


def test_the_hint_reads_our_payment_id_from_any_of_our_objects() -> None:
    hint = StripeGateway.webhook_payment_hint
    assert hint(WebhookRequest(body=json.dumps(paid_session_event()).encode(), headers={})) == PAYMENT_ID
    intent = so.payment_intent(metadata={"trackify_payment_id": str(PAYMENT_ID)})
    assert hint(WebhookRequest(body=json.dumps(so.event("payment_intent.succeeded", intent)).encode(), headers={})) == (
        PAYMENT_ID
    )
    by_reference = so.checkout_session(client_reference_id=str(PAYMENT_ID))
    body = json.dumps(so.event("checkout.session.expired", by_reference)).encode()
    assert hint(WebhookRequest(body=body, headers={})) == PAYMENT_ID


@pytest.mark.parametrize(
    "body",
    [
        json.dumps(so.event("refund.created", so.refund())).encode(),  # a dashboard refund: no metadata
        b"not json",
        b"[]",
        b'{"data": {"object": "pi_1"}}',
        json.dumps(so.event("refund.created", so.refund(metadata={"trackify_payment_id": "1"}))).encode(),
    ],
)
def test_the_hint_is_none_when_the_body_names_no_payment_of_ours(body: bytes) -> None:
    assert StripeGateway.webhook_payment_hint(WebhookRequest(body=body, headers={})) is None
