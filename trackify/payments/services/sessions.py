"""Opening a payment session for an invoice: reserve, ask the gateway, record.

No row lock is held while a gateway is called: a provider may take many seconds (the Stripe SDK
retries a slow call), and every webhook of the invoice would wait behind the invoice's lock. So:

1. reserve, in one short transaction with the invoice locked: the checks (an earlier request with the
   same Idempotency-Key, the amount against what is payable, an open session to reuse), then the
   payment is written as pending with no gateway reference (`InvoicePayment.is_reservation`). It
   counts against what is payable from then on, so a second client paying at the same moment is
   refused (409) instead of getting a second session for the same money;
2. ask the gateway, with no transaction open, under an idempotency key derived from the reserved
   payment (the SDK's own retries reuse it, so they make one session at the provider);
3. record the answer through the ledger, in another short transaction; a failed call releases the
   reservation instead (the payment fails with the gateway's message) and its error goes on to the
   caller.

A reservation counts only until its `expires_at` (`TRACKIFY_SESSION_RESERVATION_SECONDS` ahead): a
request that dies between 1 and 3 blocks the invoice no longer than that, and `payments_catch_up`
later marks such a payment failed. The invoice's other open sessions are closed at their gateways
between two such transactions, with no lock held; the second one checks the amount again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from trackify.common.errors import Conflict, NotFound, TrackifyError, ValidationFailed
from trackify.invoices.models import Invoice
from trackify.invoices.selectors import invoice_lock
from trackify.payments import state
from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.gateways.errors import GatewayError
from trackify.payments.gateways.types import SessionRequest, SessionResult
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig
from trackify.payments.services import ledger
from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.lookups import lookup_for
from trackify.payments.services.open_sessions import (
    being_opened,
    open_sessions,
    reserved_by_open_sessions,
    sessions_close_others,
)

logger = logging.getLogger(__name__)

# Why a reservation whose request stopped before recording the gateway's answer is released.
ABANDONED = "The payment session was not opened: the request opening it stopped before it was recorded."
# Why a reservation is released when its gateway call raised something other than a gateway error.
NOT_OPENED = "The payment session could not be opened."


@dataclass(frozen=True)
class SessionOutcome:
    payment: InvoicePayment
    created: bool  # False when an open session or an earlier request's payment was reused


@dataclass(frozen=True)
class _Ask:
    """What the client asked for."""

    invoice_id: UUID
    amount: int | None  # None: all that is payable
    config_id: UUID | None
    return_url: str
    idempotency_key: str


@dataclass(frozen=True)
class _Reservation:
    """A payment reserved (committed), and what its gateway is to be asked."""

    payment: InvoicePayment
    gateway: PaymentGatewayBase
    request: SessionRequest


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
    """What a new session may take: the amount due less money in flight (payments authorized, to be
    captured, or that a gateway is settling) and less the sessions being opened (reserved, their
    gateway not answered yet: they cannot be closed). Open sessions are not subtracted here: opening
    a new one closes them first, and those that cannot be closed are subtracted then
    (`_amount_beside_open_sessions`)."""
    held = invoice.payments.filter(Q(status__in=state.IN_FLIGHT_STATUSES) | being_opened())
    return max(invoice.amount_due - (held.aggregate(total=Sum("amount"))["total"] or 0), 0)


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
        raise _nothing_payable(invoice)
    if amount <= 0:
        raise ValidationFailed("The amount must be positive.", field="amount")
    if amount > payable:
        in_flight = " less the payments being processed or opened" if payable < invoice.amount_due else ""
        raise ValidationFailed(f"The amount is more than the amount due{in_flight}.", field="amount")
    if amount < payable and not invoice.allow_partial_payment:
        raise ValidationFailed("This invoice must be paid in full.", field="amount")


def _nothing_payable(invoice: Invoice) -> Conflict:
    if invoice.payments.filter(being_opened()).exists():
        message = "Another payment session of this invoice is being opened; please try again in a moment."
    else:
        message = "A payment of the amount due is being processed; it cannot be paid again meanwhile."
    return Conflict(message, code="payment_in_progress")


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

    Reserve, ask the gateway, record (see the module's docstring): call it with no transaction
    open, or the caller's transaction holds the invoice's lock across the gateway call after all.
    """
    if len(idempotency_key) > 255:
        raise ValidationFailed("Idempotency-Key is at most 255 characters.", field="Idempotency-Key")
    ask = _Ask(invoice_id, amount, config_id, _check_return_url(return_url), idempotency_key)
    step = _reserve(ask, close_others=True)
    if step is None:
        # The invoice's other open sessions are in the way: closed at their gateways with no lock
        # held, each answer applied in its own transaction; then everything is checked again.
        sessions_close_others(invoice_id=invoice_id)
        step = _reserve(ask, close_others=False)
    if isinstance(step, SessionOutcome):
        return step
    assert step is not None  # only the first pass stops for the other sessions
    payment = _open(step)
    logger.info("Opened payment %s for invoice %s via %s", payment.pk, payment.invoice_id, payment.gateway_name)
    return SessionOutcome(payment, created=True)


