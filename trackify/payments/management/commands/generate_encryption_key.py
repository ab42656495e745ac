from typing import Any

from django.core.management.base import BaseCommand

from trackify.payments.crypto import generate_key


class Command(BaseCommand):
    help = "Print a new key for TRACKIFY_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(generate_key())
