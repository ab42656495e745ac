"""Capturing authorized payments: once per payment, under its lock, whichever signal came first.

A gateway that captures (`capabilities.captures`: PayPal's approved order, Mollie's authorized
payment) reports a payment `authorized` when the payer approved; the money moves only when we
capture. Approval is learnt from several signals that may arrive together: the payer's return, the
in-page buttons' approval (`POST /payment/status/<id>/check/`), a webhook, a status refresh. Each of
them, once the ledger applied `authorized` (`LedgerResult.needs_capture`) or finds the payment
authorized, asks `payment_capture`, which:

1. locks the payment and its invoice (the ledger's one locking read): a second signal waits here;
2. goes on only while the payment is still `authorized`: the waiter then finds it captured;
3. calls the gateway's `capture_payment`, with the same idempotency key on every attempt, while the
   lock is held: that lock is what makes the call happen once (the key makes a retry after a
   timeout safe at the provider);
4. applies the answer in the same transaction: succeeded (or processing), failed (the payer may pay
   again), expired.

A provider that cannot answer leaves the payment authorized; the next signal, or
`payments_catch_up`, tries again with the same key. The lock is held across one provider call:
only this payment's own events wait on it, and the SDK's timeouts bound it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from uuid import UUID

from django.db import transaction

from trackify.payments.gateways.errors import GatewayError
from trackify.payments.gateways.registry import UnknownGateway
from trackify.payments.gateways.types import CaptureRequest, PaymentStatus
from trackify.payments.models import InvoicePayment
from trackify.payments.services import ledger
from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.lookups import lookup_for
from trackify.payments.services.notifications import outbox
from trackify.payments.services.open_sessions import sessions_close_on_commit

logger = logging.getLogger(__name__)


def capture_idempotency_key(payment: InvoicePayment) -> str:
    """The same for every attempt at capturing one payment."""
    return f"{payment.gateway_idempotency_key}-capture"


def payment_capture(*, payment_id: UUID) -> tuple[ledger.LedgerResult, ...]:
    """Capture the payment if it is (still) authorized; return what the ledger did with the answer.

    Returns () when there was nothing to capture (captured already, never authorized) or when the
    provider could not answer (logged; the payment stays authorized for the next attempt).
    """
    with transaction.atomic():
        locked = ledger.lock_payment(payment_id)
        payment = locked.payment
        if payment.status != PaymentStatus.AUTHORIZED:
            return ()
        try:
            gateway = gateway_for(payment.config)
        except UnknownGateway:
            logger.warning("Payment %s is authorized; its gateway %s is not enabled", payment.pk, payment.gateway_name)
            return ()
        if not gateway.capabilities.captures:
            return ()
        request = CaptureRequest(
            payment=lookup_for(payment),
            amount=payment.amount,
            currency=payment.currency,
            idempotency_key=capture_idempotency_key(payment),
        )
        try:
            update = gateway.capture_payment(request)
        except GatewayError as exc:
            logger.warning("Capturing payment %s failed; it stays authorized: %s %s", payment.pk, exc.code, exc.detail)
            return ()
        results = ledger.apply_updates(locked, update, (), source="capture")
        outbox.flush(locked.notifications)
        sessions_close_on_commit(results, invoice_id=locked.invoice.pk, paid=payment.pk)
    logger.info("Captured payment %s: %s", payment_id, "; ".join(str(result) for result in results))
    return results


def _capture_after_commit(payment_id: UUID) -> None:
    try:
        payment_capture(payment_id=payment_id)
    except Exception:  # the authorization is recorded; the catch-up captures it later
        logger.exception("Capturing payment %s failed", payment_id)


def captures_on_commit(results: Sequence[ledger.LedgerResult], *, payment_id: UUID) -> None:
    """When the ledger applied `authorized`, capture once the caller's transaction commits."""
    if any(result.needs_capture for result in results):
        transaction.on_commit(partial(_capture_after_commit, payment_id))
