"""Fixtures every test may use: users, API clients, invoices and gateway configs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.secret_scan import _no_secret_leaked, _secret_scan_hooks  # noqa: F401 (autouse fixtures)
from trackify.invoices.models import Invoice
from trackify.invoices.services import invoice_create
from trackify.payments.models import PaymentGatewayConfig
from trackify.payments.services.gateway_configs import gateway_config_create


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Tests marked `postgres` skip, with the reason, when the database is not PostgreSQL."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    for item in items:
        marker = item.get_closest_marker("postgres")
        if marker is not None:
            why = marker.kwargs.get("reason", "row locks and real concurrency")
            item.add_marker(pytest.mark.skip(reason=f"needs PostgreSQL ({why}); running on SQLite"))


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    """Throttle counters and cached values never carry from one test to the next.

    Only this process's memory is cleared: clear() on a shared Redis would empty its whole database.
    """
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()
    yield


@pytest.fixture
def make_user(db: Any) -> Any:
    counter = iter(range(1, 10_000))

    def make(username: str | None = None) -> Any:
        return get_user_model().objects.create_user(
            username=username or f"user{next(counter)}", password="pw-for-tests-only"
        )

    return make


@pytest.fixture
def user(make_user: Any) -> Any:
    return make_user("owner")


@pytest.fixture
def other_user(make_user: Any) -> Any:
    return make_user("stranger")


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


def client_for(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(user: Any) -> APIClient:
    """The invoice owner's client, authenticated by API token."""
    return client_for(user)


@pytest.fixture
def other_api(other_user: Any) -> APIClient:
    return client_for(other_user)


@pytest.fixture
def make_invoice(user: Any) -> Any:
    counter = iter(range(1, 10_000))

    def make(owner: Any = None, **overrides: Any) -> Invoice:
        fields: dict[str, Any] = {
            "number": f"INV-{next(counter):04d}",
            "client_name": "Client Ltd",
            "client_email": "client@example.com",
            "currency": "EUR",
            "total": "100.00",
        }
        fields.update(overrides)
        return invoice_create(owner=owner or user, **fields)

    return make


@pytest.fixture
def invoice(make_invoice: Any) -> Invoice:
    return make_invoice()


@pytest.fixture
def sandbox_config(user: Any) -> PaymentGatewayConfig:
    return gateway_config_create(owner=user, gateway_name="sandbox", display_name="Sandbox", is_default=True)


def post_json(client: APIClient, url: str, data: Any = None, **extra: Any) -> Any:
    return client.post(url, data=json.dumps(data or {}), content_type="application/json", **extra)


@pytest.fixture
def open_payment(invoice: Invoice, sandbox_config: PaymentGatewayConfig) -> Any:
    """A pending sandbox payment for the whole of `invoice`, opened through the service."""
    from trackify.payments.services.sessions import payment_session_create

    return payment_session_create(invoice_id=invoice.pk).payment


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests import secret_scan

    terminalreporter.write_line(
        f"secrets scan: {secret_scan.scanned['responses']} responses and {secret_scan.scanned['log_records']} log "
        f"records searched for {len(secret_scan.known)} stored credentials"
    )
