"""Statements of the hot paths: a cursor whose statements PostgreSQL keeps prepared, and row writes
whose SQL is built once (an UPDATE of some columns by primary key, an INSERT of rows).

`execute()`, `fetchone()`: Django never prepares statements (it binds values into the SQL text on the client),
so PostgreSQL parses and plans every statement anew. For the webhook path's locking read (three
tables) planning cost several times what running it did: about 0.6 ms of the database's CPU per
delivery, measured with pgbench (docs/performance.md). Statements run through these are
prepared once per connection and then only executed. Off (a plain Django cursor) on SQLite, and
with TRACKIFY_PREPARED_STATEMENTS false: behind PgBouncer in transaction mode before 1.21, whose
connections do not keep prepared statements (docs/deployment.md).

`instance.save(update_fields=…)` and `bulk_create` compile their statement anew on every call, and
on the webhook path that compiling cost more CPU than PostgreSQL took to run the statements
(docs/performance.md). These build the SQL once per model, column set and vendor, and turn values
into database values through each field's own `pre_save` and `get_db_prep_save`, as the ORM does
(so `auto_now` fields are set, and every value is a parameter). Like `QuerySet.update()` and
`bulk_create`, they send no model signals.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Field, Model


class _PreparingCursor(psycopg.Cursor[Any]):
    """psycopg's cursor with values bound by the server, each statement prepared on first use
    (psycopg keeps a connection's prepared statements, up to `prepared_max`)."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(query, params, prepare=True, binary=binary)


class _PreparedDebugWrapper(CursorDebugWrapper):
    """Logs a statement (when queries are logged: DEBUG, tests) with its values composed in, as
    Django logs one bound on the server; its own way reads the client-bound text, which has none."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        try:
            logged = self.db.ops.compose_sql(sql, params)  # PostgreSQL only
        except Exception:  # only the log's text: never fail the statement for it
            logged = sql
        with self.debug_sql(logged):
            return self._execute_with_wrappers(sql, params, many=False, executor=self._execute)


def default_connection() -> BaseDatabaseWrapper:
    """The default connection itself. `django.db.connection` is a proxy that looks the connection up
    again on every attribute read; hot code looks it up once and passes it on."""
    return connections[DEFAULT_DB_ALIAS]


def _run(sql: str, params: Sequence[Any], conn: BaseDatabaseWrapper | None, *, fetch: bool) -> Any:
    conn = conn or default_connection()
    if conn.vendor != "postgresql" or not settings.TRACKIFY_PREPARED_STATEMENTS:
        with conn.cursor() as django_cursor:
            django_cursor.execute(sql, params)
            return django_cursor.fetchone() if fetch else None
    # What `connection.cursor()` does first: the per-request health check, then connect if needed.
    conn.close_if_health_check_failed()
    conn.ensure_connection()
    raw = _PreparingCursor(conn.connection)
    if conn.queries_logged or conn.execute_wrappers:  # through Django's wrapper: logged, wrappers run
        wrapped = _PreparedDebugWrapper(raw, conn) if conn.queries_logged else CursorWrapper(raw, conn)
        with wrapped:
            wrapped.execute(sql, params)
            return wrapped.fetchone() if fetch else None
    # The steps Django's cursor wrapper takes, without building one for a single statement.
    conn.validate_no_broken_transaction()
    with raw, conn.wrap_database_errors:
        raw.execute(sql, params)
        return raw.fetchone() if fetch else None


def execute(sql: str, params: Sequence[Any], conn: BaseDatabaseWrapper | None = None) -> None:
    """Run one statement on the default connection (or `conn`), prepared on PostgreSQL."""
    _run(sql, params, conn, fetch=False)


def fetchone(sql: str, params: Sequence[Any], conn: BaseDatabaseWrapper | None = None) -> tuple[Any, ...] | None:
    """Run one statement and return its first row (None if it has none), prepared on PostgreSQL."""
    return _run(sql, params, conn, fetch=True)


@functools.cache
def _update_sql(model: type[Model], names: tuple[str, ...], vendor: str) -> tuple[str, tuple[Field, ...]]:
    meta = model._meta
    qn = connection.ops.quote_name
    fields = tuple(field for name in names if isinstance(field := meta.get_field(name), Field) and field.concrete)
    if len(fields) != len(names):
        raise ValueError(f"Not all of {names} are columns of {meta.label}.")
    assignments = ", ".join(f"{qn(field.column)} = %s" for field in fields)
    # Table and column names come from the model's own meta; every value is a parameter.
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608
    return sql, fields


def update_fields(instance: Model, names: Sequence[str]) -> None:
    """UPDATE the instance's row, setting the named fields (and running their `pre_save`, for
    `auto_now`) from the instance: what `instance.save(update_fields=names)` writes."""
    conn = default_connection()
    sql, fields = _update_sql(type(instance), tuple(names), conn.vendor)
    values = [field.get_db_prep_save(field.pre_save(instance, add=False), conn) for field in fields]
    pk = instance._meta.pk
    values.append(pk.get_db_prep_value(instance.pk, conn))
    execute(sql, values, conn)


@functools.cache
def _insert_sql(model: type[Model], rows: int, vendor: str) -> tuple[str, tuple[Field, ...]]:
    meta = model._meta
    qn = connection.ops.quote_name
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    columns = ", ".join(qn(field.column) for field in fields)
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * rows)
    sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES {placeholders}"  # noqa: S608 (names from meta)
    return sql, fields


def insert_rows(instances: Sequence[Model]) -> None:
    """INSERT new rows of one model in one statement, their primary keys left to the database
    (not read back: for rows nobody reads in the same transaction, such as history)."""
    if not instances:
        return
    conn = default_connection()
    sql, fields = _insert_sql(type(instances[0]), len(instances), conn.vendor)
    values = [
        field.get_db_prep_save(field.pre_save(instance, add=True), conn) for instance in instances for field in fields
    ]
    execute(sql, values, conn)
