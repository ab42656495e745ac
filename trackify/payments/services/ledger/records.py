"""What every ledger write stands on: the typed result, the locked rows, the history of transitions,
the attention flag, and the invoice's totals recomputed from its payments."""

from __future__ import annotations

import enum
import functools
import logging
import operator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import F, QuerySet, Sum
from django.db.models.expressions import RawSQL

from trackify.common.statements import update_fields
from trackify.invoices.models import Invoice
from trackify.invoices.services import invoice_record_amount_paid
from trackify.payments import state
from trackify.payments.models import InvoicePayment, PaymentStatusChange, PaymentWebhookEvent
from trackify.payments.services.payment_locks import EventKey, locked_payment, locked_payments

logger = logging.getLogger("trackify.payments.services.ledger")

_SENTINEL = UUID(int=0)


class Outcome(enum.StrEnum):
    """What the ledger did with one update."""

    APPLIED = "applied"
    UNCHANGED = "unchanged"  # the payment was already in the reported state
    NOT_APPLIED = "not applied"  # refused and recorded: a mismatch, or a transition not allowed
    IGNORED = "ignored"  # nothing to apply it to (an unknown refund in a final state, a stale one)


@dataclass(frozen=True)
class LedgerResult:
    outcome: Outcome
    detail: str

    def __str__(self) -> str:
        return f"{self.outcome}: {self.detail}"


@dataclass(frozen=True)
class Locked:
    invoice: Invoice
    payment: InvoicePayment
    # History rows held back until the caller knows the webhook event row they belong to (the
    # webhook's `event_claim` stores them with the event); None: each row is written as it is recorded.
    pending_history: list[PaymentStatusChange] | None = None


def lock_payment(payment_id: UUID) -> Locked:
    """Lock a payment and its invoice for the rest of the transaction (one query, invoice first)."""
    payment = locked_payment(payment_id)
    if payment is None:
        raise InvoicePayment.DoesNotExist(f"No payment {payment_id}")
    return Locked(invoice=payment.invoice, payment=payment)


def lock_payment_named(
    *,
    config_id: UUID,
    payment_id: UUID | None,
    reference: str,
    defer_history: bool = False,
    event: EventKey | None = None,
) -> Locked | None:
    """The config's payment an event names, locked with its invoice; None when there is none.

    Usually one query: events carry our id. With `event` (found by our id), raises `EventDone`
    (having locked nothing) when that webhook event is done already, read in the same query.
    """
    # Our own id by primary key alone (the compiled locking read), so that no planner ever prefers
    # the config's index; the config is checked here (an event naming another config's payment finds
    # none). Then the gateway's references, in `payment_named`'s order; the queryset for those is
    # built only when it is needed.
    found = locked_payment(payment_id, event=event) if payment_id is not None else None
    if found is not None and found.config_id != config_id:
        found = None
    if found is None and reference:
        found = payment_named(locked_payments().filter(config_id=config_id), payment_id=None, reference=reference)
    if found is None:
        return None
    return Locked(
        invoice=found.invoice,
        payment=found,
        pending_history=[] if defer_history else None,
    )


def payment_named(
    payments: QuerySet[InvoicePayment],
    *,
    payment_id: UUID | None,
    reference: str,
) -> InvoicePayment | None:
    """The one lookup order for a payment an event names: our own id, then the gateway's reference
    to the session we opened, then its reference to the money movement (e.g. a PaymentIntent).
    (`lock_payment_named` follows the same order, with the locking read for our own id.)"""
    found = None
    if payment_id is not None:
        found = payments.filter(pk=payment_id).first()
    if found is None and reference:
        found = (
            payments.filter(gateway_reference=reference).first()
            or payments.filter(gateway_payment_reference=reference).first()
        )
    return found


def recompute_invoice(invoice: Invoice) -> None:
    """amount_paid = succeeded payments minus their refunds, summed by the database in the invoice's
    own UPDATE (one statement); the status follows. The caller holds the invoice's lock."""
    sql, params, sentinel = _paid_sum_sql(connection.vendor)
    value = Invoice._meta.pk.get_db_prep_value(invoice.pk, connection)
    paid = RawSQL(sql, tuple(value if p == sentinel else p for p in params))  # noqa: S611 (compiled by the ORM)
    invoice_record_amount_paid(invoice, amount_paid=paid)


@functools.cache
def _paid_sum_sql(vendor: str) -> tuple[str, tuple[Any, ...], Any]:
    """The sum of an invoice's paid payments, compiled once (for an invoice id standing in)."""
    paid = (
        InvoicePayment.objects.filter(invoice_id=_SENTINEL, status__in=sorted(state.PAID_STATUSES))
        .order_by()
        .values("invoice_id")
        .annotate(amount=Sum(F("amount") - F("refunded_amount")))
        .values("amount")
    )
    sql, params = paid.query.sql_with_params()
    return sql, tuple(params), Invoice._meta.pk.get_db_prep_value(_SENTINEL, connection)



def record_transition(
    locked: Locked,
    target: str,
    *,
    applied: bool,
    source: str,
    note: str = "",
    event: PaymentWebhookEvent | None = None,
) -> None:
    change = PaymentStatusChange(
        payment=locked.payment,
        from_status=locked.payment.status,
        to_status=target,
        applied=applied,
        source=source,
        note=note[:500],
        webhook_event=event,
    )
    if locked.pending_history is not None:
        locked.pending_history.append(change)
    else:
        change.save(force_insert=True)


# What a payment row holds that the ledger may change; it is written only when one of them did.
_TRACKED = ("status", "gateway_payment_reference", "attention_reason", "failure_message", "refunded_amount",
            "succeeded_at")


_tracked_of = operator.attrgetter(*_TRACKED)


def state_of(payment: InvoicePayment) -> tuple[object, ...]:
    return _tracked_of(payment)


def save_if_changed(payment: InvoicePayment, before: tuple[object, ...]) -> None:
    """Write the fields that changed (and updated_at), or nothing."""
    changed = [name for name, old in zip(_TRACKED, before, strict=True) if getattr(payment, name) != old]
    if changed:
        update_fields(payment, [*changed, "updated_at"])  # as payment.save(update_fields=…), compiled once


def flag(payment: InvoicePayment, reason: str) -> None:
    logger.warning("Payment %s needs attention: %s", payment.pk, reason)
    payment.attention_reason = reason[:500]
