"""Fixtures for the Mollie gateway's tests: a fake Mollie server per test, accounts, gateways.

Every test here talks HTTP to 127.0.0.1 only: `MOLLIE_API_BASE` points the SDK at the fake.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fakes.fake_mollie import Account, FakeMollie
from tests.payments.gateways.sessions import session_request as session_request  # the tests import it from here
from trackify.payments.gateways.mollie import MollieGateway
from trackify.payments.gateways.types import GatewayContext, PaymentLookup, SessionRequest


@pytest.fixture
def fake_mollie(settings: Any) -> Iterator[FakeMollie]:
    fake = FakeMollie().start()
    settings.MOLLIE_API_BASE = fake.url
    settings.MOLLIE_TIMEOUT_SECONDS = 2
    yield fake
    fake.stop()


@pytest.fixture
def mollie_account(fake_mollie: FakeMollie) -> Account:
    return fake_mollie.add_account()


@pytest.fixture
def make_gateway(mollie_account: Account) -> Any:
    def make(account: Account | None = None, *, api_key: str | None = None) -> MollieGateway:
        key = api_key if api_key is not None else (account or mollie_account).api_key
        return MollieGateway(GatewayContext(config_id=uuid.uuid4(), credentials={"api_key": key}))

    return make


@pytest.fixture
def gateway(make_gateway: Any) -> MollieGateway:
    return make_gateway()


def lookup_of(request: SessionRequest, reference: str) -> PaymentLookup:
    return PaymentLookup(request.payment_id, reference, request.amount, request.currency)


def pay_at_checkout(redirect_url: str, outcome: str = "paid") -> requests.Response:
    """The payer's browser at Mollie's hosted page: picks the outcome and is sent back."""
    assert requests.get(redirect_url, timeout=5).status_code == 200
    return requests.post(redirect_url, data={"status": outcome}, allow_redirects=False, timeout=5)
