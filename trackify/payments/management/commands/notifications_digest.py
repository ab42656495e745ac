"""Record today's webhook-health digest e-mails (one per owner with warnings, once a day), then send.

    python manage.py notifications_digest

For cron once a day, where Celery's beat (`notifications-digest`) does not run. Running it twice
the same day sends nothing more.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trackify.payments.services.notifications.digest import health_digest_record
from trackify.payments.services.notifications.sender import deliver_due


class Command(BaseCommand):
    help = "Record today's webhook-health digest of each owner with warnings, and send what is due."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"digests recorded: {health_digest_record()}")
        for line in deliver_due(seconds=60).lines():
            self.stdout.write(line)
