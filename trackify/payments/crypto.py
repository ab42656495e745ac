"""Credentials at rest: a JSON object sealed with MultiFernet (AES-128-CBC + HMAC-SHA256).

Keys come from `settings.TRACKIFY_ENCRYPTION_KEYS` (from the environment variable of the same
name, comma-separated). The first key encrypts; every key decrypts, so keys can be rotated:
put the new key first, run `manage.py rotate_encryption_keys`, then drop the old one.
"""

from __future__ import annotations

import functools
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.views.decorators.debug import sensitive_variables


class CredentialsUnreadable(Exception):
    """Stored credentials cannot be decrypted with any configured key."""


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


@functools.cache
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "TRACKIFY_ENCRYPTION_KEYS is empty. Generate a key with "
            "`python manage.py generate_encryption_key` and set it in the environment."
        )
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "TRACKIFY_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from exc


def _fernet() -> MultiFernet:
    return _multi_fernet(tuple(settings.TRACKIFY_ENCRYPTION_KEYS))


@sensitive_variables()
def encrypt_json(data: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(data, sort_keys=True).encode()).decode("ascii")


@sensitive_variables()
def decrypt_json(token: str) -> dict[str, str]:
    """The sealed object, decrypted once per process and then served from memory.

    Keyed by the sealed text itself and the configured keys: a config whose credentials change is
    sealed anew (Fernet never seals twice alike), so a changed config is a new key and can never be
    served stale; a change of keys starts afresh. Each caller gets its own copy.
    """
    if not token:
        return {}
    return dict(_decrypt_cached(token, tuple(settings.TRACKIFY_ENCRYPTION_KEYS)))


@functools.lru_cache(maxsize=4096)
def _decrypt_cached(token: str, keys: tuple[str, ...]) -> dict[str, str]:
    try:
        plain = _multi_fernet(keys).decrypt(token.encode("ascii"))
    except InvalidToken as exc:
        raise CredentialsUnreadable(
            "Stored credentials cannot be decrypted with the configured keys."
        ) from exc
    data: dict[str, str] = json.loads(plain)
    return data


def reencrypt(token: str) -> str:
    """The same plaintext sealed under the newest key."""
    return _fernet().rotate(token.encode("ascii")).decode("ascii")


@receiver(setting_changed)
def _clear_cache(*, setting: str, **kwargs: object) -> None:
    if setting == "TRACKIFY_ENCRYPTION_KEYS":
        _multi_fernet.cache_clear()
        _decrypt_cached.cache_clear()
