"""The test suite: a fixed throwaway key, the sandbox on, fast password hashing."""

from __future__ import annotations

from .base import *

DEBUG = False
SECRET_KEY = "test-only-secret-key"
TRACKIFY_ENCRYPTION_KEYS = ["Wp0cFjk7bZJrsYKYu1pT1pq8Z7kqQ-mQmHq0bSmJkXI="]
TRACKIFY_SANDBOX_ENABLED = True
PAYMENT_GATEWAYS = {
    **PAYMENT_GATEWAYS,
    "sandbox": "trackify.payments.gateways.sandbox.SandboxGateway",
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
TRACKIFY_STATUS_REFRESH_INTERVAL = 10
LOGGING["loggers"]["trackify"]["level"] = "WARNING"  # type: ignore[index]

# Static files straight from the apps and frontend/dist/, no collectstatic needed.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None  # type: ignore[assignment]  # nothing collected here; whitenoise reads the finders
