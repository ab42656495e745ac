"""Pytest fixtures for a fake Stripe server, for any test directory that needs Stripe.

Expose them in a `conftest.py` to use them below it (pytest reads `pytest_plugins` only from the
root conftest), as `tests/payments/gateways/stripe/conftest.py` does:

    from tests.fakes import stripe_fixtures

    fake_stripe = stripe_fixtures.fake_stripe
    stripe_account = stripe_fixtures.stripe_account
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.fake_stripe import Account, FakeStripe, fast_sdk_retries


@pytest.fixture
def fake_stripe(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    """A fake Stripe server on 127.0.0.1 for this test; the SDK is pointed at it."""
    fake = FakeStripe().start()
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    settings.STRIPE_TIMEOUT_SECONDS = 5
    fast_sdk_retries(monkeypatch)
    yield fake
    fake.stop()


@pytest.fixture
def stripe_account(fake_stripe: FakeStripe) -> Account:
    """One Stripe test account at the fake, with its own keys and webhook signing secret."""
    return fake_stripe.add_account()
