"""Our middleware: a request id for every request, and a 503 for a request that finds the database gone."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse

from trackify.common.db_unavailable import database_unavailable_response, is_database_unavailable
from trackify.common.logs import current_request_id

HEADER = "X-Request-ID"
# A proxy's id is kept only when it is short and plain: it ends up in every log line.
_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id_from(meta: Mapping[str, Any]) -> str:
    """The id of a request with this WSGI environ: the proxy's X-Request-ID if well formed, else a new one."""
    given = meta.get("HTTP_X_REQUEST_ID", "")  # not request.headers: that parses every header
    return given if _WELL_FORMED.fullmatch(given) else uuid.uuid4().hex


class RequestIdMiddleware:
    """The request's id: taken from X-Request-ID when it is well formed, else made here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.META)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[HEADER] = request_id
        return response


class DatabaseUnavailableMiddleware:
    """A view that meets an unreachable database answers 503 with Retry-After (trackify.common.db_unavailable).

    Errors raised in another middleware do not come here: Django turns each middleware's exceptions
    into a response where they are raised, through the 500 handler, which answers the same 503.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            return database_unavailable_response(request, exception)
        return None
