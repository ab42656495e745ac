"""Production: refuses to start rather than run unsafely."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import env_bool
from .database import connection_settings

if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
if not TRACKIFY_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "TRACKIFY_ENCRYPTION_KEYS must be set in production: gateway credentials are encrypted "
        "with it. Generate one with `python manage.py generate_encryption_key`."
    )
if DEBUG and any(host not in ("127.0.0.1", "localhost", "::1") for host in ALLOWED_HOSTS):
    raise ImproperlyConfigured("DEBUG must be off when ALLOWED_HOSTS names a public host.")

if TRACKIFY_SANDBOX_ENABLED:
    PAYMENT_GATEWAYS = {
        **PAYMENT_GATEWAYS,
        "sandbox": "trackify.payments.gateways.sandbox.SandboxGateway",
    }

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Connections are kept (or pooled), never opened per request: see config/settings/database.py.
DATABASES["default"] = connection_settings(DATABASES["default"])
