"""Total parsers for bytes from the network: each returns a value or raises `InputError`, nothing else.

Python's own `json` recurses once per nesting level and gives up with `RecursionError` (not a
`ValueError`) on deeply nested input; integers past 4,300 digits raise, floats overflow to
infinity, and strings may carry lone surrogates or NUL characters that the database refuses. A
signature header may carry a 400-digit timestamp that overflows a float. Everything here bounds
the input first, so that what an attacker sends ends as a clear 400 and never as a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 1024 * 1024

# One left-to-right pass that keeps only the brackets outside strings: a string (even an
# unterminated one) is consumed whole, so a "[" inside it does not count; the unrolled string
# pattern cannot backtrack. Done by the regular-expression engine, not a Python loop per token.
_NOT_BRACKETS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[^"\[\]{}]+', re.DOTALL)
# The only ways a decoded JSON string can hold a NUL or a lone surrogate: an escape for one.
# (Raw control characters are refused by the parser itself; raw surrogates cannot survive UTF-8
# decoding.) A body without such an escape needs no walk over its strings.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


class InputError(ValueError):
    """The input is malformed; the message is fit to show to whoever sent it."""


def _too_deep(text: str, max_depth: int) -> bool:
    # Nesting needs an opening bracket per level: a text with no more of them than allowed (a webhook
    # event has 10 to 20) cannot be too deep, and counting them is a few microseconds where the
    # pass below takes some 45 for a 2 KB event (docs/performance.md).
    if text.count("[") + text.count("{") <= max_depth:
        return False
    brackets = _NOT_BRACKETS.sub("", text)
    if len(brackets) <= max_depth:  # not even that many brackets: cannot nest deeper
        return False
    depth = 0
    for bracket in brackets:
        depth += 1 if bracket in "[{" else -1
        if depth > max_depth:
            return True
    return False


def finite_float(text: str) -> float:
    """For payloads kept as JSON (webhook events): a float, but never infinity (1e999)."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise InputError(f"The number {text[:20]} is out of range.")
    return value


def _refuse_constant(name: str) -> Any:
    raise InputError(f"{name} is not a JSON value.")


