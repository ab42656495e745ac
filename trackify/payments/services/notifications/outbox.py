"""The ledger's half of the outbox: what happened, recorded once, in the ledger's transaction.

The ledger calls `record` where a change people are told of happens (a payment succeeded, a refund
succeeded, a dispute opened...). The events wait on the locked rows (`Locked.notifications`) and are
written at the end of the transaction in one INSERT … ON CONFLICT DO NOTHING (`flush`; on the webhook
path, inside the event's claim statement, `webhook_events.event_claim`): the unique key makes a second
record of the same change a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from trackify.payments.models import NotificationEvent


def event(*, owner_id: Any, type: str, key: str, data: dict[str, Any]) -> NotificationEvent:
    """An event about `key` (its object and state), not yet written."""
    return NotificationEvent(owner_id=owner_id, type=type, key=f"{type}:{key}"[:255], data=data)


def flush(events: list[NotificationEvent]) -> None:
    """Write the transaction's events (each once, whatever was written before) and have them sent
    once the transaction commits. Empties `events`."""
    if not events:
        return
    write(events)
    events.clear()
    send_after_commit()


def write(events: Sequence[NotificationEvent]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: an event whose key is taken was recorded before."""
    if events:
        NotificationEvent.objects.bulk_create(events, ignore_conflicts=True)


def send_after_commit() -> None:
    """Send what is due once this transaction commits (nothing, if it rolls back)."""
    transaction.on_commit(_deliver_after_commit)


def _deliver_after_commit() -> None:
    from trackify.payments.services.notifications import sender  # the sender imports the channels

    sender.deliver_soon(only_when_new=True)
