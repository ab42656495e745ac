"""What every ledger write stands on: the typed result, the locked rows, the history of transitions,
the attention flag, and the invoice's totals recomputed from its payments."""

from __future__ import annotations

import enum
import logging
import operator
from dataclasses import dataclass
from uuid import UUID

from django.db.models import F, QuerySet, Sum

from trackify.invoices.models import Invoice
from trackify.invoices.services import invoice_record_amount_paid
from trackify.payments import state
from trackify.payments.models import InvoicePayment, PaymentStatusChange, PaymentWebhookEvent
from trackify.payments.services.payment_locks import locked_payment, locked_payments

logger = logging.getLogger("trackify.payments.services.ledger")


class Outcome(enum.StrEnum):
    """What the ledger did with one update."""

    APPLIED = "applied"
    UNCHANGED = "unchanged"  # the payment was already in the reported state
    NOT_APPLIED = "not applied"  # refused and recorded: a mismatch, or a transition not allowed
    IGNORED = "ignored"  # nothing to apply it to (an unknown refund in a final state, a stale one)


@dataclass(frozen=True)
class LedgerResult:
    outcome: Outcome
    detail: str
    # Money arrived (a success, or a payment started settling) while the invoice has other sessions
    # that can still be paid: the caller closes them at their gateways once its transaction commits
    # (`open_sessions.sessions_close_on_commit`). The ledger itself calls no gateway.
    closes_other_sessions: bool = False

    def __str__(self) -> str:
        return f"{self.outcome}: {self.detail}"


@dataclass(frozen=True)
class Locked:
    invoice: Invoice
    payment: InvoicePayment
    # History rows held back until the caller knows the webhook event row they belong to (the
    # webhook's `event_claim` stores them with the event); None: each row is written as it is recorded.
    pending_history: list[PaymentStatusChange] | None = None


def lock_payment(payment_id: UUID) -> Locked:
    """Lock a payment and its invoice for the rest of the transaction (one query, invoice first)."""
    payment = locked_payment(payment_id)
    if payment is None:
        raise InvoicePayment.DoesNotExist(f"No payment {payment_id}")
    return Locked(invoice=payment.invoice, payment=payment)


def lock_payment_named(
    *,
    config_id: UUID,
    payment_id: UUID | None,
    reference: str,
    defer_history: bool = False,
) -> Locked | None:
    """The config's payment an event names, locked with its invoice; None when there is none.

    Usually one query: events carry our id. Then the gateway's references, in `payment_named`'s order.
    """
    found = locked_payment(payment_id, config_id=config_id) if payment_id is not None else None
    if found is None and reference:
        found = payment_named(locked_payments().filter(config_id=config_id), payment_id=None, reference=reference)
    if found is None:
        return None
    return Locked(invoice=found.invoice, payment=found, pending_history=[] if defer_history else None)


def payment_named(
    payments: QuerySet[InvoicePayment],
    *,
    payment_id: UUID | None,
    reference: str,
) -> InvoicePayment | None:
    """The one lookup order for a payment an event names: our own id, then the gateway's reference
    to the session we opened, then its reference to the money movement (e.g. a PaymentIntent).
    (`lock_payment_named` follows the same order, with the locking read for our own id.)"""
    found = None
    if payment_id is not None:
        found = payments.filter(pk=payment_id).first()
    if found is None and reference:
        found = (
            payments.filter(gateway_reference=reference).first()
            or payments.filter(gateway_payment_reference=reference).first()
        )
    return found


def recompute_invoice(locked: Locked) -> None:
    """amount_paid = the invoice's paid payments less their refunds; the status follows.

    Summed afresh, never incremented, so an update applied twice still counts once: the other
    payments' part was read along with the locks (`locked_payments`), this payment's is known.
    The caller holds the invoice's lock.
    """
    payment = locked.payment
    others = getattr(payment, "others_paid", None)
    if others is None:  # a payment not read by `locked_payments`
        others = (
            InvoicePayment.objects.filter(invoice_id=locked.invoice.pk, status__in=sorted(state.PAID_STATUSES))
            .exclude(pk=payment.pk)
            .aggregate(total=Sum(F("amount") - F("refunded_amount")))["total"]
            or 0
        )
    invoice_record_amount_paid(locked.invoice, amount_paid=others + payment.net_amount)


def record_transition(
    locked: Locked,
    target: str,
    *,
    applied: bool,
    source: str,
    note: str = "",
    event: PaymentWebhookEvent | None = None,
) -> None:
    change = PaymentStatusChange(
        payment=locked.payment,
        from_status=locked.payment.status,
        to_status=target,
        applied=applied,
        source=source,
        note=note[:500],
        webhook_event=event,
    )
    if locked.pending_history is not None:
        locked.pending_history.append(change)
    else:
        change.save(force_insert=True)


# What a payment row holds that the ledger may change; it is written only when one of them did.
_TRACKED = ("status", "gateway_payment_reference", "attention_reason", "failure_message", "refunded_amount",
            "succeeded_at")


_tracked_of = operator.attrgetter(*_TRACKED)


def state_of(payment: InvoicePayment) -> tuple[object, ...]:
    return _tracked_of(payment)


def save_if_changed(payment: InvoicePayment, before: tuple[object, ...]) -> None:
    """Write the fields that changed (and updated_at), or nothing."""
    changed = [name for name, old in zip(_TRACKED, before, strict=True) if getattr(payment, name) != old]
    if changed:
        payment.save(update_fields=[*changed, "updated_at"])


def flag(payment: InvoicePayment, reason: str) -> None:
    logger.warning("Payment %s needs attention: %s", payment.pk, reason)
    payment.attention_reason = reason[:500]