def _check_strings(value: Any) -> None:
    """Lone surrogates cannot be stored as UTF-8 and PostgreSQL refuses NUL: refuse both here."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise InputError("JSON strings may not contain NUL characters.")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise InputError("JSON strings must be valid Unicode (no lone surrogates).") from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


class JsonObject(dict[str, Any]):
    """A JSON object that `load_json(..., keep_text=True)` parsed, with the text it was parsed from
    (`text`): whoever stores the object as JSON can store that text, checked by the parse, instead
    of encoding the object again (a webhook's event, on every delivery). Read-only by convention: the
    text does not follow a change to the object, so change a copy (`dict(obj)`), which has no text."""

    text: str


def load_json(
    data: bytes | str,
    *,
    max_depth: int = MAX_JSON_DEPTH,
    max_bytes: int = MAX_JSON_BYTES,
    parse_float: Callable[[str], Any] = Decimal,
    keep_text: bool = False,
) -> Any:
    """Parse JSON whose size and nesting are bounded; numbers with a fraction become Decimal.

    Raises `InputError` for anything that is not a small, well-formed JSON document. With
    `keep_text`, an object comes back as a `JsonObject` holding its text.
    """
    if len(data) > max_bytes:
        raise InputError(f"The JSON body is larger than {max_bytes} bytes.")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        if not isinstance(data, bytes):
            data.encode("utf-8")  # a str may carry lone surrogates; bytes decoded strictly cannot
    except UnicodeDecodeError:
        raise InputError("The body is not UTF-8.") from None
    except UnicodeEncodeError:
        raise InputError("JSON strings must be valid Unicode (no lone surrogates).") from None
    if _too_deep(text, max_depth):
        raise InputError(f"The JSON is nested more than {max_depth} levels deep.")
    try:
        value = json.loads(text, parse_float=parse_float, parse_constant=_refuse_constant)
    except InputError:
        raise
    except (ValueError, RecursionError) as exc:  # RecursionError: belt and braces after the depth check
        raise InputError(f"The body is not valid JSON: {str(exc)[:200]}") from None
    if _SUSPECT_ESCAPE.search(text):  # rare: walk the strings only when an escape could be one
        _check_strings(value)
    if keep_text and type(value) is dict:
        value = JsonObject(value)
        value.text = text
    return value


# -- tokens and keys in headers and query strings -----------------------------------------------

# What an invoice token can look like (secrets.token_urlsafe); anything else cannot match one.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,128}")
# Visible ASCII and spaces, as Stripe takes them; PostgreSQL refuses NUL, UTF-8 refuses surrogates.
_IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,255}")
IDEMPOTENCY_KEY_PATTERN = _IDEMPOTENCY_KEY.pattern


def plausible_token(value: object) -> str | None:
    """The value if it has the shape of a public token, else None (it could match no invoice)."""
    return value if isinstance(value, str) and _TOKEN.fullmatch(value) else None


def idempotency_key(value: str) -> str:
    """An Idempotency-Key header's value, or InputError; "" when none was sent."""
    if value and not _IDEMPOTENCY_KEY.fullmatch(value):
        raise InputError("The Idempotency-Key header must be 1 to 255 visible ASCII characters.")
    return value


# -- signature headers ------------------------------------------------------------------------

MAX_SIGNATURE_HEADER_LENGTH = 1024
MAX_SIGNATURES = 8
# Unix seconds fit in 10 digits until the year 2286; longer is not a timestamp.
_TIMESTAMP = re.compile(r"[0-9]{1,10}")
_HEX_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_SCHEME = re.compile(r"[a-z][a-z0-9]{0,7}")


def parse_signature_header(header: str, *, scheme: str = "v1") -> tuple[int, list[str]]:
    """Parse "t=<unix seconds>,v1=<hex sha256>[,v1=…]" strictly: (timestamp, the `scheme` signatures).

    Unknown schemes (Stripe's "v0") are allowed and ignored; anything else out of shape raises
    `InputError`: an over-long header, a missing or non-decimal or 11-digit timestamp, a
    signature that is not 64 lower-case hex digits, more than a few signatures.
    """
    if not isinstance(header, str) or len(header) > MAX_SIGNATURE_HEADER_LENGTH:
        raise InputError("The signature header is too long.")
    timestamp: int | None = None
    signatures: list[str] = []
    items = header.split(",")
    if len(items) > MAX_SIGNATURES + 2:
        raise InputError("The signature header has too many parts.")
    for item in items:
        key, sep, value = item.strip().partition("=")
        if not sep or not _SCHEME.fullmatch(key):
            raise InputError("The signature header is not a list of key=value pairs.")
        if key == "t":
            if timestamp is not None or not _TIMESTAMP.fullmatch(value):
                raise InputError("The signature header's timestamp is not a Unix time.")
            timestamp = int(value)
        elif key == scheme:
            if not _HEX_SIGNATURE.fullmatch(value):
                raise InputError("A signature in the header is not 64 hexadecimal digits.")
            signatures.append(value)
    if timestamp is None:
        raise InputError("The signature header has no timestamp.")
    if not signatures:
        raise InputError(f"The signature header has no {scheme} signature.")
    if len(signatures) > MAX_SIGNATURES:
        raise InputError("The signature header has too many signatures.")
    return timestamp, signatures


def top_level_string(body: bytes, name: str) -> str:
    """The string at key `name` of a JSON object body, or "" (not JSON, not an object, no such string).

    For reading a hint from an unverified body: nothing read here may be trusted.
    """
    try:
        value = load_json(body, parse_float=finite_float).get(name)
    except (InputError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""
