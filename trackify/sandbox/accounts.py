"""What the sandbox provider knows of a merchant's account: where its events go, and the secret
they are signed with.

A real provider keeps these in its dashboard. The sandbox keeps no copy (the secret stays sealed
in the merchant's own records): the platform it serves registers a directory at start-up, so the
provider never imports the platform's code and reaches it only through the webhook URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class AccountEndpoint:
    webhook_url: str  # absolute, as a provider would POST to it
    webhook_secret: str


Directory = Callable[[UUID], "AccountEndpoint | None"]

_directory: Directory | None = None


def register_directory(directory: Directory) -> None:
    global _directory
    _directory = directory


def endpoint_of(account_id: UUID) -> AccountEndpoint | None:
    """The account's webhook endpoint, or None when the account is unknown (or none registered)."""
    return _directory(account_id) if _directory is not None else None
