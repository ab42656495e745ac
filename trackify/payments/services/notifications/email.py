"""The e-mail channel: receipts and refund notices to the client, notices to the owner.

`expand` decides who is written to when an event happens (the kinds the owner left on, to the
addresses we have); `send` renders the e-mail from the rows as they are now (the event's data when a
row is gone) and hands it to Django's e-mail backend (EMAIL_URL, config/settings/email.py).

Texts go through Django's translation machinery in the invoice's language; no invoice stores one
yet, so it is English (`_language_of`), and adding a language is adding its catalogue.
"""

from __future__ import annotations

import smtplib
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from trackify.common.money import format_amount
from trackify.invoices.models import Invoice
from trackify.payments.models import (
    InvoicePayment,
    NotificationDelivery,
    NotificationEvent,
    NotificationSettings,
    PaymentDispute,
)
from trackify.payments.services.notification_settings import notification_settings_of
from trackify.payments.services.notifications.channels import Channel, DeliveryFailed, exponential

# The e-mails each event makes, client's first. invoice.* events make none (the receipt says what is due).
KINDS_BY_EVENT: dict[str, tuple[str, ...]] = {
    "payment.succeeded": ("client_receipt", "owner_payment_received"),
    "payment.failed": ("owner_payment_failed",),
    "payment.refunded": ("client_refund", "owner_refund"),
    "overpayment.detected": ("owner_overpayment",),
    "dispute.opened": ("owner_dispute_opened",),
    "dispute.closed": ("owner_dispute_closed",),
    "owner.health_digest": ("owner_health_digest",),
    "owner.endpoint_disabled": ("owner_endpoint_disabled",),
}

# Subjects per kind, translated at send time (gettext_noop: marked for the catalogue only).
SUBJECTS = {
    "client_receipt": translation.gettext_noop("Receipt for invoice %(number)s"),
    "client_refund": translation.gettext_noop("Refund on invoice %(number)s"),
    "owner_payment_received": translation.gettext_noop("Payment received for invoice %(number)s"),
    "owner_payment_failed": translation.gettext_noop("A payment failed for invoice %(number)s"),
    "owner_refund": translation.gettext_noop("Refund made on invoice %(number)s"),
    "owner_overpayment": translation.gettext_noop("Invoice %(number)s was overpaid"),
    "owner_dispute_opened": translation.gettext_noop("A payment for invoice %(number)s is disputed"),
    "owner_dispute_closed": translation.gettext_noop("The dispute on invoice %(number)s is closed"),
    "owner_health_digest": translation.gettext_noop("Your payment gateways need attention"),
    "owner_endpoint_disabled": translation.gettext_noop("A webhook endpoint of yours was turned off"),
}

# 8 attempts over about 2 hours: 1, 2, 4 ... 64 minutes apart (a mail server's restart or maintenance).
RETRY_AFTER = exponential(timedelta(minutes=1), attempts=7)


def expand(event: NotificationEvent) -> list[NotificationDelivery]:
    kinds = KINDS_BY_EVENT.get(event.type, ())
    if not kinds or not settings.TRACKIFY_EMAIL_ENABLED:
        return []
    # One query for the owner and their settings; the invoice only when a client e-mail is wanted.
    owner = get_user_model().objects.select_related("notification_settings").filter(pk=event.owner_id).first()
    if owner is None:
        return []
    wanted = _settings_of(owner)
    deliveries = []
    for kind in kinds:
        if not wanted.is_on(kind):
            continue
        address = _client_address(event) if kind.startswith("client_") else (getattr(owner, "email", "") or "")
        if address:
            deliveries.append(NotificationDelivery(kind=kind, target=address))
    return deliveries


def _settings_of(owner: Any) -> NotificationSettings:
    try:
        row: NotificationSettings = owner.notification_settings
    except NotificationSettings.DoesNotExist:
        return NotificationSettings(owner_id=owner.pk)  # never changed: the defaults
    return row


def _client_address(event: NotificationEvent) -> str:
    invoice = Invoice.objects.filter(pk=event.data.get("invoice_id")).only("client_email").first()
    return invoice.client_email if invoice is not None else ""


def send(delivery: NotificationDelivery, timeout: float) -> None:
    message = build_message(delivery)
    try:
        connection = get_connection(timeout=timeout)
        message.connection = connection
        message.send(fail_silently=False)
    except smtplib.SMTPAuthenticationError:
        # Our credentials, not the message: fixed in EMAIL_URL, the next attempt goes.
        raise DeliveryFailed("The mail server refused our login (EMAIL_URL's user and password).") from None
    except smtplib.SMTPResponseException as exc:
        # 5xx: the server refuses for good (no such mailbox...); 4xx: try again later.
        raise DeliveryFailed(f"The mail server answered {exc.smtp_code}.", retry=exc.smtp_code < 500) from None
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryFailed("The mail server refused the recipient.", retry=False) from None
    except (smtplib.SMTPException, OSError) as exc:
        # Connection refused, time-out, TLS or login failure: the class only, never the server's text
        # (it may repeat the user name) nor the connection's settings.
        reason = "timed out" if isinstance(exc, (TimeoutError, socket.timeout)) else type(exc).__name__
        raise DeliveryFailed(f"The mail server could not be reached ({reason}).") from None


