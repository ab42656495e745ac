"""One exception handler: every error leaves the API as {"error": {"code", "message"[, "field", "fields"]}}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from trackify.common.errors import TrackifyError
from trackify.common.throttling import record_failure

logger = logging.getLogger(__name__)

# Paths whose callers read JSON: their 404, 500 and 503 answers are error bodies, not pages.
API_PREFIXES = ("/payment/", "/invoices/", "/api/")


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **{k: v for k, v in extra.items() if v}}}


def _first_message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        inner = _first_message(value)
        return inner if key == "non_field_errors" else f"{key}: {inner}"
    return str(detail)


def _first_field(detail: Any) -> str | None:
    if isinstance(detail, dict) and detail:
        key = str(next(iter(detail)))
        return None if key == "non_field_errors" else key
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler. What it leaves (None) DRF raises again: an unreachable database
    then answers 503 through DatabaseUnavailableMiddleware, like any other view's."""
    response = _error_response(exc)
    if response is not None and 400 <= response.status_code < 500 and response.status_code != 429:
        # Wrong tokens and rejected webhooks count towards their throttles (trackify/common/throttling.py).
        record_failure(context.get("request"), context.get("view"), response.status_code)
    return response


def _error_response(exc: Exception) -> Response | None:
    if isinstance(exc, TrackifyError):
        set_rollback()
        status = exc.status_code
        if status >= 500:
            logger.warning("%s: %s", exc.code, exc.message)
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return Response(error_body(exc.code, exc.message, field=exc.field), status=status, headers=headers)
    if isinstance(exc, Http404):
        exc = drf.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if isinstance(exc, drf.APIException):
        set_rollback()
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(exc.wait)  # type: ignore[attr-defined]
        if isinstance(exc, drf.ValidationError):
            body = error_body("invalid", _first_message(exc.detail), field=_first_field(exc.detail), fields=exc.detail)
        else:
            codes = exc.get_codes()
            body = error_body(codes if isinstance(codes, str) else exc.default_code, _first_message(exc.detail))
        return Response(body, status=exc.status_code, headers=headers)
    return None
