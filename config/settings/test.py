"""The test suite: a fixed throwaway key, the sandbox on, fast password hashing."""

from __future__ import annotations

import os
import uuid

from .base import *
from .base import CELERY_BROKER_TRANSPORT_OPTIONS

DEBUG = False
SECRET_KEY = "test-only-secret-key"
TRACKIFY_ENCRYPTION_KEYS = ["Wp0cFjk7bZJrsYKYu1pT1pq8Z7kqQ-mQmHq0bSmJkXI="]
TRACKIFY_SANDBOX_ENABLED = True
TRACKIFY_WEBHOOKS_ALLOW_LOOPBACK = True  # outbound webhooks to a receiver on 127.0.0.1
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

# This run's own queue and key prefix on the shared Redis: the async tests start a real Celery worker,
# which is given the same id (TRACKIFY_TEST_RUN_ID) so that it consumes what this run queues, and only that.
TRACKIFY_TEST_RUN_ID = os.environ.get("TRACKIFY_TEST_RUN_ID") or uuid.uuid4().hex[:12]
CELERY_TASK_DEFAULT_QUEUE = f"trackify-test-{TRACKIFY_TEST_RUN_ID}"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "global_keyprefix": f"trackify-test-{TRACKIFY_TEST_RUN_ID}:",
}

# The suite's many requests from one address must not be throttled; tests/security/test_throttling.py
# sets low rates where it checks the throttles themselves.
TRACKIFY_THROTTLE_RATES = dict.fromkeys(TRACKIFY_THROTTLE_RATES, "100000/min")
# Always this process's memory in tests, whatever CACHE_URL says (the Redis test sets its own prefix).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "trackify-tests"}}
