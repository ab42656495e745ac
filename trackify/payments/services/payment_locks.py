"""The locking read of a payment with its invoice (and config): one query, compiled once per thread.

Every writer of a payment locks its invoice first, then the payment (so two writers never
deadlock); here both rows come from one SELECT … FOR UPDATE OF invoice, payment, and PostgreSQL takes
the locks in that order. Django compiles such a three-model query in several times the time
PostgreSQL takes to run it, and the webhook path runs it on every delivery: so the SQL is compiled
once per thread (Django's connections are per thread) and the rows are turned into models the way
Django's own model iterable does.

A webhook delivery also reads, in the same query, whether its event is done already: a repeated
delivery then costs this one statement, locks nothing and writes nothing (docs/performance.md).
"""

from __future__ import annotations

import functools
import threading
from typing import Any, TypeVar
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Exists, F, Model, OuterRef, QuerySet
from django.db.models.base import ModelState
from django.db.models.functions import Now
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]  # Django 5.2, as ModelIterable
from django.db.models.signals import post_init, pre_init

from trackify.common import statements
from trackify.payments.gateways.types import PaymentStatus
from trackify.payments.models import InvoicePayment, PaymentWebhookEvent
from trackify.payments.services.webhook_events import DONE

_SENTINEL = UUID(int=0)
# Stand-ins for the event's key while the query is compiled; replaced by the real values on each run.
_EVENT_SENTINELS = ("trackify-event-gateway-sentinel", UUID(int=1), "trackify-event-id-sentinel")
_compiled = threading.local()
M = TypeVar("M", bound=Model)

EventKey = tuple[str, UUID, str]  # (gateway name, config id, the gateway's event id)


def locked_payments(*, with_config: bool = True) -> QuerySet[InvoicePayment]:
    """Payments with their invoice (and config), both rows locked by the query that reads them.

    Read along, at no extra query: `other_sessions_open`, whether the invoice has another session
    that can still be paid (the ledger closes those after a success; see `ledger.payments._money_arrives`),
    and `config_updated_at`, the version of the payment's config (webhook deliveries check the config
    they were verified with against it; they have it already, so `with_config=False` leaves the
    config's row out).
    """
    others_open = (
        InvoicePayment.objects.filter(
            invoice_id=OuterRef("invoice_id"), status=PaymentStatus.PENDING, expires_at__gt=Now()
        )
        .exclude(pk=OuterRef("pk"))
        .exclude(gateway_reference="")
    )
    related = ("invoice", "config") if with_config else ("invoice",)
    return (
        InvoicePayment.objects.select_related(*related)
        .select_for_update(of=("invoice", "self"))
        .annotate(other_sessions_open=Exists(others_open), config_updated_at=F("config__updated_at"))
        .order_by()
    )


# What the ledger reads of a payment and its invoice when it applies a webhook event: the webhook's
# locking read loads these columns only, not the session's URLs, client parameters, idempotency key
# or bookkeeping timestamps (turning those into Python values was about a tenth of a delivery's
# calls; docs/performance.md). Another field is loaded when first read, at the cost of a query,
# which the pinned query counts would show (tests/payments/webhooks/test_webhook_queries.py).
WEBHOOK_PAYMENT_FIELDS = (
    "invoice", "config", "gateway_name", "amount", "currency", "status", "refunded_amount", "gateway_reference",
    "gateway_payment_reference", "failure_message", "attention_reason", "succeeded_at",
)
WEBHOOK_INVOICE_FIELDS = ("currency", "total", "amount_paid", "status")


def _done_query(gateway_name: str, config_id: UUID, event_id: str) -> QuerySet[PaymentWebhookEvent, Any]:
    return PaymentWebhookEvent.objects.filter(
        gateway_name=gateway_name, config_id=config_id, gateway_event_id=event_id, status__in=DONE
    ).values("pk")


def _event_done(gateway_name: str, config_id: UUID, event_id: str) -> Exists:
    return Exists(_done_query(gateway_name, config_id, event_id))


class EventDone(Exception):
    """The webhook event a delivery names is done already (`locked_payment(event=…)`): nothing was locked."""


@functools.cache
def _event_key_fields() -> tuple[list[Any], tuple[type | None, ...]]:
    fields = [PaymentWebhookEvent._meta.get_field(name) for name in ("gateway_name", "config_id", "gateway_event_id")]
    return fields, statements.plain_types(fields)  # type: ignore[arg-type]


def _event_values(event: EventKey, conn: Any = connection) -> list[Any]:
    fields, plain = _event_key_fields()
    return statements.db_values(fields, event, conn, plain)


