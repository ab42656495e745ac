"""EMAIL_URL: parsed by dj-email-url, anymail by scheme, secrets never in messages; production's and
make run's behaviour."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings.email import email_settings

ROOT = Path(__file__).resolve().parents[2]


def test_smtp_with_tls_and_credentials():
    parsed = email_settings("smtp://mailer:p%40ss@smtp.example.com:587/?tls=True&timeout=7")
    assert parsed["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (parsed["EMAIL_HOST"], parsed["EMAIL_PORT"]) == ("smtp.example.com", 587)
    assert (parsed["EMAIL_HOST_USER"], parsed["EMAIL_HOST_PASSWORD"]) == ("mailer", "p@ss")
    assert parsed["EMAIL_USE_TLS"] is True and parsed["EMAIL_USE_SSL"] is False
    assert parsed["EMAIL_TIMEOUT"] == 7


def test_console_file_and_memory():
    assert email_settings("console:")["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    parsed = email_settings("file:///var/mail/trackify")
    assert parsed["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert parsed["EMAIL_FILE_PATH"] == "var/mail/trackify"
    assert email_settings("memory:")["EMAIL_BACKEND"] == "django.core.mail.backends.locmem.EmailBackend"


def test_from_address_in_the_url():
    assert email_settings("smtp://h/?_default_from_email=pay@example.com")["DEFAULT_FROM_EMAIL"] == "pay@example.com"


def test_anymail_backend_by_scheme():
    parsed = email_settings("anymail+mailgun://:key-123@/?sender_domain=mg.example.com")
    assert parsed == {
        "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
        "ANYMAIL": {"MAILGUN_API_KEY": "key-123", "MAILGUN_SENDER_DOMAIN": "mg.example.com"},
    }


@pytest.mark.parametrize("url", ["smtpx://user:hunter2@host/", "hunter2", "smtp://user:hunter2@host:notaport/"])
def test_a_bad_url_is_refused_without_its_password(url):
    with pytest.raises(ImproperlyConfigured) as refused:
        email_settings(url)
    assert "hunter2" not in str(refused.value)


def _run(settings_module: str, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("EMAIL_", "DJANGO_", "TRACKIFY_"))
    }
    environment.update(DJANGO_SETTINGS_MODULE=settings_module, **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=60)


PRODUCTION = {
    "DJANGO_SECRET_KEY": "x" * 20 + "production-like-secret-key-for-this-test-only",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
    "ALLOWED_HOSTS": "pay.example.com",
    "TRACKIFY_SITE_URL": "https://pay.example.com",
    "TRACKIFY_ENCRYPTION_KEYS": "Wp0cFjk7bZJrsYKYu1pT1pq8Z7kqQ-mQmHq0bSmJkXI=",
}
CHECK = (
    "import django; django.setup(); from django.conf import settings; from django.core import checks;"
    "print('enabled', settings.TRACKIFY_EMAIL_ENABLED, settings.EMAIL_BACKEND);"
    "print([m.id for m in checks.run_checks(tags=['compatibility'])])"
)


def test_production_without_email_url_starts_with_email_off_and_says_so():
    done = _run("config.settings.production", CHECK, **PRODUCTION)
    assert done.returncode == 0, done.stderr
    assert "enabled False django.core.mail.backends.dummy.EmailBackend" in done.stdout
    assert "payments.W001" in done.stdout  # the system check
    assert "E-mail is off: EMAIL_URL is not set" in done.stderr  # the start-up log line


def test_production_with_email_url_sends_and_never_logs_it():
    done = _run("config.settings.production", CHECK, EMAIL_URL="smtp://mailer:hunter2@smtp.example.com:587/?tls=True",
                **PRODUCTION)
    assert done.returncode == 0, done.stderr
    assert "enabled True django.core.mail.backends.smtp.EmailBackend" in done.stdout
    assert "payments.W001" not in done.stdout
    assert "hunter2" not in done.stdout + done.stderr


def test_make_run_prints_emails_on_the_console():
    assert 'export EMAIL_URL="${EMAIL_URL:-console:}"' in (ROOT / "scripts" / "run.sh").read_text()
    code = (
        "import django; django.setup(); from django.core.mail import send_mail;"
        "send_mail('Receipt', 'Thank you', 'from@example.com', ['to@example.com'])"
    )
    done = _run("config.settings.dev", code, EMAIL_URL="console:")
    assert done.returncode == 0, done.stderr
    assert "Subject: Receipt" in done.stdout and "Thank you" in done.stdout
    # And without EMAIL_URL at all, dev prints them too.
    assert "Subject: Receipt" in _run("config.settings.dev", code).stdout


def test_the_email_password_is_hidden_from_error_reports(settings):
    from trackify.common.debug import TrackifyExceptionReporterFilter

    settings.EMAIL_HOST_PASSWORD = "hunter2"
    shown = TrackifyExceptionReporterFilter().get_safe_settings()
    assert shown["EMAIL_HOST_PASSWORD"] != "hunter2"
    assert "EMAIL_URL" not in shown  # the URL is never a setting
