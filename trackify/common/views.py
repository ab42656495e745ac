"""JSON answers for URLs that match no view, so API clients never receive an HTML error page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found, server_error

from trackify.common.api import error_body

_API_PREFIXES = ("/payment/", "/invoices/", "/api/")


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(_API_PREFIXES):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return page_not_found(request, exception or Exception())


def json_server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(_API_PREFIXES):
        return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)
    return server_error(request)
