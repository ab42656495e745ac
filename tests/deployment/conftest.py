"""Tests that run Trackify as it is deployed: under gunicorn, against the test database.

They need PostgreSQL (the server's processes must see the test's committed rows), so they are
marked `postgres` and run in the PostgreSQL pass only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from bench import harness
from tests.fakes import stripe_fixtures

fake_stripe = stripe_fixtures.fake_stripe
stripe_account = stripe_fixtures.stripe_account


def database_url_for_servers() -> str:
    s = connection.settings_dict
    return f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def stripe_config(api: Any, stripe_account: Any) -> dict[str, Any]:
    from tests.payments.gateways.stripe.stripe_api import create_stripe_config

    return create_stripe_config(api, stripe_account, is_default=True)


@pytest.fixture
def live_trackify(fake_stripe: Any) -> Iterator[harness.Server]:
    """Trackify under gunicorn (config/gunicorn.conf.py, 3 sync workers) with the test settings."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_servers(),
        "STRIPE_API_BASE": fake_stripe.url,
        "STRIPE_MAX_NETWORK_RETRIES": "0",
        "GUNICORN_PRELOAD": "1",
    }
    with harness.gunicorn("config.wsgi:application", env, workers=3, probe="/payment/gateway-types/") as server:
        yield server
