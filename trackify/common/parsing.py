"""Parsing what arrives from outside: one way to read an id, one way to find a client's token."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from trackify.common.untrusted import plausible_token


def parse_uuid(value: object) -> UUID | None:
    """The UUID that `value` spells, or None for anything else (never raises)."""
    if isinstance(value, UUID):
        return value
    if not isinstance(value, str):  # a number that happens to have 32 digits is not an id
        return None
    try:
        return UUID(value)
    except ValueError:
        return None


def client_token(request: Any) -> str | None:
    """The invoice token a client presents (DRF request): header, query string, or JSON body."""
    token = request.headers.get("X-Invoice-Token") or request.query_params.get("token")
    if not token and isinstance(request.data, dict):
        token = request.data.get("invoice_token")
    return plausible_token(token)
