"""A request id for every request (taken from X-Request-ID when it is well formed, else made here),
and the short lane that webhook deliveries take through the middleware."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.urls import resolve
from django.utils.module_loading import import_string

from trackify.common.logs import current_request_id

HEADER = "X-Request-ID"
# A proxy's id is kept only when it is short and plain: it ends up in every log line.
_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id_from(meta: Mapping[str, Any]) -> str:
    """The id of a request with this WSGI environ: the proxy's X-Request-ID if well formed, else a new one."""
    given = meta.get("HTTP_X_REQUEST_ID", "")  # not request.headers: that parses every header
    return given if _WELL_FORMED.fullmatch(given) else uuid.uuid4().hex


class RequestIdMiddleware:
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


class ShortLaneMiddleware:
    """Requests whose path starts with one of settings.SHORT_LANE_PREFIXES (webhook deliveries) skip
    the rest of MIDDLEWARE and pass only settings.SHORT_LANE_MIDDLEWARE on their way to the view.

    A gateway's POST has no use for sessions, CSRF cookies, authentication, messages, static files
    or frame headers, and webhook deliveries are the busiest requests there are: that part of the
    stack was about 7% of a delivery's CPU (docs/performance.md). What they keep: this project's
    request id (above this middleware), the security middleware (HTTPS redirect, HSTS, nosniff),
    and the common middleware (the ALLOWED_HOSTS check). Errors are answered as everywhere else:
    Django's own conversion of exceptions (handler404, handler500) wraps each step.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.prefixes = tuple(settings.SHORT_LANE_PREFIXES)
        lane = convert_exception_to_response(_resolve_and_call)
        for path in reversed(settings.SHORT_LANE_MIDDLEWARE):
            lane = convert_exception_to_response(import_string(path)(lane))
        self.lane = lane

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(self.prefixes):
            return self.lane(request)  # type: ignore[return-value]  # a sync chain: never awaitable
        return self.get_response(request)


def _resolve_and_call(request: HttpRequest) -> HttpResponse:
    """What Django's handler does between the middleware and the view: resolve the URL, call the view."""
    match = resolve(request.path_info)
    request.resolver_match = match
    return match.func(request, *match.args, **match.kwargs)
