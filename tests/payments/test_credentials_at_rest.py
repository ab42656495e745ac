"""Credentials are sealed at rest, readable with any configured key, and re-sealed under the newest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from trackify.payments import crypto
from trackify.payments.models import PaymentGatewayConfig
from trackify.payments.services.gateway_configs import gateway_config_create

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def raw_column(config: PaymentGatewayConfig) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials_encrypted FROM payments_paymentgatewayconfig WHERE id = %s", [config.pk.hex]
            if connection.vendor == "sqlite" else [config.pk],
        )
        return cursor.fetchone()[0]


def test_credentials_are_not_stored_in_plain_text(user):
    config = gateway_config_create(
        owner=user, gateway_name="sandbox", credentials={"webhook_secret": "whsec_plain_1234"}
    )
    stored = raw_column(config)
    assert "whsec_plain_1234" not in stored
    assert PaymentGatewayConfig.objects.get(pk=config.pk).credentials == {"webhook_secret": "whsec_plain_1234"}


def test_rotation_reencrypts_under_the_newest_key_so_the_old_key_can_go(user, settings, capsys):
    old_key, new_key = settings.TRACKIFY_ENCRYPTION_KEYS[0], crypto.generate_key()
    config = gateway_config_create(owner=user, gateway_name="sandbox", credentials={"webhook_secret": "s3cret-value"})

    settings.TRACKIFY_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_encryption_keys")
    assert "Done: 1 re-encrypted" in capsys.readouterr().out

    settings.TRACKIFY_ENCRYPTION_KEYS = [new_key]
    assert PaymentGatewayConfig.objects.get(pk=config.pk).credentials == {"webhook_secret": "s3cret-value"}


def test_credentials_sealed_with_an_unknown_key_are_reported_not_returned(user, settings):
    config = gateway_config_create(owner=user, gateway_name="sandbox")
    settings.TRACKIFY_ENCRYPTION_KEYS = [crypto.generate_key()]
    with pytest.raises(crypto.CredentialsUnreadable):
        _ = PaymentGatewayConfig.objects.get(pk=config.pk).credentials


def test_rotation_stops_without_changes_when_a_credential_cannot_be_read(user, settings):
    from django.core.management.base import CommandError

    gateway_config_create(owner=user, gateway_name="sandbox")
    settings.TRACKIFY_ENCRYPTION_KEYS = [crypto.generate_key()]
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_encryption_keys")


def test_an_empty_key_list_is_a_clear_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.TRACKIFY_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="TRACKIFY_ENCRYPTION_KEYS is empty"):
        crypto.encrypt_json({"a": "b"})


# Every other variable production requires, valid (tests/security/test_production_settings.py checks each).
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "a-production-secret-key-that-is-long-enough-0123456789-abcdefghijklmnop",
    "DATABASE_URL": "postgres://trackify:pw@127.0.0.1:5432/trackify",
    "ALLOWED_HOSTS": "pay.example.com",
    "TRACKIFY_SITE_URL": "https://pay.example.com",
}


def run_production_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKIFY_", "DJANGO_", "DEBUG"))}
    clean.update(PRODUCTION_ENV, **env, DJANGO_SETTINGS_MODULE="config.settings.production")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=PROJECT_ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )


def test_production_refuses_to_start_without_an_encryption_key():
    result = run_production_settings()
    assert result.returncode != 0
    assert "TRACKIFY_ENCRYPTION_KEYS must be set in production" in result.stderr


def test_production_refuses_debug_on_a_public_host():
    result = run_production_settings(TRACKIFY_ENCRYPTION_KEYS=crypto.generate_key(), DEBUG="1")
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_starts_with_a_key_and_keeps_the_sandbox_off():
    result = subprocess.run(
        [sys.executable, "-c",
         "import django; django.setup(); from trackify.payments.gateways.registry import gateway_classes;"
         " print(sorted(gateway_classes()))"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("TRACKIFY_", "DJANGO_", "DATABASE_"))},
             **PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "config.settings.production",
             "TRACKIFY_ENCRYPTION_KEYS": crypto.generate_key()},
    )
    assert result.returncode == 0, result.stderr
    assert "sandbox" not in result.stdout
