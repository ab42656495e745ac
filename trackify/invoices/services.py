"""Writing invoices. `invoice_record_amount_paid` is how payments update an invoice (from the ledger)."""

from __future__ import annotations

import functools
import logging
from datetime import date
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from trackify.common import statements
from trackify.common.errors import Conflict, ValidationFailed
from trackify.common.money import normalize_currency, to_minor_units
from trackify.invoices.models import Invoice, InvoiceStatus

logger = logging.getLogger(__name__)


def invoice_create(
    *,
    owner: Any,
    number: str,
    client_name: str,
    currency: str,
    total: str,
    client_email: str = "",
    allow_partial_payment: bool = False,
    status: str = InvoiceStatus.OPEN,
    issuer_name: str = "",
    issued_on: date | None = None,
    due_on: date | None = None,
) -> Invoice:
    """Create an invoice. `total` is a decimal string in the currency's major unit."""
    currency = normalize_currency(currency)
    total_minor = _positive_total(total, currency)
    if status not in (InvoiceStatus.DRAFT, InvoiceStatus.OPEN):
        raise ValidationFailed("A new invoice is draft or open.", field="status")
    try:
        with transaction.atomic():
            return Invoice.objects.create(
                owner=owner,
                number=number,
                client_name=client_name,
                client_email=client_email,
                currency=currency,
                total=total_minor,
                allow_partial_payment=allow_partial_payment,
                status=status,
                issuer_name=issuer_name,
                issued_on=issued_on or timezone.localdate(),
                due_on=due_on,
            )
    except IntegrityError as exc:
        raise Conflict(f"You already have an invoice numbered {number}.", field="number") from exc


def _positive_total(total: str, currency: str) -> int:
    try:
        total_minor = to_minor_units(total, currency)
    except ValidationFailed as exc:  # money names the field "amount"; here it is the total
        raise ValidationFailed(exc.message, field="total") from exc
    if total_minor <= 0:
        raise ValidationFailed("The total must be positive.", field="total")
    return total_minor


def invoice_record_amount_paid(invoice: Invoice, *, amount_paid: int | QuerySet[Any] | RawSQL) -> None:
    """Payments report what has been paid (succeeded payments less refunds); the status follows.

    `amount_paid` is a number, or a query of one row and one column (a sum of payments; as a
    QuerySet or as its SQL) that the database evaluates inside the same UPDATE: one statement sums
    and writes, on PostgreSQL and SQLite alike. The caller holds the invoice's lock (`invoice_lock`).
    A void or draft invoice keeps its status; an overpaid one is paid, and logged.
    """
    if isinstance(amount_paid, QuerySet):
        paid_sql, paid_params = amount_paid.query.sql_with_params()
        paid_sql = f"({paid_sql})"
    elif isinstance(amount_paid, RawSQL):
        paid_sql, paid_params = f"({amount_paid.sql})", tuple(amount_paid.params)
    else:
        paid_sql, paid_params = "%s", (amount_paid,)
    now = timezone.now()
    conn = statements.default_connection()
    params = [  # in the order of the statement's text: SET, then FROM, then WHERE
        InvoiceStatus.VOID, InvoiceStatus.DRAFT, InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OPEN,
        Invoice._meta.get_field("updated_at").get_db_prep_value(now, conn),
        *paid_params,
        Invoice._meta.pk.get_db_prep_value(invoice.pk, conn),
    ]
    sql = _record_amount_paid_sql(paid_sql, conn.vendor)
    row = statements.fetchone(sql, params, conn)  # prepared: run on every delivery
    if row is None:  # cannot happen while the caller holds its lock
        raise Invoice.DoesNotExist(f"No invoice {invoice.pk}")
    invoice.amount_paid, invoice.status = row
    invoice.updated_at = now
    if invoice.amount_overpaid:
        logger.warning("Invoice %s is overpaid by %s minor units", invoice.pk, invoice.amount_overpaid)


@functools.lru_cache(maxsize=16)  # the same string each time: its cursor is kept (`statements`)
def _record_amount_paid_sql(paid_sql: str, vendor: str) -> str:
    table = connection.ops.quote_name(Invoice._meta.db_table)
    # Names come from the model's own meta and `paid_sql` from the ORM; every value is a parameter.
    return (
        f"UPDATE {table} SET amount_paid = paid.amount, "  # noqa: S608
        f"status = CASE WHEN {table}.status IN (%s, %s) THEN {table}.status "
        f"WHEN paid.amount >= {table}.total THEN %s WHEN paid.amount > 0 THEN %s ELSE %s END, updated_at = %s "
        f"FROM (SELECT COALESCE({paid_sql}, 0) AS amount) AS paid "
        f"WHERE {table}.id = %s RETURNING amount_paid, status"
    )
