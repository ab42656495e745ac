"""How the sandbox provider signs its events: HMAC-SHA256 over "<timestamp>.<raw body>"."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from django.views.decorators.debug import sensitive_variables

from trackify.common.untrusted import InputError, parse_signature_header

SIGNATURE_HEADER = "Trackify-Sandbox-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    pass


@sensitive_variables()
def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


@sensitive_variables()
def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


@sensitive_variables()  # the secret and the expected MAC never reach an error page
def verify(secret: str, body: bytes, header: str, *, now: float | None = None) -> None:
    """Raise SignatureError unless `header` signs `body` with `secret` within the tolerance.

    The header is parsed strictly first (bounded length, a 10-digit timestamp at most, hex
    signatures), so no header can make this raise anything but SignatureError.
    """
    try:
        timestamp, signatures = parse_signature_header(header)
    except InputError as exc:
        raise SignatureError(str(exc).rstrip(".").lower()) from None
    if abs(int(time.time() if now is None else now) - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        raise SignatureError("signature timestamp is outside the tolerance")
    expected = _mac(secret, timestamp, body)
    # A loop, not any(<generator>): a generator's frame loses its caller, and with it the hiding.
    matched = False
    for given in signatures:
        matched = hmac.compare_digest(expected, given) or matched
    if not matched:
        raise SignatureError("no signature matches the body")


def encode_event(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()
