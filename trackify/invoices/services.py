"""Writing invoices. `invoice_record_amount_paid` is how payments update an invoice (from the ledger)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from trackify.common.errors import Conflict, ValidationFailed
from trackify.common.money import normalize_currency, to_minor_units
from trackify.invoices.models import Invoice, InvoiceStatus

logger = logging.getLogger(__name__)


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
    issuer_name: str = "",
    issued_on: date | None = None,
    due_on: date | None = None,
) -> Invoice:
    """Create an invoice. `total` is a decimal string in the currency's major unit."""
    currency = normalize_currency(currency)
    total_minor = _positive_total(total, currency)
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
                issuer_name=issuer_name,
                issued_on=issued_on or timezone.localdate(),
                due_on=due_on,
            )
    except IntegrityError as exc:
        raise Conflict(f"You already have an invoice numbered {number}.", field="number") from exc


def _positive_total(total: str, currency: str) -> int:
    try:
        total_minor = to_minor_units(total, currency)
    except ValidationFailed as exc:  # money names the field "amount"; here it is the total
        raise ValidationFailed(exc.message, field="total") from exc
    if total_minor <= 0:
        raise ValidationFailed("The total must be positive.", field="total")
    return total_minor


def invoice_record_amount_paid(invoice: Invoice, *, amount_paid: int) -> None:
    """Payments report what has been paid (succeeded payments less refunds); the status follows.

    The caller holds the invoice's lock (`invoice_lock`). A void or draft invoice keeps its status;
    an overpaid one is paid, and logged. Writes only when something changed.
    """
    status = invoice.status
    if status not in (InvoiceStatus.VOID, InvoiceStatus.DRAFT):
        if amount_paid >= invoice.total:
            status = InvoiceStatus.PAID
        elif amount_paid > 0:
            status = InvoiceStatus.PARTIALLY_PAID
        else:
            status = InvoiceStatus.OPEN
    if (amount_paid, status) == (invoice.amount_paid, invoice.status):
        return
    invoice.amount_paid, invoice.status = amount_paid, status
    invoice.save(update_fields=["amount_paid", "status", "updated_at"])
    if invoice.amount_overpaid:
        logger.warning("Invoice %s is overpaid by %s minor units", invoice.pk, invoice.amount_overpaid)
