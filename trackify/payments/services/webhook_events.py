"""The webhook event row: claimed by one INSERT … ON CONFLICT, the deduplication itself.

The unique constraint on (gateway, config, gateway event id) decides. A concurrent delivery of the
same event waits on the index for the first one's transaction, then finds the row done: no
check-then-insert, no savepoint, one statement, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import Field
from django.utils import timezone

from trackify.payments.gateways.types import WebhookEvent
from trackify.payments.models import (
    NotificationEvent,
    PaymentDisputeChange,
    PaymentGatewayConfig,
    PaymentStatusChange,
    PaymentWebhookEvent,
)
from trackify.payments.services.notifications import outbox

Status = PaymentWebhookEvent.Status

#: An event in one of these states is done: a delivery of it again is a duplicate.
DONE = (Status.PROCESSED, Status.IGNORED)

# What a delivery that applied the event writes over a row that is not done (failed, received, deferred).
_TAKEN_OVER = ("status", "result", "error", "payment", "processed_at")


def event_claim(
    *,
    config: PaymentGatewayConfig,
    event: WebhookEvent,
    status: str,
    result: str = "",
    payment_id: UUID | None = None,
    history: Sequence[PaymentStatusChange] = (),
    dispute_history: Sequence[PaymentDisputeChange] = (),
    notifications: Sequence[NotificationEvent] = (),
) -> int | None:
    """Store the event with its outcome and return the row's id; None if the event is already done.

    `status` received stores it for a worker (an existing row that is not done is left as it is);
    any other status records this delivery's outcome, taking over a failed or received row.
    `history`: the ledger's history rows of this delivery (held back until now), stored pointing at
    the event row; not stored when the event is done already.

    The one raw statement of the webhook path, because the ORM cannot say it: an INSERT that, on a
    conflict with the unique constraint, updates the row only when it is not done, and returns the
    row's id or nothing (`bulk_create(update_conflicts=True)` has no condition and returns nothing
    for a row it did not write). On PostgreSQL the history rows go in the same statement (a WITH
    clause inserting them for the returned id): they exist exactly when the claim wrote the row.
    Elsewhere they follow with `bulk_create`. `dispute_history` (rare: disputes are few) always
    follows with `bulk_create`, in the same transaction. `notifications`, the outbox's events of this
    delivery, go like the history: in the same statement on PostgreSQL (each ON CONFLICT DO NOTHING on
    its unique key), stored only when the claim wrote the row.
    """
    now = timezone.now()
    received = status == Status.RECEIVED
    row = PaymentWebhookEvent(
        gateway_name=config.gateway_name,
        config_id=config.pk,
        gateway_event_id=event.gateway_event_id,
        event_type=event.event_type,
        payload=dict(event.payload),
        status=status,
        result=result[:500],
        payment_id=payment_id,
        attempts=0 if received else 1,
        processed_at=None if received else now,
    )
    sql, params = _claim_sql(take_over=not received), [*_values(row), *DONE]
    linked = connection.vendor == "postgresql" and bool(history or notifications)
    if linked:
        sql, params = _with_rows(sql, params, history, notifications)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    if not linked:
        for change in history:
            change.webhook_event_id = found[0]
        PaymentStatusChange.objects.bulk_create(history)
        outbox.write(notifications)
    if dispute_history:
        for dispute_change in dispute_history:
            dispute_change.webhook_event_id = found[0]
        PaymentDisputeChange.objects.bulk_create(dispute_history)
    return int(found[0])


def _fields(model: Any, *, skip: str = "") -> list[Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name != skip]


def _values(instance: Any, *, skip: str = "") -> list[Any]:
    """A new row's values as the ORM binds them on INSERT (each field's `pre_save`, for auto_now_add)."""
    return [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in _fields(type(instance), skip=skip)]


def _claim_sql(*, take_over: bool) -> str:
    qn = connection.ops.quote_name
    meta = PaymentWebhookEvent._meta
    table = qn(meta.db_table)
    column = {f.name: qn(f.column) for f in meta.concrete_fields}
    fields = _fields(PaymentWebhookEvent)
    if take_over:  # this delivery applied the event: its outcome replaces a failed or received row's
        assignments = ", ".join(f"{column[name]} = EXCLUDED.{column[name]}" for name in _TAKEN_OVER)
        assignments += f", {column['attempts']} = {table}.{column['attempts']} + 1"
    else:  # only stored (async mode): a row not done yet stays as it is, to be applied by a worker
        assignments = f"{column['status']} = {table}.{column['status']}"
    unique = ", ".join(column[name] for name in ("gateway_name", "config", "gateway_event_id"))
    # Names come from the model's own meta; every value is a parameter.
    return (
        f"INSERT INTO {table} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT ({unique}) "
        f"DO UPDATE SET {assignments} WHERE {table}.{column['status']} NOT IN ({', '.join(['%s'] * len(DONE))}) "
        f"RETURNING {column['id']}"
    )


def _with_rows(
    sql: str,
    params: list[Any],
    history: Sequence[PaymentStatusChange],
    notifications: Sequence[NotificationEvent],
) -> tuple[str, list[Any]]:
    """`sql` (the claim) with the history rows inserted for the id it returns, and the outbox's events
    inserted when it returns one, in one statement."""
    parts, extra = [], []
    if history:
        part, values = _insert_for_claimed(PaymentStatusChange, history, pointer="webhook_event")
        parts.append(f"history AS ({part})")
        extra += values
    if notifications:
        part, values = _insert_for_claimed(NotificationEvent, notifications, pointer=None)
        key = connection.ops.quote_name(NotificationEvent._meta.get_field("key").column)
        parts.append(f"notified AS ({part} ON CONFLICT ({key}) DO NOTHING)")
        extra += values
    linked = f"WITH claimed AS ({sql}), {', '.join(parts)} SELECT id FROM claimed"  # noqa: S608
    return linked, [*params, *extra]


def _insert_for_claimed(model: Any, rows: Sequence[Any], *, pointer: str | None) -> tuple[str, list[Any]]:
    """INSERT … SELECT of `rows` FROM claimed: nothing when the claim returned no row. `pointer`: the
    field set to the claimed row's id."""
    qn = connection.ops.quote_name
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f.name != pointer and not (f.primary_key and f.auto_created)]
    columns = [qn(f.column) for f in fields]
    selected = []
    # Each value cast to its column's type, as the parameters of a SELECT list have none to infer
    # (a bare type: a cast to varchar(n) would cut a value that the column itself refuses).
    for f in fields:
        selected.append(f"%s::{re.sub(r'[(].*', '', f.cast_db_type(connection))}")
    if pointer is not None:
        columns.append(qn(meta.get_field(pointer).column))
        selected.append("claimed.id")
    select = f"SELECT {', '.join(selected)} FROM claimed"  # noqa: S608
    rows_sql = " UNION ALL ".join([select] * len(rows))
    values = [
        f.get_db_prep_save(f.pre_save(row, True), connection) for row in rows for f in fields
    ]
    return f"INSERT INTO {qn(meta.db_table)} ({', '.join(columns)}) {rows_sql}", values
