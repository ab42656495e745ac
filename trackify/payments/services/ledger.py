"""Applying what a gateway reports to our rows. The only code that writes payment state.

Every function here expects to run inside `transaction.atomic()` with the invoice and the
payment locked by `lock_payment` (invoice first, then payment: one order everywhere, so two
writers never deadlock). Invoice totals are recomputed from the payments, never incremented,
so an update applied twice still counts once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from django.db.models import F, Sum
from django.utils import timezone

from trackify.invoices.models import Invoice, InvoiceStatus
from trackify.payments import state
from trackify.payments.gateways.types import PaymentStatus, PaymentUpdate, RefundStatus, RefundUpdate
from trackify.payments.models import (
    InvoicePayment,
    PaymentRefund,
    PaymentStatusChange,
    PaymentWebhookEvent,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Locked:
    invoice: Invoice
    payment: InvoicePayment


def lock_payment(payment_id: UUID, *, invoice_id: UUID | None = None) -> Locked:
    """Lock a payment and its invoice for the rest of the transaction, invoice first.

    A payment never changes invoice, so a caller that already read `invoice_id` may pass it.
    """
    if invoice_id is None:
        invoice_id = InvoicePayment.objects.values_list("invoice_id", flat=True).get(pk=payment_id)
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    payment = InvoicePayment.objects.select_for_update().select_related("config").get(pk=payment_id)
    return Locked(invoice=invoice, payment=payment)


def recompute_invoice(invoice: Invoice) -> None:
    """amount_paid = succeeded payments minus their refunds; the status follows."""
    paid = (
        invoice.payments.filter(status__in=state.PAID_STATUSES).aggregate(
            total=Sum(F("amount") - F("refunded_amount"))
        )["total"]
        or 0
    )
    invoice.amount_paid = paid
    if invoice.status not in (InvoiceStatus.VOID, InvoiceStatus.DRAFT):
        if paid >= invoice.total:
            invoice.status = InvoiceStatus.PAID
        elif paid > 0:
            invoice.status = InvoiceStatus.PARTIALLY_PAID
        else:
            invoice.status = InvoiceStatus.OPEN
    invoice.save(update_fields=["amount_paid", "status", "updated_at"])
    if invoice.amount_overpaid:
        logger.warning("Invoice %s is overpaid by %s minor units", invoice.pk, invoice.amount_overpaid)


def _record(
    payment: InvoicePayment,
    target: str,
    *,
    applied: bool,
    source: str,
    note: str = "",
    event: PaymentWebhookEvent | None = None,
) -> None:
    PaymentStatusChange.objects.create(
        payment=payment,
        from_status=payment.status,
        to_status=target,
        applied=applied,
        source=source,
        note=note[:500],
        webhook_event=event,
    )


def _flag(payment: InvoicePayment, reason: str) -> None:
    logger.warning("Payment %s needs attention: %s", payment.pk, reason)
    payment.attention_reason = reason[:500]


def apply_payment_update(
    locked: Locked,
    update: PaymentUpdate,
    *,
    source: str,
    event: PaymentWebhookEvent | None = None,
) -> str:
    """Move the payment to the reported state if the state machine allows it.

    Returns a short description of what happened, stored on the webhook event.
    """
    payment, invoice = locked.payment, locked.invoice
    target = PaymentStatus(update.status)
    if update.gateway_payment_reference and not payment.gateway_payment_reference:
        payment.gateway_payment_reference = update.gateway_payment_reference

    mismatch = _amount_mismatch(payment, update.amount, update.currency)
    if mismatch:
        _flag(payment, mismatch)
        _record(payment, target, applied=False, source=source, note=mismatch, event=event)
        payment.save()
        return f"not applied: {mismatch}"

    if target == payment.status:
        payment.save()
        return f"unchanged: already {target}"

    if not state.gateway_transition_allowed(PaymentStatus(payment.status), target):
        note = f"transition {payment.status} -> {target} not allowed"
        if state.needs_attention(PaymentStatus(payment.status), target):
            _flag(payment, f"gateway reports payment succeeded after it was {payment.status}")
        _record(payment, target, applied=False, source=source, note=note, event=event)
        payment.save()
        return f"not applied: {note}"

    _record(payment, target, applied=True, source=source, event=event)
    payment.status = target
    if target == PaymentStatus.SUCCEEDED:
        payment.succeeded_at = timezone.now()
        payment.failure_message = ""
        # Refunds reported before the payment itself (out-of-order delivery) count now.
        payment.status = state.status_for_refunds(payment.amount, payment.refunded_amount)
    elif target == PaymentStatus.FAILED:
        payment.failure_message = update.failure_message[:500]
    payment.save()
    recompute_invoice(invoice)
    return f"applied: {target}"


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
) -> str:
    """Record a refund's state (ours or one made in the gateway's dashboard) and re-derive totals."""
    payment, invoice = locked.payment, locked.invoice
    if update.currency.upper() != payment.currency:
        reason = f"refund currency {update.currency.upper()} does not match the payment's {payment.currency}"
        _flag(payment, reason)
        payment.save()
        return f"not applied: {reason}"

    refund = _find_refund(payment, update)
    if refund is None:
        if update.status not in (RefundStatus.PENDING, RefundStatus.SUCCEEDED):
            return f"ignored: unknown refund {update.gateway_refund_id} is {update.status}"
        refund = PaymentRefund(payment=payment, amount=update.amount, source="gateway")
    if update.gateway_refund_id and not refund.gateway_refund_id:
        refund.gateway_refund_id = update.gateway_refund_id
    previous = RefundStatus(refund.status) if refund.pk else None
    if previous is not None and update.status != previous:
        if not state.refund_transition_allowed(previous, update.status):
            return f"ignored: refund {refund.gateway_refund_id or refund.pk} is {previous}, not {update.status}"
        if previous == RefundStatus.SUCCEEDED:
            _flag(payment, f"refund {refund.gateway_refund_id or refund.pk} failed after it succeeded: "
                           "the money went back to you, not to the client")
    refund.status = update.status
    refund.save()

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
            _record(payment, new_status, applied=True, source=source, event=event)
            payment.status = new_status
    payment.save()
    recompute_invoice(invoice)
    return f"applied: refund {refund.gateway_refund_id or refund.pk} {update.status}" + (
        f" (was {previous})" if previous and previous != update.status else ""
    )


def _find_refund(payment: InvoicePayment, update: RefundUpdate) -> PaymentRefund | None:
    if update.refund_id:
        found = payment.refunds.filter(pk=update.refund_id).first()
        if found:
            return found
    if update.gateway_refund_id:
        return payment.refunds.filter(gateway_refund_id=update.gateway_refund_id).first()
    return None
