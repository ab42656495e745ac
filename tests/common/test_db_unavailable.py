"""A request that finds the database unreachable answers 503 with Retry-After, logged as one line.

The views and the failing session store stand in for a database that has gone away; the last test
takes a real PostgreSQL connection away and sees the next request get a new one.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as project_urls
from trackify.common.db_unavailable import describe_cause
from trackify.common.views import json_not_found, json_server_error

pytestmark = pytest.mark.django_db

DB_PASSWORD = "db-Pa55word-never-shown"
# As psycopg words a backend ended by a restart: the first line is the cause, the rest is noise.
SHUTDOWN = (
    "terminating connection due to administrator command\n"
    "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally"
)
LEAKY = f"invalid connection: postgres://trackify:{DB_PASSWORD}@db.internal/trackify password={DB_PASSWORD}"


def plain_view(request: HttpRequest) -> HttpResponse:
    raise OperationalError(SHUTDOWN)


def leaky_view(request: HttpRequest) -> HttpResponse:
    raise OperationalError(LEAKY)


def session_view(request: HttpRequest) -> HttpResponse:
    request.session["seen"] = True  # saved by SessionMiddleware, after the view
    return HttpResponse("ok")


class ApiView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Any) -> Response:
        raise InterfaceError("connection already closed")


class ApiErrorView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Any) -> Response:
        raise ValueError("not a database error")


urlpatterns = [
    path("api/outage/plain/", plain_view),
    path("api/outage/leaky/", leaky_view),
    path("api/outage/drf/", ApiView.as_view()),
    path("api/outage/drf-error/", ApiErrorView.as_view()),
    path("outage/page/", plain_view),
    path("outage/session/", session_view),
    *project_urls,
]
handler404 = json_not_found
handler500 = json_server_error

outage_urls = pytest.mark.urls(__name__)


def warnings_logged(caplog: Any) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


def assert_503_json(response: Any, retry_after: str = "5") -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == retry_after
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "database_unavailable"
    assert "database" in error["message"]


def assert_one_line(caplog: Any, cause: str) -> logging.LogRecord:
    [record] = warnings_logged(caplog)
    assert record.name == "trackify.common.db_unavailable"
    assert record.exc_info is None  # no traceback
    assert cause in record.getMessage()
    assert "\n" not in record.getMessage()
    return record


@outage_urls
def test_a_view_meeting_an_unreachable_database_answers_503_with_retry_after(caplog):
    caplog.set_level(logging.INFO)
    response = Client().get("/api/outage/plain/")
    assert_503_json(response)
    record = assert_one_line(caplog, "OperationalError: terminating connection due to administrator command")
    assert "server closed the connection" not in record.getMessage()  # the first line only
    assert "GET /api/outage/plain/" in record.getMessage()
    assert response["X-Request-ID"]  # the request id middleware, outside, still runs


@outage_urls
def test_a_drf_view_answers_the_same_503(caplog, settings):
    settings.TRACKIFY_DB_RETRY_AFTER = 7
    response = Client().get("/api/outage/drf/")
    assert_503_json(response, retry_after="7")
    assert_one_line(caplog, "InterfaceError: connection already closed")


@outage_urls
def test_other_errors_still_answer_500(caplog):
    response = Client(raise_request_exception=False).get("/api/outage/drf-error/")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "Retry-After" not in response


@outage_urls
def test_an_error_raised_in_another_middleware_answers_503_too(caplog, monkeypatch):
    """SessionMiddleware saves the session after the view: that write meets the outage, outside any view."""

    def save(self: Any, must_create: bool = False) -> None:
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(SessionStore, "save", save)
    # Django answers this one through its 500 handler, after signalling the exception, which the test
    # client would raise here by default.
    response = Client(raise_request_exception=False).get("/outage/session/", HTTP_ACCEPT="application/json")
    assert_503_json(response)
    assert_one_line(caplog, "OperationalError: the database system is shutting down")


@outage_urls
def test_a_page_gets_a_short_html_503(caplog):
    response = Client().get("/outage/page/", HTTP_ACCEPT="text/html")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert b"Service unavailable" in response.content
    assert b"administrator command" not in response.content  # the cause is for the log only
    assert_one_line(caplog, "OperationalError")


@outage_urls
def test_no_database_password_reaches_the_answer_or_the_log(caplog, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", DB_PASSWORD)
    response = Client().get("/api/outage/leaky/")
    assert_503_json(response)
    record = assert_one_line(caplog, "OperationalError: invalid connection")
    assert DB_PASSWORD not in response.content.decode() + str(dict(response.items()))
    assert DB_PASSWORD not in record.getMessage()


def test_the_cause_is_the_first_line_with_credentials_masked(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "plain-old-secret")
    cause = describe_cause(OperationalError(f"{LEAKY} also plain-old-secret\nsecond line"))
    assert cause == (
        "OperationalError: invalid connection: postgres://trackify:***@db.internal/trackify password=*** also ***"
    )
    assert describe_cause(InterfaceError("")) == "InterfaceError"
    assert len(describe_cause(OperationalError("x" * 5000))) < 300


def terminate_backend(pid: int) -> None:
    """End backend `pid` from another connection, and wait until it has exited."""
    import psycopg

    s = connection.settings_dict
    with psycopg.connect(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"],
                         password=s["PASSWORD"] or None, dbname=s["NAME"], autocommit=True) as observer:  # fmt: skip
        assert observer.execute("SELECT pg_terminate_backend(%s, 10000)", [pid]).fetchone() == (True,)


@pytest.mark.postgres(reason="a real PostgreSQL backend ended under the request")
@pytest.mark.django_db(transaction=True)
def test_a_connection_ended_by_the_server_answers_503_and_is_replaced(caplog, user):
    """As in a worker with a kept connection: the backend ends (a restart); the request that meets it
    answers 503, the end of that request discards the connection, and the next request gets a new one."""
    from tests.conftest import client_for

    api = client_for(user)
    connection.close()
    kept = {**connection.settings_dict}
    connection.settings_dict["CONN_MAX_AGE"] = 600  # kept across requests, as in production
    try:
        assert api.get("/invoices/").status_code == 200
        old_pid = connection.connection.info.backend_pid
        terminate_backend(old_pid)

        response = api.get("/invoices/")
        assert_503_json(response)
        [record] = warnings_logged(caplog)
        assert record.exc_info is None and "OperationalError" in record.getMessage()

        close_old_connections()  # what Django does at the end of every request (the test client does not)
        assert connection.connection is None  # the broken connection is gone
        assert api.get("/invoices/").status_code == 200
        assert connection.connection.info.backend_pid != old_pid
    finally:
        connection.close()
        connection.settings_dict["CONN_MAX_AGE"] = kept["CONN_MAX_AGE"]
