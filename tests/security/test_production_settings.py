"""Finding 3 and 4: production refuses each unsafe configuration, passes `check --deploy`, logs errors as JSON.

Each refusal runs in its own process with config.settings.production, as the server would start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VALID = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "a-production-secret-key-that-is-long-enough-0123456789-abcdefghijklmnop",
    "DATABASE_URL": "postgres://trackify:pw@127.0.0.1:5432/trackify",
    "ALLOWED_HOSTS": "pay.example.com",
    "TRACKIFY_SITE_URL": "https://pay.example.com",
    "TRACKIFY_ENCRYPTION_KEYS": "Wp0cFjk7bZJrsYKYu1pT1pq8Z7kqQ-mQmHq0bSmJkXI=",
    "EMAIL_URL": "smtp://mailer:secret@127.0.0.1:587/?tls=True",
}
# The variables a developer's shell may carry into the test (DATABASE_URL, DEBUG...) are dropped.
_DROPPED = {*VALID, "DEBUG", "CACHE_URL", "TRACKIFY_SANDBOX_ENABLED"}


def start(overrides: dict[str, str | None], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env.update(VALID)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    command = args or ("-c", "import django; django.setup()")
    return subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


REFUSALS = {
    "no DATABASE_URL": ({"DATABASE_URL": None}, "DATABASE_URL must point at PostgreSQL"),
    "SQLite DATABASE_URL": ({"DATABASE_URL": "sqlite:////tmp/x.sqlite3"}, "DATABASE_URL must point at PostgreSQL"),
    "no ALLOWED_HOSTS": ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must be set"),
    "empty ALLOWED_HOSTS": ({"ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS must be set"),
    "no TRACKIFY_SITE_URL": ({"TRACKIFY_SITE_URL": None}, "TRACKIFY_SITE_URL must be set"),
    "relative TRACKIFY_SITE_URL": ({"TRACKIFY_SITE_URL": "billing.internal"}, "TRACKIFY_SITE_URL must be set"),
    "no DJANGO_SECRET_KEY": ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY must be set"),
    "weak DJANGO_SECRET_KEY": ({"DJANGO_SECRET_KEY": "x"}, "DJANGO_SECRET_KEY is too weak"),
    "known DJANGO_SECRET_KEY": ({"DJANGO_SECRET_KEY": "django-insecure-" + "a1b2c3d4e5" * 5}, "too weak"),
    "no TRACKIFY_ENCRYPTION_KEYS": ({"TRACKIFY_ENCRYPTION_KEYS": None}, "TRACKIFY_ENCRYPTION_KEYS must be set"),
    "bad TRACKIFY_ENCRYPTION_KEYS": (
        {"TRACKIFY_ENCRYPTION_KEYS": VALID["TRACKIFY_ENCRYPTION_KEYS"] + ",not-a-key"},
        "key number 2 is not a Fernet key",
    ),
    "DEBUG on a public host": ({"DEBUG": "1"}, "DEBUG must be off"),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_production_refuses_an_unsafe_configuration_with_one_clear_message(name):
    overrides, message = REFUSALS[name]
    result = start(overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr, result.stderr[-2000:]
    for value in overrides.values():  # the message names the variable, never its value
        if value and len(value) > 3:
            assert value not in result.stderr.splitlines()[-1]


def test_production_starts_with_a_safe_configuration_and_check_deploy_has_no_warning():
    assert start({}).returncode == 0
    if not (ROOT / "frontend" / "dist").is_dir():  # make test builds it before the suite runs
        pytest.skip("the front end is not built (scripts/frontend.sh): check --deploy would warn about it")
    result = start({}, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


SCRIPT = """
import json, sys
import django
django.setup()
from django.test import Client
from trackify.payments.api import views
def broken():
    raise RuntimeError("the registry broke: sk_test_leakedKey0123456789")
views.gateway_classes = broken
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
client = APIClient(raise_request_exception=False)
client.force_authenticate(get_user_model()(username="u", pk=1))
response = client.get("/payment/gateway-types/", HTTP_X_REQUEST_ID="req-0123456789", HTTP_HOST="pay.example.com",
                      secure=True)
print(json.dumps({"status": response.status_code, "request_id": response["X-Request-ID"],
                  "body": response.content.decode()}))
"""


def test_production_logs_a_500_to_stderr_as_a_json_line_with_the_request_id_and_no_secret():
    result = start({}, "-c", SCRIPT)
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 500 and answer["request_id"] == "req-0123456789"
    assert json.loads(answer["body"])["error"]["code"] == "server_error"
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert errors, result.stderr[-3000:]
    assert errors[0]["request_id"] == "req-0123456789"
    assert errors[0]["path"] == "/payment/gateway-types/" and errors[0]["status"] == 500
    assert errors[0]["exception"] == "RuntimeError" and "the registry broke" in errors[0]["traceback"]
    assert "sk_test_leakedKey0123456789" not in result.stderr
