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

import datetime
import functools
import re
import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Field, Model
from psycopg.types.json import Jsonb

from trackify.common.untrusted import JsonObject


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
    if conn.queries_logged or conn.execute_wrappers:  # through Django's wrapper: logged, wrappers run
        raw = _PreparingCursor(conn.connection)
        wrapped = _PreparedDebugWrapper(raw, conn) if conn.queries_logged else CursorWrapper(raw, conn)
        with wrapped:
            wrapped.execute(sql, params)
            return wrapped.fetchone() if fetch else None
    # The steps Django's cursor wrapper takes, without building one for a single statement.
    conn.validate_no_broken_transaction()
    raw = _cursor_of(conn, sql)
    with conn.wrap_database_errors:
        raw.execute(sql, params)
        return raw.fetchone() if fetch else None


class _KeptCursors:
    """The cursors kept for one database connection, one per hot statement."""

    LIMIT = 32  # a safeguard: the hot paths run a handful of statements; past this, all are let go

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.by_sql: dict[str, _PreparingCursor] = {}


def _cursor_of(conn: BaseDatabaseWrapper, sql: str) -> _PreparingCursor:
    """The cursor this database connection keeps for `sql`, used again each time it runs.

    psycopg keeps what it learned about sending a statement's values and reading its columns (the
    cursor's adapters, by type and by column) while the same cursor runs the same query string
    again; another query, or a new cursor, starts over, at about 40 Python calls a statement
    (bench/webhook_cost.py). The hot statements' strings are built once, so each comes back as the
    same string. A Django connection belongs to one thread; a new database connection gets new cursors.
    """
    kept: _KeptCursors | None = getattr(conn, "_trackify_cursors", None)
    if kept is None or kept.connection is not conn.connection:
        kept = conn._trackify_cursors = _KeptCursors(conn.connection)  # type: ignore[attr-defined]
    cursor = kept.by_sql.get(sql)
    if cursor is None or cursor.closed:
        if len(kept.by_sql) >= _KeptCursors.LIMIT:
            kept.by_sql.clear()
        cursor = kept.by_sql[sql] = _PreparingCursor(conn.connection)
    return cursor


def execute(sql: str, params: Sequence[Any], conn: BaseDatabaseWrapper | None = None) -> None:
    """Run one statement on the default connection (or `conn`), prepared on PostgreSQL."""
    _run(sql, params, conn, fetch=False)


def fetchone(sql: str, params: Sequence[Any], conn: BaseDatabaseWrapper | None = None) -> tuple[Any, ...] | None:
    """Run one statement and return its first row (None if it has none), prepared on PostgreSQL."""
    return _run(sql, params, conn, fetch=True)


# Fields whose own preparation of a value of this exact type, on PostgreSQL, returns it as it is
# (psycopg adapts it): `db_values` skips the calls. Exact classes only: a subclass may prepare otherwise.
_PLAIN = {
    models.CharField: str,
    models.TextField: str,
    models.UUIDField: uuid.UUID,
    models.BooleanField: bool,
    # Not integers: Django's PostgreSQL backend gives each its exact type (Int4, Int8), and the
    # parameters' types are part of a prepared statement's identity.
    models.DateTimeField: datetime.datetime,  # an aware one (USE_TZ); a naive one is converted, with a warning
}


def _plain_type(field: Field) -> type | None:
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    return _PLAIN.get(type(target))


def plain_types(fields: Sequence[Field]) -> tuple[type | None, ...]:
    """For `db_values`: each field's plain type, or None. Hot callers work it out once per statement."""
    return tuple(_plain_type(field) for field in fields)


def db_values(
    fields: Sequence[Field], values: Sequence[Any], conn: BaseDatabaseWrapper, plain: Sequence[type | None] = ()
) -> list[Any]:
    """The values as the database takes them: each field's `get_db_prep_save`, as the ORM does, except
    on PostgreSQL for plain values (a str for a CharField, an aware datetime for a DateTimeField, …),
    passed as they are: that is all their preparation would do, at a few Python calls a value; and for
    a JSON document parsed from its text (`untrusted.JsonObject`, a webhook's payload), whose text is
    bound as `jsonb` instead of encoding the object again (15 µs for a Stripe event).
    `plain`: `plain_types(fields)`, when the caller has it."""
    if conn.vendor != "postgresql":
        return [field.get_db_prep_save(value, conn) for field, value in zip(fields, values, strict=True)]
    prepared = []
    for field, value, kind in zip(fields, values, plain or plain_types(fields), strict=True):
        naive = isinstance(value, datetime.datetime) and value.tzinfo is None
        if kind is not None and (value is None or (type(value) is kind and not naive)):
            prepared.append(value)
        elif type(value) is JsonObject and isinstance(field, models.JSONField):
            prepared.append(Jsonb(value.text, dumps=str))  # the text as it is, typed jsonb
        else:
            prepared.append(field.get_db_prep_save(value, conn))
    return prepared


