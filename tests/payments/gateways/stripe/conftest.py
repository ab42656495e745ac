"""Fixtures for the Stripe gateway's tests: a fake Stripe server per test, accounts, gateways.

Every test here talks HTTP to 127.0.0.1 only: `STRIPE_API_BASE` points the SDK at the fake.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.fakes import stripe_fixtures
from tests.fakes.fake_stripe import Account
from tests.payments.gateways.sessions import session_request as session_request  # the tests import it from here
from trackify.payments.gateways.stripe import StripeGateway
from trackify.payments.gateways.types import GatewayContext, PaymentFlow

# The fake Stripe server and one account at it (shared with any other test directory).
fake_stripe = stripe_fixtures.fake_stripe
stripe_account = stripe_fixtures.stripe_account


def credentials_of(account: Account, *, webhook_secret: bool = True) -> dict[str, str]:
    credentials = {"secret_key": account.secret_key, "publishable_key": account.publishable_key}
    if webhook_secret:
        credentials["webhook_secret"] = account.webhook_secret
    return credentials


@pytest.fixture
def make_gateway(stripe_account: Account) -> Any:
    def make(
        account: Account | None = None,
        *,
        flow: PaymentFlow = PaymentFlow.REDIRECT,
        credentials: dict[str, str] | None = None,
    ) -> StripeGateway:
        return StripeGateway(
            GatewayContext(
                config_id=uuid.uuid4(),
                credentials=credentials if credentials is not None else credentials_of(account or stripe_account),
                flow=flow,
            )
        )

    return make


@pytest.fixture
def gateway(make_gateway: Any) -> StripeGateway:
    return make_gateway()


# -- for the tests through our HTTP API ------------------------------------------------------------


@pytest.fixture
def stripe_config(api: Any, stripe_account: Account) -> dict[str, Any]:
    """The invoice owner's default config: Stripe Checkout (redirect) on the fake account."""
    from tests.payments.gateways.stripe.stripe_api import create_stripe_config

    return create_stripe_config(api, stripe_account, is_default=True)


@pytest.fixture
def modal_config(api: Any, stripe_account: Account) -> dict[str, Any]:
    """The invoice owner's default config: a PaymentIntent for Stripe Elements (in-modal)."""
    from tests.payments.gateways.stripe.stripe_api import create_stripe_config

    return create_stripe_config(api, stripe_account, flow="in_modal", is_default=True)
