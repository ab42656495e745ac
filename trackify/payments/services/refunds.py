"""Refunds made through us. Refunds made in a gateway's dashboard arrive as webhook events.

A refund the gateway refused is marked failed and reserves nothing more. A refund whose gateway
could not answer (a time-out, a dropped connection, a 5xx: `GatewayError.retryable`) may have been
made all the same, so it is not marked failed: it stays pending, still reserving its amount, and
`refunds_send_unanswered` (run by `payments_catch_up`) sends it again with the same idempotency key,
which the provider answers with the first refund if there was one. Its webhook, if it comes first,
settles it too. Keys are honoured for a day at most (Stripe's are kept 24 hours), so a refund still
unanswered after `UNANSWERED_RESEND_WINDOW` is no longer sent: it is flagged for the owner to check
in the gateway's dashboard.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from trackify.common.errors import Conflict, NotFound, ValidationFailed
from trackify.invoices.models import Invoice
from trackify.invoices.selectors import invoice_lock
from trackify.payments import state
from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.gateways.errors import GatewayError, GatewayUnavailable
from trackify.payments.gateways.types import RefundRequest, RefundResult, RefundStatus, RefundUpdate
from trackify.payments.models import InvoicePayment, PaymentRefund
from trackify.payments.services import ledger
from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.lookups import lookup_for

logger = logging.getLogger(__name__)

#: How long an unanswered refund is sent again with its key: within the providers' key lifetime.
UNANSWERED_RESEND_WINDOW = timedelta(hours=23)
UNANSWERED = (
    "The payment provider did not answer, so it is not known yet whether the refund was made. It is kept "
    "as pending and sent again with the same idempotency key shortly; do not refund again."
)


def payment_refund(
    *, payment_id: UUID, amount: int | None = None, reason: str = "", created_by: Any = None
) -> PaymentRefund:
    """Refund all or part of a paid payment. The caller has checked ownership.

    The refund row is written as pending before the gateway is called, so it reserves its amount:
    two refunds racing each other can never add up to more than was paid.
    """
    refund, payment, gateway = _reserve(payment_id, amount, reason, created_by)
    return _complete(refund, payment, gateway, reason)


def invoice_refund_overpayment(*, invoice_id: UUID, created_by: Any = None) -> list[PaymentRefund]:
    """Refund what an invoice was paid beyond its total, from its latest payments, in one call.

    The invoice stays locked while the refunds are reserved, so two calls never refund it twice.
    """
    reason = "overpayment"
    with transaction.atomic():
        invoice = invoice_lock(invoice_id)
        if invoice is None:
            raise NotFound("No such invoice.")
        reserved = [_reserve(payment_id, amount, reason, created_by) for payment_id, amount in _overpaid_by(invoice)]
    done = []
    for index, (refund, payment, gateway) in enumerate(reserved):
        try:
            done.append(_complete(refund, payment, gateway, reason))
        except GatewayError:
            for later, _, _ in reserved[index + 1 :]:  # not sent: release their reservations
                ledger.refund_mark_failed(later.id, "Not sent: an earlier refund of this overpayment failed.")
            raise
    return done


def _overpaid_by(invoice: Invoice) -> list[tuple[UUID, int]]:
    """(payment, amount) pairs that return the overpayment, newest payment first."""
    paid = list(invoice.payments.filter(status__in=state.PAID_STATUSES).order_by("-succeeded_at", "-created_at"))
    in_refund = PaymentRefund.objects.filter(payment__in=paid, status=RefundStatus.PENDING).aggregate(
        total=Sum("amount")
    )["total"] or 0
    left = invoice.amount_overpaid - in_refund
    if left <= 0:
        raise Conflict("This invoice is not overpaid (or its overpayment is being refunded).", code="not_overpaid")
    plan = []
    for payment in paid:
        if ledger.payment_has_open_or_lost_dispute(payment.pk):
            continue  # refused by `_refund_amount`: the next payment returns the overpayment
        amount = min(left, payment.amount - payment.disputed_amount - ledger.refund_reserved_amount(payment))
        if amount > 0:
            plan.append((payment.pk, amount))
            left -= amount
        if left <= 0:
            break
    if not plan:
        raise Conflict(
            "The overpayment cannot be refunded now: the payments that made it are disputed. Answer the "
            "disputes at the provider first.",
            code="payment_disputed",
        )
    return plan


def _complete(
    refund: PaymentRefund, payment: InvoicePayment, gateway: PaymentGatewayBase, reason: str
) -> PaymentRefund:
    result = _ask_gateway(gateway, refund, payment, reason)
    ledger.payment_apply(
        payment_id=payment.pk,
        refund_updates=[
            RefundUpdate(
                gateway_refund_id=result.gateway_refund_id,
                status=result.status,
                amount=result.amount,
                currency=payment.currency,
                refund_id=refund.id,
            )
        ],
        source="refund",
    )
    refund.refresh_from_db()
    return refund


def _reserve(
    payment_id: UUID, amount: int | None, reason: str, created_by: Any
) -> tuple[PaymentRefund, InvoicePayment, PaymentGatewayBase]:
    """Check the refund against the locked payment and write it as pending, in one transaction."""
    with transaction.atomic():
        locked = ledger.lock_payment(payment_id)
        gateway = gateway_for(locked.payment.config)
        amount = _refund_amount(locked.payment, gateway, amount)
        refund = ledger.refund_reserve(locked, amount=amount, reason=reason, created_by=created_by)
    return refund, locked.payment, gateway


def _refund_amount(payment: InvoicePayment, gateway: PaymentGatewayBase, amount: int | None) -> int:
    """The amount to refund (default: all that is left), or the reason it cannot be refunded."""
    if payment.status not in state.PAID_STATUSES:
        raise Conflict(f"A {payment.status} payment cannot be refunded.", code="not_refundable")
    if not gateway.capabilities.refunds:
        raise Conflict(f"{gateway.display_name} does not support refunds.", code="refunds_unsupported")
    if ledger.payment_has_open_or_lost_dispute(payment.pk):
        raise Conflict(
            "This payment is disputed: its client's bank took the money back, or may. A refund now could "
            "return it twice, so it is refused; answer the dispute at the provider instead.",
            code="payment_disputed",
        )
    refundable = payment.amount - payment.disputed_amount - ledger.refund_reserved_amount(payment)
    if refundable <= 0:
        raise Conflict("This payment has been refunded in full already.", code="not_refundable")
    amount = refundable if amount is None else amount
    if amount <= 0:
        raise ValidationFailed("The refund amount must be positive.", field="amount")
    if amount > refundable:
        raise ValidationFailed("The refund amount is more than what is left to refund.", field="amount")
    if amount < payment.amount and not gateway.capabilities.partial_refunds:
        raise ValidationFailed(f"{gateway.display_name} only refunds in full.", field="amount")
    return amount


def _ask_gateway(
    gateway: PaymentGatewayBase, refund: PaymentRefund, payment: InvoicePayment, reason: str
) -> RefundResult:
    """Outside any transaction: a slow gateway holds no lock. A refusal releases the reservation;
    no answer keeps it pending, to be sent again with the same key (the module's docstring)."""
    try:
        return gateway.refund_payment(
            RefundRequest(
                refund_id=refund.id,
                payment=lookup_for(payment),
                amount=refund.amount,
                currency=payment.currency,
                reason=reason,
                idempotency_key=refund.gateway_idempotency_key,
            )
        )
    except GatewayError as exc:
        if exc.retryable:
            logger.warning("Refund %s got no answer from the gateway; kept pending: %s %s", refund.pk, exc.code,
                           exc.detail)
            raise GatewayUnavailable(UNANSWERED, detail=exc.detail, retry_after=exc.retry_after) from exc
        logger.warning("Refund %s failed at the gateway: %s %s", refund.pk, exc.code, exc.detail)
        ledger.refund_mark_failed(refund.id, exc.message)
        raise


def refunds_unanswered(*, older_than: timedelta) -> QuerySet[PaymentRefund]:
    """Our refunds still pending with no refund id from the gateway: it never answered."""
    return PaymentRefund.objects.filter(
        status=RefundStatus.PENDING, source="api", gateway_refund_id="",
        created_at__lte=timezone.now() - older_than,
    )


def refund_send_unanswered(*, refund_id: UUID) -> str:
    """Send an unanswered refund again, with its own key; apply the answer. Returns "sent", "failed"
    (refused now), "error" (no answer again: tried on the next run), "flagged" (past the window)."""
    refund = PaymentRefund.objects.select_related("payment__config").get(pk=refund_id)
    payment = refund.payment
    if refund.created_at <= timezone.now() - UNANSWERED_RESEND_WINDOW:
        ledger.refund_mark_unanswered(refund.id)
        return "flagged"
    try:
        _complete(refund, payment, gateway_for(payment.config), refund.reason)
    except GatewayError as exc:
        return "error" if exc.retryable else "failed"
    return "sent"
