"""Production: refuses to start rather than run unsafely (one clear message per refusal, see refusals.py)."""

from __future__ import annotations

import os

from trackify.common.logs import json_logging

from . import refusals
from .base import *
from .base import EMAIL_URL_SET, env_bool
from .database import connection_settings

refusals.refuse_weak_secret_key(SECRET_KEY)
refusals.refuse_non_postgres_database(os.environ.get("DATABASE_URL", ""))
refusals.refuse_missing_allowed_hosts(os.environ.get("ALLOWED_HOSTS"))
refusals.refuse_bad_site_url(os.environ.get("TRACKIFY_SITE_URL"))
refusals.refuse_unloadable_encryption_keys(TRACKIFY_ENCRYPTION_KEYS)
refusals.refuse_debug_on_public_host(DEBUG, ALLOWED_HOSTS)

if TRACKIFY_SANDBOX_ENABLED:
    PAYMENT_GATEWAYS = {
        **PAYMENT_GATEWAYS,
        "sandbox": "trackify.payments.gateways.sandbox.SandboxGateway",
    }

# Without EMAIL_URL production starts, with e-mail off: no receipt or notice is recorded, a system
# check warns (payments.W001) and every process logs a warning at start-up (docs/configuration.md).
# Payments matter more than their e-mails; a console backend here would only lose them quietly.
if not EMAIL_URL_SET:
    TRACKIFY_EMAIL_ENABLED = False
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_HTTPONLY = True

# One JSON line per record on stderr, with the request id (trackify/common/logs.py).
LOGGING = json_logging(os.environ.get("TRACKIFY_LOG_LEVEL", "INFO"))

# Connections are kept (or pooled), never opened per request: see config/settings/database.py.
DATABASES["default"] = connection_settings(DATABASES["default"])

# `manage.py collectstatic` gathers the built front end and the apps' files into STATIC_ROOT;
# whitenoise serves them compressed, with hashed names and long cache headers.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
