from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from trackify.payments import crypto
from trackify.payments.models import PaymentGatewayConfig


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored gateway credential under the newest key (the first of "
        "TRACKIFY_ENCRYPTION_KEYS). Run after putting a new key first; then drop the old key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        configs = PaymentGatewayConfig.objects.exclude(credentials_encrypted="")
        total = configs.count()
        self.stdout.write(f"Re-encrypting credentials of {total} gateway configuration(s)...")
        done = 0
        with transaction.atomic():
            for config in configs.select_for_update().iterator():
                try:
                    config.credentials_encrypted = crypto.reencrypt(config.credentials_encrypted)
                except Exception as exc:
                    raise CommandError(
                        f"Config {config.pk} cannot be decrypted with any configured key; nothing was changed."
                    ) from exc
                config.save(update_fields=["credentials_encrypted", "updated_at"])
                done += 1
                if done % 100 == 0 or done == total:
                    self.stdout.write(f"  {done}/{total}")
        self.stdout.write(self.style.SUCCESS(f"Done: {done} re-encrypted under the newest key."))
