"""Applying what a gateway reports to our rows. The only code that writes payment, refund and
invoice state.

`payment_apply` is the way in for news about an existing payment: it locks the invoice and the
payment (invoice first, then payment: one order everywhere, so two writers never deadlock) and
applies the updates in that one transaction. Invoice totals are recomputed from the payments,
never incremented, so an update applied twice still counts once. Each update answers a
`LedgerResult`: a typed outcome plus a human-readable detail (stored on the webhook event).

It writes what changed and nothing else: one locking read for the payment and its invoice, the
payment only when a field of it changed, the invoice only when the payment's contribution to it
could have (one UPDATE that sums and writes), a history row per transition asked for.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone

from trackify.common.errors import Conflict
from trackify.invoices.models import Invoice
from trackify.invoices.services import invoice_record_amount_paid
from trackify.payments import state
from trackify.payments.gateways.types import (
    PaymentStatus,
    PaymentUpdate,
    RefundStatus,
    RefundUpdate,
    SessionResult,
)
from trackify.payments.models import (
    InvoicePayment,
    PaymentRefund,
    PaymentStatusChange,
    PaymentWebhookEvent,
)
from trackify.payments.services.payment_locks import locked_payment, locked_payments

logger = logging.getLogger(__name__)


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
    # History rows held back until the caller knows the webhook event row they belong to
    # (`history_write`); None: each row is written as it is recorded.
    pending_history: list[PaymentStatusChange] | None = None


def lock_payment(payment_id: UUID) -> Locked:
    """Lock a payment and its invoice for the rest of the transaction (one query, invoice first)."""
    payment = locked_payment(payment_id)
    if payment is None:
        raise InvoicePayment.DoesNotExist(f"No payment {payment_id}")
    return Locked(invoice=payment.invoice, payment=payment)


def lock_payment_named(
    *, config_id: UUID, payment_id: UUID | None, reference: str, defer_history: bool = False
) -> Locked | None:
    """The config's payment an event names, locked with its invoice; None when there is none.

    Usually one query: events carry our id.
    """
    def by_pk(pk: UUID) -> InvoicePayment | None:
        # By primary key alone (the compiled locking read), so that no planner ever prefers the
        # config's index; the config is checked here (an event naming another config's payment finds none).
        found = locked_payment(pk)
        return found if found is not None and found.config_id == config_id else None

    found = payment_named(
        locked_payments().filter(config_id=config_id), payment_id=payment_id, reference=reference, by_pk=by_pk
    )
    if found is None:
        return None
    return Locked(invoice=found.invoice, payment=found, pending_history=[] if defer_history else None)


def payment_named(
    payments: QuerySet[InvoicePayment],
    *,
    payment_id: UUID | None,
    reference: str,
    by_pk: Callable[[UUID], InvoicePayment | None] | None = None,
) -> InvoicePayment | None:
    """The one lookup order for a payment an event names: our own id, then the gateway's reference
    to the session we opened, then its reference to the money movement (e.g. a PaymentIntent).
    `by_pk` looks up our own id instead of `payments` (the locking read does)."""
    found = None
    if payment_id is not None:
        found = by_pk(payment_id) if by_pk is not None else payments.filter(pk=payment_id).first()
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


_SENTINEL = UUID(int=0)


def _record(
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


def history_write(locked: Locked, *, event_id: int) -> None:
    """Write the held-back history rows, pointed at their webhook event (one INSERT)."""
    if locked.pending_history:
        for change in locked.pending_history:
            change.webhook_event_id = event_id
        PaymentStatusChange.objects.bulk_create(locked.pending_history)
        locked.pending_history.clear()


# What a payment row holds that the ledger may change; it is written only when one of them did.
_TRACKED = ("status", "gateway_payment_reference", "attention_reason", "failure_message", "refunded_amount",
            "succeeded_at")


def _state_of(payment: InvoicePayment) -> tuple[object, ...]:
    return tuple(getattr(payment, name) for name in _TRACKED)


def _save_if_changed(payment: InvoicePayment, before: tuple[object, ...]) -> None:
    """Write the fields that changed (and updated_at), or nothing."""
    changed = [name for name, old in zip(_TRACKED, before, strict=True) if getattr(payment, name) != old]
    if changed:
        payment.save(update_fields=[*changed, "updated_at"])


def _flag(payment: InvoicePayment, reason: str) -> None:
    logger.warning("Payment %s needs attention: %s", payment.pk, reason)
    payment.attention_reason = reason[:500]


def apply_payment_update(
    locked: Locked,
    update: PaymentUpdate,
    *,
    source: str,
    event: PaymentWebhookEvent | None = None,
) -> LedgerResult:
    """Move the payment to the reported state if the state machine allows it.

    Runs inside `payment_apply`'s transaction, with the rows locked.
    """
    payment = locked.payment
    before, net_before = _state_of(payment), payment.net_amount
    target = PaymentStatus(update.status)
    if update.gateway_payment_reference and not payment.gateway_payment_reference:
        payment.gateway_payment_reference = update.gateway_payment_reference

    mismatch = _amount_mismatch(payment, update.amount, update.currency)
    if mismatch:
        _flag(payment, mismatch)
        _record(locked, target, applied=False, source=source, note=mismatch, event=event)
        _save_if_changed(payment, before)
        return LedgerResult(Outcome.NOT_APPLIED, mismatch)

    if target == payment.status:
        _save_if_changed(payment, before)
        return LedgerResult(Outcome.UNCHANGED, f"already {target}")

    if not state.gateway_transition_allowed(PaymentStatus(payment.status), target):
        note = f"transition {payment.status} -> {target} not allowed"
        if state.needs_attention(PaymentStatus(payment.status), target):
            _flag(payment, f"gateway reports payment succeeded after it was {payment.status}")
        _record(locked, target, applied=False, source=source, note=note, event=event)
        _save_if_changed(payment, before)
        return LedgerResult(Outcome.NOT_APPLIED, note)

    _record(locked, target, applied=True, source=source, event=event)
    _move(payment, target, update.failure_message, before)
    if payment.net_amount != net_before:  # pending -> processing, say, changes no total
        recompute_invoice(locked.invoice)
    if target in (PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING):
        _money_arrives(payment, locked.invoice)
    return LedgerResult(Outcome.APPLIED, str(target))


def _move(payment: InvoicePayment, target: PaymentStatus, failure_message: str, before: tuple[object, ...]) -> None:
    payment.status = target
    if target == PaymentStatus.SUCCEEDED:
        payment.succeeded_at = timezone.now()
        payment.failure_message = ""
        # Refunds reported before the payment itself (out-of-order delivery) count now.
        payment.status = state.status_for_refunds(payment.amount, payment.refunded_amount)
    elif target == PaymentStatus.FAILED:
        payment.failure_message = failure_message[:500]
    _save_if_changed(payment, before)


def _money_arrives(payment: InvoicePayment, invoice: Invoice) -> None:
    """A payment succeeded (or started settling): no other session of the invoice may be paid now.

    They are closed at their gateways once this commits (no lock is held while a gateway is asked);
    whether there are any was read along when the payment was locked, so the common case of one
    session per invoice costs no query. A payment that
    overpaid the invoice all the same is flagged for the owner, and refundable in one call.
    """
    from trackify.payments.services.open_sessions import sessions_close_after_success

    if getattr(payment, "other_sessions_open", True):  # read along when the payment was locked
        transaction.on_commit(partial(sessions_close_after_success, invoice_id=invoice.pk, paid=payment.pk))
    if payment.status in state.PAID_STATUSES and invoice.amount_overpaid:
        _flag(
            payment,
            f"overpayment: the invoice was paid {invoice.amount_overpaid} (minor units) more than its total; "
            "refund it with POST /payment/invoice/<invoice id>/refund-overpayment/",
        )
        payment.save(update_fields=["attention_reason", "updated_at"])


def _amount_mismatch(payment: InvoicePayment, amount: int | None, currency: str | None) -> str:
    if currency is not None and currency.upper() != payment.currency:
        return f"currency {currency.upper()} does not match the payment's {payment.currency}"
    if amount is not None and amount != payment.amount:
        return f"amount {amount} does not match the payment's {payment.amount} (minor units)"
    return ""


def apply_refund_update(
    locked: Locked,
    update: RefundUpdate,
    *,
    source: str,
    event: PaymentWebhookEvent | None = None,
) -> LedgerResult:
    """Record a refund's state (ours or one made in the gateway's dashboard) and re-derive totals."""
    payment, invoice = locked.payment, locked.invoice
    net_before = payment.net_amount
    if update.currency.upper() != payment.currency:
        reason = f"refund currency {update.currency.upper()} does not match the payment's {payment.currency}"
        _flag(payment, reason)
        payment.save()
        return LedgerResult(Outcome.NOT_APPLIED, reason)

    refund = _find_refund(payment, update)
    if refund is None:
        if update.status not in (RefundStatus.PENDING, RefundStatus.SUCCEEDED):
            return LedgerResult(Outcome.IGNORED, f"unknown refund {update.gateway_refund_id} is {update.status}")
        refund = PaymentRefund(payment=payment, amount=update.amount, source="gateway")
    if update.gateway_refund_id and not refund.gateway_refund_id:
        refund.gateway_refund_id = update.gateway_refund_id
    previous = RefundStatus(refund.status) if refund.pk else None
    if previous is not None and update.status != previous:
        if not state.refund_transition_allowed(previous, update.status):
            return LedgerResult(
                Outcome.IGNORED, f"refund {refund.gateway_refund_id or refund.pk} is {previous}, not {update.status}"
            )
        if previous == RefundStatus.SUCCEEDED:
            _flag(payment, f"refund {refund.gateway_refund_id or refund.pk} failed after it succeeded: "
                           "the money went back to you, not to the client")
    refund.status = update.status
    refund.save()
    _recompute_refunded(locked, source=source, event=event)
    if payment.net_amount != net_before:
        recompute_invoice(invoice)
    was = f" (was {previous})" if previous and previous != update.status else ""
    return LedgerResult(Outcome.APPLIED, f"refund {refund.gateway_refund_id or refund.pk} {update.status}{was}")


def _recompute_refunded(locked: Locked, *, source: str, event: PaymentWebhookEvent | None) -> None:
    """refunded_amount = the succeeded refunds (never more than was paid); the status follows."""
    payment = locked.payment
    refunded = (
        payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(total=Sum("amount"))["total"] or 0
    )
    if refunded > payment.amount:
        _flag(payment, f"refunds total {refunded}, more than the payment's {payment.amount}")
        refunded = payment.amount
    payment.refunded_amount = refunded
    if payment.status in state.PAID_STATUSES:
        new_status = state.status_for_refunds(payment.amount, refunded)
        if new_status != payment.status:
            _record(locked, new_status, applied=True, source=source, event=event)
            payment.status = new_status
    payment.save()


def _find_refund(payment: InvoicePayment, update: RefundUpdate) -> PaymentRefund | None:
    if update.refund_id:
        found = payment.refunds.filter(pk=update.refund_id).first()
        if found:
            return found
    if update.gateway_refund_id:
        return payment.refunds.filter(gateway_refund_id=update.gateway_refund_id).first()
    return None


def payment_apply(
    *,
    payment_id: UUID,
    payment_update: PaymentUpdate | None = None,
    refund_updates: Sequence[RefundUpdate] = (),
    source: str,
    event: PaymentWebhookEvent | None = None,
) -> tuple[LedgerResult, ...]:
    """Lock the invoice and the payment, then apply the news about the payment, then the refunds.

    One transaction (the caller's, when it has one: no savepoint, so an error rolls back the
    whole of it), so the rows stay locked from the read to the write. `event`, when given, is
    pointed at the payment (the caller saves it).
    """
    with transaction.atomic(savepoint=False):
        locked = lock_payment(payment_id)
        if event is not None:
            event.payment = locked.payment
        return apply_updates(locked, payment_update, refund_updates, source=source, event=event)


def apply_updates(
    locked: Locked,
    payment_update: PaymentUpdate | None,
    refund_updates: Sequence[RefundUpdate],
    *,
    source: str,
    event: PaymentWebhookEvent | None = None,
) -> tuple[LedgerResult, ...]:
    """The news about a locked payment (then its refunds), applied in that order."""
    results = []
    if payment_update is not None:
        results.append(apply_payment_update(locked, payment_update, source=source, event=event))
    for refund in refund_updates:
        results.append(apply_refund_update(locked, refund, source=source, event=event))
    return tuple(results)


def payment_record_opened(payment: InvoicePayment, session: SessionResult) -> InvoicePayment:
    """Save a new payment with what the gateway answered when its session was opened.

    The caller holds the invoice's lock (taken before the gateway was called).
    """
    payment.gateway_reference = session.gateway_reference
    payment.status = session.status
    payment.redirect_url = session.redirect_url or ""
    payment.client_params = dict(session.client_params)
    payment.expires_at = session.expires_at or payment.expires_at
    try:
        with transaction.atomic():
            payment.save(force_insert=True)
    except IntegrityError as exc:  # pragma: no cover - the invoice lock makes this unreachable
        raise Conflict("A payment with this Idempotency-Key already exists.") from exc
    return payment


def refund_reserved_amount(payment: InvoicePayment) -> int:
    """What pending and succeeded refunds of the payment hold: it cannot be refunded again."""
    live = [RefundStatus.PENDING, RefundStatus.SUCCEEDED]
    return payment.refunds.filter(status__in=live).aggregate(total=Sum("amount"))["total"] or 0


def refund_reserve(locked: Locked, *, amount: int, reason: str, created_by: Any) -> PaymentRefund:
    """Write a refund as pending before the gateway is called: it reserves its amount.

    The caller holds the payment's lock and has checked `amount` against `refund_reserved_amount`.
    """
    return PaymentRefund.objects.create(
        payment=locked.payment, amount=amount, reason=reason[:500], created_by=created_by
    )


def refund_mark_failed(refund_id: UUID, message: str) -> None:
    """The gateway refused a refund we asked for: it no longer reserves anything."""
    PaymentRefund.objects.filter(pk=refund_id).update(status=RefundStatus.FAILED, failure_message=message[:500])
