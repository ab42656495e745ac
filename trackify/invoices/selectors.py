"""Reading invoices: the one access rule, and the reads payments make of an invoice.

Part of the small interface through which payments reads and updates invoices (with
`trackify.invoices.services`); the invoices app itself never imports payments.
"""

from __future__ import annotations

import hmac
from typing import Any
from uuid import UUID

from django.conf import settings

from trackify.invoices.models import Invoice


def invoice_access_allowed(invoice: Invoice, *, user: Any, token: str | None) -> bool:
    """The one access rule for an invoice and all that hangs off it (its payments, their refunds):
    the caller owns it, or presents its public token."""
    if user is not None and user.is_authenticated and invoice.owner_id == user.pk:
        return True
    return bool(token) and hmac.compare_digest(invoice.public_token.encode(), str(token).encode())


def invoice_get(invoice_id: UUID) -> Invoice | None:
    return Invoice.objects.filter(pk=invoice_id).first()


def invoice_lock(invoice_id: UUID) -> Invoice | None:
    """The invoice, its row locked until the caller's transaction ends.

    Payments lock an invoice before any of its payments: one order everywhere, so no deadlock.
    """
    return Invoice.objects.select_for_update().filter(pk=invoice_id).first()


def invoice_pay_url(invoice: Invoice) -> str:
    """The link the owner sends the client: the pay page, with the invoice's public token."""
    return f"{settings.TRACKIFY_SITE_URL}/pay/{invoice.pk}/?token={invoice.public_token}"
