"""An owner's notification settings: which e-mails go out, and their Reply-To."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from trackify.payments.models import NotificationSettings

KINDS = NotificationSettings.KINDS


def notification_settings_of(owner_id: Any) -> NotificationSettings:
    """The owner's settings; the defaults (every kind on, no Reply-To), unsaved, when never changed."""
    found = NotificationSettings.objects.filter(owner_id=owner_id).first()
    return found if found is not None else NotificationSettings(owner_id=owner_id)


def notification_settings_update(
    *, owner_id: Any, reply_to: str | None = None, kinds: Mapping[str, bool] | None = None
) -> NotificationSettings:
    """Change what is given (a partial update); the row is made on the first change."""
    unknown = set(kinds or ()) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown notification kinds: {sorted(unknown)}")
    with transaction.atomic():
        row, _ = NotificationSettings.objects.select_for_update().get_or_create(owner_id=owner_id)
        if reply_to is not None:
            row.reply_to = reply_to
        for kind, on in (kinds or {}).items():
            setattr(row, kind, on)
        row.save()
    return row

