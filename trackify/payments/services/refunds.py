"""Refunds made through us. Refunds made in a gateway's dashboard arrive as webhook events."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.db import transaction

from trackify.common.errors import Conflict, ValidationFailed
from trackify.payments import state
from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.gateways.errors import GatewayError
from trackify.payments.gateways.types import RefundRequest, RefundResult, RefundUpdate
from trackify.payments.models import InvoicePayment, PaymentRefund
from trackify.payments.services import ledger
from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.status import lookup_for

logger = logging.getLogger(__name__)


def payment_refund(
    *, payment_id: UUID, amount: int | None = None, reason: str = "", created_by: Any = None
) -> PaymentRefund:
    """Refund all or part of a paid payment. The caller has checked ownership.

    The refund row is written as pending before the gateway is called, so it reserves its amount:
    two refunds racing each other can never add up to more than was paid.
    """
    refund, payment, gateway = _reserve(payment_id, amount, reason, created_by)
    result = _ask_gateway(gateway, refund, payment, reason)
    ledger.payment_apply(
        payment_id=payment_id,
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
    refundable = payment.amount - ledger.refund_reserved_amount(payment)
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
    """Outside any transaction: a slow gateway holds no lock. A refusal releases the reservation."""
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
        logger.warning("Refund %s failed at the gateway: %s %s", refund.pk, exc.code, exc.detail)
        ledger.refund_mark_failed(refund.id, exc.message)
        raise
