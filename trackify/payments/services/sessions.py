"""Opening a payment session for an invoice."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from trackify.common.errors import Conflict, NotFound, TrackifyError, ValidationFailed
from trackify.invoices.models import Invoice
from trackify.invoices.selectors import invoice_lock
from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.gateways.types import SessionRequest
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig
from trackify.payments.services import ledger
from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.open_sessions import reserved_by_open_sessions, sessions_close_others

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionOutcome:
    payment: InvoicePayment
    created: bool  # False when an open session or an earlier request's payment was reused


def payable_config(invoice: Invoice, config_id: UUID | None = None) -> PaymentGatewayConfig | None:
    """The config an invoice is paid through: the one named, else the owner's default, else their
    oldest active one (an owner with a working gateway never has unpayable invoices by accident)."""
    configs = PaymentGatewayConfig.objects.filter(
        owner_id=invoice.owner_id, is_active=True, archived_at__isnull=True
    )
    if config_id is not None:
        return configs.filter(pk=config_id).first()
    return configs.order_by("-is_default", "created_at").first()


def amount_payable_now(invoice: Invoice) -> int:
    """What a new session may take: the amount due less money in flight (payments a gateway is
    settling). Open sessions are not subtracted here: opening a new one closes them first, and
    those that cannot be closed are subtracted then (`_payable_beside_open_sessions`)."""
    in_flight = (
        invoice.payments.filter(status=InvoicePayment.Status.PROCESSING).aggregate(total=Sum("amount"))["total"] or 0
    )
    return max(invoice.amount_due - in_flight, 0)


def _payable_beside_open_sessions(invoice: Invoice) -> int:
    """The amount due less money in flight and less what the open sessions reserve."""
    return max(amount_payable_now(invoice) - reserved_by_open_sessions(invoice), 0)


def _check_return_url(url: str) -> str:
    if not url:
        return ""
    allowed = {*settings.ALLOWED_HOSTS, urlsplit(settings.TRACKIFY_SITE_URL).netloc}
    if not url_has_allowed_host_and_scheme(url, allowed_hosts=allowed, require_https=False) or not urlsplit(url).scheme:
        raise ValidationFailed("return_url must be an absolute URL on this site.", field="return_url")
    return url


def _check_amount(invoice: Invoice, amount: int, payable: int) -> None:
    if not invoice.is_payable:
        raise Conflict(f"Invoice {invoice.number} is {invoice.status} and cannot be paid.", code="invoice_not_payable")
    if payable <= 0:
        raise Conflict(
            "A payment of the amount due is being processed; it cannot be paid again meanwhile.",
            code="payment_in_progress",
        )
    if amount <= 0:
        raise ValidationFailed("The amount must be positive.", field="amount")
    if amount > payable:
        in_flight = " less the payments being processed" if payable < invoice.amount_due else ""
        raise ValidationFailed(f"The amount is more than the amount due{in_flight}.", field="amount")
    if amount < payable and not invoice.allow_partial_payment:
        raise ValidationFailed("This invoice must be paid in full.", field="amount")


def default_return_url(invoice: Invoice) -> str:
    return f"{settings.TRACKIFY_SITE_URL}/pay/{invoice.pk}/result/?token={invoice.public_token}&payment={{PAYMENT_ID}}"


def payment_session_create(
    *,
    invoice_id: UUID,
    amount: int | None = None,
    config_id: UUID | None = None,
    return_url: str = "",
    idempotency_key: str = "",
) -> SessionOutcome:
    """Open (or reuse) a payment session. The caller has already proven access to the invoice.

    The invoice row stays locked while the gateway is called, so two clients paying the same
    invoice at once get one session: the second waits and then reuses the first's.
    """
    return_url = _check_return_url(return_url)
    if len(idempotency_key) > 255:
        raise ValidationFailed("Idempotency-Key is at most 255 characters.", field="Idempotency-Key")
    with transaction.atomic():
        invoice = _lock_invoice(invoice_id)
        earlier = _earlier_request(invoice, idempotency_key, amount)
        if earlier is not None:
            return SessionOutcome(earlier, created=False)
        requested = amount
        amount = amount_payable_now(invoice) if requested is None else requested
        _check_amount(invoice, amount, amount_payable_now(invoice))
        config, gateway = _gateway_for_invoice(invoice, config_id)
        reusable = _open_session_to_reuse(invoice, config, amount)
        if reusable is not None:
            return SessionOutcome(reusable, created=False)
        amount, refusal = _close_other_sessions(invoice, requested)
        if refusal is None:
            payment = _open_new_session(invoice, config, gateway, amount, return_url, idempotency_key)
            logger.info("Opened payment %s for invoice %s via %s", payment.pk, invoice.pk, config.gateway_name)
            return SessionOutcome(payment, created=True)
    # Refused after closing the other sessions: what their gateways said is kept (committed above).
    raise refusal


def _close_other_sessions(invoice: Invoice, requested: int | None) -> tuple[int, TrackifyError | None]:
    """Close the invoice's other open sessions at their gateways before opening one for the rest;
    then check the amount again against what is payable (a closed session may have been paid, a
    session its gateway could not close still reserves its amount)."""
    stuck = sessions_close_others(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    payable = _payable_beside_open_sessions(invoice)
    amount = payable if requested is None else requested
    if stuck and (amount > payable or payable <= 0):
        return amount, Conflict(
            "Another payment session of this invoice is still open and could not be closed; "
            "please try again in a minute.",
            code="payment_in_progress",
        )
    try:
        _check_amount(invoice, amount, payable)
    except TrackifyError as refusal:
        return amount, refusal
    return amount, None


def _lock_invoice(invoice_id: UUID) -> Invoice:
    invoice = invoice_lock(invoice_id)
    if invoice is None:
        raise NotFound("No such invoice.")
    return invoice


def _earlier_request(invoice: Invoice, idempotency_key: str, amount: int | None) -> InvoicePayment | None:
    """The payment an earlier request with the same Idempotency-Key opened, if any."""
    if not idempotency_key:
        return None
    earlier = invoice.payments.filter(client_idempotency_key=idempotency_key).first()
    if earlier is not None and amount is not None and amount != earlier.amount:
        raise Conflict("This Idempotency-Key was used for a different amount.", code="idempotency_key_reused")
    return earlier


def _gateway_for_invoice(
    invoice: Invoice, config_id: UUID | None
) -> tuple[PaymentGatewayConfig, PaymentGatewayBase]:
    config = payable_config(invoice, config_id)
    if config is None:
        raise NotFound("No active payment gateway is configured for this invoice.", code="no_gateway")
    gateway = gateway_for(config)
    if not gateway.capabilities.supports_currency(invoice.currency):
        raise ValidationFailed(f"{gateway.display_name} does not accept {invoice.currency}.", field="currency")
    return config, gateway


def _open_session_to_reuse(invoice: Invoice, config: PaymentGatewayConfig, amount: int) -> InvoicePayment | None:
    """A pending session for the same amount and config that stays open at least another minute."""
    return (
        invoice.payments.filter(
            config=config,
            amount=amount,
            status=InvoicePayment.Status.PENDING,
            expires_at__gt=timezone.now() + timedelta(minutes=1),
        )
        .exclude(gateway_reference="")
        .order_by("-created_at")
        .first()
    )


def _open_new_session(
    invoice: Invoice,
    config: PaymentGatewayConfig,
    gateway: PaymentGatewayBase,
    amount: int,
    return_url: str,
    idempotency_key: str,
) -> InvoicePayment:
    lifetime = min(timedelta(minutes=settings.TRACKIFY_SESSION_LIFETIME_MINUTES), gateway.max_session_lifetime)
    expires_at = timezone.now() + lifetime
    payment = InvoicePayment(
        invoice=invoice,
        config=config,
        gateway_name=config.gateway_name,
        amount=amount,
        currency=invoice.currency,
        client_idempotency_key=idempotency_key,
        expires_at=expires_at,
    )
    payment.return_url = (return_url or default_return_url(invoice)).replace("{PAYMENT_ID}", str(payment.id))
    # A gateway error propagates from here and rolls the payment back: nothing half-made.
    result = gateway.create_payment_session(_session_request(invoice, payment, expires_at))
    return ledger.payment_record_opened(payment, result)


def _session_request(invoice: Invoice, payment: InvoicePayment, expires_at: datetime) -> SessionRequest:
    return SessionRequest(
        payment_id=payment.id,
        invoice_id=invoice.pk,
        invoice_number=invoice.number,
        amount=payment.amount,
        currency=invoice.currency,
        description=f"Invoice {invoice.number}",
        customer_name=invoice.client_name,
        customer_email=invoice.client_email,
        return_url=payment.return_url,
        cancel_url=payment.return_url,
        expires_at=expires_at,
        idempotency_key=payment.gateway_idempotency_key,
    )
