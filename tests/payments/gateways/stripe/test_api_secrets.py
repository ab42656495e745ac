"""Stripe's secret key and webhook signing secret never leave the database in the clear: not in a
response, not in a log line (ours, the SDK's at debug level, or the HTTP library's), not on error."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.conftest import post_json
from tests.fakes.fake_stripe import Account, FakeStripe
from tests.payments.gateways.stripe.stripe_api import (
    create_stripe_config,
    deliver,
    open_session,
    post_delivery,
    reference_of,
)

pytestmark = pytest.mark.django_db


def test_no_secret_in_any_response_or_log_line_through_a_whole_stripe_payment(
    api, anon, invoice, stripe_account: Account, fake_stripe: FakeStripe, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, the SDK's "stripe" and urllib3 included
    secrets = (stripe_account.secret_key, stripe_account.webhook_secret)
    seen: list[bytes] = []

    config = create_stripe_config(api, stripe_account, is_default=True)
    seen.append(api.get("/payment/gateways/").content)
    seen.append(api.get(f"/payment/gateways/{config['id']}/").content)
    seen.append(post_json(api, f"/payment/gateways/{config['id']}/test-connection/").content)
    seen.append(anon.get(f"/payment/invoice/{invoice.pk}/gateway/", {"token": invoice.public_token}).content)
    session = open_session(anon, invoice)
    seen.append(session.content)
    payment_id = session.json()["payment_id"]
    events = stripe_account.pay_checkout(reference_of(payment_id))
    tampered = FakeStripe.delivery(events[-1], stripe_account.webhook_secret).tampered()
    seen.append(post_delivery(tampered, config["id"]).content)
    seen.extend(str(answer).encode() for answer in deliver(stripe_account, events, config["id"]))
    seen.append(anon.get(f"/payment/status/{payment_id}/", {"token": invoice.public_token}).content)
    seen.append(post_json(api, f"/payment/{payment_id}/refund/", {"amount": "10.00"}).content)

    fake_stripe.accounts.remove(stripe_account)  # the key is revoked: Stripe answers 401 quoting it masked
    seen.append(post_json(api, f"/payment/gateways/{config['id']}/test-connection/").content)
    seen.append(post_json(api, f"/payment/{payment_id}/refund/", {"amount": "10.00"}).content)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Invalid API Key" in logged or "gateway_misconfigured" in logged  # the failure was logged...
    for secret in secrets:
        tail = secret[-16:]  # ...but no secret, nor a recognisable piece of one
        assert all(tail.encode() not in body for body in seen)
        assert tail not in logged
