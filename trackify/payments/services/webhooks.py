"""Webhook deliveries: verify, store once, apply once.

The one path for every gateway's events, and the hottest one. On the config's own URL a new event
costs at most four SQL queries on PostgreSQL (five elsewhere) and a repeated delivery one
(docs/performance.md; tests pin them):
1. the config comes from this process's cache (`config_cache`), checked by the next query;
2. one query finds the payment the event names and locks it with its invoice (invoice first),
   reading along the config's current version and whether this event is done already; if it is,
   the delivery answers "duplicate" here, having locked and written nothing;
3. the ledger writes the payment and the invoice only when they changed (one UPDATE each);
4. one INSERT … ON CONFLICT stores the event with its outcome, and the ledger's history rows
   (held back until the event row's id is known) in the same statement on PostgreSQL, in a second
   elsewhere. The unique constraint on (gateway, config, gateway event id) is the deduplication: a
   concurrent twin delivery (which waited on the payment's lock, or on the index) gets no row
   back, its transaction rolls back, and it answers "duplicate".
The statements of steps 2 to 4 are prepared once per connection (`trackify.common.statements`).
With TRACKIFY_WEBHOOK_MODE=async the request stops after verifying and storing the event; a Celery
worker applies it with `webhook_event_process`, through this same path.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.db import transaction

from trackify.common.errors import TrackifyError
from trackify.payments.gateways.errors import GatewayError, WebhookVerificationError
from trackify.payments.gateways.registry import get_gateway_class
from trackify.payments.gateways.types import WebhookEvent, WebhookRequest
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig, PaymentWebhookEvent
from trackify.payments.services import config_cache, ledger
from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.webhook_events import DONE, event_claim

logger = logging.getLogger(__name__)

Status = PaymentWebhookEvent.Status


class WebhookProcessingFailed(TrackifyError):
    """Stored as failed; the gateway's next delivery of the same event completes it."""

    status_code = 500
    code = "webhook_processing_failed"


@dataclass(frozen=True)
class WebhookOutcome:
    status: str  # processed, ignored, deferred, duplicate; queued in async mode
    detail: str
    event_id: int | None
    # What the ledger did, update by update (empty for duplicates and ignored events).
    results: tuple[ledger.LedgerResult, ...] = ()


class _Duplicate(Exception):
    """A twin delivery finished the event first: roll back what this one wrote, answer "duplicate"."""


DUPLICATE = WebhookOutcome("duplicate", "already processed", None)


def webhook_receive(
    *,
    gateway_name: str,
    config_id: UUID | None,
    body: bytes,
    headers: Mapping[str, str],
) -> WebhookOutcome:
    """A delivery to the webhook URL of `gateway_name` (and `config_id`): `headers` by lower-case name."""
    request = WebhookRequest(body=body, headers=headers)
    gateway_cls = get_gateway_class(gateway_name)
    if config_id is not None:
        config, fresh = config_cache.webhook_config(config_id, gateway_name)
    else:
        hints = gateway_cls.webhook_payment_hint(request), gateway_cls.webhook_reference_hint(request)
        config, fresh = _config_from_hints(gateway_name, *hints), True
    while True:
        try:
            event = config_cache.gateway_of(config).handle_webhook(request)
        except WebhookVerificationError:
            if fresh:
                raise
            # Perhaps signed with a secret set since this process read the config: read it again.
            config, fresh = config_cache.reload(config), True
            continue
        try:
            if settings.TRACKIFY_WEBHOOK_MODE == "async":
                return webhook_enqueue(config=config, event=event, fresh=fresh)
            return webhook_apply(config=config, event=event, fresh=fresh)
        except config_cache.StaleConfig as stale:  # verified again with the config as it is now
            config, fresh = config_cache.remember(stale.config), True


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
    payment = ledger.payment_named(payments, payment_id=payment_id, reference=reference)
    if payment is None:
        raise WebhookVerificationError("This delivery names a payment we do not know.")
    return payment.config


def webhook_apply(*, config: PaymentGatewayConfig, event: WebhookEvent, fresh: bool = True) -> WebhookOutcome:
    """Store a verified event once and apply it once. Also used to process a stored event again.

    `fresh` False: `config` comes from this process's cache and is checked on the way.
    """
    try:
        if event.incomplete:
            done = _done_already(config, event)
            if done is not None:
                return done
            # Outside the transaction: no row is locked while the provider is asked.
            event = config_cache.gateway_of(config).complete_event(event)
        with transaction.atomic():
            return _apply(config, event, fresh)
    except _Duplicate:
        return DUPLICATE
    except config_cache.StaleConfig:
        raise
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


def _apply(config: PaymentGatewayConfig, event: WebhookEvent, fresh: bool) -> WebhookOutcome:
    if not event.is_actionable:
        return _ignore(config, event, f"event type {event.event_type} is not acted on", fresh)
    try:
        locked = ledger.lock_payment_named(
            config_id=config.pk,
            payment_id=event.payment_id,
            reference=event.gateway_reference,
            defer_history=True,
            event=(config.gateway_name, config.pk, event.gateway_event_id),
        )
    except ledger.EventDone:  # a repeated delivery: nothing locked, nothing written
        return DUPLICATE
    if locked is None:
        return _unmatched(config, event, fresh)
    return _apply_locked(config, event, fresh, locked)


