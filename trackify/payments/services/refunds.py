"""Refunds made through us. Refunds made in a gateway's dashboard arrive as webhook events."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Sum

from trackify.common.errors import Conflict, ValidationFailed
from trackify.payments import state
from trackify.payments.gateways.errors import GatewayError
from trackify.payments.gateways.types import RefundRequest, RefundStatus, RefundUpdate
from trackify.payments.models import PaymentRefund
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
    with transaction.atomic():
        locked = ledger.lock_payment(payment_id)
        payment = locked.payment
        gateway = gateway_for(payment.config)
        if payment.status not in state.PAID_STATUSES:
            raise Conflict(f"A {payment.status} payment cannot be refunded.", code="not_refundable")
        if not gateway.capabilities.refunds:
            raise Conflict(f"{gateway.display_name} does not support refunds.", code="refunds_unsupported")
        reserved = (
            payment.refunds.filter(status__in=[RefundStatus.PENDING, RefundStatus.SUCCEEDED]).aggregate(
                total=Sum("amount")
            )["total"]
            or 0
        )
        refundable = payment.amount - reserved
        if refundable <= 0:
            raise Conflict("This payment has been refunded in full already.", code="not_refundable")
        amount = refundable if amount is None else amount
        if amount <= 0:
            raise ValidationFailed("The refund amount must be positive.", field="amount")
        if amount > refundable:
            raise ValidationFailed("The refund amount is more than what is left to refund.", field="amount")
        if amount < payment.amount and not gateway.capabilities.partial_refunds:
            raise ValidationFailed(f"{gateway.display_name} only refunds in full.", field="amount")
        refund = PaymentRefund.objects.create(
            payment=payment, amount=amount, reason=reason[:500], created_by=created_by
        )

    try:
        result = gateway.refund_payment(
            RefundRequest(
                refund_id=refund.id,
                payment=lookup_for(payment),
                amount=amount,
                currency=payment.currency,
                reason=reason,
                idempotency_key=refund.gateway_idempotency_key,
            )
        )
    except GatewayError as exc:
        logger.warning("Refund %s failed at the gateway: %s %s", refund.pk, exc.code, exc.detail)
        PaymentRefund.objects.filter(pk=refund.pk).update(
            status=RefundStatus.FAILED, failure_message=exc.message[:500]
        )
        raise

    with transaction.atomic():
        locked = ledger.lock_payment(payment_id)
        ledger.apply_refund_update(
            locked,
            RefundUpdate(
                gateway_refund_id=result.gateway_refund_id,
                status=result.status,
                amount=result.amount,
                currency=payment.currency,
                refund_id=refund.id,
            ),
            source="refund",
        )
    refund.refresh_from_db()
    return refund
