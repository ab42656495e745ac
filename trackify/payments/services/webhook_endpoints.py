"""The owner's webhook endpoints: register, change, delete, roll the secret, send again, send a test event.

The sending itself is the outbox's (services/notifications/webhooks_out.py). A URL is checked against
SSRF (destinations.check_url) here when it is registered or changed, and again before every send.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from trackify.common.errors import Conflict, NotFound, ValidationFailed
from trackify.common.parsing import parse_uuid
from trackify.payments.models import NotificationDelivery, WebhookDeliveryAttempt, WebhookEndpoint
from trackify.payments.services.notifications import outbox, sender, webhooks_out
from trackify.payments.services.notifications.destinations import DestinationRefused, check_url


@dataclass(frozen=True)
class EndpointWithSecret:
    """An endpoint and its signing secret, shown this once (on create and on roll)."""

    endpoint: WebhookEndpoint
    secret: str


def _checked_url(url: str) -> str:
    try:
        check_url(url)
    except DestinationRefused as exc:
        raise ValidationFailed(exc.message, field="url") from None
    return url


def _checked_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(webhooks_out.EVENT_TYPES))
    if unknown:
        raise ValidationFailed(f"Unknown event types: {', '.join(unknown)}.", field="event_types")
    return sorted(set(event_types))


def webhook_endpoint_create(
    *, owner: Any, url: str, description: str = "", event_types: list[str] | None = None, enabled: bool = True
) -> EndpointWithSecret:
    endpoint = WebhookEndpoint(owner=owner, url=_checked_url(url), description=description,
                               event_types=_checked_types(event_types or []), enabled=enabled)
    secret = webhooks_out.new_secret()
    endpoint.set_secret(secret)
    endpoint.save()
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


def webhook_endpoint_update(*, endpoint: WebhookEndpoint, **changes: Any) -> WebhookEndpoint:
    """Change url, description, event_types or enabled; enabling again clears the failure count and reason."""
    if "url" in changes:
        endpoint.url = _checked_url(changes["url"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if "event_types" in changes:
        endpoint.event_types = _checked_types(changes["event_types"])
    if "enabled" in changes and changes["enabled"] != endpoint.enabled:
        endpoint.enabled = changes["enabled"]
        if endpoint.enabled:
            endpoint.consecutive_failures, endpoint.disabled_at, endpoint.disabled_reason = 0, None, ""
        else:
            endpoint.disabled_at, endpoint.disabled_reason = timezone.now(), "Disabled by its owner."
    endpoint.save()
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Deleted with its attempt log; its pending deliveries fail at their next attempt ("deleted")."""
    endpoint.delete()


def webhook_endpoint_roll_secret(*, endpoint: WebhookEndpoint) -> EndpointWithSecret:
    """A new signing secret, in use from the next attempt on; the old one signs nothing more."""
    secret = webhooks_out.new_secret()
    endpoint.set_secret(secret)
    endpoint.save(update_fields=["secret_encrypted"])
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


def webhook_endpoint_send_test(*, endpoint: WebhookEndpoint) -> NotificationDelivery:
    """A `webhook.test` event for this endpoint only, through the outbox like any other; returns its delivery
    (already tried once in inline mode)."""
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it first.", code="endpoint_disabled")
    with transaction.atomic():
        event = outbox.event(owner_id=endpoint.owner_id, type=webhooks_out.TEST_EVENT,
                             key=f"{endpoint.pk}:{uuid.uuid4().hex}", data={"endpoint_id": str(endpoint.pk)})
        event.save()
    sender.expand_events()  # its delivery exists before this answers, whatever the mode
    sender.deliver_soon()  # as after a ledger commit
    return NotificationDelivery.objects.get(event=event, channel=webhooks_out.NAME)


def webhook_delivery_send_again(*, endpoint: WebhookEndpoint, delivery: NotificationDelivery) -> NotificationDelivery:
    """Due now, with a fresh count of attempts (sent ones too: the receiver dedupes by webhook-id)."""
    if not endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it first.", code="endpoint_disabled")
    sender.delivery_send_again(delivery)
    sender.deliver_soon()  # as after a ledger commit
    delivery.refresh_from_db()
    return delivery


# -- reading (the owner's own only; anything else is the same 404 as no such id) ----------------


def webhook_endpoints_of(owner: Any) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(owner=owner).order_by("created_at", "id")


def webhook_endpoint_for_owner(*, endpoint_id: object, user: Any) -> WebhookEndpoint:
    pk = parse_uuid(endpoint_id)
    endpoint = webhook_endpoints_of(user).filter(pk=pk).first() if pk else None
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def webhook_deliveries_of(endpoint: WebhookEndpoint) -> QuerySet[NotificationDelivery]:
    """The endpoint's deliveries, newest first, each with its attempts (oldest first) in one more query."""
    return (
        NotificationDelivery.objects.filter(channel=webhooks_out.NAME, target=str(endpoint.pk), owner=endpoint.owner_id)
        .order_by("-created_at", "-id")
        .prefetch_related(
            Prefetch("webhook_attempts", queryset=WebhookDeliveryAttempt.objects.order_by("attempted_at", "id"))
        )
    )


def webhook_delivery_of(*, endpoint: WebhookEndpoint, delivery_id: object) -> NotificationDelivery:
    pk = parse_uuid(delivery_id)
    delivery = webhook_deliveries_of(endpoint).filter(pk=pk).first() if pk else None
    if delivery is None:
        raise NotFound("No such delivery of this endpoint.")
    return delivery
