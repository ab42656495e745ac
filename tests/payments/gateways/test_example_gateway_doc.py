"""The worked example in docs/ is a real, registrable gateway whose webhook path works."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from pathlib import Path

import pytest

from trackify.payments.gateways.errors import WebhookVerificationError
from trackify.payments.gateways.registry import gateway_classes, get_gateway_class
from trackify.payments.gateways.types import GatewayContext, PaymentStatus, WebhookRequest

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


@pytest.fixture
def acme(monkeypatch, settings):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    settings.PAYMENT_GATEWAYS = {**settings.PAYMENT_GATEWAYS, "acme": "acme_gateway.AcmeGateway"}
    yield get_gateway_class("acme")
    gateway_classes.cache_clear()


def test_documented_example_gateway_verifies_and_normalises_its_webhooks(acme):
    gateway = acme(GatewayContext(config_id=uuid.uuid4(), credentials={"api_key": "k", "webhook_secret": "s"}))
    payment_id = uuid.uuid4()
    body = json.dumps({"id": "evt_1", "type": "checkout.paid", "data": {
        "id": "co_1", "status": "paid", "amount": 1250, "currency": "eur",
        "metadata": {"payment_id": str(payment_id)}}}).encode()
    signature = hmac.new(b"s", body, hashlib.sha256).hexdigest()

    event = gateway.handle_webhook(WebhookRequest(body=body, headers={"acme-signature": signature}))

    assert acme.webhook_payment_hint(WebhookRequest(body=body, headers={})) == payment_id
    assert event.payment_update.status == PaymentStatus.SUCCEEDED
    assert (event.payment_update.amount, event.payment_update.currency) == (1250, "EUR")
    with pytest.raises(WebhookVerificationError):
        gateway.handle_webhook(WebhookRequest(body=body + b" ", headers={"acme-signature": signature}))
