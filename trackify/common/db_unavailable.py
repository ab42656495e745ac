"""When the database cannot be reached: which errors say so, and the 503 every request then gets.

A PostgreSQL restart, a failover or a network cut makes queries fail for a while. Such a request is
answered 503 with `Retry-After` (`TRACKIFY_DB_RETRY_AFTER` seconds): the API's error body on API
paths, a short page elsewhere. It is logged as one line with the cause and no traceback: during an
outage every request fails the same way, and a traceback each would bury everything else.

Django discards the broken connection itself: the error marks the connection (`errors_occurred`),
`close_old_connections` at the end of the request finds it unusable and closes it, and the worker's
next request opens a new one. With `CONN_HEALTH_CHECKS` a kept connection is also checked before a
request first uses it.

These errors surface in two places, and both answer with `database_unavailable_response`:
`DatabaseUnavailableMiddleware.process_exception` for errors raised in a view (DRF views
included: the API's exception handler leaves them to it), and the 500 handler
(`trackify.common.views.json_server_error`) for errors raised outside any view, such as a session
being saved by its middleware. Django turns an exception raised in a middleware into a response
right there, so an outer middleware never sees it raised. (With DEBUG on, Django shows its debug
page instead of calling the 500 handler; views still answer 503.)
"""

from __future__ import annotations

import logging
import re

import psycopg
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.log import log_response

from trackify.common.api import API_PREFIXES, error_body
from trackify.common.logs import redact

logger = logging.getLogger(__name__)

# Django's own (what the ORM raises) and psycopg's (what Django's wrap, raised by code that talks
# to psycopg directly).
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)

CODE = "database_unavailable"
MESSAGE = "The service cannot reach its database right now; try again in a few seconds."
PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Service unavailable</title>"
    "<h1>Service unavailable</h1><p>Trackify cannot reach its database right now. "
    "Please try again in a few seconds.</p></html>"
)
_CAUSE_LIMIT = 200
# Credentials a driver's message could echo from a connection string: `password=…` and URL user info.
_PASSWORD_PAIR = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def is_database_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, UNAVAILABLE_ERRORS)


def describe_cause(exc: BaseException) -> str:
    """The error's class and the first line of its message, with anything like a credential masked."""
    lines = str(exc).strip().splitlines()
    first = lines[0].strip() if lines else ""
    first = _URL_PASSWORD.sub(r"\1***@", _PASSWORD_PAIR.sub(r"\1***", first))
    for database in settings.DATABASES.values():
        password = str(database.get("PASSWORD") or "")
        if password:
            first = first.replace(password, "***")
    first = redact(first)
    if len(first) > _CAUSE_LIMIT:
        first = first[:_CAUSE_LIMIT] + "…"
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES) or "application/json" in request.META.get("HTTP_ACCEPT", "")


def database_unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 for a request that met `exc` (an `is_database_unavailable` error), logged as one line."""
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse(error_body(CODE, MESSAGE), status=503)
    else:
        response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(settings.TRACKIFY_DB_RETRY_AFTER)
    # Django's own helper, with our logger: it marks the response as logged, so that Django does not
    # log it a second time (with the traceback, when the error was raised outside a view).
    log_response(
        "Database unavailable, answered 503 to %s %s: %s",
        request.method,
        request.path,
        describe_cause(exc),
        response=response,
        request=request,
        logger=logger,
        level="warning",
    )
    return response
