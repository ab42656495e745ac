"""The whole flow over HTTP on the sandbox: the client pays, the webhook lands, the invoice is paid."""

from __future__ import annotations

from typing import Any

from tests.conftest import post_json


def create_session_as_client(anon: Any, invoice: Any, **body: Any) -> Any:
    return post_json(
        anon, "/payment/create-session/", {"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token, **body}
    )


def test_client_pays_invoice_in_full_through_sandbox(anon, invoice, sandbox_config):
    response = create_session_as_client(anon, invoice)
    assert response.status_code == 201, response.content
    session = response.json()
    assert session["status"] == "pending"
    assert session["amount"] == "100.00"
    assert session["currency"] == "EUR"
    assert session["redirect_url"].startswith("http://127.0.0.1:8000/sandbox/checkout/sbx_sess_")

    completed = post_json(
        anon,
        f"/payment/sandbox/{session['payment_id']}/complete/",
        {"outcome": "succeeded"},
        HTTP_X_INVOICE_TOKEN=invoice.public_token,
    )
    assert completed.status_code == 200, completed.content
    assert completed.json()["delivered"] is True

    status = anon.get(f"/payment/status/{session['payment_id']}/", {"token": invoice.public_token}).json()
    assert status["status"] == "succeeded"
    assert status["invoice"]["status"] == "paid"
    assert status["invoice"]["amount_paid"] == "100.00"
    assert status["invoice"]["amount_due"] == "0.00"
