"""Webhook deliveries: verify, store once, apply once.

The one path for every gateway's events, and the hottest one. On the config's own URL:
1. one query reads the config and, for the event id the unverified body names
   (`webhook_event_id_hint`), whether that event is done already; once the signature verifies, a
   repeated delivery answers "duplicate" here, having locked and written nothing;
2. one query finds the payment the event names and locks it with its invoice (invoice first);
3. the ledger writes the payment and the invoice only when they changed;
4. one INSERT … ON CONFLICT stores the event with its outcome and the ledger's history rows
   (`webhook_events.event_claim`). The unique constraint on (gateway, config, gateway event id) is
   the deduplication: a concurrent twin delivery (which waited on the payment's lock, or on the
   index) gets no row back, its transaction rolls back, and it answers "duplicate".
tests/payments/webhooks/test_webhook_queries.py pins the query counts.
With TRACKIFY_WEBHOOK_MODE=async the request stops after verifying and storing the event; a Celery
worker applies it with `webhook_event_process`, through this same path.

A gateway whose webhook is only a hint (`webhooks_are_hints`: Mollie POSTs `id=tr_…`, unsigned)
goes through `webhook_hint_apply`: the gateway fetches the object (its `complete_event`: the fetch
is the verification) and names the news by what it fetched (the object's id and status), and that
event takes the path above, deduplicated on that name. A hint about an object the provider does not
have for the config is answered 200 ("unmatched"), changes nothing, and is counted apart from
rejected signatures. A hint that cannot be fetched now is kept (a row of its own) and answered 503,
so the provider delivers it again and `webhook_events_reprocess` fetches it too. In async mode the
request stores the hint and the worker fetches.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from uuid import UUID, uuid4

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from trackify.common.errors import NotFound, TrackifyError
from trackify.payments.gateways.errors import GatewayError, WebhookSubjectUnknown, WebhookVerificationError
from trackify.payments.gateways.registry import get_gateway_class
from trackify.payments.gateways.types import WebhookEvent, WebhookRequest
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig, PaymentWebhookEvent
from trackify.payments.services import ledger
from trackify.payments.services.captures import captures_on_commit
from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.health import webhook_unmatched_record
from trackify.payments.services.notifications import outbox
from trackify.payments.services.open_sessions import sessions_close_on_commit
from trackify.payments.services.webhook_events import DONE, event_claim

logger = logging.getLogger(__name__)

Status = PaymentWebhookEvent.Status


class WebhookProcessingFailed(TrackifyError):
    """Stored as failed; the gateway's next delivery of the same event completes it."""

    status_code = 500
    code = "webhook_processing_failed"


class WebhookProviderUnavailable(TrackifyError):
    """The provider could not be asked to verify (or, for a hint, to show) the delivery: nothing is
    applied and the provider should deliver again. Never counted as a rejected signature."""

    status_code = 503
    code = "gateway_unavailable"


@dataclass(frozen=True)
class WebhookOutcome:
    # processed, ignored, deferred, duplicate; queued in async mode; unmatched: a hint about an
    # object the provider does not have for this config.
    status: str
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
    """A delivery to the webhook URL of `gateway_name` (and `config_id`): `headers` by lower-case name.

    In async mode a new event comes back "queued" with its row's id: the caller hands it to a
    worker (`trackify.payments.tasks.webhook_event_apply`).
    """
    request = WebhookRequest(body=body, headers=headers)
    gateway_cls = get_gateway_class(gateway_name)
    hinted_event_id = ""
    if config_id is not None:
        hinted_event_id = gateway_cls.webhook_event_id_hint(request)
        config = _webhook_config(config_id, gateway_name, hinted_event_id)
    else:
        hints = gateway_cls.webhook_payment_hint(request), gateway_cls.webhook_reference_hint(request)
        config = _config_from_hints(gateway_name, *hints)
    try:
        event = gateway_for(config).handle_webhook(request)  # may ask the provider (PayPal's verification)
    except GatewayError as exc:
        logger.warning("Could not verify a %s delivery: %s %s", gateway_name, exc.code, exc.detail)
        raise WebhookProviderUnavailable(
            f"{gateway_cls.display_name} could not be reached to verify the delivery; deliver it again."
        ) from exc
    if gateway_cls.webhooks_are_hints:
        if settings.TRACKIFY_WEBHOOK_MODE == "async":  # the worker fetches
            return webhook_enqueue(config=config, event=replace(event, gateway_event_id=_hint_key(event)))
        return webhook_hint_apply(config=config, event=event)
    if hinted_event_id and event.gateway_event_id == hinted_event_id and config.hinted_event_done:  # type: ignore[attr-defined]
        return DUPLICATE  # a repeated delivery: verified, nothing locked, nothing written
    if settings.TRACKIFY_WEBHOOK_MODE == "async":
        return webhook_enqueue(config=config, event=event)
    return webhook_apply(config=config, event=event)


