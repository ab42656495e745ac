"""The printable receipt: behind the invoice's token, print CSS, the same 404 for every miss."""

from __future__ import annotations

import uuid

import pytest

from tests.payments.webhooks import sandbox_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(client, open_payment):
    assert sandbox_events.send(client, open_payment, "succeeded").status_code == 200
    open_payment.refresh_from_db()
    assert open_payment.status == "succeeded"
    return open_payment


def test_the_token_holder_sees_a_printable_receipt(client, paid):
    invoice = paid.invoice
    response = client.get(f"/receipt/{paid.pk}/", {"token": invoice.public_token})
    assert response.status_code == 200
    page = response.content.decode()
    assert "@media print" in page
    for shown in (invoice.number, "100.00 EUR", "0.00 EUR", "Sandbox", paid.gateway_reference, str(paid.pk)):
        assert shown in page
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_owner_sees_it_signed_in(client, user, paid):
    client.force_login(user)
    assert client.get(f"/receipt/{paid.pk}/").status_code == 200


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_a_wrong_or_missing_token_is_404(client, paid, token):
    params = {} if token is None else {"token": token}
    response = client.get(f"/receipt/{paid.pk}/", params)
    assert response.status_code == 404
    assert paid.invoice.number not in response.content.decode()


def test_a_payment_not_succeeded_is_404(client, open_payment):
    response = client.get(f"/receipt/{open_payment.pk}/", {"token": open_payment.invoice.public_token})
    assert response.status_code == 404


def test_an_unknown_payment_is_404(client, invoice):
    assert client.get(f"/receipt/{uuid.uuid4()}/", {"token": invoice.public_token}).status_code == 404


def test_another_invoices_token_is_404(client, paid, make_invoice):
    other = make_invoice()
    assert client.get(f"/receipt/{paid.pk}/", {"token": other.public_token}).status_code == 404
