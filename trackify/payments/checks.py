"""System checks of the payments app."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core import checks

logger = logging.getLogger("trackify.payments")

EMAIL_OFF = (
    "E-mail is off: EMAIL_URL is not set, so no receipt reaches a client and no notice an owner "
    "(docs/configuration.md)."
)


@checks.register(checks.Tags.compatibility)
def email_configured(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.TRACKIFY_EMAIL_ENABLED:
        return []
    return [checks.Warning(EMAIL_OFF, hint="Set EMAIL_URL, e.g. smtp://user:password@host:587/?tls=True.",
                           id="payments.W001")]


def warn_at_start() -> None:
    """A log line in every process (web workers, Celery) that starts with e-mail off."""
    if not settings.TRACKIFY_EMAIL_ENABLED:
        logger.warning(EMAIL_OFF)