def _webhook_config(config_id: UUID, gateway_name: str, event_id: str) -> PaymentGatewayConfig:
    """The config of a webhook URL, read afresh for every delivery, with `hinted_event_done`: whether
    the event the unverified body names is done already (trusted only once the signature verifies)."""
    configs = PaymentGatewayConfig.objects.filter(pk=config_id, gateway_name=gateway_name)
    if event_id:
        done = PaymentWebhookEvent.objects.filter(
            gateway_name=gateway_name, config=OuterRef("pk"), gateway_event_id=event_id, status__in=DONE
        )
        configs = configs.annotate(hinted_event_done=Exists(done))
    config = configs.first()
    if config is None:
        raise NotFound("No such webhook endpoint.")
    return config


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


def webhook_apply(*, config: PaymentGatewayConfig, event: WebhookEvent) -> WebhookOutcome:
    """Store a verified event once and apply it once. Also used to process a stored event again."""
    try:
        if event.incomplete:
            done = _done_already(config, event)
            if done is not None:
                return done
            # Outside the transaction: no row is locked while the provider is asked.
            event = gateway_for(config).complete_event(event)
        with transaction.atomic():
            return _apply(config, event)
    except _Duplicate:
        return DUPLICATE
    except (OperationalError, InterfaceError):
        raise  # the database is unreachable: nothing was applied, nothing can be stored (answered 503)
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


def _apply(config: PaymentGatewayConfig, event: WebhookEvent) -> WebhookOutcome:
    if not event.is_actionable:
        return _ignore(config, event, f"event type {event.event_type} is not acted on")
    locked = ledger.lock_payment_named(
        config_id=config.pk, payment_id=event.payment_id, reference=event.gateway_reference, defer_history=True,
        news=event.payment_update,
    )
    if locked is None:
        return _unmatched(config, event)
    return _apply_locked(config, event, locked)


def _apply_locked(
    config: PaymentGatewayConfig, event: WebhookEvent, locked: ledger.Locked, *, link: bool = False
) -> WebhookOutcome:
    locked.payment.config = config  # the row the locking read left out, as this delivery has it
    if link:
        ledger.payment_link_reference(locked, event.gateway_reference)
    results = ledger.apply_updates(
        locked, event.payment_update, event.refund_updates, event.dispute_updates, source="webhook"
    )
    detail = "; ".join(str(result) for result in results)
    event_id = event_claim(  # with the ledger's history rows and the outbox's events, held back until now
        config=config, event=event, status=Status.PROCESSED, result=detail, payment_id=locked.payment.pk,
        history=locked.pending_history or (), dispute_history=locked.pending_dispute_history or (),
        notifications=locked.notifications,
    )
    if event_id is None:
        raise _Duplicate
    if locked.notifications:
        outbox.send_after_commit()
    sessions_close_on_commit(results, invoice_id=locked.invoice.pk, paid=locked.payment.pk)
    captures_on_commit(results, payment_id=locked.payment.pk)
    return WebhookOutcome(Status.PROCESSED, detail, event_id, results)


def _ignore(
    config: PaymentGatewayConfig, event: WebhookEvent, detail: str, status: str = Status.IGNORED
) -> WebhookOutcome:
    event_id = event_claim(config=config, event=event, status=status, result=detail)
    if event_id is None:  # this transaction wrote nothing else: it may commit
        return DUPLICATE
    return WebhookOutcome(status, detail, event_id)


def _unmatched(config: PaymentGatewayConfig, event: WebhookEvent) -> WebhookOutcome:
    """An event naming nothing we can match yet (a refund made in the dashboard, delivered before
    the payment's completion linked its PaymentIntent). The provider is the truth: ask it whose
    payment the object is. Ignored only when the provider says the object is not ours; deferred,
    never dropped, when it cannot tell or names a payment we do not know yet (the next delivery
    and `webhook_events_reprocess` try again).

    Only unmatched events get here: a matched one costs no extra query and no call.
    """
    try:
        payment_id = gateway_for(config).resolve_payment(event)
    except GatewayError as exc:
        detail = f"deferred: the gateway could not tell whose payment this is ({exc.message})"
        return _ignore(config, event, detail, Status.DEFERRED)
    if payment_id is None:
        return _ignore(config, event, "not ours: the gateway's object carries none of our payment ids")
    locked = ledger.lock_payment_named(
        config_id=config.pk, payment_id=payment_id, reference="", defer_history=True, news=event.payment_update
    )
    if locked is None:
        return _ignore(config, event, f"deferred: payment {payment_id} is not known (yet)", Status.DEFERRED)
    return _apply_locked(config, event, locked, link=True)


