"""The daily webhook-health digest: one `owner.health_digest` event per owner with warnings, per day.

Run once a day (the beat's `notifications-digest`, or `manage.py notifications_digest` from cron).
The event's key holds the date, so running it again the same day records nothing more; the e-mail
channel turns the event into the owner's e-mail (`owner_health_digest`).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from trackify.payments.models import NotificationEvent, PaymentGatewayConfig
from trackify.payments.services.health import webhook_health
from trackify.payments.services.notifications import outbox


def health_digest_record(*, day: date | None = None) -> int:
    """Record today's digest of each owner whose active gateways have warnings; returns how many
    events were new. Sent after the commit like every other notification."""
    day = day or timezone.localdate()
    by_owner: dict[object, list[dict[str, object]]] = {}
    configs = PaymentGatewayConfig.objects.filter(archived_at__isnull=True).order_by("owner_id", "display_name")
    for config in configs:
        warnings = webhook_health(config=config).warnings
        if warnings:
            by_owner.setdefault(config.owner_id, []).append({"name": config.display_name, "warnings": list(warnings)})
    events = [
        outbox.event(
            owner_id=owner_id,
            type="owner.health_digest",
            key=f"{owner_id}:{day.isoformat()}",
            data={"date": day.isoformat(), "configs": entries},
        )
        for owner_id, entries in by_owner.items()
    ]
    keys = [e.key for e in events]
    with transaction.atomic():
        before = NotificationEvent.objects.filter(key__in=keys).count()
        outbox.flush(events)
        return len(keys) - before