def _reserve(ask: _Ask, *, close_others: bool) -> SessionOutcome | _Reservation | None:
    """One short transaction with the invoice locked: an earlier answer to give again, or a payment
    reserved for a new session; None when the invoice's other open sessions must be closed first.

    After they were closed (`close_others` False), those still open keep reserving their amount.
    """
    with transaction.atomic():
        invoice = _lock_invoice(ask.invoice_id)
        earlier = _earlier_request(invoice, ask.idempotency_key, ask.amount)
        if earlier is not None:
            return SessionOutcome(earlier, created=False)
        payable = amount_payable_now(invoice)
        amount = payable if ask.amount is None else ask.amount
        _check_amount(invoice, amount, payable)
        config, gateway = _gateway_for_invoice(invoice, ask.config_id)
        reusable = _open_session_to_reuse(invoice, config, amount)
        if reusable is not None:
            return SessionOutcome(reusable, created=False)
        if close_others and open_sessions(invoice.pk).exists():
            return None
        if not close_others:
            amount = _amount_beside_open_sessions(invoice, ask.amount)
        return _reservation(invoice, config, gateway, amount, ask)


def _amount_beside_open_sessions(invoice: Invoice, requested: int | None) -> int:
    """The amount checked again once the other sessions were closed: a closed session may have been
    paid, and one its gateway could not close (or opened since) still reserves its amount."""
    reserved = reserved_by_open_sessions(invoice)
    payable = max(amount_payable_now(invoice) - reserved, 0)
    amount = payable if requested is None else requested
    if reserved and (amount > payable or payable <= 0):
        raise Conflict(
            "Another payment session of this invoice is still open and could not be closed; "
            "please try again in a minute.",
            code="payment_in_progress",
        )
    _check_amount(invoice, amount, payable)
    return amount


def _lock_invoice(invoice_id: UUID) -> Invoice:
    invoice = invoice_lock(invoice_id)
    if invoice is None:
        raise NotFound("No such invoice.")
    return invoice


def _earlier_request(invoice: Invoice, idempotency_key: str, amount: int | None) -> InvoicePayment | None:
    """The payment an earlier request with the same Idempotency-Key opened, if any.

    While that request is still asking its gateway, a repeat is told to try again (409): answering
    it before the session exists would give the client nothing to pay with, and waiting would tie
    up a worker. A reservation past its time (its request stopped half-way) is released, and the
    repeat opens the session afresh.
    """
    if not idempotency_key:
        return None
    earlier = invoice.payments.filter(client_idempotency_key=idempotency_key).first()
    if earlier is None:
        return None
    if amount is not None and amount != earlier.amount:
        raise Conflict("This Idempotency-Key was used for a different amount.", code="idempotency_key_reused")
    if not earlier.is_reservation:
        return earlier
    if earlier.expires_at is not None and earlier.expires_at > timezone.now():
        raise Conflict(
            "The payment session for this request is still being opened; please try again in a moment.",
            code="session_opening",
        )
    ledger.payment_release_reservation(earlier.pk, ABANDONED)
    return None


def _gateway_for_invoice(
    invoice: Invoice, config_id: UUID | None
) -> tuple[PaymentGatewayConfig, PaymentGatewayBase]:
    config = payable_config(invoice, config_id)
    if config is None and config_id is not None:
        # Another owner's config, an inactive or archived one, or none at all: the same answer, so
        # that config ids cannot be probed through an invoice link.
        raise NotFound("This payment gateway is not available for this invoice; choose another one.", code="no_gateway")
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


def _reservation(
    invoice: Invoice, config: PaymentGatewayConfig, gateway: PaymentGatewayBase, amount: int, ask: _Ask
) -> _Reservation:
    now = timezone.now()
    payment = ledger.payment_reserve(
        invoice,
        config=config,
        amount=amount,
        return_url=ask.return_url or default_return_url(invoice),
        idempotency_key=ask.idempotency_key,
        reserved_until=now + timedelta(seconds=settings.TRACKIFY_SESSION_RESERVATION_SECONDS),
    )
    lifetime = min(timedelta(minutes=settings.TRACKIFY_SESSION_LIFETIME_MINUTES), gateway.max_session_lifetime)
    return _Reservation(payment, gateway, _session_request(invoice, payment, now + lifetime))


def _open(reserved: _Reservation) -> InvoicePayment:
    """Ask the gateway for the reserved payment's session (no transaction open), record its answer.

    A call that fails releases the reservation and its error goes on to the caller.
    """
    try:
        result = reserved.gateway.create_payment_session(reserved.request)
        if not result.gateway_reference:
            raise GatewayError("The payment provider did not open the session.", detail="no session reference")
    except Exception as exc:
        _release(reserved.payment, exc.message if isinstance(exc, TrackifyError) else NOT_OPENED)
        raise
    opened = ledger.payment_record_opened(reserved.payment.pk, result, expires_at=reserved.request.expires_at)
    if opened is None:
        _close_unrecorded(reserved, result)
        raise Conflict("Opening the payment session took too long; please try again.", code="session_opening")
    return opened


def _release(payment: InvoicePayment, message: str) -> None:
    try:
        ledger.payment_release_reservation(payment.pk, message)
    except Exception:  # the caller's error matters more; the reservation lapses by itself
        logger.exception("Could not release the reservation of payment %s", payment.pk)


def _close_unrecorded(reserved: _Reservation, result: SessionResult) -> None:
    """The gateway opened a session after its reservation had lapsed (or was released): nothing
    counts it any more, so it must not be paid. Closed at the gateway; the reservation released."""
    payment = reserved.payment
    payment.gateway_reference = result.gateway_reference
    try:
        reserved.gateway.expire_session(lookup_for(payment))
    except GatewayError as exc:  # nobody has its URL; it expires by itself
        logger.warning("Could not close the unrecorded session of payment %s: %s", payment.pk, exc)
    _release(payment, ABANDONED)


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
