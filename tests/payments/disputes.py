"""Disputes for tests, written the one way they are written: through the ledger, as a webhook would."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trackify.payments.gateways.types import DisputeStatus, DisputeUpdate
from trackify.payments.models import InvoicePayment, PaymentDispute
from trackify.payments.services import ledger


def report_dispute(
    payment_id: Any,
    *,
    gateway_dispute_id: str = "dp_test_1",
    status: DisputeStatus = DisputeStatus.NEEDS_RESPONSE,
    amount: int | None = None,
    withdrawn: int | None = None,
    reinstated: int = 0,
    evidence_due_by: datetime | None = None,
    reason: str = "fraudulent",
    is_inquiry: bool = False,
) -> PaymentDispute:
    """Apply the provider's report of a dispute of a succeeded payment; returns the dispute's row.

    `amount` defaults to the whole payment; `withdrawn` to the amount (a chargeback takes the money
    at once), or 0 for an inquiry.
    """
    payment = InvoicePayment.objects.get(pk=payment_id)
    amount = payment.amount if amount is None else amount
    if withdrawn is None:
        withdrawn = 0 if is_inquiry else amount
    ledger.payment_apply(
        payment_id=payment.pk,
        dispute_updates=[
            DisputeUpdate(
                gateway_dispute_id=gateway_dispute_id,
                status=status,
                amount=amount,
                currency=payment.currency,
                reason=reason,
                evidence_due_by=evidence_due_by,
                withdrawn=withdrawn,
                reinstated=reinstated,
                is_inquiry=is_inquiry,
            )
        ],
        source="webhook",
    )
    return PaymentDispute.objects.get(config_id=payment.config_id, gateway_dispute_id=gateway_dispute_id)
