"""Settings shared by every environment. Values come from the environment with local defaults.

dev.py, test.py and production.py import this and change only what differs.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from .email import email_settings

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "trackify.invoices",
    "trackify.payments",
    "trackify.sandbox",
    "trackify.web",
]

MIDDLEWARE = [
    "trackify.common.middleware.RequestIdMiddleware",
    # A view that finds the database unreachable answers 503 with Retry-After (trackify/common/db_unavailable.py).
    "trackify.common.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite file by default; DATABASE_URL=postgres://user@host:5432/name for PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'trackify.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        # Off here; production turns them on by default (config/settings/database.py).
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", False),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# While the database cannot be reached, requests answer 503 with this Retry-After (seconds).
TRACKIFY_DB_RETRY_AFTER = int(os.environ.get("TRACKIFY_DB_RETRY_AFTER", "5"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/settings/gateways/"
LOGOUT_REDIRECT_URL = "/login/"

# The React front end: `vite build` writes frontend/dist/, served under /static/app/ by whitenoise.
TRACKIFY_FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [("app", TRACKIFY_FRONTEND_DIST)]
# Files named by their content's hash never change, so browsers may keep them for a year: Vite's
# (name-<8 characters>.js under app/assets/) and, after collectstatic, Django's (name.<12 hex>.css).
WHITENOISE_IMMUTABLE_FILE_TEST = r"(/app/assets/[^/]+-[A-Za-z0-9_-]{8}\.\w+|\.[0-9a-f]{12}\.\w+)$"
# With TRACKIFY_VITE_DEV on, pages load their scripts from Vite's dev server (docs/frontend.md).
TRACKIFY_VITE_DEV = env_bool("TRACKIFY_VITE_DEV", False)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "trackify.common.authentication.AnonymousCsrfCheck",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["trackify.common.parsers.DecimalJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "trackify.common.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # A signed-in user's calls count per user (the `user` rate); the public endpoints add their own.
    "DEFAULT_THROTTLE_CLASSES": ["trackify.common.throttling.UserThrottle"],
    # Client addresses for throttling: REMOTE_ADDR, or X-Forwarded-For as seen by this many proxies.
    "NUM_PROXIES": int(os.environ.get("TRACKIFY_NUM_PROXIES", "0")),
}

# Throttle rates, "<count>/<second|minute|hour|day>" (trackify/common/throttling.py says what each counts).
TRACKIFY_THROTTLE_RATES = {
    "public_address": os.environ.get("TRACKIFY_THROTTLE_PUBLIC_ADDRESS", "120/min"),
    "public_token": os.environ.get("TRACKIFY_THROTTLE_PUBLIC_TOKEN", "60/min"),
    "public_miss": os.environ.get("TRACKIFY_THROTTLE_PUBLIC_MISS", "20/min"),
    "webhook_rejected": os.environ.get("TRACKIFY_THROTTLE_WEBHOOK_REJECTED", "30/min"),
    "login": os.environ.get("TRACKIFY_THROTTLE_LOGIN", "10/hour"),
    "user": os.environ.get("TRACKIFY_THROTTLE_USER", "1000/min"),
}

# Throttle counters (and other short-lived values) live here: Redis when CACHE_URL names one
# (redis://127.0.0.1:6379/1), else this process's memory (fine for one process, e.g. `make run`).
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CACHE_URL"],
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "trackify"),
        }
        if os.environ.get("CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "trackify"}
    )
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Trackify Payments API",
    "DESCRIPTION": "Invoices and their online payments. Amounts are decimal strings in major units.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc come from this server (drf-spectacular-sidecar), so /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several choice fields are named "status": the dispute's keeps a readable component name. The values
    # of `DisputeStatus` (tests/payments/api/test_schema.py checks they match).
    "ENUM_NAME_OVERRIDES": {
        "DisputeStatusEnum": ["inquiry", "needs_response", "under_review", "won", "lost"],
        "DeliveryStatusEnum": ["pending", "sent", "failed"],
    },
    # Every operation documents its error answers in the one {"error": {code, message}} shape.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "trackify.common.schema.document_errors",
    ],
}

# --- Payments -------------------------------------------------------------------------------

# Comma-separated Fernet keys; the first encrypts, all decrypt (see trackify/payments/crypto.py).
TRACKIFY_ENCRYPTION_KEYS = env_list("TRACKIFY_ENCRYPTION_KEYS")

# The built-in sandbox gateway: on in development and tests, off by default in production.
TRACKIFY_SANDBOX_ENABLED = env_bool("TRACKIFY_SANDBOX_ENABLED", False)
# A sandbox payment left "processing" settles (succeeds) this many seconds later.
TRACKIFY_SANDBOX_SETTLE_SECONDS = int(os.environ.get("TRACKIFY_SANDBOX_SETTLE_SECONDS", "30"))

# Gateways by name. Packages may add more through the `trackify.payment_gateways` entry points.
PAYMENT_GATEWAYS: dict[str, str] = {
    "stripe": "trackify.payments.gateways.stripe.StripeGateway",
    "paypal": "trackify.payments.gateways.paypal.PayPalGateway",
    "mollie": "trackify.payments.gateways.mollie.MollieGateway",
}

# Absolute base URL of this deployment, for webhook URLs and return links built outside a request.
TRACKIFY_SITE_URL = os.environ.get("TRACKIFY_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# A status refresh asks the gateway at most once per this many seconds per payment.
TRACKIFY_STATUS_REFRESH_INTERVAL = int(os.environ.get("TRACKIFY_STATUS_REFRESH_INTERVAL", "10"))

# How long a payment session stays open (capped by each gateway's own maximum).
TRACKIFY_SESSION_LIFETIME_MINUTES = int(os.environ.get("TRACKIFY_SESSION_LIFETIME_MINUTES", "60"))
# A payment reserved for a session (the gateway is being asked) counts against what the invoice has
# payable for this long at most: longer than the slowest gateway call (Stripe: its time-out times its
# attempts), short enough that a request which died half-way blocks the invoice only briefly.
TRACKIFY_SESSION_RESERVATION_SECONDS = int(os.environ.get("TRACKIFY_SESSION_RESERVATION_SECONDS", "120"))

# Webhook bodies larger than this are refused with 413 before being read.
TRACKIFY_WEBHOOK_MAX_BYTES = 64 * 1024
# Webhook health warns when a config with payments open longer than this has heard nothing as long.
TRACKIFY_WEBHOOK_SILENCE_MINUTES = int(os.environ.get("TRACKIFY_WEBHOOK_SILENCE_MINUTES", "60"))
# JSON API bodies: larger ones are refused with 413, deeper nesting with 400 (trackify/common/untrusted.py).
TRACKIFY_JSON_MAX_BYTES = int(os.environ.get("TRACKIFY_JSON_MAX_BYTES", str(256 * 1024)))
TRACKIFY_JSON_MAX_DEPTH = int(os.environ.get("TRACKIFY_JSON_MAX_DEPTH", "32"))

# Refuse live gateway credentials (Stripe sk_live_...) when true.
TRACKIFY_TEST_MODE_ONLY = env_bool("TRACKIFY_TEST_MODE_ONLY", False)

# Error pages (DEBUG on) and error reports hide secret settings, locals and credential values.
DEFAULT_EXCEPTION_REPORTER_FILTER = "trackify.common.debug.TrackifyExceptionReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "trackify": {"handlers": ["console"], "level": os.environ.get("TRACKIFY_LOG_LEVEL", "INFO")},
    },
}

# --- E-mail (receipts to clients, notices to owners; docs/notifications.md) --------------------
# EMAIL_URL names the backend and its credentials in one value (config/settings/email.py):
# smtp://user:password@host:587/?tls=True, console:, file:///path, anymail+mailgun://:key@ ...
# Without it e-mails are printed on the console (dev and tests); production warns that e-mail is off.
EMAIL_URL_SET = bool(os.environ.get("EMAIL_URL", "").strip())
_email = email_settings(os.environ.get("EMAIL_URL", "").strip() or "console:")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT")
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH", "")
if "ANYMAIL" in _email:
    ANYMAIL = _email["ANYMAIL"]
del _email
# The sender of every e-mail; the owner's own address goes in Reply-To (their notification settings).
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Trackify Payments <payments@localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Off: the e-mail channel records no delivery at all (production without EMAIL_URL).
TRACKIFY_EMAIL_ENABLED = True

# --- Stripe ---------------------------------------------------------------------------------
# Another base URL for Stripe's API (a proxy, or a local fake in tests); empty means Stripe's own.
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "").rstrip("/")
STRIPE_MAX_NETWORK_RETRIES = int(os.environ.get("STRIPE_MAX_NETWORK_RETRIES", "2"))
STRIPE_TIMEOUT_SECONDS = int(os.environ.get("STRIPE_TIMEOUT_SECONDS", "20"))
# PayPal's REST base URL; "" means PayPal's own (sandbox or live, by the config's test mode).
PAYPAL_API_BASE = os.environ.get("PAYPAL_API_BASE", "").rstrip("/")
# Where the payer's browser loads PayPal's JS SDK (the buttons) from.
PAYPAL_JS_SDK_URL = os.environ.get("PAYPAL_JS_SDK_URL", "https://www.paypal.com/sdk/js")
PAYPAL_MAX_NETWORK_RETRIES = int(os.environ.get("PAYPAL_MAX_NETWORK_RETRIES", "2"))
PAYPAL_RETRY_BACKOFF = float(os.environ.get("PAYPAL_RETRY_BACKOFF", "0.5"))
PAYPAL_TIMEOUT_SECONDS = int(os.environ.get("PAYPAL_TIMEOUT_SECONDS", "20"))

# --- Mollie ---------------------------------------------------------------------------------
# Another base URL for Mollie's API (a local fake in tests); empty means Mollie's own.
MOLLIE_API_BASE = os.environ.get("MOLLIE_API_BASE", "").rstrip("/")
# Read time-out of one call to Mollie (it connects within 5 s).
MOLLIE_TIMEOUT_SECONDS = int(os.environ.get("MOLLIE_TIMEOUT_SECONDS", "20"))
# Further attempts after a connection error or a lost answer, with the same idempotency key.
MOLLIE_MAX_NETWORK_RETRIES = int(os.environ.get("MOLLIE_MAX_NETWORK_RETRIES", "2"))

# --- Background work (Celery on Redis), opt-in ------------------------------------------------
# "inline": each webhook is applied in its request (the default; no broker needed).
# "async": the request verifies, stores and enqueues the event and answers at once; a Celery worker
# applies it through the same service path (docs/deployment.md).
TRACKIFY_WEBHOOK_MODE = os.environ.get("TRACKIFY_WEBHOOK_MODE", "inline").strip().lower() or "inline"
# Notifications (receipts, owner notices, outbound webhooks) are sent after the commit that records
# them: in the request itself in inline mode, for at most this long, so a webhook's answer is never held
# longer (what is left, and retries, are sent by `manage.py notifications_deliver` or the beat);
# 0 sends nothing in requests, leaving it all to the beat or cron.
TRACKIFY_NOTIFY_INLINE_SECONDS = float(os.environ.get("TRACKIFY_NOTIFY_INLINE_SECONDS", "2"))
# The longest one send (an SMTP conversation, an outbound webhook's request) may take.
TRACKIFY_NOTIFY_SEND_TIMEOUT = float(os.environ.get("TRACKIFY_NOTIFY_SEND_TIMEOUT", "10"))
# Outbound webhooks go only to https URLs on public addresses. True in the dev and test settings only
# (not read from the environment, so production cannot turn it on): http and loopback addresses
# (127.0.0.1, ::1) are allowed too, for a receiver on the developer's machine.
TRACKIFY_WEBHOOKS_ALLOW_LOOPBACK = False
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "trackify")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A message a worker took and never acknowledged (the whole worker died) is handed out again
    # after this many seconds; longer than the slowest task.
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "600")),
    "global_keyprefix": os.environ.get("CELERY_KEY_PREFIX", ""),
}
# Acknowledged after the task ran, not before: a worker killed mid-task loses nothing. Tasks are
# idempotent (an event already applied is not applied again), so running one twice is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic work for `celery -A config beat`: stale open payments asked of their gateways, stored
# events that are not done applied again (the missed-webhook catch-up).
TRACKIFY_CATCH_UP_EVERY_SECONDS = int(os.environ.get("TRACKIFY_CATCH_UP_EVERY_SECONDS", "300"))
CELERY_BEAT_SCHEDULE = {
    "payments-catch-up": {
        "task": "trackify.payments.tasks.payments_catch_up_task",
        "schedule": TRACKIFY_CATCH_UP_EVERY_SECONDS,
    },
    "webhook-events-reprocess": {
        "task": "trackify.payments.tasks.webhook_events_reprocess_task",
        "schedule": TRACKIFY_CATCH_UP_EVERY_SECONDS,
    },
    # Notifications whose first attempt failed are tried again when their back-off is over.
    "notifications-deliver": {
        "task": "trackify.payments.tasks.notifications_deliver_task",
        "schedule": int(os.environ.get("TRACKIFY_NOTIFY_EVERY_SECONDS", "60")),
    },
    # Once a day: each owner whose gateways have webhook-health warnings gets one digest e-mail.
    "notifications-digest": {
        "task": "trackify.payments.tasks.notifications_digest_task",
        "schedule": int(os.environ.get("TRACKIFY_DIGEST_EVERY_SECONDS", str(24 * 3600))),
    },
}
