"""Local development: DEBUG on, sandbox on, a development encryption key from a git-ignored file."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import BASE_DIR, env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-secret-key"  # noqa: F405
TRACKIFY_SANDBOX_ENABLED = env_bool("TRACKIFY_SANDBOX_ENABLED", True)

# `manage.py seed_demo` writes this file on first run; the environment variable wins when set.
DEV_ENCRYPTION_KEY_FILE = BASE_DIR / "var" / "dev-encryption-key"
if not TRACKIFY_ENCRYPTION_KEYS and DEV_ENCRYPTION_KEY_FILE.exists():  # noqa: F405
    TRACKIFY_ENCRYPTION_KEYS = [DEV_ENCRYPTION_KEY_FILE.read_text().strip()]

if TRACKIFY_SANDBOX_ENABLED:
    PAYMENT_GATEWAYS = {  # noqa: F405
        **PAYMENT_GATEWAYS,  # noqa: F405
        "sandbox": "trackify.payments.gateways.sandbox.SandboxGateway",
    }
