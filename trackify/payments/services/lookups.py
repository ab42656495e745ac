"""What a gateway is told of a payment when it is asked about one."""

from __future__ import annotations

from trackify.payments.gateways.types import PaymentLookup
from trackify.payments.models import InvoicePayment


def lookup_for(payment: InvoicePayment) -> PaymentLookup:
    return PaymentLookup(
        payment_id=payment.id,
        gateway_reference=payment.gateway_reference,
        amount=payment.amount,
        currency=payment.currency,
        gateway_payment_reference=payment.gateway_payment_reference,
    )
