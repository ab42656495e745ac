"""The health check of a kept PostgreSQL connection (trackify/common/postgresql/base.py): no round trip
while the server has said nothing; a connection the server closed is found out and replaced, and the
request that follows works."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = [pytest.mark.postgres(reason="its connections"), pytest.mark.django_db(transaction=True)]


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _sent_select_1(monkeypatch) -> list[str]:
    """Records every statement psycopg sends through a cursor, Django's `SELECT 1` included."""
    sent: list[str] = []
    original = psycopg.Cursor.execute

    def execute(self, query, *args, **kwargs):
        sent.append(str(query))
        return original(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", execute)
    return sent


def test_the_backend_is_ours_and_still_postgresql():
    assert connection.settings_dict["ENGINE"] == "trackify.common.postgresql"
    assert connection.vendor == "postgresql"


def test_a_quiet_idle_connection_is_usable_without_a_query(monkeypatch):
    _backend_pid()  # connected, idle
    sent = _sent_select_1(monkeypatch)
    assert connection.is_usable()
    assert sent == []


def test_a_connection_inside_a_transaction_gets_djangos_query(monkeypatch):
    connection.ensure_connection()
    connection.connection.execute("BEGIN")  # not idle: the socket alone cannot tell
    try:
        sent = _sent_select_1(monkeypatch)
        assert connection.is_usable()
        assert sent == ["SELECT 1"]
    finally:
        connection.connection.execute("ROLLBACK")


def test_a_connection_the_server_closed_is_replaced_before_the_request_uses_it(monkeypatch):
    old_pid = _backend_pid()
    params = {k: v for k, v in connection.get_connection_params().items() if k in ("dbname", "user", "host", "port")}
    with psycopg.connect(**params, autocommit=True) as admin:
        # Waits (up to 10 s) until the backend has exited, not only been signalled.
        assert admin.execute("SELECT pg_terminate_backend(%s, 10000)", [old_pid]).fetchone() == (True,)
    # The server has sent its goodbye and closed the socket; the check sees it without being told
    # (the bytes may take a moment to arrive on a busy machine).
    deadline = time.monotonic() + 10
    while connection.is_usable():
        if time.monotonic() > deadline:
            pytest.fail("a terminated connection still looked usable")
        time.sleep(0.01)
    # What a new request does with health checks on: the check closes the dead connection, and the
    # request's first query connects again.
    connection.health_check_enabled, connection.health_check_done = True, False  # set again on connecting
    connection.close_if_health_check_failed()
    with CaptureQueriesContext(connection):
        assert _backend_pid() != old_pid


def test_a_closed_connection_is_not_usable():
    connection.ensure_connection()
    connection.connection.close()
    assert not connection.is_usable()
    connection.close()
