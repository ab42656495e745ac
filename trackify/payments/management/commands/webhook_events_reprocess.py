"""Process again the stored webhook events that failed, were deferred, or were left half-done.

    python manage.py webhook_events_reprocess [--older-than-minutes 1] [--batch-size 200]

Each event is replayed from its verified payload through the webhook path; it is applied once
whatever happens, so running this often (or twice at once) is safe.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trackify.payments.management.progress import ProgressBar
from trackify.payments.services.catch_up import webhook_events_reprocess


class Command(BaseCommand):
    help = "Apply again the stored webhook events that failed, were deferred, or were never finished."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-minutes", type=int, default=1, help="leave alone events a delivery may be working on"
        )
        parser.add_argument("--batch-size", type=int, default=200, help="events read from the database at a time")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        summary = webhook_events_reprocess(
            older_than=timedelta(minutes=max(options["older_than_minutes"], 0)),
            batch_size=max(options["batch_size"], 1),
            on_progress=ProgressBar(self.stderr, "reprocessing", enabled=not options["no_progress"]),
        )
        for line in summary.lines():
            self.stdout.write(line)
