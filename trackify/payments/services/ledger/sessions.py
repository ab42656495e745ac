"""A session's payment: reserved before its gateway is asked, then recorded as opened, or released.

`payment_session_create` opens a session in three steps so that no row lock is held while a gateway
is called: the payment is written first (`payment_reserve`, with the invoice locked) as pending with
no gateway reference and `expires_at` a short while ahead — from then on it counts against what the
invoice has payable —; the gateway is asked with no transaction open; then its answer is recorded
(`payment_record_opened`), or the reservation released (`payment_release_reservation`), each in a
short transaction of its own with the invoice and the payment locked.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from trackify.common.errors import Conflict
from trackify.invoices.models import Invoice
from trackify.payments.gateways.types import PaymentStatus, SessionResult
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig
from trackify.payments.services.ledger.records import lock_payment, record_transition


def payment_reserve(
    invoice: Invoice,
    *,
    config: PaymentGatewayConfig,
    amount: int,
    return_url: str,
    idempotency_key: str,
    reserved_until: datetime,
) -> InvoicePayment:
    """Write the payment of a session about to be asked for; `{PAYMENT_ID}` in `return_url` names it.

    The caller holds the invoice's lock and has checked `amount` against what is payable.
    """
    payment = InvoicePayment(
        invoice=invoice,
        config=config,
        gateway_name=config.gateway_name,
        amount=amount,
        currency=invoice.currency,
        client_idempotency_key=idempotency_key,
        expires_at=reserved_until,
    )
    payment.return_url = return_url.replace("{PAYMENT_ID}", str(payment.id))
    try:
        with transaction.atomic():
            payment.save(force_insert=True)
    except IntegrityError as exc:  # pragma: no cover - the invoice lock makes this unreachable
        raise Conflict("A payment with this Idempotency-Key already exists.") from exc
    return payment


def payment_record_opened(payment_id: UUID, session: SessionResult, *, expires_at: datetime) -> InvoicePayment | None:
    """Record what the gateway answered for a reserved payment: its session is open.

    None when there is no reservation left to record it on: released meanwhile, or past its
    `expires_at`, when it stopped counting and another session may have taken its amount.
    `expires_at` is the session's own, for a gateway that does not say.
    """
    with transaction.atomic(savepoint=False):
        payment = lock_payment(payment_id).payment
        if not payment.is_reservation or payment.expires_at is None or payment.expires_at <= timezone.now():
            return None
        payment.gateway_reference = session.gateway_reference
        payment.status = session.status
        payment.redirect_url = session.redirect_url or ""
        payment.client_params = dict(session.client_params)
        payment.expires_at = session.expires_at or expires_at
        payment.save(
            update_fields=["gateway_reference", "status", "redirect_url", "client_params", "expires_at", "updated_at"]
        )
    return payment


def payment_release_reservation(payment_id: UUID, message: str) -> bool:
    """The session of a reserved payment was never opened (the gateway refused, failed or could not be
    reached, or the request stopped before its answer was recorded): the payment fails, with `message`
    kept, and counts against nothing. Returns whether there was a reservation to release.

    Its Idempotency-Key is freed: a retry of the request is a new attempt, with a new payment and so
    a new key at the gateway (a provider answers a key it has seen with its first answer, a stored
    error included).
    """
    with transaction.atomic(savepoint=False):
        locked = lock_payment(payment_id)
        payment = locked.payment
        if not payment.is_reservation:
            return False
        record_transition(locked, PaymentStatus.FAILED, applied=True, source="session_open", note=message)
        payment.status = PaymentStatus.FAILED
        payment.failure_message = message[:500]
        payment.client_idempotency_key = ""
        payment.save(update_fields=["status", "failure_message", "client_idempotency_key", "updated_at"])
    return True