def _apply_locked(
    config: PaymentGatewayConfig, event: WebhookEvent, fresh: bool, locked: ledger.Locked, *, link: bool = False
) -> WebhookOutcome:
    if locked.payment.config_updated_at != config.updated_at:  # type: ignore[attr-defined]  # read along
        if not fresh:
            raise config_cache.StaleConfig(PaymentGatewayConfig.objects.get(pk=config.pk))
    else:
        locked.payment.config = config  # the row the locking read left out, as this delivery has it
    if link:
        _link(locked.payment, event.gateway_reference)
    results = ledger.apply_updates(
        locked, event.payment_update, event.refund_updates, source="webhook"
    )
    detail = "; ".join(str(result) for result in results)
    event_id = event_claim(  # with the ledger's history rows, held back until now
        config=config, event=event, status=Status.PROCESSED, result=detail, payment_id=locked.payment.pk,
        history=locked.pending_history or (),
    )
    if event_id is None:
        raise _Duplicate
    return WebhookOutcome(Status.PROCESSED, detail, event_id, results)


def _ignore(
    config: PaymentGatewayConfig, event: WebhookEvent, detail: str, fresh: bool, status: str = Status.IGNORED
) -> WebhookOutcome:
    if not fresh:
        config_cache.check_current(config)
    event_id = event_claim(config=config, event=event, status=status, result=detail)
    if event_id is None:  # this transaction wrote nothing else: it may commit
        return DUPLICATE
    return WebhookOutcome(status, detail, event_id)


def _unmatched(config: PaymentGatewayConfig, event: WebhookEvent, fresh: bool) -> WebhookOutcome:
    """An event naming nothing we can match yet (a refund made in the dashboard, delivered before
    the payment's completion linked its PaymentIntent). The provider is the truth: ask it whose
    payment the object is. Ignored only when the provider says the object is not ours; deferred,
    never dropped, when it cannot tell or names a payment we do not know yet (the next delivery
    and `webhook_events_reprocess` try again).

    Only unmatched events get here: a matched one costs no extra query and no call.
    """
    try:
        payment_id = config_cache.gateway_of(config).resolve_payment(event)
    except GatewayError as exc:
        detail = f"deferred: the gateway could not tell whose payment this is ({exc.message})"
        return _ignore(config, event, detail, fresh, Status.DEFERRED)
    if payment_id is None:
        return _ignore(config, event, "not ours: the gateway's object carries none of our payment ids", fresh)
    locked = ledger.lock_payment_named(config_id=config.pk, payment_id=payment_id, reference="", defer_history=True)
    if locked is None:
        return _ignore(config, event, f"deferred: payment {payment_id} is not known (yet)", fresh, Status.DEFERRED)
    return _apply_locked(config, event, fresh, locked, link=True)


def _link(payment: InvoicePayment, reference: str) -> None:
    """Remember the reference a resolved event named, so the payment's later events match without
    asking the gateway again. The payment is locked."""
    if reference and reference != payment.gateway_reference and not payment.gateway_payment_reference:
        payment.gateway_payment_reference = reference
        InvoicePayment.objects.filter(pk=payment.pk).update(gateway_payment_reference=reference)


def _done_already(config: PaymentGatewayConfig, event: WebhookEvent) -> WebhookOutcome | None:
    """A repeated incomplete event that is done needs no call to the provider to complete it."""
    row = PaymentWebhookEvent.objects.filter(
        gateway_name=config.gateway_name,
        config=config,
        gateway_event_id=event.gateway_event_id,
        status__in=DONE,
    ).first()
    return WebhookOutcome("duplicate", row.result, row.pk) if row is not None else None


def webhook_enqueue(*, config: PaymentGatewayConfig, event: WebhookEvent, fresh: bool = True) -> WebhookOutcome:
    """Async mode: store the verified event and queue it for a worker; answer at once.

    A delivery of an event not yet done queues it again (harmless: applying is idempotent); the
    periodic reprocessing also picks up stored events that a lost message left behind.
    """
    from trackify.payments.tasks import webhook_event_apply

    with transaction.atomic():
        if not fresh:
            config_cache.check_current(config)
        event_id = event_claim(config=config, event=event, status=Status.RECEIVED)
        if event_id is None:
            return DUPLICATE
        transaction.on_commit(lambda: webhook_event_apply.delay(event_id))
    return WebhookOutcome("queued", "stored; a worker applies it", event_id)


def webhook_event_process(*, event_pk: int) -> WebhookOutcome:
    """Apply a stored event (a worker's task in async mode). An event already done is left alone."""
    row = PaymentWebhookEvent.objects.select_related("config").get(pk=event_pk)
    if row.status in DONE:
        return WebhookOutcome("duplicate", row.result, row.pk)
    event = gateway_for(row.config).normalize_event(row.payload)
    return webhook_apply(config=row.config, event=event)


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
