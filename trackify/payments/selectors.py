"""Reading payments and invoices on behalf of a caller: owner, invoice-token holder, or nobody.

Unknown and forbidden look the same (NotFound), so ids cannot be probed.
"""

from __future__ import annotations

import hmac
from typing import Any

from trackify.common.errors import NotFound
from trackify.common.parsing import parse_uuid
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig


def token_matches(invoice: Invoice, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(invoice.public_token.encode(), str(token).encode())


def invoice_for_client(*, invoice_id: object, user: Any, token: str | None) -> Invoice:
    """The invoice, if the caller owns it or holds its public token."""
    pk = parse_uuid(invoice_id)
    invoice = Invoice.objects.filter(pk=pk).first() if pk else None
    if invoice is None:
        raise NotFound("No such invoice.")
    is_owner = bool(user and user.is_authenticated and invoice.owner_id == user.pk)
    if not (is_owner or token_matches(invoice, token)):
        raise NotFound("No such invoice.")
    return invoice


def payment_for_client(*, payment_id: object, user: Any, token: str | None) -> InvoicePayment:
    """The payment, if the caller owns its invoice or holds the invoice's public token."""
    pk = parse_uuid(payment_id)
    payment = (
        InvoicePayment.objects.select_related("invoice", "config").filter(pk=pk).first() if pk else None
    )
    if payment is None:
        raise NotFound("No such payment.")
    invoice = payment.invoice
    is_owner = bool(user and user.is_authenticated and invoice.owner_id == user.pk)
    if not (is_owner or token_matches(invoice, token)):
        raise NotFound("No such payment.")
    return payment


def payment_for_owner(*, payment_id: object, user: Any) -> InvoicePayment:
    return payment_for_client(payment_id=payment_id, user=user, token=None)


def gateway_configs_of(user: Any) -> Any:
    return PaymentGatewayConfig.objects.filter(owner=user, archived_at__isnull=True)


def gateway_config_for_owner(*, config_id: object, user: Any) -> PaymentGatewayConfig:
    pk = parse_uuid(config_id)
    config = gateway_configs_of(user).filter(pk=pk).first() if pk else None
    if config is None:
        raise NotFound("No such gateway configuration.")
    return config