@functools.cache
def _update_sql(
    model: type[Model], names: tuple[str, ...], vendor: str
) -> tuple[str, tuple[Field, ...], tuple[type | None, ...]]:
    meta = model._meta
    qn = connection.ops.quote_name
    fields = tuple(field for name in names if isinstance(field := meta.get_field(name), Field) and field.concrete)
    if len(fields) != len(names):
        raise ValueError(f"Not all of {names} are columns of {meta.label}.")
    assignments = ", ".join(f"{qn(field.column)} = %s" for field in fields)
    # Table and column names come from the model's own meta; every value is a parameter.
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608
    return sql, fields, plain_types(fields)


def update_fields(instance: Model, names: Sequence[str]) -> None:
    """UPDATE the instance's row, setting the named fields (and running their `pre_save`, for
    `auto_now`) from the instance: what `instance.save(update_fields=names)` writes."""
    conn = default_connection()
    sql, fields, plain = _update_sql(type(instance), tuple(names), conn.vendor)
    values = db_values(fields, [field.pre_save(instance, add=False) for field in fields], conn, plain)
    pk = instance._meta.pk
    values.append(pk.get_db_prep_value(instance.pk, conn))
    execute(sql, values, conn)


@functools.cache
def _insert_sql(
    model: type[Model], rows: int, vendor: str
) -> tuple[str, tuple[Field, ...], tuple[type | None, ...]]:
    meta = model._meta
    qn = connection.ops.quote_name
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    columns = ", ".join(qn(field.column) for field in fields)
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * rows)
    sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES {placeholders}"  # noqa: S608 (names from meta)
    return sql, fields, plain_types(fields)


def insert_rows(instances: Sequence[Model]) -> None:
    """INSERT new rows of one model in one statement, their primary keys left to the database
    (not read back: for rows nobody reads in the same transaction, such as history)."""
    if not instances:
        return
    conn = default_connection()
    sql, fields, plain = _insert_sql(type(instances[0]), len(instances), conn.vendor)
    execute(sql, _new_row_values(instances, fields, plain, conn), conn)


def _new_row_values(
    instances: Sequence[Model], fields: Sequence[Field], plain: Sequence[type | None], conn: BaseDatabaseWrapper
) -> list[Any]:
    """The values of new rows, row after row, as an INSERT binds them (each field's `pre_save` run)."""
    return [
        value
        for instance in instances
        for value in db_values(fields, [field.pre_save(instance, add=True) for field in fields], conn, plain)
    ]


@functools.cache
def _linked_insert_sql(
    sql: str, model: type[Model], pointer: str, rows: int, vendor: str
) -> tuple[str, tuple[Field, ...], tuple[type | None, ...]]:
    """`sql` with an INSERT of `rows` rows of `model` in front of its result, on PostgreSQL."""
    meta = model._meta
    qn = connection.ops.quote_name
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key and f.name != pointer)
    link = meta.get_field(pointer)
    assert isinstance(link, Field) and link.column  # a foreign key of the model
    columns = ", ".join(qn(f.column) for f in (*fields, link))
    # Each value cast to its column's type, as the parameters of a SELECT list have none to infer
    # (a bare type: a cast to varchar(n) would cut a value that the column itself refuses).
    casts = [re.sub(r"[(].*", "", f.cast_db_type(connection)) for f in fields]  # type: ignore[attr-defined]
    values = ", ".join(f"%s::{cast}" for cast in casts)
    selects = " UNION ALL ".join([f"SELECT {values}, linked.id FROM linked"] * rows)  # noqa: S608 (names from meta)
    table = qn(meta.db_table)
    # Table and column names come from the model's own meta; every value is a parameter.
    linked = f"WITH linked AS ({sql}), inserted AS (INSERT INTO {table} ({columns}) {selects}) "
    return f"{linked}SELECT id FROM linked", fields, plain_types(fields)  # noqa: S608


def fetchone_and_insert_linked(
    sql: str, params: Sequence[Any], rows: Sequence[Model], *, pointer: str, conn: BaseDatabaseWrapper | None = None
) -> tuple[Any, ...] | None:
    """Run `sql`, which returns one row (the id of a row it wrote, as `id`) or none, and INSERT `rows` (new
    rows of one model) with their `pointer` foreign key set to that id, unless `sql` returned none.

    On PostgreSQL in one statement (the INSERT in a WITH clause, prepared like every other): one round
    trip to the database instead of two. Elsewhere in two statements. Returns the row `sql` returned.
    """
    conn = conn or default_connection()
    if not rows:
        return fetchone(sql, params, conn)
    if conn.vendor != "postgresql":
        found = fetchone(sql, params, conn)
        if found is not None:
            link = type(rows[0])._meta.get_field(pointer).attname  # type: ignore[union-attr]
            for row in rows:
                setattr(row, link, found[0])
            insert_rows(rows)
        return found
    linked_sql, fields, plain = _linked_insert_sql(sql, type(rows[0]), pointer, len(rows), conn.vendor)
    return fetchone(linked_sql, [*params, *_new_row_values(rows, fields, plain, conn)], conn)