def build_message(delivery: NotificationDelivery) -> EmailMultiAlternatives:
    """The e-mail of `delivery`, rendered now from the current rows."""
    event = delivery.event
    facts = _facts(event)
    with translation.override(_language_of(facts.invoice)):
        context = {**facts.context(), "kind": delivery.kind}
        subject = gettext(SUBJECTS[delivery.kind]) % {"number": context.get("invoice_number", "")}
        text = render_to_string(f"notifications/{delivery.kind}.txt", context)
        html = render_to_string(f"notifications/{delivery.kind}.html", context)
    wanted = notification_settings_of(event.owner_id)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.target],
        reply_to=[wanted.reply_to] if wanted.reply_to else None,
        # The delivery's id: a receiver (or a support question) can tell two copies of one e-mail.
        headers={"X-Trackify-Notification": str(delivery.pk)},
    )
    message.attach_alternative(html, "text/html")
    return message


def _language_of(invoice: Invoice | None) -> str:
    # Invoices store no language yet: English. Where they do, this returns it.
    return "en"


def money(minor: int | None, currency: str) -> str:
    """As the API and the pay page show amounts: "123.45 EUR"."""
    return "" if minor is None else f"{format_amount(int(minor), currency)} {currency}"


@dataclass
class _Facts:
    event: NotificationEvent
    invoice: Invoice | None
    payment: InvoicePayment | None
    dispute: PaymentDispute | None

    def context(self) -> dict[str, Any]:
        data = self.event.data
        currency = data.get("currency") or (self.invoice.currency if self.invoice else "")
        invoice, payment = self.invoice, self.payment
        context: dict[str, Any] = {
            "data": data,
            "currency": currency,
            "invoice_number": invoice.number if invoice else "",
            "client_name": invoice.client_name if invoice else "",
            "issuer_name": (invoice.issuer_name if invoice else "") or gettext("your supplier"),
            "amount": money(data.get("amount"), currency),
            "amount_due": money(invoice.amount_due, currency) if invoice else "",
            "amount_paid": money(invoice.amount_paid, currency) if invoice else "",
            "amount_overpaid": money(
                invoice.amount_overpaid if invoice else data.get("amount_overpaid"), currency
            ),
            "gateway": payment.config.display_name if payment else "",
            "reference": (payment.gateway_payment_reference or payment.gateway_reference) if payment else "",
            "paid_at": (payment.succeeded_at if payment and payment.succeeded_at else self.event.occurred_at),
            "occurred_at": self.event.occurred_at,
            "failure_message": data.get("failure_message", "") or (payment.failure_message if payment else ""),
            "refund_by_provider": data.get("source") == "gateway",
            "receipt_url": receipt_url(payment) if payment else "",
            "dashboard_url": f"{settings.TRACKIFY_SITE_URL}/payments/",
            "gateways_url": f"{settings.TRACKIFY_SITE_URL}/settings/gateways/",
            "settings_url": f"{settings.TRACKIFY_SITE_URL}/settings/notifications/",
        }
        dispute = self.dispute
        due = dispute.evidence_due_by if dispute else _datetime(data.get("evidence_due_by"))
        context.update(
            dispute_status=(dispute.status if dispute else data.get("status", "")).replace("_", " "),
            dispute_amount=money(dispute.amount if dispute else data.get("amount"), currency),
            evidence_due_by=due,
            days_left=(timezone.localdate(due) - timezone.localdate()).days if due else None,
        )
        return context


def _facts(event: NotificationEvent) -> _Facts:
    data = event.data
    payment = (
        InvoicePayment.objects.select_related("config", "invoice").filter(pk=data["payment_id"]).first()
        if data.get("payment_id")
        else None
    )
    invoice = payment.invoice if payment else Invoice.objects.filter(pk=data.get("invoice_id")).first()
    dispute = PaymentDispute.objects.filter(pk=data["dispute_id"]).first() if data.get("dispute_id") else None
    return _Facts(event=event, invoice=invoice, payment=payment, dispute=dispute)


def _datetime(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def receipt_url(payment: InvoicePayment) -> str:
    """The printable receipt, behind the invoice's token like the pay page."""
    path = reverse("payment-receipt", args=[payment.pk])
    return f"{settings.TRACKIFY_SITE_URL}{path}?{urlencode({'token': payment.invoice.public_token})}"


CHANNEL: Channel = Channel(name="email", expand=expand, send=send, retry_after=RETRY_AFTER)