class _Compiled:
    """The locking read's SQL and what turns its rows into models, prepared once."""

    def __init__(self, *, with_event: bool) -> None:
        # A webhook delivery (with its event) has its config already: the config's row is not read.
        queryset = locked_payments(with_config=not with_event).filter(pk=_SENTINEL)
        if with_event:
            queryset = queryset.filter(~_event_done(*_EVENT_SENTINELS)).only(
                *WEBHOOK_PAYMENT_FIELDS, *(f"invoice__{name}" for name in WEBHOOK_INVOICE_FIELDS)
            )
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()  # inside the caller's transaction, as FOR UPDATE requires
        if with_event:
            # One row always: the locked payment's columns (NULL when the event is done, or the payment
            # unknown) and whether the event is done. A done event locks nothing, so its delivery's
            # transaction writes nothing and commits without waiting for the disk. The done check is
            # in both parts on purpose: a join condition on the outer one would not stop the inner
            # part from taking its locks (PostgreSQL locks the rows before joining them).
            done_sql, done_params = _done_query(*_EVENT_SENTINELS).query.sql_with_params()
            sql = (  # both parts compiled by the ORM; every value is a parameter
                f"SELECT locked.*, done.event_done FROM (SELECT EXISTS({done_sql}) AS event_done) AS done "  # noqa: S608
                f"LEFT JOIN ({sql}) AS locked ON TRUE"
            )
            params = (*done_params, *params)
        self.with_event = with_event
        self.connection = compiler.connection
        self.sql, self.params = sql, tuple(params)
        pk = InvoicePayment._meta.pk.get_db_prep_value(_SENTINEL, connection)
        self.sentinels = [pk, *_event_values(_EVENT_SENTINELS)]
        # Where each stand-in sits among the parameters (the statement's own constants stay).
        self.slots = [
            next((i for i, sentinel in enumerate(self.sentinels) if sentinel == p), None) for p in self.params
        ]
        self.compiler = compiler
        self.converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        klass_info, select = compiler.klass_info, compiler.select
        self.start, self.end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.names = [column[0].target.attname for column in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, connection.alias)
        self.annotations = list(compiler.annotation_col_map.items())
        # Each model's instance straight from its columns, as `Model.from_db` makes it but without its
        # per-field loop (about 60 Python calls a delivery), when nothing it skips matters here: the
        # columns in the model's own order, no nested relation, and no listener of the models' init
        # signals (Django's own are for generic relations and image fields, which these lack).
        self.direct = (
            _in_field_order(InvoicePayment, self.names)
            and all(
                p.reorder_for_init is None and not p.related_populators and _in_field_order(p.model_cls, p.init_list)
                for p in self.populators
            )
            and not any(
                signal.has_listeners(model)
                for model in (InvoicePayment, *(p.model_cls for p in self.populators))
                for signal in (pre_init, post_init)
            )
        )

    def model_from(self, row: tuple[Any, ...]) -> InvoicePayment:
        """As Django's ModelIterable builds a select_related row: the payment, then its related models."""
        if self.converters:
            [row] = list(self.compiler.apply_converters([row], self.converters))
        if not self.direct:
            payment = InvoicePayment.from_db(DEFAULT_DB_ALIAS, self.names, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, payment)
        else:
            payment = _instance(InvoicePayment, self.names, row[self.start : self.end])
            for p in self.populators:
                related = _instance(p.model_cls, p.init_list, row[p.cols_start : p.cols_end])
                p.local_setter(payment, related)
                p.remote_setter(related, payment)
        for name, index in self.annotations:
            setattr(payment, name, row[index])
        return payment


def _in_field_order(model: type[Model], attnames: list[str]) -> bool:
    """The columns are the model's own (its primary key among them), in its fields' order, as
    `Model.from_db` takes them; the missing ones are deferred."""
    order = [f.attname for f in model._meta.concrete_fields]
    return model._meta.pk.attname in attnames and attnames == [name for name in order if name in attnames]


def _instance(model: type[M], attnames: list[str], values: tuple[Any, ...]) -> M:
    """A model instance loaded from the database with these column values (see `_Compiled.direct`);
    a column not among them is deferred, as Django defers it (absent, loaded when first read)."""
    instance = model.__new__(model)
    instance.__dict__.update(zip(attnames, values, strict=True))
    state = instance._state = ModelState()
    state.adding, state.db = False, DEFAULT_DB_ALIAS
    return instance


def locked_payment(payment_id: UUID, *, event: EventKey | None = None) -> InvoicePayment | None:
    """The payment (with `.invoice` and `.config`), its invoice and itself locked; None if unknown.

    With `event` (a webhook delivery): raises `EventDone`, having locked nothing, when that webhook
    event is done already (as this transaction sees it: a twin delivery committing meanwhile is caught
    by the event's claim); and `.config` is not read: the caller sets it (after comparing
    `config_updated_at`). Runs inside the caller's transaction.
    """
    conn = statements.default_connection()
    name = "lock_event" if event is not None else "lock"
    compiled: _Compiled | None = getattr(_compiled, name, None)
    if compiled is None or compiled.connection is not conn:
        compiled = _Compiled(with_event=event is not None)
        setattr(_compiled, name, compiled)
    values = [InvoicePayment._meta.pk.get_db_prep_value(payment_id, conn)]
    if event is not None:
        values += _event_values(event, conn)
    params = [p if slot is None else values[slot] for p, slot in zip(compiled.params, compiled.slots, strict=True)]
    row = statements.fetchone(compiled.sql, params, conn)  # prepared: run on every delivery
    if row is not None and compiled.with_event:
        if row[-1]:
            raise EventDone
        row = row[:-1] if row[compiled.start] is not None else None  # NULLs: no such payment
    return None if row is None else compiled.model_from(row)
