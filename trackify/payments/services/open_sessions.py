"""No invoice paid twice by accident: what open sessions reserve, and closing the ones in the way.

An open session (a pending payment whose session has not expired) is money that may arrive at any
moment, so it counts against what is still payable. Opening a session for the rest first closes
the invoice's other open sessions at their gateways; a payment that succeeds (or starts settling)
closes the ones left. A session a gateway cannot close right now stays open, and keeps reserving
its amount. A session being opened (its payment reserved, its gateway not answered yet:
`being_opened`) cannot be closed either, so it counts like money in flight. If two payments still
succeed (two clients finishing at the same moment), the ledger records the overpayment and
`invoice_refund_overpayment` returns it in one call.

Closing asks gateways, so it runs with no lock held and no transaction open; each answer is
applied by the ledger in a short transaction of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from uuid import UUID

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from trackify.invoices.models import Invoice
from trackify.payments.gateways.errors import GatewayError
from trackify.payments.gateways.registry import UnknownGateway
from trackify.payments.models import InvoicePayment
from trackify.payments.services import ledger
from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.lookups import lookup_for

logger = logging.getLogger(__name__)


def open_sessions(invoice_id: UUID) -> QuerySet[InvoicePayment]:
    """Pending payments whose session can still be paid (and be closed at its gateway)."""
    return InvoicePayment.objects.filter(
        invoice_id=invoice_id, status=InvoicePayment.Status.PENDING, expires_at__gt=timezone.now()
    ).exclude(gateway_reference="")


def being_opened() -> Q:
    """Payments reserved for a session their gateway has not answered for yet (`InvoicePayment.
    is_reservation`); past their `expires_at` (a request that stopped half-way) they count no more."""
    return Q(status=InvoicePayment.Status.PENDING, gateway_reference="", expires_at__gt=timezone.now())


def reserved_by_open_sessions(invoice: Invoice) -> int:
    return open_sessions(invoice.pk).aggregate(total=Sum("amount"))["total"] or 0


def sessions_close_others(*, invoice_id: UUID, keep: UUID | None = None) -> int:
    """Close the invoice's open sessions (but `keep`) at their gateways; apply what each answers.

    A session paid meanwhile is applied as paid (the gateway says so instead of closing it).
    Returns how many stay open because their gateway could not be reached: they keep reserving.
    """
    still_open = 0
    others = open_sessions(invoice_id)
    if keep is not None:
        others = others.exclude(pk=keep)
    for payment in others.select_related("config"):
        try:
            update = gateway_for(payment.config).expire_session(lookup_for(payment))
        except (GatewayError, UnknownGateway) as exc:
            logger.warning("Could not close the session of payment %s: %s", payment.pk, exc)
            still_open += 1
            continue
        ledger.payment_apply(
            payment_id=payment.pk, payment_update=update, source="session_close"
        )
    return still_open


def sessions_close_after_success(*, invoice_id: UUID, paid: UUID) -> None:
    """Run after the commit that recorded a payment as paid (or settling): close the others."""
    try:
        sessions_close_others(invoice_id=invoice_id, keep=paid)
    except Exception:  # the payment is recorded; a session left open expires by itself
        logger.exception("Closing the other sessions of invoice %s failed", invoice_id)


def sessions_close_on_commit(results: Sequence[ledger.LedgerResult], *, invoice_id: UUID, paid: UUID) -> None:
    """When the ledger says money arrived while other sessions of the invoice are open, close them
    at their gateways once the caller's transaction commits: no lock is held while a gateway is asked."""
    if any(result.closes_other_sessions for result in results):
        transaction.on_commit(partial(sessions_close_after_success, invoice_id=invoice_id, paid=paid))
