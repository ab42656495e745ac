"""E-mails through a real SMTP server: receipts, owner notices, exactly once, retried, switched off."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import post_json
from tests.payments.notifications.conftest import free_port, parts
from tests.payments.webhooks import sandbox_events
from trackify.payments.models import InvoicePayment, NotificationDelivery, NotificationEvent, NotificationSettings
from trackify.payments.services.notification_settings import notification_settings_update
from trackify.payments.services.notifications import email as email_channel
from trackify.payments.services.notifications.sender import deliver_due

pytestmark = pytest.mark.django_db


def pay(anon: Any, invoice: Any, capture: Any, amount: str | None = None) -> InvoicePayment:
    """The client pays through the HTTP API; the sandbox's webhook lands; what commits is sent."""
    body = {"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token}
    if amount:
        body["amount"] = amount
    with capture(execute=True):
        session = post_json(anon, "/payment/create-session/", body).json()
    with capture(execute=True):
        completed = post_json(anon, f"/payment/sandbox/{session['payment_id']}/complete/", {"outcome": "succeeded"},
                              HTTP_X_INVOICE_TOKEN=invoice.public_token)
    assert completed.json()["delivered"] is True, completed.content
    return InvoicePayment.objects.select_related("config", "invoice").get(pk=session["payment_id"])


def test_a_paid_invoice_sends_one_receipt_to_the_client_and_one_notice_to_the_owner(
    anon, make_invoice, sandbox_config, inbox, owner_email, django_capture_on_commit_callbacks
):
    invoice = make_invoice(total="480.00", allow_partial_payment=True, issuer_name="Acme Studio")
    payment = pay(anon, invoice, django_capture_on_commit_callbacks, amount="200.00")

    assert len(inbox.messages) == 2
    (receipt,) = inbox.to("client@example.com")
    (notice,) = inbox.to(owner_email)
    assert receipt["From"] == "Trackify Payments <payments@trackify.test>"
    assert receipt["Subject"] == f"Receipt for invoice {invoice.number}"
    text, html = parts(receipt)
    link = f"https://pay.example.com/receipt/{payment.pk}/?token={invoice.public_token}"
    for body in (text, html):
        assert invoice.number in body
        assert "200.00 EUR" in body  # paid
        assert "280.00 EUR" in body  # still due
        assert "Sandbox" in body  # the gateway's display name
        assert payment.gateway_reference in body or payment.gateway_payment_reference in body
        assert link in body or link.replace("&", "&amp;") in body
        assert "Acme Studio" in body
    assert receipt["Reply-To"] is None

    assert notice["Subject"] == f"Payment received for invoice {invoice.number}"
    text, html = parts(notice)
    assert "200.00 EUR" in text and "280.00 EUR" in text and "Client Ltd" in text
    assert "200.00 EUR" in html
    assert set(NotificationDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_duplicate_and_a_reordered_webhook_send_nothing_more(
    anon, invoice, sandbox_config, inbox, owner_email, django_capture_on_commit_callbacks
):
    payment = pay(anon, invoice, django_capture_on_commit_callbacks)
    assert len(inbox.messages) == 2

    event = sandbox_events.session_payload(payment, "succeeded")
    body, headers = sandbox_events.signed(payment, event)
    with django_capture_on_commit_callbacks(execute=True):
        assert sandbox_events.deliver(anon, payment, body, headers).status_code == 200  # the same event again
        assert sandbox_events.send(anon, payment, "succeeded").status_code == 200  # another id, same news
        assert sandbox_events.send(anon, payment, "processing").status_code == 200  # late, out of order
    deliver_due()

    assert len(inbox.messages) == 2
    assert NotificationEvent.objects.filter(type="payment.succeeded").count() == 1


def test_smtp_down_is_retried_with_back_off_then_sent_when_it_is_back(
    anon, invoice, sandbox_config, smtp_server, owner_email, settings, django_capture_on_commit_callbacks
):
    inbox, controller = smtp_server
    settings.EMAIL_PORT = free_port()  # nothing listens there: connection refused
    before = timezone.now()
    pay(anon, invoice, django_capture_on_commit_callbacks)

    deliveries = list(NotificationDelivery.objects.filter(channel="email"))
    assert len(deliveries) == 2 and inbox.messages == []
    for delivery in deliveries:
        assert delivery.status == "pending" and delivery.attempts == 1
        assert delivery.last_error == "The mail server could not be reached (ConnectionRefusedError)."
        assert delivery.next_attempt_at >= before + timedelta(minutes=1)

    # Not yet due: nothing is tried.
    assert deliver_due().sent == 0
    # Due again, and still down: the next wait is twice as long.
    NotificationDelivery.objects.update(next_attempt_at=timezone.now())
    deliver_due()
    delivery = NotificationDelivery.objects.get(kind="client_receipt")
    assert delivery.attempts == 2 and delivery.next_attempt_at >= timezone.now() + timedelta(minutes=1, seconds=50)

    settings.EMAIL_PORT = controller.port  # back
    NotificationDelivery.objects.update(next_attempt_at=timezone.now())
    assert deliver_due().sent == 2
    assert len(inbox.messages) == 2
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 3 and delivery.last_error == ""


def test_after_the_last_attempt_the_delivery_is_marked_failed_with_its_error(
    anon, invoice, sandbox_config, inbox, owner_email, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_PORT = free_port()
    pay(anon, invoice, django_capture_on_commit_callbacks)
    attempts = len(email_channel.RETRY_AFTER) + 1
    assert attempts == 8 and sum(email_channel.RETRY_AFTER, timedelta()) > timedelta(hours=2)
    for _ in range(attempts - 1):
        NotificationDelivery.objects.update(next_attempt_at=timezone.now())
        deliver_due()

    for delivery in NotificationDelivery.objects.all():
        assert delivery.status == "failed" and delivery.attempts == attempts
        assert "could not be reached" in delivery.last_error
        assert "127.0.0.1" not in delivery.last_error
    assert inbox.messages == []


def test_an_smtp_error_never_carries_credentials(invoice, sandbox_config, settings, owner_email, inbox):
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "mailer", "smtp-password-do-not-leak"
    settings.EMAIL_USE_TLS = True  # the test server speaks no STARTTLS: the conversation fails
    event = NotificationEvent.objects.create(
        owner=invoice.owner, type="overpayment.detected", key="overpayment.detected:x",
        data={"invoice_id": str(invoice.pk), "currency": "EUR", "amount_overpaid": 500},
    )
    deliver_due()
    delivery = NotificationDelivery.objects.get(event=event)
    assert delivery.status == "pending" and delivery.last_error
    assert "smtp-password" not in delivery.last_error and "mailer" not in delivery.last_error


def test_kinds_turned_off_send_nothing(
    anon, invoice, sandbox_config, inbox, owner_email, user, django_capture_on_commit_callbacks
):
    notification_settings_update(owner_id=user.pk, kinds={"client_receipt": False})
    pay(anon, invoice, django_capture_on_commit_callbacks)
    assert [m["To"] for m in inbox.messages] == [owner_email]



def test_no_address_no_email(anon, make_invoice, sandbox_config, inbox, django_capture_on_commit_callbacks):
    invoice = make_invoice(client_email="")  # and the owner has no e-mail address
    pay(anon, invoice, django_capture_on_commit_callbacks)
    assert inbox.messages == []
    assert not NotificationDelivery.objects.filter(channel="email").exists()


def test_every_kind_off_sends_nothing(
    anon, invoice, sandbox_config, inbox, owner_email, user, django_capture_on_commit_callbacks
):
    notification_settings_update(owner_id=user.pk, kinds=dict.fromkeys(NotificationSettings.KINDS, False))
    pay(anon, invoice, django_capture_on_commit_callbacks)
    assert inbox.messages == []


def test_reply_to_is_the_owners_when_set(
    anon, invoice, sandbox_config, inbox, owner_email, user, django_capture_on_commit_callbacks
):
    notification_settings_update(owner_id=user.pk, reply_to="billing@acme.example")
    pay(anon, invoice, django_capture_on_commit_callbacks)
    assert len(inbox.messages) == 2
    assert {m["Reply-To"] for m in inbox.messages} == {"billing@acme.example"}
    assert {m["From"] for m in inbox.messages} == {"Trackify Payments <payments@trackify.test>"}


def test_a_refund_tells_the_client_and_the_owner(
    api, anon, invoice, sandbox_config, inbox, owner_email, django_capture_on_commit_callbacks
):
    payment = pay(anon, invoice, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(api, f"/payment/{payment.pk}/refund/", {"amount": "40.00"})
    assert response.status_code in (200, 201), response.content
    deliver_due()

    (refund,) = [m for m in inbox.to("client@example.com") if m["Subject"].startswith("Refund")]
    text, _ = parts(refund)
    assert "40.00 EUR" in text
    (notice,) = [m for m in inbox.to(owner_email) if m["Subject"].startswith("Refund")]
    assert "40.00 EUR" in parts(notice)[0]


def test_a_dispute_tells_the_owner_its_deadline(invoice, sandbox_config, user, inbox, owner_email):
    due = timezone.now() + timedelta(days=7)
    NotificationEvent.objects.create(
        owner=user, type="dispute.opened", key="dispute.opened:d1",
        data={"invoice_id": str(invoice.pk), "currency": "EUR", "dispute_id": "00000000-0000-0000-0000-000000000000",
              "amount": 10000, "status": "needs_response", "evidence_due_by": due.isoformat()},
    )
    deliver_due()
    (notice,) = inbox.messages
    text, html = parts(notice)
    assert f"{due:%Y-%m-%d}" in text and "7 days left" in text and "100.00 EUR" in text
    assert f"{due:%Y-%m-%d}" in html


def test_invoice_events_send_no_email(invoice, user, inbox, owner_email):
    NotificationEvent.objects.create(owner=user, type="invoice.paid", key="invoice.paid:x",
                                     data={"invoice_id": str(invoice.pk), "currency": "EUR"})
    deliver_due()
    assert inbox.messages == []
    assert not NotificationDelivery.objects.exists()


def test_email_off_records_no_delivery(invoice, user, inbox, owner_email, settings):
    settings.TRACKIFY_EMAIL_ENABLED = False
    NotificationEvent.objects.create(owner=user, type="overpayment.detected", key="overpayment.detected:y",
                                     data={"invoice_id": str(invoice.pk), "currency": "EUR", "amount_overpaid": 1})
    deliver_due()
    assert not NotificationDelivery.objects.filter(channel="email").exists()
