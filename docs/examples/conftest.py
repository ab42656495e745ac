"""The outside package's conftest: register the gateway for its tests (a real package would name
it in its test settings, or rely on its `trackify.payment_gateways` entry point)."""

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _acme_registered(settings: Any) -> None:
    settings.PAYMENT_GATEWAYS = {**settings.PAYMENT_GATEWAYS, "acme": "acme_gateway.AcmeGateway"}
