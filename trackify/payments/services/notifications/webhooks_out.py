"""Signed webhooks to the owner's own systems (Standard Webhooks: https://www.standardwebhooks.com/).

Each event is sent to every enabled endpoint of its owner that subscribes its type, as

    {"id": <the event's id>, "type": "payment.succeeded", "timestamp": <when it happened>,
     "data": {"object": <the payment or invoice as our API shows it>, "details": <the event's figures>}}

signed with the endpoint's secret (headers webhook-id: the delivery's id, the same on every retry, so
the receiver can drop a second copy; webhook-timestamp; webhook-signature). A 2xx answer is sent;
anything else (a 3xx too: redirects are not followed) or no answer is a failed attempt, tried again
over about three days (`RETRY_AFTER`). Every attempt is logged (`WebhookDeliveryAttempt`). An endpoint
is disabled, and its owner told (an `owner.endpoint_disabled` event), when a delivery gives up or after
`DISABLE_AFTER_FAILURES` failed attempts in a row.

The payment object is built here, field for field as the owner's payments list shows a row
(api/owner_serializers.OwnerPaymentSerializer): services do not import the API.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
import uuid
from datetime import timedelta
from typing import Any

import requests
from django.db.models import F, QuerySet
from django.utils import timezone
from standardwebhooks import Webhook

from trackify.common.money import format_amount
from trackify.invoices.models import Invoice
from trackify.payments.models import (
    InvoicePayment,
    NotificationDelivery,
    NotificationEvent,
    PaymentDispute,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
)
from trackify.payments.services.notifications import outbox
from trackify.payments.services.notifications.channels import Channel, DeliveryFailed
from trackify.payments.services.notifications.destinations import DestinationRefused, check_url
from trackify.payments.state import DISPUTE_OPEN

logger = logging.getLogger(__name__)

NAME = "webhook"
EVENT_TYPES = (
    "payment.succeeded", "payment.failed", "payment.refunded", "invoice.paid", "invoice.partially_paid",
    "dispute.opened", "dispute.closed", "overpayment.detected",
)
TEST_EVENT = "webhook.test"  # sent to one endpoint, by its owner's "send a test event"
ENDPOINT_DISABLED_EVENT = "owner.endpoint_disabled"  # told to the owner, never sent as a webhook
# 5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h: 12 attempts over about 2.8 days.
RETRY_AFTER = (
    timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=5),
    *(timedelta(hours=10),) * 6,
)
DISABLE_AFTER_FAILURES = 20
KEEP_ATTEMPTS = 50  # per endpoint, newest
MAX_ANSWER_BYTES = 64 * 1024  # read of an answer at most; only its first EXCERPT_BYTES are kept
EXCERPT_BYTES = 500
_AMOUNT_KEYS = ("amount", "amount_paid", "amount_due", "amount_overpaid")


def new_secret() -> str:
    """A signing secret as Standard Webhooks writes one: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


# -- fan-out ---------------------------------------------------------------------------------


def expand(event: NotificationEvent) -> list[NotificationDelivery]:
    if event.type == TEST_EVENT:
        endpoints = WebhookEndpoint.objects.filter(pk=event.data.get("endpoint_id"), owner_id=event.owner_id,
                                                   enabled=True)
    elif event.type in EVENT_TYPES:
        endpoints = WebhookEndpoint.objects.filter(owner_id=event.owner_id, enabled=True)
    else:
        return []
    return [
        NotificationDelivery(kind=event.type, target=str(endpoint.pk))
        for endpoint in endpoints
        if event.type == TEST_EVENT or not endpoint.event_types or event.type in endpoint.event_types
    ]


# -- the message -----------------------------------------------------------------------------


