"""What every ledger write stands on: the typed result, the locked rows, the history of transitions,
the attention flag, and the invoice's totals following its payments."""

from __future__ import annotations

import enum
import logging
import operator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from trackify.invoices.models import Invoice
from trackify.invoices.services import invoice_record_amount_paid
from trackify.payments.gateways.types import PaymentStatus, PaymentUpdate
from trackify.payments.models import (
    InvoicePayment,
    NotificationEvent,
    PaymentDisputeChange,
    PaymentStatusChange,
    PaymentWebhookEvent,
)
from trackify.payments.services.notifications import outbox
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
    # The payment became authorized: the caller captures it once its transaction commits
    # (`captures.captures_on_commit`), at a gateway that captures.
    needs_capture: bool = False

    def __str__(self) -> str:
        return f"{self.outcome}: {self.detail}"


@dataclass(frozen=True)
class Locked:
    invoice: Invoice
    payment: InvoicePayment
    # History rows held back until the caller knows the webhook event row they belong to (the
    # webhook's `event_claim` stores them with the event); None: each row is written as it is recorded.
    pending_history: list[PaymentStatusChange] | None = None
    # The same for the history of the payment's disputes (stored once the event row exists).
    pending_dispute_history: list[PaymentDisputeChange] | None = None
    # What people are to be told of (`notify`), written with the rest of the transaction (`outbox.flush`).
    notifications: list[NotificationEvent] = field(default_factory=list)


def lock_payment(payment_id: UUID) -> Locked:
    """Lock a payment and its invoice for the rest of the transaction (one query, invoice first)."""
    payment = locked_payment(payment_id)
    if payment is None:
        raise InvoicePayment.DoesNotExist(f"No payment {payment_id}")
    return Locked(invoice=payment.invoice, payment=payment)


def brings_money(update: PaymentUpdate | None) -> bool:
    """Whether applying `update` may make money arrive (a success, a payment starting to settle, or one
    authorized and about to be captured)."""
    return update is not None and update.status in (
        PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING, PaymentStatus.AUTHORIZED
    )


def lock_payment_named(
    *,
    config_id: UUID,
    payment_id: UUID | None,
    reference: str,
    defer_history: bool = False,
    news: PaymentUpdate | None = None,
) -> Locked | None:
    """The config's payment an event names, locked with its invoice; None when there is none.

    Usually one query: events carry our id. Then the gateway's references, in `payment_named`'s order.
    Whether the invoice has other open sessions is read along only when `news` (the event's payment
    update) may bring money (`brings_money`): nothing else needs it.
    """
    sessions = brings_money(news)
    found = None
    if payment_id is not None:
        found = locked_payment(payment_id, config_id=config_id, with_open_sessions=sessions)
    if found is None and reference:
        payments = locked_payments(with_open_sessions=sessions).filter(config_id=config_id)
        found = payment_named(payments, payment_id=None, reference=reference)
    if found is None:
        return None
    return Locked(
        invoice=found.invoice,
        payment=found,
        pending_history=[] if defer_history else None,
        pending_dispute_history=[] if defer_history else None,
    )


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


def recompute_invoice(locked: Locked, *, net_before: int) -> None:
    """The invoice's amount paid follows this payment's net amount (paid less refunded), which moved
    from `net_before`; the status follows.

    Exact without summing the invoice's payments again: the amount paid equals that sum before
    this change, and it cannot move meanwhile, because every writer of an invoice's payments holds
    the invoice's lock (taken by the same locking read, `lock_payment`). A repeated update moves no
    net amount (the state machine leaves the payment where it is), so it still counts once.
    """
    payment = locked.payment
    invoice = locked.invoice
    amount_paid = invoice.amount_paid + payment.net_amount - net_before
    status_before = invoice.status
    invoice_record_amount_paid(invoice, amount_paid=amount_paid)
    if invoice.status != status_before and invoice.status in ("paid", "partially_paid"):
        notify(locked, f"invoice.{invoice.status}", key=f"{invoice.pk}:{amount_paid}",
               amount_paid=amount_paid, amount_due=invoice.amount_due)


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


def notify(locked: Locked, type: str, *, key: str, **data: Any) -> None:
    """Record that people are to be told of `type` about this payment (once per `key`: its object and
    state), in this transaction; `data` adds figures to the payment's and the invoice's ids."""
    payment, invoice = locked.payment, locked.invoice
    data = {"payment_id": str(payment.pk), "invoice_id": str(invoice.pk), "currency": payment.currency, **data}
    locked.notifications.append(outbox.event(owner_id=invoice.owner_id, type=type, key=key, data=data))
