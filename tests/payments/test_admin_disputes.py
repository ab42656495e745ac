"""The admin shows disputes on their payment's page and their invoice's, with their history, read-only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.payments.api.conftest import pay
from tests.payments.disputes import report_dispute
from trackify.payments.gateways.types import DisputeStatus
from trackify.payments.models import PaymentDispute

DUE = datetime(2026, 12, 14, 23, 59, tzinfo=UTC)


@pytest.fixture
def dispute(api, invoice, sandbox_config) -> PaymentDispute:
    """A chargeback of 40.00 of a paid 100.00, then under review: two changes in its history."""
    payment_id = pay(api, invoice)
    report_dispute(payment_id, gateway_dispute_id="dp_admin_1", amount=4000, evidence_due_by=DUE)
    return report_dispute(payment_id, gateway_dispute_id="dp_admin_1", amount=4000, status=DisputeStatus.UNDER_REVIEW)


def test_the_payment_page_shows_its_disputes_and_what_they_hold(admin_client, dispute):
    page = admin_client.get(f"/admin/payments/invoicepayment/{dispute.payment_id}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "dp_admin_1" in html and "Under review" in html
    assert "40.00 EUR" in html  # disputed, withdrawn, and held by the payment's disputes
    assert f'href="/admin/payments/paymentdispute/{dispute.pk}/change/"' in html


def test_the_dispute_page_shows_its_history(admin_client, dispute):
    page = admin_client.get(f"/admin/payments/paymentdispute/{dispute.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "(opened)" in html and "Needs response" in html and "Under review" in html
    assert "Held (withdrawn less reinstated)" in html and "40.00 EUR" in html


def test_the_dispute_list_loads_filters_and_searches(admin_client, dispute):
    assert admin_client.get("/admin/payments/paymentdispute/").status_code == 200
    found = admin_client.get("/admin/payments/paymentdispute/", {"q": "dp_admin_1", "status": "under_review"})
    assert found.status_code == 200 and b"dp_admin_1" in found.content
    missing = admin_client.get("/admin/payments/paymentdispute/", {"status": "lost"})
    assert b"dp_admin_1" not in missing.content


def test_the_invoice_page_shows_its_payments_disputes(admin_client, dispute, invoice):
    page = admin_client.get(f"/admin/invoices/invoice/{invoice.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<a href="/admin/payments/paymentdispute/{dispute.pk}/change/">dp_admin_1</a>' in html
    assert "Under review, disputed 40.00 EUR, withdrawn 40.00 EUR, reinstated 0.00 EUR" in html
    assert "evidence due 2026-12-14 23:59 UTC" in html


def test_disputes_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, dispute):
    base = "/admin/payments/paymentdispute/"
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}{dispute.pk}/change/", {"status": "won"}).status_code == 403
    assert admin_client.post(f"{base}{dispute.pk}/delete/", {"post": "yes"}).status_code == 403
    # Nor through the payment's page, where they show inline.
    payment_page = f"/admin/payments/invoicepayment/{dispute.payment_id}/change/"
    assert admin_client.post(payment_page, {"disputes-TOTAL_FORMS": "2"}).status_code == 403
    dispute.refresh_from_db()
    assert dispute.status == "under_review"
    assert PaymentDispute.objects.count() == 1
