"""Webhook health of one gateway config: is its provider reaching us, and are we accepting it?

What the owner sees in the API (`GET /payment/gateways/<id>/webhook-health/`) and the admin:
the last event received, counts over the last 24 hours of verified deliveries (stored events),
rejected ones (bad signature: counted per hour in `WebhookRejection`, nothing else kept), failed
and deferred ones, and warnings for the two ways webhooks silently stop working: the provider no
longer calls (a deleted endpoint, a wrong URL) while payments wait, or most deliveries are refused
(a wrong signing secret). It also warns of disputes waiting for the owner's answer, whenever they
were opened: the webhook told us, and only the owner can act on it before the deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from trackify.payments import state
from trackify.payments.models import (
    InvoicePayment,
    PaymentDispute,
    PaymentGatewayConfig,
    PaymentWebhookEvent,
    WebhookRejection,
)

WINDOW = timedelta(hours=24)
Status = PaymentWebhookEvent.Status


@dataclass(frozen=True)
class WebhookHealth:
    last_event_at: datetime | None
    last_event_type: str
    last_rejected_at: datetime | None
    verified: int  # over the last 24 hours, as every count here
    rejected: int
    unmatched: int  # hints naming an object the provider does not have for this config
    failed: int
    deferred: int
    open_payments: int  # still pending or processing, opened before the silence threshold
    disputes_needing_response: int  # inquiry or needs_response now, whenever opened
    nearest_dispute_deadline: datetime | None  # the nearest evidence deadline of those
    warnings: tuple[str, ...]


def webhook_rejection_record(*, config_id: UUID) -> None:
    """Count one delivery refused for its signature. Cheap, and never fails the answer (400)."""
    _count(config_id, "count")


def webhook_unmatched_record(*, config_id: UUID) -> None:
    """Count one hint naming an object the provider does not have for the config (answered 200)."""
    _count(config_id, "unmatched")


def _count(config_id: UUID, column: str) -> None:
    now = timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    rows = WebhookRejection.objects.filter(config_id=config_id, hour=hour)
    if rows.update(**{column: F(column) + 1}, last_at=now):
        return
    try:
        with transaction.atomic():
            WebhookRejection.objects.create(config_id=config_id, hour=hour, last_at=now, **{column: 1})
    except IntegrityError:  # a concurrent rejection made the row first
        rows.update(**{column: F(column) + 1}, last_at=now)


def webhook_health(*, config: PaymentGatewayConfig) -> WebhookHealth:
    now = timezone.now()
    since = now - WINDOW
    counts = PaymentWebhookEvent.objects.filter(config=config, received_at__gte=since).aggregate(
        verified=Count("pk"),
        failed=Count("pk", filter=Q(status=Status.FAILED)),
        deferred=Count("pk", filter=Q(status=Status.DEFERRED)),
    )
    last = PaymentWebhookEvent.objects.filter(config=config).order_by("-received_at").first()
    # Rejections are counted per hour: the window starts at the hour `since` falls in.
    first_hour = since.replace(minute=0, second=0, microsecond=0)
    rejections = WebhookRejection.objects.filter(config=config, hour__gte=first_hour).aggregate(
        rejected=Sum("count"), unmatched=Sum("unmatched"), last_at=Max("last_at")
    )
    silence = timedelta(minutes=settings.TRACKIFY_WEBHOOK_SILENCE_MINUTES)
    waiting = InvoicePayment.objects.filter(
        config=config, status__in=state.OPEN_STATUSES, created_at__lte=now - silence
    ).count()
    disputes = PaymentDispute.objects.filter(config=config, status__in=state.DISPUTE_NEEDS_RESPONSE).aggregate(
        count=Count("pk"), nearest=Min("evidence_due_by")
    )
    health = WebhookHealth(
        last_event_at=last.received_at if last else None,
        last_event_type=last.event_type if last else "",
        last_rejected_at=rejections["last_at"],
        verified=counts["verified"],
        rejected=rejections["rejected"] or 0,
        unmatched=rejections["unmatched"] or 0,
        failed=counts["failed"],
        deferred=counts["deferred"],
        open_payments=waiting,
        disputes_needing_response=disputes["count"],
        nearest_dispute_deadline=disputes["nearest"],
        warnings=(),
    )
    return _with_warnings(health, now=now, silence=silence)


def _with_warnings(health: WebhookHealth, *, now: datetime, silence: timedelta) -> WebhookHealth:
    warnings = []
    heard = max((t for t in (health.last_event_at, health.last_rejected_at) if t is not None), default=None)
    if health.open_payments and (heard is None or heard <= now - silence):
        since = f"since {heard:%Y-%m-%d %H:%M} UTC" if heard else "ever"
        warnings.append(
            f"No webhook has arrived {since}, yet {health.open_payments} payment(s) opened more than "
            f"{int(silence.total_seconds() // 60)} minutes ago are still open: check the webhook endpoint "
            "at the gateway (its URL, the events it sends, whether it is enabled)."
        )
    if health.rejected >= 3 and health.rejected > health.verified:
        warnings.append(
            f"{health.rejected} of {health.rejected + health.verified} deliveries in the last 24 hours were "
            "refused for a bad signature: the webhook signing secret stored here is probably not the endpoint's."
        )
    if health.unmatched >= 3 and health.unmatched > health.verified:
        warnings.append(
            f"{health.unmatched} deliveries in the last 24 hours named payments the provider does not have for "
            "these credentials: another account's payments point at this webhook URL, or someone is posting "
            "made-up ids (answered 200 and ignored)."
        )
    if health.failed or health.deferred:
        warnings.append(
            f"{health.failed} failed and {health.deferred} deferred event(s) in the last 24 hours are waiting to "
            "be processed again (manage.py webhook_events_reprocess, run periodically)."
        )
    if health.disputes_needing_response:
        warnings.append(_disputes_warning(health.disputes_needing_response, health.nearest_dispute_deadline, now))
    return WebhookHealth(**{**health.__dict__, "warnings": tuple(warnings)})


def days_left(deadline: datetime, *, now: datetime | None = None) -> int:
    """Whole days until a deadline, by calendar date (UTC): 0 on its last day, negative once past."""
    return (timezone.localdate(deadline) - timezone.localdate(now or timezone.now())).days


def _disputes_warning(count: int, deadline: datetime | None, now: datetime) -> str:
    """"2 disputes need a response; the nearest deadline is 2026-12-14 (7 days left): answer ..."."""
    what = "1 dispute needs" if count == 1 else f"{count} disputes need"
    when = ""
    if deadline is not None:
        days = days_left(deadline, now=now)
        left = {0: "the last day", 1: "1 day left", -1: "1 day past"}.get(
            days, f"{days} days left" if days > 0 else f"{-days} days past"
        )
        nearest = "its deadline" if count == 1 else "the nearest deadline"
        when = f"; {nearest} is {timezone.localdate(deadline):%Y-%m-%d} ({left})"
    return f"{what} a response{when}: answer at the provider or the money is lost."
