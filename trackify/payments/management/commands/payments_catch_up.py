"""Ask the gateways about payments still open past a threshold; close sessions past their expiry;
refresh the disputes still open.

    python manage.py payments_catch_up [--older-than-minutes 15] [--batch-size 200] [--workers 4]

Run it periodically (docs/reliability.md): it catches up on webhooks that never arrived.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trackify.payments.management.progress import ProgressBar
from trackify.payments.services.catch_up import payments_catch_up


class Command(BaseCommand):
    help = (
        "Bring payments still pending or processing past a threshold, and disputes still open, up to date "
        "with their gateways."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than-minutes", type=int, default=15, help="only payments opened before this")
        parser.add_argument("--batch-size", type=int, default=200, help="payments read from the database at a time")
        parser.add_argument("--workers", type=int, default=4, help="gateway calls at once (1: no threads)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        summary = payments_catch_up(
            older_than=timedelta(minutes=max(options["older_than_minutes"], 0)),
            batch_size=max(options["batch_size"], 1),
            workers=max(options["workers"], 1),
            on_progress=ProgressBar(self.stderr, "catching up", enabled=not options["no_progress"]),
        )
        for line in summary.lines():
            self.stdout.write(line)
