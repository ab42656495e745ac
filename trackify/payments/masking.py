from __future__ import annotations

import re

# A key's kind and mode ("sk_test_", "rk_live_", "whsec_") help recognise it and reveal nothing.
_PREFIX = re.compile(r"^[a-z]{2,6}_(?:(?:test|live)_)?")


def mask_secret(value: str) -> str:
    """Enough of a secret to recognise it, never enough to use it: sk_test_…4242."""
    if not value:
        return ""
    match = _PREFIX.match(value)
    prefix = match.group(0) if match else ""
    rest = value[len(prefix):]
    tail = rest[-4:] if len(rest) >= 12 else ""
    return f"{prefix}…{tail}"


def masked_credentials(credentials: dict[str, str], secret_fields: set[str]) -> dict[str, str]:
    return {
        name: mask_secret(value) if name in secret_fields else value
        for name, value in credentials.items()
    }
