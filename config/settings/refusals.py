"""The checks production runs before it starts. Each refusal is one ImproperlyConfigured, one clear message.

Plain functions of the environment's values, so that settings stay declarative and each refusal
can be read (and tested) on its own. Messages name the variable and what to do; never a value.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# Keys shipped in this repository for development and tests: public, so never a production key.
_KNOWN_KEYS = {"dev-only-insecure-secret-key", "test-only-secret-key"}


def refuse_weak_secret_key(key: str) -> None:
    """The same bar as Django's security.W009: at least 50 characters, 5 distinct, not a known key."""
    if not key:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
    if len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-") or key in _KNOWN_KEYS:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is too weak for production: use at least 50 random characters, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )


def refuse_non_postgres_database(database_url: str) -> None:
    """SQLite answers concurrent payments with "database is locked"; row locks need PostgreSQL."""
    scheme = urlsplit(database_url).scheme if database_url else ""
    if scheme not in ("postgres", "postgresql", "pgsql", "postgis"):
        raise ImproperlyConfigured(
            "DATABASE_URL must point at PostgreSQL in production (postgres://user:password@host:5432/name): "
            "without it the app would fall back to SQLite, which cannot take concurrent payments."
        )


def refuse_missing_allowed_hosts(raw: str | None) -> None:
    if not raw or not raw.replace(",", "").strip():
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must be set in production: the comma-separated host names this site answers to."
        )


def refuse_bad_site_url(raw: str | None) -> None:
    parts = urlsplit(raw or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(
            "TRACKIFY_SITE_URL must be set in production to this site's absolute base URL "
            "(https://pay.example.com): gateways send payers and webhooks back to it."
        )


def refuse_unloadable_encryption_keys(keys: Sequence[str]) -> None:
    from cryptography.fernet import Fernet

    if not keys:
        raise ImproperlyConfigured(
            "TRACKIFY_ENCRYPTION_KEYS must be set in production: gateway credentials are encrypted "
            "with it. Generate one with `python manage.py generate_encryption_key`."
        )
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise ImproperlyConfigured(
                f"TRACKIFY_ENCRYPTION_KEYS: key number {position} is not a Fernet key (32 url-safe "
                "base64-encoded bytes). Generate one with `python manage.py generate_encryption_key`."
            ) from None


def refuse_debug_on_public_host(debug: bool, allowed_hosts: Sequence[str]) -> None:
    if debug and any(host not in ("127.0.0.1", "localhost", "::1") for host in allowed_hosts):
        raise ImproperlyConfigured("DEBUG must be off when ALLOWED_HOSTS names a public host.")
