"""Asking the gateway where an open payment stands, for clients that return before the webhook."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from trackify.payments import state
from trackify.payments.gateways.errors import GatewayError
from trackify.payments.gateways.registry import UnknownGateway
from trackify.payments.gateways.types import PaymentStatus
from trackify.payments.models import InvoicePayment
from trackify.payments.services import ledger
from trackify.payments.services.captures import payment_capture
from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.lookups import lookup_for
from trackify.payments.services.open_sessions import sessions_close_on_commit

logger = logging.getLogger(__name__)


def _claim_check(payment: InvoicePayment) -> bool:
    """At most one gateway call per payment per interval, whatever the number of pollers.

    One conditional UPDATE decides: the caller whose update matched a row makes the call.
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.TRACKIFY_STATUS_REFRESH_INTERVAL)
    claimed = (
        InvoicePayment.objects.filter(pk=payment.pk, status__in=state.OPEN_STATUSES)
        .filter(Q(last_status_check_at__isnull=True) | Q(last_status_check_at__lte=cutoff))
        .update(last_status_check_at=now)
    )
    return claimed == 1


def payment_refresh_status(*, payment: InvoicePayment, now: bool = False) -> InvoicePayment:
    """Bring an open payment up to date with its gateway; return it fresh from the database.

    At most once per `TRACKIFY_STATUS_REFRESH_INTERVAL` for a payment, whoever asks; with `now`
    (the payer's browser reports an approval at the gateway: `POST /payment/status/<id>/check/`)
    at once. A payment the gateway reports authorized is captured (`captures.payment_capture`, once
    whatever the number of signals). A gateway that cannot be reached leaves the payment as we know
    it (and logs why).
    """
    if payment.status not in state.OPEN_STATUSES or not payment.gateway_reference:
        return payment
    if not now and not _claim_check(payment):
        return payment
    try:
        result = gateway_for(payment.config).get_payment_status(lookup_for(payment))
    except UnknownGateway:
        logger.warning("Payment %s: its gateway %s is no longer enabled", payment.pk, payment.gateway_name)
        return payment
    except GatewayError as exc:
        logger.warning("Status check of payment %s failed: %s %s", payment.pk, exc.code, exc.detail)
        return payment
    results = ledger.payment_apply(payment_id=payment.pk, payment_update=result, source="status_check")
    sessions_close_on_commit(results, invoice_id=payment.invoice_id, paid=payment.pk)
    if result.status == PaymentStatus.AUTHORIZED:  # just authorized, or still: an earlier capture failed
        payment_capture(payment_id=payment.pk)
    return InvoicePayment.objects.select_related("invoice", "config").get(pk=payment.pk)
