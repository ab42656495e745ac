"""The locking read of a payment with its invoice (and config): one query, compiled once per thread.

Every writer of a payment locks its invoice first, then the payment (so two writers never
deadlock); here both rows come from one SELECT … FOR UPDATE OF invoice, payment, and PostgreSQL takes
the locks in that order. Django compiles such a three-model query in several times the time
PostgreSQL takes to run it, and the webhook path runs it on every delivery: so the SQL is compiled
once per thread (Django's connections are per thread) and the rows are turned into models the way
Django's own model iterable does.
"""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Now
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]  # Django 5.2, as ModelIterable

from trackify.payments.gateways.types import PaymentStatus
from trackify.payments.models import InvoicePayment

_SENTINEL = UUID(int=0)
_compiled = threading.local()


def locked_payments() -> QuerySet[InvoicePayment]:
    """Payments with their invoice (and config), both rows locked by the query that reads them.

    Read along, at no extra query: `other_sessions_open`, whether the invoice has another session
    that can still be paid (the ledger closes those after a success; see `ledger.payments._money_arrives`).
    """
    others_open = (
        InvoicePayment.objects.filter(
            invoice_id=OuterRef("invoice_id"), status=PaymentStatus.PENDING, expires_at__gt=Now()
        )
        .exclude(pk=OuterRef("pk"))
        .exclude(gateway_reference="")
    )
    return (
        InvoicePayment.objects.select_related("invoice", "config")
        .select_for_update(of=("invoice", "self"))
        .annotate(other_sessions_open=Exists(others_open))
        .order_by()
    )


class _Compiled:
    """The locking read's SQL and what turns its rows into models, prepared once."""

    def __init__(self) -> None:
        queryset = locked_payments().filter(pk=_SENTINEL)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()  # inside the caller's transaction, as FOR UPDATE requires
        self.connection = compiler.connection
        self.sql, self.params = sql, tuple(params)
        self.sentinel = InvoicePayment._meta.pk.get_db_prep_value(_SENTINEL, connection)
        self.compiler = compiler
        self.converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        klass_info, select = compiler.klass_info, compiler.select
        self.start, self.end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.names = [column[0].target.attname for column in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, connection.alias)
        self.annotations = dict(compiler.annotation_col_map)

    def model_from(self, row: tuple[Any, ...]) -> InvoicePayment:
        """As Django's ModelIterable builds a select_related row: the payment, then its related models."""
        if self.converters:
            [row] = list(self.compiler.apply_converters([row], self.converters))
        payment = InvoicePayment.from_db(connection.alias, self.names, row[self.start : self.end])
        for populator in self.populators:
            populator.populate(row, payment)
        for name, index in self.annotations.items():
            setattr(payment, name, row[index])
        return payment


def locked_payment(payment_id: UUID) -> InvoicePayment | None:
    """The payment (with `.invoice` and `.config`), its invoice and itself locked; None if unknown.

    Runs inside the caller's transaction.
    """
    compiled: _Compiled | None = getattr(_compiled, "lock", None)
    if compiled is None or compiled.connection is not connections[DEFAULT_DB_ALIAS]:
        compiled = _compiled.lock = _Compiled()
    value = InvoicePayment._meta.pk.get_db_prep_value(payment_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, tuple(value if p == compiled.sentinel else p for p in compiled.params))
        row = cursor.fetchone()
    return None if row is None else compiled.model_from(row)
