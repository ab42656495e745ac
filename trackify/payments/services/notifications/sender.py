"""The outbox's sending half: fan events out into deliveries, then send what is due.

Safe to run anywhere at once (request threads after their commit, Celery workers, cron): every row
is taken with `SELECT … FOR UPDATE SKIP LOCKED`, so two senders never take the same one, and a
delivery is marked sent in the transaction that holds its lock. A sender killed mid-send leaves its
delivery pending (its lock goes with its connection), and a later sender sends it again: at least
once, never lost. A receiver that must not see a message twice dedupes by the delivery's id (the
`webhook-id` of a webhook); nothing else can send one twice.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from trackify.payments.models import NotificationDelivery, NotificationEvent
from trackify.payments.services.notifications.channels import Channel, DeliveryFailed
from trackify.payments.services.notifications.registry import CHANNELS

logger = logging.getLogger(__name__)

Status = NotificationDelivery.Status


@dataclass
class DeliverySummary:
    expanded: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"events fanned out: {self.expanded}",
            f"sent: {self.sent}, to be tried again: {self.retried}, given up (marked failed): {self.failed}",
        ]


def expand_events(*, batch_size: int = 100) -> int:
    """Write the deliveries of events not yet fanned out; returns how many events were."""
    return _expand(batch_size=batch_size)[0]


def _expand(*, batch_size: int = 100) -> tuple[int, int]:
    """(events fanned out, deliveries they made), a batch at a time until a batch is not full."""
    done = made = 0
    while True:
        with transaction.atomic():
            events = list(
                NotificationEvent.objects.filter(expanded_at__isnull=True)
                .select_for_update(skip_locked=True)
                .order_by("occurred_at")[:batch_size]
            )
            if not events:
                return done, made
            now = timezone.now()
            deliveries = [
                delivery
                for event in events
                for channel in CHANNELS.values()
                for delivery in _expanded(channel, event, now)
            ]
            NotificationDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
            NotificationEvent.objects.filter(pk__in=[e.pk for e in events]).update(expanded_at=now)
            done, made = done + len(events), made + len(deliveries)
        if len(events) < batch_size:  # the last batch: no need to ask again
            return done, made


def _expanded(channel: Channel, event: NotificationEvent, now: datetime) -> list[NotificationDelivery]:
    deliveries = list(channel.expand(event))
    for delivery in deliveries:
        delivery.event, delivery.owner_id, delivery.channel = event, event.owner_id, channel.name
        delivery.next_attempt_at = now
    return deliveries


def deliver_due(
    *, seconds: float | None = None, limit: int | None = None, only_when_new: bool = False
) -> DeliverySummary:
    """Fan out new events, then send due deliveries one at a time, oldest due first, until none is
    due, `limit` were tried, or `seconds` have passed (each send is bounded by what is left of them).

    `only_when_new` (a request, after its commit): send only when the fan-out made deliveries. A
    commit whose events address nobody then costs no look for due ones; retries are the beat's or
    cron's (`notifications_deliver`)."""
    expanded, made = _expand()
    summary = DeliverySummary(expanded=expanded)
    if only_when_new and not made:
        return summary
    started = time.monotonic()
    tried = 0
    while limit is None or tried < limit:
        left = None if seconds is None else seconds - (time.monotonic() - started)
        if left is not None and left <= 0:
            break
        if not _send_one(summary, timeout=min(left or settings.TRACKIFY_NOTIFY_SEND_TIMEOUT,
                                              settings.TRACKIFY_NOTIFY_SEND_TIMEOUT)):
            break
        tried += 1
    return summary


def _send_one(summary: DeliverySummary, *, timeout: float) -> bool:
    """Take one due delivery (skipping those another sender holds), send it, record the outcome.
    Returns False when none is due."""
    with transaction.atomic():
        delivery = (
            NotificationDelivery.objects.select_for_update(skip_locked=True)
            .select_related("event")
            .filter(status=Status.PENDING, next_attempt_at__lte=timezone.now())
            .order_by("next_attempt_at")
            .first()
        )
        if delivery is None:
            return False
        channel = CHANNELS.get(delivery.channel)
        delivery.attempts += 1
        try:
            if channel is None:
                raise DeliveryFailed(f"no channel {delivery.channel} here", retry=False)
            channel.send(delivery, timeout)
        except DeliveryFailed as exc:
            _failed(delivery, channel, exc, summary)
        except (OperationalError, InterfaceError):
            # The database went away under the channel (it reads the invoice): no fault of the delivery's.
            # Its attempt rolls back with this transaction, and it stays due for the next sender.
            raise
        except Exception as exc:  # a bug in a channel must not stop the others
            logger.exception("Notification %s could not be sent", delivery.pk)
            _failed(delivery, channel, DeliveryFailed(f"{type(exc).__name__}"), summary)
        else:
            delivery.status, delivery.sent_at, delivery.last_error = Status.SENT, timezone.now(), ""
            summary.sent += 1
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "last_error", "sent_at", "updated_at"])
    return True


def _failed(
    delivery: NotificationDelivery, channel: Channel | None, exc: DeliveryFailed, summary: DeliverySummary
) -> None:
    delivery.last_error = exc.message[:500]
    waits = channel.retry_after if channel is not None else ()
    if exc.retry and delivery.attempts <= len(waits):
        delivery.next_attempt_at = timezone.now() + waits[delivery.attempts - 1]
        summary.retried += 1
        logger.warning("Notification %s (%s %s) failed, attempt %s: %s", delivery.pk, delivery.channel,
                       delivery.kind, delivery.attempts, delivery.last_error)
        return
    delivery.status = Status.FAILED
    summary.failed += 1
    logger.error("Notification %s (%s %s) failed for good after %s attempts: %s", delivery.pk, delivery.channel,
                 delivery.kind, delivery.attempts, delivery.last_error)
    if channel is not None and channel.on_gave_up is not None:
        channel.on_gave_up(delivery)


def delivery_send_again(delivery: NotificationDelivery) -> None:
    """The owner's "send again": a failed (or sent) delivery is due now, with a fresh count."""
    NotificationDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), updated_at=timezone.now()
    )


def deliver_soon(*, only_when_new: bool = False) -> None:
    """Send what is due now, as every sender outside cron does: in async mode by a worker; otherwise in
    this request, for at most TRACKIFY_NOTIFY_INLINE_SECONDS (0: left to the beat or cron).
    `only_when_new`: see `deliver_due` (after a ledger commit)."""
    if settings.TRACKIFY_WEBHOOK_MODE == "async":
        deliver_in_worker()
    elif settings.TRACKIFY_NOTIFY_INLINE_SECONDS > 0:
        deliver_due(seconds=settings.TRACKIFY_NOTIFY_INLINE_SECONDS, only_when_new=only_when_new)


def deliver_in_worker() -> None:
    """Async mode: a Celery worker sends (by the task's name: services never import tasks)."""
    from celery import current_app

    current_app.send_task("trackify.payments.tasks.notifications_deliver_task")
