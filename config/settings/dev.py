"""Local development: DEBUG on, sandbox on, a development encryption key from a git-ignored file."""

from __future__ import annotations

from .base import *
from .base import BASE_DIR, TRACKIFY_ENCRYPTION_KEYS, env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-secret-key"
TRACKIFY_SANDBOX_ENABLED = env_bool("TRACKIFY_SANDBOX_ENABLED", True)
TRACKIFY_WEBHOOKS_ALLOW_LOOPBACK = True  # outbound webhooks to a receiver on 127.0.0.1

# `manage.py seed_demo` writes this file on first run; the environment variable wins when set.
DEV_ENCRYPTION_KEY_FILE = BASE_DIR / "var" / "dev-encryption-key"
if not TRACKIFY_ENCRYPTION_KEYS and DEV_ENCRYPTION_KEY_FILE.exists():
    TRACKIFY_ENCRYPTION_KEYS = [DEV_ENCRYPTION_KEY_FILE.read_text().strip()]

if TRACKIFY_SANDBOX_ENABLED:
    PAYMENT_GATEWAYS = {
        **PAYMENT_GATEWAYS,
        "sandbox": "trackify.payments.gateways.sandbox.SandboxGateway",
    }

# Static files straight from the apps and frontend/dist/, no collectstatic needed.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None  # type: ignore[assignment]  # nothing collected here; whitenoise reads the finders
