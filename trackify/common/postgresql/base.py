"""Django's PostgreSQL backend, with one change: how a kept connection is checked before a request uses it.

With `CONN_HEALTH_CHECKS`, Django sends `SELECT 1` on every request's first query, so that a connection
the server has closed meanwhile is replaced instead of failing the request. That is a round trip per
request: on the webhook path, about 60 µs of the worker's CPU and a wake-up of its PostgreSQL backend,
more than some of the statements that do the work (docs/performance.md).

A server that closes a connection (an idle timeout, `pg_terminate_backend`, a restart, a crash of the
backend) says so on the socket first: an error message, then the end of the stream. An idle connection
is otherwise never sent anything. So the check looks at the socket without waiting: nothing to read
means the connection is as the last request left it, and it is used; anything to read, or a connection
not idle, gets Django's own `SELECT 1`, which also reads whatever arrived. A connection lost without a
word (a host powered off, a dropped route) fails its first statement either way, as it would fail the
`SELECT 1`.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None:
            return False
        if _quiet_and_idle(self.connection):
            return True
        return bool(super().is_usable())


def _quiet_and_idle(connection: object) -> bool:
    """The connection is open, outside any transaction, and the server has sent nothing since."""
    try:
        pgconn = connection.pgconn  # type: ignore[attr-defined]
        if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return False
        poller = select.poll()
        poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)
        return not poller.poll(0)  # errors and hang-ups are reported whatever was asked for
    except Exception:  # a closed connection has no socket: Django's check decides
        return False