def payment_object(payment: InvoicePayment) -> dict[str, Any]:
    """The payment as a row of GET /payment/payments/ shows it."""
    invoice, currency = payment.invoice, payment.currency
    open_disputes = PaymentDispute.objects.filter(payment=payment, status__in=DISPUTE_OPEN).count()
    return {
        "payment_id": str(payment.pk),
        "invoice_id": str(invoice.pk),
        "invoice_number": invoice.number,
        "client_name": invoice.client_name,
        "gateway": payment.gateway_name,
        "gateway_display_name": payment.config.display_name,
        "amount": format_amount(payment.amount, currency),
        "refunded_amount": format_amount(payment.refunded_amount, currency),
        "disputed_amount": format_amount(payment.disputed_amount, currency),
        "open_disputes": open_disputes,
        "currency": currency,
        "status": payment.status,
        "needs_attention": bool(payment.attention_reason),
        "created_at": _iso(payment.created_at),
        "succeeded_at": _iso(payment.succeeded_at),
    }


def invoice_object(invoice: Invoice) -> dict[str, Any]:
    currency = invoice.currency
    return {
        "invoice_id": str(invoice.pk),
        "number": invoice.number,
        "total": format_amount(invoice.total, currency),
        "amount_paid": format_amount(invoice.amount_paid, currency),
        "amount_due": format_amount(invoice.amount_due, currency),
        "status": invoice.status,
        "currency": currency,
    }


def message(event: NotificationEvent) -> dict[str, Any]:
    """The webhook's body: the object as it is now (when sent), and the event's figures as they were."""
    data = event.data
    if event.type == TEST_EVENT:
        obj: dict[str, Any] = {"endpoint_id": data.get("endpoint_id"), "message": "A test event from Trackify."}
    elif event.type.startswith("invoice."):
        obj = invoice_object(Invoice.objects.get(pk=data["invoice_id"]))
    else:
        payment = InvoicePayment.objects.select_related("invoice", "config").get(pk=data["payment_id"])
        obj = payment_object(payment)
    currency = data.get("currency", "")
    details = {
        key: format_amount(value, currency) if key in _AMOUNT_KEYS and isinstance(value, int) else value
        for key, value in data.items()
    }
    return {"id": str(event.pk), "type": event.type, "timestamp": _iso(event.occurred_at),
            "data": {"object": obj, "details": details}}


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


# -- sending ---------------------------------------------------------------------------------


def send(delivery: NotificationDelivery, timeout: float) -> None:
    endpoint = _endpoint_of(delivery).first()
    if endpoint is None:
        raise DeliveryFailed("The webhook endpoint was deleted.", retry=False)
    if not endpoint.enabled:
        raise DeliveryFailed(f"The webhook endpoint is disabled: {endpoint.disabled_reason or 'by its owner'}",
                             retry=False)
    body = json.dumps(message(delivery.event), separators=(",", ":"))
    attempt = WebhookDeliveryAttempt(delivery=delivery, endpoint=endpoint, attempted_at=timezone.now())
    started = time.monotonic()
    try:
        _post(endpoint, delivery, body, timeout, attempt)
    except DeliveryFailed as exc:
        attempt.error = exc.message[:500]
        _record(attempt, started, failed=True)
        raise
    _record(attempt, started, failed=False)


