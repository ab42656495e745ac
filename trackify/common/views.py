"""JSON answers for URLs that match no view, so API clients never receive an HTML error page."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found, server_error

from trackify.common.api import API_PREFIXES, error_body
from trackify.common.db_unavailable import database_unavailable_response, is_database_unavailable


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(API_PREFIXES):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return page_not_found(request, exception or Exception())


def json_server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception, which it does not pass: sys.exc_info() has it.
    # A database outage met outside a view (a middleware saving the session) is a 503, not a 500.
    exc = sys.exc_info()[1]
    if exc is not None and is_database_unavailable(exc):
        return database_unavailable_response(request, exc)
    if request.path.startswith(API_PREFIXES):
        return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)
    return server_error(request)
