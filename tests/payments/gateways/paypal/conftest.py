"""Fixtures for the PayPal gateway's tests: the fake PayPal server, an app at it, configs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import post_json
from tests.fakes import fake_paypal as fakes
from tests.fakes.fake_paypal import App

fake_paypal = fakes.fake_paypal
paypal_app = fakes.paypal_app


def credentials_of(app: App) -> dict[str, str]:
    return {"client_id": app.client_id, "client_secret": app.client_secret, "webhook_id": app.webhook_id}


def create_paypal_config(api: Any, app: App, *, flow: str = "redirect", **body: Any) -> dict[str, Any]:
    response = post_json(
        api, "/payment/gateways/", {"gateway_name": "paypal", "credentials": credentials_of(app), "flow": flow, **body}
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


@pytest.fixture
def paypal_config(api: Any, paypal_app: App) -> dict[str, Any]:
    return create_paypal_config(api, paypal_app, is_default=True)
