"""Celery tasks: the background half of the opt-in async mode, and the periodic catch-up.

Each task is acknowledged late (after it ran) and rejected back to the queue when its worker dies,
so a killed worker loses nothing; each is idempotent, so a task that runs again after such a loss
applies nothing twice. Exactly-once application rests on the database (the event row, claimed
under a lock, says whether the event was applied), not on the broker.
"""

from __future__ import annotations

import logging

from celery import shared_task

from trackify.payments.services.catch_up import payments_catch_up, webhook_events_reprocess
from trackify.payments.services.notifications.digest import health_digest_record
from trackify.payments.services.notifications.sender import deliver_due
from trackify.payments.services.webhooks import webhook_event_process

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=10,
)
def webhook_event_apply(event_pk: int) -> str:
    """Apply a stored, verified webhook event; a no-op for one already applied or ignored."""
    return webhook_event_process(event_pk=event_pk).status


# -- periodic, for `celery -A config beat` (CELERY_BEAT_SCHEDULE in config/settings/base.py) -------------


@shared_task(acks_late=True, ignore_result=True)
def payments_catch_up_task() -> str:
    """The missed-webhook catch-up: open payments not heard of for a while are asked of their gateways.

    Idempotent: each payment's check is claimed in the database, so an overlapping run asks nothing twice.
    """
    return "; ".join(payments_catch_up().lines())


@shared_task(acks_late=True, ignore_result=True)
def webhook_events_reprocess_task() -> str:
    """Stored events that are not done (failed, deferred, or left received by a lost message) applied again."""
    return "; ".join(webhook_events_reprocess().lines())


@shared_task(acks_late=True, ignore_result=True)
def notifications_deliver_task() -> str:
    """Send the notifications that are due (after a commit in async mode, and on the beat for retries).

    Safe to run at once in many workers: each delivery is taken with FOR UPDATE SKIP LOCKED.
    """
    return "; ".join(deliver_due(seconds=60).lines())


@shared_task(acks_late=True, ignore_result=True)
def notifications_digest_task() -> str:
    """Once a day (the beat): each owner with webhook-health warnings gets one digest e-mail."""
    return f"digests recorded: {health_digest_record()}"
