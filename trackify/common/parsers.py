from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

from trackify.common.untrusted import InputError, load_json


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = "The request body is too large."


class DecimalJSONParser(JSONParser):
    """Bounded JSON: numbers with a fraction become Decimal, never float (money may arrive as 12.34).

    Size and nesting are limited (TRACKIFY_JSON_MAX_BYTES, TRACKIFY_JSON_MAX_DEPTH), so no body,
    however hostile, ends in anything but a 400 or a 413.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.TRACKIFY_JSON_MAX_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"JSON bodies are limited to {limit} bytes.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - the body is not {encoding}.") from exc
        try:
            return load_json(text, max_depth=settings.TRACKIFY_JSON_MAX_DEPTH, max_bytes=limit)
        except InputError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
