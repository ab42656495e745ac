"""Helpers for the payments API tests: open, complete and pay sessions over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.conftest import post_json
from trackify.invoices.models import Invoice


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response has `status` and the one JSON error shape; returns the error object."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


def assert_refused_to_anonymous(response: Any) -> None:
    """Anonymous callers of an authenticated endpoint get 401 or 403, in the JSON error shape."""
    assert response.status_code in (401, 403), response.content
    assert_error(response, response.status_code)


def create_session(client: APIClient, invoice: Invoice, *, token: str | None = None, **body: Any) -> Any:
    data: dict[str, Any] = {"invoice_id": str(invoice.pk), **body}
    if token is not None:
        data["invoice_token"] = token
    return post_json(client, "/payment/create-session/", data)


def complete(client: APIClient, payment_id: str, outcome: str = "succeeded", **body: Any) -> Any:
    return post_json(client, f"/payment/sandbox/{payment_id}/complete/", {"outcome": outcome, **body})


def pay(client: APIClient, invoice: Invoice, **body: Any) -> str:
    """Open a session as `client` (the owner) and complete it; returns the payment id."""
    response = create_session(client, invoice, **body)
    assert response.status_code == 201, response.content
    payment_id = response.json()["payment_id"]
    completed = complete(client, payment_id)
    assert completed.status_code == 200, completed.content
    assert completed.json()["delivered"] is True
    return str(payment_id)


@pytest.fixture
def pending_payment_id(api: APIClient, invoice: Invoice, sandbox_config: Any) -> str:
    """A pending sandbox payment of the whole invoice, opened by its owner over HTTP."""
    response = create_session(api, invoice)
    assert response.status_code == 201, response.content
    return str(response.json()["payment_id"])


@pytest.fixture
def paid_payment_id(api: APIClient, invoice: Invoice, sandbox_config: Any) -> str:
    """A succeeded sandbox payment of the whole invoice."""
    return pay(api, invoice)
