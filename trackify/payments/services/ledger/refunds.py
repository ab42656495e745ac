"""Refunds: their own small state machine, the payment's refunded amount derived from them, and the
reservation that keeps concurrent refunds from adding up to more than was paid."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Sum

from trackify.payments import state
from trackify.payments.gateways.types import RefundStatus, RefundUpdate
from trackify.payments.models import InvoicePayment, PaymentRefund, PaymentWebhookEvent
from trackify.payments.services.ledger.disputes import derive_disputed
from trackify.payments.services.ledger.records import (
    LedgerResult,
    Locked,
    Outcome,
    flag,
    lock_payment,
    notify,
    recompute_invoice,
    record_transition,
)


def apply_refund_update(
    locked: Locked,
    update: RefundUpdate,
    *,
    source: str,
    event: PaymentWebhookEvent | None = None,
) -> LedgerResult:
    """Record a refund's state (ours or one made in the gateway's dashboard) and re-derive totals."""
    payment = locked.payment
    net_before = payment.net_amount
    if update.currency.upper() != payment.currency:
        reason = f"refund currency {update.currency.upper()} does not match the payment's {payment.currency}"
        flag(payment, reason)
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
            flag(payment, f"refund {refund.gateway_refund_id or refund.pk} failed after it succeeded: "
                           "the money went back to you, not to the client")
    refund.status = update.status
    refund.save()
    if update.status == RefundStatus.SUCCEEDED and previous != RefundStatus.SUCCEEDED:
        notify(locked, "payment.refunded", key=str(refund.pk), refund_id=str(refund.pk), amount=refund.amount,
               source=refund.source)
    _recompute_refunded(locked, source=source, event=event)
    if payment.net_amount != net_before:
        recompute_invoice(locked, net_before=net_before)
    was = f" (was {previous})" if previous and previous != update.status else ""
    return LedgerResult(Outcome.APPLIED, f"refund {refund.gateway_refund_id or refund.pk} {update.status}{was}")


def _recompute_refunded(locked: Locked, *, source: str, event: PaymentWebhookEvent | None) -> None:
    """refunded_amount = the succeeded refunds (never more than was paid); the status follows, and
    what disputes hold is derived again within what is left (`disputes.derive_disputed`)."""
    payment = locked.payment
    refunded = (
        payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(total=Sum("amount"))["total"] or 0
    )
    if refunded > payment.amount:
        flag(payment, f"refunds total {refunded}, more than the payment's {payment.amount}")
        refunded = payment.amount
    payment.refunded_amount = refunded
    derive_disputed(payment)
    if payment.status in state.PAID_STATUSES:
        new_status = state.status_for_refunds(payment.amount, refunded)
        if new_status != payment.status:
            record_transition(locked, new_status, applied=True, source=source, event=event)
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


def refund_mark_unanswered(refund_id: UUID) -> None:
    """A refund of ours its gateway never answered for, past the time its key is honoured: no longer
    sent. It is marked failed (it reserves nothing more) and its payment flagged for the owner, who
    checks the gateway's dashboard; a refund made there after all arrives by webhook as its own."""
    with transaction.atomic():
        refund = PaymentRefund.objects.get(pk=refund_id)
        locked = lock_payment(refund.payment_id)
        message = "The gateway never answered for this refund; check its dashboard whether it was made."
        PaymentRefund.objects.filter(pk=refund_id, status=RefundStatus.PENDING).update(
            status=RefundStatus.FAILED, failure_message=message
        )
        flag(locked.payment, f"refund {refund_id} got no answer from the gateway: check its dashboard")
        locked.payment.save(update_fields=["attention_reason", "updated_at"])


def refund_mark_failed(refund_id: UUID, message: str) -> None:
    """The gateway refused a refund we asked for: it no longer reserves anything."""
    PaymentRefund.objects.filter(pk=refund_id).update(status=RefundStatus.FAILED, failure_message=message[:500])
