"""An owner's e-mail log: what was sent, what could not be after every attempt (shown to them, so that
a receipt that never arrived is seen), and sending one again."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from trackify.common.errors import NotFound
from trackify.payments.models import NotificationDelivery
from trackify.payments.services.notifications import sender


def email_deliveries_of(*, owner_id: Any, status: str | None = None) -> QuerySet[NotificationDelivery]:
    """The owner's e-mails (to their clients and to themselves), newest first; `status` filters."""
    deliveries = NotificationDelivery.objects.filter(owner_id=owner_id, channel="email").order_by("-created_at")
    return deliveries.filter(status=status) if status else deliveries


def email_delivery_send_again(*, owner_id: Any, delivery_id: Any) -> NotificationDelivery:
    """An e-mail due again now, with a fresh count of attempts; sent as after a commit (in this
    request for a bounded time, or by a worker in async mode). NotFound for another owner's."""
    delivery = email_deliveries_of(owner_id=owner_id).filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound("No such e-mail.")
    sender.delivery_send_again(delivery)
    sender.deliver_soon()
    delivery.refresh_from_db()
    return delivery
