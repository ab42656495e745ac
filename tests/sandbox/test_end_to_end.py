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


def pay(anon: Any, invoice: Any, amount: str | None = None) -> dict:
    body = {"amount": amount} if amount else {}
    session = create_session_as_client(anon, invoice, **body).json()
    completed = post_json(
        anon, f"/payment/sandbox/{session['payment_id']}/complete/", {"outcome": "succeeded"},
        HTTP_X_INVOICE_TOKEN=invoice.public_token,
    )
    assert completed.json()["delivered"] is True
    return session


def invoice_status(anon: Any, invoice: Any, payment_id: str) -> dict:
    return anon.get(f"/payment/status/{payment_id}/", {"token": invoice.public_token}).json()


def test_client_pays_in_two_parts_where_partial_payment_is_allowed(anon, make_invoice, sandbox_config):
    invoice = make_invoice(total="480.00", allow_partial_payment=True)

    first = pay(anon, invoice, "200.00")
    after_first = invoice_status(anon, invoice, first["payment_id"])["invoice"]
    assert (after_first["status"], after_first["amount_paid"], after_first["amount_due"]) == (
        "partially_paid", "200.00", "280.00")

    second = pay(anon, invoice)  # the rest, by default
    after_second = invoice_status(anon, invoice, second["payment_id"])["invoice"]
    assert (after_second["status"], after_second["amount_paid"], after_second["amount_due"]) == (
        "paid", "480.00", "0.00")


def test_owner_refunds_in_parts_and_the_invoice_follows(anon, api, invoice, sandbox_config):
    session = pay(anon, invoice)
    payment_url = f"/payment/{session['payment_id']}/refund/"

    first = post_json(api, payment_url, {"amount": "30.00", "reason": "discount"})
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "succeeded"
    assert first.json()["payment_status"] == "partially_refunded"
    assert invoice_status(anon, invoice, session["payment_id"])["invoice"]["status"] == "partially_paid"

    rest = post_json(api, payment_url, {})
    assert rest.status_code == 201, rest.content
    assert rest.json()["amount"] == "70.00"
    status = invoice_status(anon, invoice, session["payment_id"])
    assert (status["status"], status["refunded_amount"]) == ("refunded", "100.00")
    assert (status["invoice"]["status"], status["invoice"]["amount_paid"]) == ("open", "0.00")

    assert post_json(api, payment_url, {"amount": "1.00"}).status_code == 409


def test_asynchronous_payment_is_processing_then_settles(anon, invoice, sandbox_config, settings):
    settings.TRACKIFY_SANDBOX_SETTLE_SECONDS = 0
    settings.TRACKIFY_STATUS_REFRESH_INTERVAL = 0
    session = create_session_as_client(anon, invoice).json()
    post_json(anon, f"/payment/sandbox/{session['payment_id']}/complete/", {"outcome": "processing"},
              HTTP_X_INVOICE_TOKEN=invoice.public_token)
    # The webhook said "processing"; the next status check finds it settled at the provider.
    status = invoice_status(anon, invoice, session["payment_id"])
    assert status["status"] == "succeeded"
    assert status["invoice"]["status"] == "paid"


def test_yen_and_dinar_amounts_are_exact(anon, make_invoice, sandbox_config):
    yen = make_invoice(currency="JPY", total="12345")
    dinar = make_invoice(currency="KWD", total="12.345")
    assert create_session_as_client(anon, yen).json()["amount"] == "12345"
    assert create_session_as_client(anon, dinar).json()["amount"] == "12.345"
    refused = create_session_as_client(anon, make_invoice(currency="JPY", total="500", allow_partial_payment=True),
                                       amount="10.5")
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "amount"