def _post(endpoint: WebhookEndpoint, delivery: NotificationDelivery, body: str, timeout: float,
          attempt: WebhookDeliveryAttempt) -> None:
    try:
        check_url(endpoint.url)  # again now: what the host resolves to may have changed since registration
    except DestinationRefused as exc:
        raise DeliveryFailed(exc.message) from None
    msg_id = str(delivery.pk)
    signed_at = timezone.now()  # the attempt's time, not the event's: receivers refuse old timestamps
    signature = Webhook(endpoint.secret).sign(msg_id, signed_at, body)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Trackify-Webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": signature,
    }
    # Connecting and waiting for the answer share the send's budget; the body is then read until
    # MAX_ANSWER_BYTES or the deadline, whichever comes first (a slow drip cannot hold the sender).
    deadline = time.monotonic() + timeout
    connect = max(0.1, min(3.0, timeout / 3))
    try:
        with requests.post(endpoint.url, data=body.encode(), headers=headers, allow_redirects=False, stream=True,
                           timeout=(connect, max(0.1, timeout - connect))) as response:
            attempt.status_code = response.status_code
            attempt.response_excerpt = _excerpt(response, deadline)
    except requests.Timeout:
        raise DeliveryFailed(f"No answer within {timeout:g} s.") from None
    except requests.ConnectionError:
        raise DeliveryFailed("Could not connect to the endpoint.") from None
    except requests.RequestException as exc:
        raise DeliveryFailed(f"The request failed ({type(exc).__name__}).") from None
    code = attempt.status_code
    if 300 <= code < 400:
        raise DeliveryFailed(f"The endpoint answered {code} (a redirect; redirects are not followed).")
    if not 200 <= code < 300:
        raise DeliveryFailed(f"The endpoint answered {code}.")


def _excerpt(response: requests.Response, deadline: float) -> str:
    read = bytearray()
    try:
        for chunk in response.iter_content(chunk_size=4096):
            read += chunk
            if len(read) >= MAX_ANSWER_BYTES or time.monotonic() > deadline:
                break
    except requests.RequestException:
        pass  # the status was answered: a body cut short is only a shorter excerpt
    return bytes(read[:EXCERPT_BYTES]).decode("utf-8", errors="replace")


def _record(attempt: WebhookDeliveryAttempt, started: float, *, failed: bool) -> None:
    """Log the attempt (keeping the newest KEEP_ATTEMPTS of the endpoint) and count it to the endpoint."""
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.save()
    endpoint = attempt.endpoint
    old = WebhookDeliveryAttempt.objects.filter(endpoint=endpoint).order_by("-attempted_at", "-id")[KEEP_ATTEMPTS:]
    WebhookDeliveryAttempt.objects.filter(pk__in=list(old.values_list("pk", flat=True))).delete()
    if not failed:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
        return
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    endpoint.refresh_from_db(fields=["consecutive_failures"])
    if endpoint.consecutive_failures >= DISABLE_AFTER_FAILURES:
        disable(endpoint, f"{endpoint.consecutive_failures} attempts in a row failed (the last: {attempt.error})")


def on_gave_up(delivery: NotificationDelivery) -> None:
    """A delivery failed its last attempt: its endpoint is disabled (unless that is why it failed)."""
    endpoint = _endpoint_of(delivery).filter(enabled=True).first()
    if endpoint is not None:
        disable(endpoint, f"A {delivery.kind} webhook failed {delivery.attempts} attempts over about three days "
                          f"(the last: {delivery.last_error})")


def disable(endpoint: WebhookEndpoint, reason: str) -> None:
    """Disable the endpoint (no new deliveries; pending ones fail) and tell its owner."""
    now = timezone.now()
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
        enabled=False, disabled_at=now, disabled_reason=reason[:500]
    )
    if not changed:
        return  # already disabled
    logger.warning("Webhook endpoint %s disabled: %s", endpoint.pk, reason)
    # Written here and fanned out by the next sender run (the beat, the next request's commit).
    event = outbox.event(owner_id=endpoint.owner_id, type=ENDPOINT_DISABLED_EVENT,
                         key=f"{endpoint.pk}:{now.isoformat()}",
                         data={"endpoint_id": str(endpoint.pk), "url": endpoint.url, "reason": reason[:500]})
    NotificationEvent.objects.bulk_create([event], ignore_conflicts=True)


def _endpoint_of(delivery: NotificationDelivery) -> QuerySet[WebhookEndpoint]:
    try:
        pk = uuid.UUID(delivery.target)
    except ValueError:
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.filter(pk=pk, owner_id=delivery.owner_id)


CHANNEL: Channel = Channel(name=NAME, expand=expand, send=send, retry_after=RETRY_AFTER, on_gave_up=on_gave_up)
