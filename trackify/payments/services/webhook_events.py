"""The webhook event row: claimed by one INSERT … ON CONFLICT, the deduplication itself.

The unique constraint on (gateway, config, gateway event id) decides. A concurrent delivery of the
same event waits on the index for the first one's transaction, then finds the row done: no
check-then-insert, no savepoint, one statement, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django.db import connection
from django.utils import timezone

from trackify.common import statements
from trackify.payments.gateways.types import WebhookEvent
from trackify.payments.models import PaymentGatewayConfig, PaymentStatusChange, PaymentWebhookEvent

Status = PaymentWebhookEvent.Status

#: An event in one of these states is done: a delivery of it again is a duplicate.
DONE = (Status.PROCESSED, Status.IGNORED)


@functools.cache
def _claim_sql(vendor: str, *, take_over: bool) -> tuple[str, tuple[str, ...]]:
    """The statement, built once per database vendor and kind."""
    meta = PaymentWebhookEvent._meta
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    column = {f.name: qn(f.column) for f in meta.concrete_fields}
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    columns = ", ".join(column[f.name] for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    unique = ", ".join(column[name] for name in ("gateway_name", "config", "gateway_event_id"))
    if take_over:  # this delivery applied the event: its outcome replaces a failed or received row's
        assignments = ", ".join(
            f"{column[name]} = EXCLUDED.{column[name]}"
            for name in ("status", "result", "error", "payment", "processed_at")
        ) + f", {column['attempts']} = {table}.{column['attempts']} + 1"
    else:  # only stored (async mode): a row not done yet stays as it is, to be applied by a worker
        assignments = f"{column['status']} = {table}.{column['status']}"
    done = ", ".join(["%s"] * len(DONE))
    # Names come from the model's own meta; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT ({unique}) "  # noqa: S608
        f"DO UPDATE SET {assignments} WHERE {table}.{column['status']} NOT IN ({done}) RETURNING {column['id']}"
    )
    return sql, tuple(f.attname for f in fields)


@functools.cache
def _fields(attnames: tuple[str, ...]) -> tuple[list[Any], tuple[type | None, ...]]:
    """The claim's fields in the statement's order, and their plain types (`statements.db_values`)."""
    by_name = {f.attname: f for f in PaymentWebhookEvent._meta.concrete_fields}
    fields = [by_name[name] for name in attnames]
    return fields, statements.plain_types(fields)


def event_claim(
    *,
    config: PaymentGatewayConfig,
    event: WebhookEvent,
    status: str,
    result: str = "",
    payment_id: UUID | None = None,
    history: Sequence[PaymentStatusChange] = (),
) -> int | None:
    """Store the event with its outcome and return the row's id; None if the event is already done.

    `status` received stores it for a worker (an existing row that is not done is left as it is);
    any other status records this delivery's outcome, taking over a failed or received row.
    `history`: the ledger's history rows of this delivery (held back until now), stored pointing at
    the event row, in the same statement on PostgreSQL; not stored when the event is done already.
    """
    now = timezone.now()
    received = status == Status.RECEIVED
    values = {  # the new row, by column; what `PaymentWebhookEvent(...)` would hold, without building one
        "gateway_name": config.gateway_name,
        "config_id": config.pk,
        "gateway_event_id": event.gateway_event_id,
        "event_type": event.event_type,
        # A gateway's parse of the delivery (`JsonObject`) is stored as its text (`statements.db_values`).
        "payload": event.payload if isinstance(event.payload, dict) else dict(event.payload),
        "status": status,
        "result": result[:500],
        "error": "",
        "payment_id": payment_id,
        "attempts": 0 if received else 1,
        "received_at": now,
        "processed_at": None if received else now,
    }
    conn = statements.default_connection()
    sql, attnames = _claim_sql(conn.vendor, take_over=not received)
    fields, plain = _fields(attnames)
    params = statements.db_values(fields, [values[name] for name in attnames], conn, plain)
    found = statements.fetchone_and_insert_linked(  # prepared: run on every delivery
        sql, [*params, *DONE], history, pointer="webhook_event", conn=conn
    )
    return None if found is None else int(found[0])
