from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from trackify.common.errors import Conflict, ValidationFailed
from trackify.common.money import normalize_currency, to_minor_units
from trackify.invoices.models import Invoice, InvoiceStatus


def invoice_create(
    *,
    owner: Any,
    number: str,
    client_name: str,
    currency: str,
    total: str,
    client_email: str = "",
    allow_partial_payment: bool = False,
    status: str = InvoiceStatus.OPEN,
) -> Invoice:
    """Create an invoice. `total` is a decimal string in the currency's major unit."""
    currency = normalize_currency(currency)
    try:
        total_minor = to_minor_units(total, currency)
    except ValidationFailed as exc:  # money names the field "amount"; here it is the total
        raise ValidationFailed(exc.message, field="total") from exc
    if total_minor <= 0:
        raise ValidationFailed("The total must be positive.", field="total")
    if status not in (InvoiceStatus.DRAFT, InvoiceStatus.OPEN):
        raise ValidationFailed("A new invoice is draft or open.", field="status")
    try:
        with transaction.atomic():
            return Invoice.objects.create(
                owner=owner,
                number=number,
                client_name=client_name,
                client_email=client_email,
                currency=currency,
                total=total_minor,
                allow_partial_payment=allow_partial_payment,
                status=status,
            )
    except IntegrityError as exc:
        raise Conflict(f"You already have an invoice numbered {number}.", field="number") from exc