def _done_already(config: PaymentGatewayConfig, event: WebhookEvent) -> WebhookOutcome | None:
    """A repeated incomplete event that is done needs no call to the provider to complete it."""
    row = PaymentWebhookEvent.objects.filter(
        gateway_name=config.gateway_name,
        config=config,
        gateway_event_id=event.gateway_event_id,
        status__in=DONE,
    ).first()
    return WebhookOutcome("duplicate", row.result, row.pk) if row is not None else None


def _hint_key(event: WebhookEvent) -> str:
    """A stored hint's own key: one row per delivery, as a hint's news is known only once fetched."""
    return f"hint:{event.gateway_event_id[:200]}:{uuid4().hex}"


def webhook_hint_apply(
    *, config: PaymentGatewayConfig, event: WebhookEvent, hint_row: PaymentWebhookEvent | None = None
) -> WebhookOutcome:
    """A hint-only delivery: fetch what it names, then apply the news as any verified event.

    `hint_row`: the stored hint (async mode, or one kept after a failed fetch), marked done once the
    news it led to is applied, or failed (to be fetched again) when the provider cannot answer.
    """
    try:
        news = gateway_for(config).complete_event(event)  # no transaction open: the provider is asked
    except WebhookSubjectUnknown as exc:
        webhook_unmatched_record(config_id=config.pk)
        if hint_row is not None:
            _hint_settle(hint_row, Status.IGNORED, f"unmatched: {exc.message}")
        return WebhookOutcome("unmatched", exc.message, hint_row.pk if hint_row else None)
    except GatewayError as exc:
        kept = hint_row or _hint_keep(config, event)
        _hint_settle(kept, Status.FAILED, "", error=f"{exc.code}: {exc.detail or exc.message}"[:2000])
        raise WebhookProviderUnavailable(
            f"{gateway_for(config).display_name} could not be reached to fetch what the delivery names; "
            "it is kept and fetched again."
        ) from exc
    outcome = webhook_apply(config=config, event=news)
    if hint_row is not None:
        _hint_settle(hint_row, Status.PROCESSED, f"{news.gateway_event_id}: {outcome.status}: {outcome.detail}")
    return outcome


def _hint_keep(config: PaymentGatewayConfig, event: WebhookEvent) -> PaymentWebhookEvent:
    return PaymentWebhookEvent.objects.create(
        gateway_name=config.gateway_name, config=config, gateway_event_id=_hint_key(event),
        event_type=event.event_type, payload=dict(event.payload), status=Status.RECEIVED,
    )


def _hint_settle(row: PaymentWebhookEvent, status: str, result: str, *, error: str = "") -> None:
    row.status, row.result, row.error = status, result[:500], error
    row.attempts += 1
    row.processed_at = timezone.now() if status != Status.FAILED else None
    row.save(update_fields=["status", "result", "error", "attempts", "processed_at"])


def webhook_enqueue(*, config: PaymentGatewayConfig, event: WebhookEvent) -> WebhookOutcome:
    """Async mode: store the verified event for a worker; answer at once.

    Returns "queued" with the row's id, which the caller hands to a worker once this has committed.
    A delivery of an event not yet done is queued again (harmless: applying is idempotent); the
    periodic reprocessing also picks up stored events that a lost message left behind.
    """
    event_id = event_claim(config=config, event=event, status=Status.RECEIVED)
    if event_id is None:
        return DUPLICATE
    return WebhookOutcome("queued", "stored; a worker applies it", event_id)


def webhook_event_process(*, event_pk: int) -> WebhookOutcome:
    """Apply a stored event (a worker's task in async mode). An event already done is left alone."""
    row = PaymentWebhookEvent.objects.select_related("config").get(pk=event_pk)
    if row.status in DONE:
        return WebhookOutcome("duplicate", row.result, row.pk)
    return _replay(row)


def _replay(row: PaymentWebhookEvent) -> WebhookOutcome:
    gateway = gateway_for(row.config)
    event = gateway.normalize_event(row.payload)
    if gateway.webhooks_are_hints:
        return webhook_hint_apply(config=row.config, event=event, hint_row=row)
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
    """Process a stored event again (admin action) by replaying its verified payload (a stored hint
    is fetched again)."""
    if event_row.status != Status.FAILED:
        event_row.status = Status.FAILED
        event_row.save(update_fields=["status"])
    return _replay(event_row)
