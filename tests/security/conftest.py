"""Fixtures for the security tests: configs with known secrets, on every gateway."""

from __future__ import annotations

from typing import Any

import pytest

from tests.payments.api.conftest import paid_payment_id, pending_payment_id  # noqa: F401 (fixtures)
from trackify.payments.models import PaymentGatewayConfig
from trackify.payments.services.gateway_configs import gateway_config_create

SANDBOX_SECRET = "sbx_known_webhook_secret_4f1c2b9a7d"
STRIPE_SECRET_KEY = "sk_test_knownSecretKey0123456789abcdef"
STRIPE_WEBHOOK_SECRET = "whsec_knownWebhookSecret0123456789abcdef"
KNOWN_SECRETS = (SANDBOX_SECRET, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET)


@pytest.fixture
def sandbox_secret_config(user: Any) -> PaymentGatewayConfig:
    return gateway_config_create(
        owner=user, gateway_name="sandbox", credentials={"webhook_secret": SANDBOX_SECRET}, is_default=True
    )


@pytest.fixture
def stripe_secret_config(user: Any) -> PaymentGatewayConfig:
    return gateway_config_create(
        owner=user,
        gateway_name="stripe",
        credentials={
            "secret_key": STRIPE_SECRET_KEY,
            "publishable_key": "pk_test_knownPublishable0123456789",
            "webhook_secret": STRIPE_WEBHOOK_SECRET,
        },
    )
