"""News about a payment itself: its state moved as the state machine allows."""

from __future__ import annotations

from django.utils import timezone

from trackify.payments import state
from trackify.payments.gateways.types import PaymentStatus, PaymentUpdate
from trackify.payments.models import InvoicePayment, PaymentWebhookEvent
from trackify.payments.services.ledger.records import (
    LedgerResult,
    Locked,
    Outcome,
    flag,
    notify,
    recompute_invoice,
    record_transition,
    save_if_changed,
    state_of,
)


def apply_payment_update(
    locked: Locked,
    update: PaymentUpdate,
    *,
    source: str,
    event: PaymentWebhookEvent | None = None,
) -> LedgerResult:
    """Move the payment to the reported state if the state machine allows it.

    Runs inside `payment_apply`'s transaction, with the rows locked.
    """
    payment = locked.payment
    before, net_before = state_of(payment), payment.net_amount
    target = PaymentStatus(update.status)
    if update.gateway_payment_reference and not payment.gateway_payment_reference:
        payment.gateway_payment_reference = update.gateway_payment_reference

    mismatch = _amount_mismatch(payment, update.amount, update.currency)
    if mismatch:
        flag(payment, mismatch)
        record_transition(locked, target, applied=False, source=source, note=mismatch, event=event)
        save_if_changed(payment, before)
        return LedgerResult(Outcome.NOT_APPLIED, mismatch)

    if target == payment.status:
        save_if_changed(payment, before)
        return LedgerResult(Outcome.UNCHANGED, f"already {target}")

    if not state.gateway_transition_allowed(PaymentStatus(payment.status), target):
        note = f"transition {payment.status} -> {target} not allowed"
        if state.needs_attention(PaymentStatus(payment.status), target):
            flag(payment, f"gateway reports payment succeeded after it was {payment.status}")
        record_transition(locked, target, applied=False, source=source, note=note, event=event)
        save_if_changed(payment, before)
        return LedgerResult(Outcome.NOT_APPLIED, note)

    record_transition(locked, target, applied=True, source=source, event=event)
    _move(payment, target, update.failure_message, before)
    if target == PaymentStatus.SUCCEEDED:
        notify(locked, "payment.succeeded", key=str(payment.pk), amount=payment.amount)
    elif target == PaymentStatus.FAILED:
        notify(locked, "payment.failed", key=str(payment.pk), amount=payment.amount,
               failure_message=payment.failure_message)
    if payment.net_amount != net_before:  # pending -> processing, say, changes no total
        recompute_invoice(locked, net_before=net_before)
    closes_others = False
    if target in (PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING, PaymentStatus.AUTHORIZED):
        closes_others = _money_arrives(locked)
    return LedgerResult(
        Outcome.APPLIED, str(target), closes_other_sessions=closes_others,
        needs_capture=target == PaymentStatus.AUTHORIZED,
    )


def payment_link_reference(locked: Locked, reference: str) -> None:
    """Remember the gateway's reference an event named (a PaymentIntent the provider resolved to
    this payment), so that the payment's later events match without asking the provider again.
    Kept once set: a payment has one money movement at its gateway. The rows are locked."""
    payment = locked.payment
    if reference and reference != payment.gateway_reference and not payment.gateway_payment_reference:
        payment.gateway_payment_reference = reference
        payment.save(update_fields=["gateway_payment_reference", "updated_at"])


def _move(payment: InvoicePayment, target: PaymentStatus, failure_message: str, before: tuple[object, ...]) -> None:
    payment.status = target
    if target == PaymentStatus.SUCCEEDED:
        payment.succeeded_at = timezone.now()
        payment.failure_message = ""
        # Refunds reported before the payment itself (out-of-order delivery) count now.
        payment.status = state.status_for_refunds(payment.amount, payment.refunded_amount)
    elif target == PaymentStatus.FAILED:
        payment.failure_message = failure_message[:500]
    save_if_changed(payment, before)


def _money_arrives(locked: Locked) -> bool:
    """A payment succeeded (or started settling): no other session of the invoice may be paid now.

    Returns whether the invoice has other open sessions (read along when the payment was locked, so
    the common case of one session per invoice costs no query; when not read along, assumed so): the
    caller closes them at their gateways once this commits, with no lock held. A payment that
    overpaid the invoice all the same is flagged for the owner, and refundable in one call.
    """
    payment, invoice = locked.payment, locked.invoice
    if payment.status in state.PAID_STATUSES and invoice.amount_overpaid:
        notify(locked, "overpayment.detected", key=f"{invoice.pk}:{invoice.amount_paid}",
               amount_overpaid=invoice.amount_overpaid)
        flag(
            payment,
            f"overpayment: the invoice was paid {invoice.amount_overpaid} (minor units) more than its total; "
            "refund it with POST /payment/invoice/<invoice id>/refund-overpayment/",
        )
        payment.save(update_fields=["attention_reason", "updated_at"])
    return bool(getattr(payment, "other_sessions_open", True))


def _amount_mismatch(payment: InvoicePayment, amount: int | None, currency: str | None) -> str:
    if currency is not None and currency.upper() != payment.currency:
        return f"currency {currency.upper()} does not match the payment's {payment.currency}"
    if amount is not None and amount != payment.amount:
        return f"amount {amount} does not match the payment's {payment.amount} (minor units)"
    return ""

