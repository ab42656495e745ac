"""Webhook deliveries: verify, store once, apply once.

The one path for every gateway's events. The unique constraint on
(gateway, config, gateway event id) decides which of several concurrent deliveries applies an
event; the others wait for it on the index, find it done, and answer "duplicate".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from trackify.common.errors import NotFound, TrackifyError
from trackify.payments.gateways.errors import WebhookVerificationError
from trackify.payments.gateways.registry import get_gateway_class
from trackify.payments.gateways.types import WebhookEvent, WebhookRequest
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig, PaymentWebhookEvent
from trackify.payments.services import ledger
from trackify.payments.services.gateway_configs import gateway_for

logger = logging.getLogger(__name__)

Status = PaymentWebhookEvent.Status


class WebhookProcessingFailed(TrackifyError):
    """Stored as failed; the gateway's next delivery of the same event completes it."""

    status_code = 500
    code = "webhook_processing_failed"


@dataclass(frozen=True)
class WebhookOutcome:
    status: str  # processed, ignored, duplicate
    detail: str
    event_id: int
    # What the ledger did, update by update (empty for duplicates and ignored events).
    results: tuple[ledger.LedgerResult, ...] = ()


def webhook_receive(
    *,
    gateway_name: str,
    config_id: UUID | None,
    body: bytes,
    headers: Mapping[str, str],
) -> WebhookOutcome:
    request = WebhookRequest(body=body, headers={k.lower(): v for k, v in headers.items()})
    gateway_cls = get_gateway_class(gateway_name)
    if config_id is not None:
        config = PaymentGatewayConfig.objects.filter(pk=config_id, gateway_name=gateway_name).first()
        if config is None:
            raise NotFound("No such webhook endpoint.")
    else:
        config = _config_from_hints(
            gateway_name, gateway_cls.webhook_payment_hint(request), gateway_cls.webhook_reference_hint(request)
        )
    event = gateway_for(config).handle_webhook(request)
    return webhook_apply(config=config, event=event)


def _config_from_hints(gateway_name: str, payment_id: UUID | None, reference: str) -> PaymentGatewayConfig:
    """On the shared URL, the unverified payment named in the body picks the config whose secret verifies.

    Never tries secrets in turn: one candidate, or none.
    """
    if payment_id is None and not reference:
        raise WebhookVerificationError(
            "This delivery names no payment of ours, so no secret can verify it. Point the "
            "gateway at the config's own webhook URL (/payment/webhook/<gateway>/<config_id>/)."
        )
    payments = InvoicePayment.objects.select_related("config").filter(gateway_name=gateway_name)
    payment = find_payment(payments, payment_id=payment_id, reference=reference)
    if payment is None:
        raise WebhookVerificationError("This delivery names a payment we do not know.")
    return payment.config


def find_payment(
    payments: QuerySet[InvoicePayment], *, payment_id: UUID | None, reference: str
) -> InvoicePayment | None:
    """The one lookup order for a payment an event names: our own id, then the gateway's reference
    to the session we opened, then its reference to the money movement (e.g. a PaymentIntent)."""
    if payment_id is not None:
        found = payments.filter(pk=payment_id).first()
        if found is not None:
            return found
    if not reference:
        return None
    return (
        payments.filter(gateway_reference=reference).first()
        or payments.filter(gateway_payment_reference=reference).first()
    )


def webhook_apply(*, config: PaymentGatewayConfig, event: WebhookEvent) -> WebhookOutcome:
    """Store a verified event once and apply it once. Also used to process a stored event again."""
    try:
        with transaction.atomic():
            row, fresh = _claim(config, event)
            if not fresh and row.status in (Status.PROCESSED, Status.IGNORED):
                return WebhookOutcome("duplicate", row.result, row.pk)
            row.attempts += 1
            status, detail, results = _apply(config, event, row)
            row.status, row.result, row.error = status, detail[:500], ""
            row.processed_at = timezone.now()
            row.save()
            return WebhookOutcome(status, detail, row.pk, results)
    except Exception as exc:
        event_pk = _store_failure(config, event, exc)
        logger.exception(
            "Webhook event %s (%s) failed; stored as #%s for the next delivery",
            event.gateway_event_id,
            event.event_type,
            event_pk,
        )
        raise WebhookProcessingFailed(
            "The event was stored but could not be processed; it will be retried."
        ) from exc


def _claim(config: PaymentGatewayConfig, event: WebhookEvent) -> tuple[PaymentWebhookEvent, bool]:
    """Insert the event row, or lock the existing one. The insert is the dedupe, not a check."""
    try:
        with transaction.atomic():
            row = PaymentWebhookEvent.objects.create(
                gateway_name=config.gateway_name,
                config=config,
                gateway_event_id=event.gateway_event_id,
                event_type=event.event_type,
                payload=dict(event.payload),
            )
        return row, True
    except IntegrityError:
        row = PaymentWebhookEvent.objects.select_for_update().get(
            gateway_name=config.gateway_name, config=config, gateway_event_id=event.gateway_event_id
        )
        return row, False


def _apply(
    config: PaymentGatewayConfig, event: WebhookEvent, row: PaymentWebhookEvent
) -> tuple[str, str, tuple[ledger.LedgerResult, ...]]:
    if not event.is_actionable:
        return Status.IGNORED, f"event type {event.event_type} is not acted on", ()
    payments = InvoicePayment.objects.filter(config=config)
    payment = find_payment(payments, payment_id=event.payment_id, reference=event.gateway_reference)
    if payment is None:
        return Status.IGNORED, "no payment of this config matches the event", ()
    results = ledger.payment_apply(
        payment_id=payment.pk,
        invoice_id=payment.invoice_id,
        payment_update=event.payment_update,
        refund_updates=event.refund_updates,
        source="webhook",
        event=row,
    )
    return Status.PROCESSED, "; ".join(str(result) for result in results), results


def _store_failure(config: PaymentGatewayConfig, event: WebhookEvent, exc: Exception) -> int | None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        with transaction.atomic():
            row, _ = PaymentWebhookEvent.objects.get_or_create(
                gateway_name=config.gateway_name,
                config=config,
                gateway_event_id=event.gateway_event_id,
                defaults={"event_type": event.event_type, "payload": dict(event.payload)},
            )
            row.status, row.error = Status.FAILED, error
            row.attempts += 1
            row.save(update_fields=["status", "error", "attempts"])
            return row.pk
    except Exception:  # the database itself may be what failed
        logger.exception("Could not store the failure of webhook event %s", event.gateway_event_id)
        return None


def webhook_event_reprocess(*, event_row: PaymentWebhookEvent) -> WebhookOutcome:
    """Process a stored event again (admin action) by replaying its verified payload."""
    event = gateway_for(event_row.config).normalize_event(event_row.payload)
    if event_row.status != Status.FAILED:
        event_row.status = Status.FAILED
        event_row.save(update_fields=["status"])
    return webhook_apply(config=event_row.config, event=event)
