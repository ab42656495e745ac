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
    PaymentDisputeChange,
    PaymentGatewayConfig,
    PaymentStatusChange,
    PaymentWebhookEvent,
)

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
    follows with `bulk_create`, in the same transaction.
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
    linked = bool(history) and connection.vendor == "postgresql"
    if linked:
        sql, params = _with_history(sql, params, history)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    if found is None:
        return None
    if history and not linked:
        for change in history:
            change.webhook_event_id = found[0]
        PaymentStatusChange.objects.bulk_create(history)
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


def _with_history(sql: str, params: list[Any], history: Sequence[PaymentStatusChange]) -> tuple[str, list[Any]]:
    """`sql` (the claim) with the history rows inserted for the id it returns, in one statement."""
    qn = connection.ops.quote_name
    meta = PaymentStatusChange._meta
    fields = _fields(PaymentStatusChange, skip="webhook_event")
    pointer = qn(meta.get_field("webhook_event").column)
    columns = ", ".join([*(qn(f.column) for f in fields), pointer])
    # Each value cast to its column's type, as the parameters of a SELECT list have none to infer
    # (a bare type: a cast to varchar(n) would cut a value that the column itself refuses).
    casts = [re.sub(r"[(].*", "", f.cast_db_type(connection)) for f in fields]  # type: ignore[attr-defined]
    select = f"SELECT {', '.join(f'%s::{cast}' for cast in casts)}, claimed.id FROM claimed"  # noqa: S608
    rows = " UNION ALL ".join([select] * len(history))
    linked = (
        f"WITH claimed AS ({sql}), history AS (INSERT INTO {qn(meta.db_table)} ({columns}) {rows}) "  # noqa: S608
        "SELECT id FROM claimed"
    )
    history_params = [value for change in history for value in _values(change, skip="webhook_event")]
    return linked, [*params, *history_params]
