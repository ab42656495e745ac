"""The invoice admin: status and currency are fixed once a payment exists; the amounts never are editable."""

from __future__ import annotations

from typing import Any

from django.test import Client

from trackify.invoices.models import Invoice

EDITABLE_WHILE_UNPAID = ("status", "currency")
NEVER_IN_THE_FORM = ("total", "amount_paid")


def _change_url(invoice: Invoice) -> str:
    return f"/admin/invoices/invoice/{invoice.pk}/change/"


def _post_changes(admin_client: Client, invoice: Invoice) -> Any:
    """The change form as a browser sends it, with the status, currency and amounts altered as well."""
    return admin_client.post(_change_url(invoice), {
        "owner": invoice.owner_id, "number": invoice.number, "client_name": "Renamed Ltd",
        "client_email": invoice.client_email, "issuer_name": "", "issued_on": invoice.issued_on.isoformat(),
        "due_on": "", "status": "void", "currency": "USD", "total": "1", "amount_paid": "99999",
    })


def _inputs(page: Any) -> set[str]:
    return {name for name in (*EDITABLE_WHILE_UNPAID, *NEVER_IN_THE_FORM) if f'name="{name}"'.encode() in page.content}


def test_with_a_payment_status_currency_and_amounts_are_read_only(admin_client, invoice, open_payment):
    page = admin_client.get(_change_url(invoice))
    assert page.status_code == 200
    assert _inputs(page) == set()
    assert b"Open" in page.content and b"EUR" in page.content  # shown, not editable

    response = _post_changes(admin_client, invoice)
    assert response.status_code == 302, response.content[:2000]
    after = Invoice.objects.get(pk=invoice.pk)
    assert after.client_name == "Renamed Ltd"  # the form was saved
    assert (after.status, after.currency, after.total, after.amount_paid) == ("open", "EUR", 10000, 0)


def test_without_payments_status_and_currency_stay_editable(admin_client, invoice):
    assert _inputs(admin_client.get(_change_url(invoice))) == set(EDITABLE_WHILE_UNPAID)

    response = _post_changes(admin_client, invoice)
    assert response.status_code == 302, response.content[:2000]
    after = Invoice.objects.get(pk=invoice.pk)
    assert (after.status, after.currency) == ("void", "USD")
    assert (after.total, after.amount_paid) == (10000, 0)  # amounts are the API's and the payments'
