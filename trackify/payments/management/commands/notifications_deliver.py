"""Send the notifications that are due: receipts, owner notices, outbound webhooks.

    python manage.py notifications_deliver [--seconds 60] [--limit N]

For cron (every minute), where neither the request's own sending after its commit nor Celery's
beat runs the retries. Safe to run while another sender runs: each delivery is taken with
FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trackify.payments.services.notifications.sender import deliver_due


class Command(BaseCommand):
    help = "Send the notifications that are due (e-mails and outbound webhooks), retrying failed ones on schedule."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seconds", type=float, default=60.0, help="stop taking new deliveries after this long")
        parser.add_argument("--limit", type=int, default=None, help="at most this many deliveries")

    def handle(self, *args: Any, **options: Any) -> None:
        summary = deliver_due(seconds=max(options["seconds"], 0.1), limit=options["limit"])
        for line in summary.lines():
            self.stdout.write(line)
