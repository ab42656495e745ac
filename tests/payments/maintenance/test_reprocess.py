"""`webhook_events_reprocess`: stored events that failed, were deferred or were left half-done by a
process that died are applied again from their verified payloads, once."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.payments.webhooks.sandbox_events import session_payload
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment, PaymentWebhookEvent
from trackify.payments.services.catch_up import webhook_events_reprocess

pytestmark = pytest.mark.django_db

Status = PaymentWebhookEvent.Status


def stored(payment: InvoicePayment, status: str, *, minutes_ago: int = 5) -> PaymentWebhookEvent:
    """An event row as a delivery left it: verified and stored, not (or not successfully) applied."""
    payload = session_payload(payment, "succeeded")
    row = PaymentWebhookEvent.objects.create(
        gateway_name="sandbox",
        config=payment.config,
        gateway_event_id=payload["id"],
        event_type=payload["type"],
        payload=payload,
        status=status,
        error="OperationalError: the database went away" if status == Status.FAILED else "",
    )
    PaymentWebhookEvent.objects.filter(pk=row.pk).update(received_at=timezone.now() - timedelta(minutes=minutes_ago))
    return row


@pytest.mark.parametrize("status", [Status.FAILED, Status.DEFERRED, Status.RECEIVED])
def test_an_event_not_done_is_applied_by_the_command(open_payment, status) -> None:
    row = stored(open_payment, status)
    out = StringIO()
    call_command("webhook_events_reprocess", stdout=out, stderr=StringIO())

    row.refresh_from_db()
    assert (row.status, row.error) == (Status.PROCESSED, "")
    invoice = Invoice.objects.get(pk=open_payment.invoice_id)
    assert (invoice.status, invoice.amount_paid) == ("paid", open_payment.amount)
    assert "stored events to process again: 1" in out.getvalue()
    assert "1 processed" in out.getvalue()


def test_running_it_again_changes_nothing(open_payment) -> None:
    stored(open_payment, Status.FAILED)
    webhook_events_reprocess()
    assert webhook_events_reprocess().total == 0
    assert InvoicePayment.objects.get(pk=open_payment.pk).status == "succeeded"
    assert Invoice.objects.get(pk=open_payment.invoice_id).amount_paid == open_payment.amount


def test_an_event_a_delivery_may_be_working_on_is_left_alone(open_payment) -> None:
    row = stored(open_payment, Status.RECEIVED, minutes_ago=0)
    assert webhook_events_reprocess(older_than=timedelta(minutes=1)).total == 0
    row.refresh_from_db()
    assert row.status == Status.RECEIVED


def test_done_events_are_never_applied_again(open_payment) -> None:
    stored(open_payment, Status.PROCESSED)
    stored(open_payment, Status.IGNORED)
    assert webhook_events_reprocess().total == 0
    assert InvoicePayment.objects.get(pk=open_payment.pk).status == "pending"
