"""Disputes (chargebacks): their state machine, the money they take back, and the invoice following.

A provider reports a dispute as a snapshot: its status, and the totals it has withdrawn from the
merchant and reinstated so far. The ledger merges each report into the dispute's row so that any
order of the same reports, with any duplicates, ends in the same row:

- the status moves only forward (`state.dispute_transition_allowed`): a stale report is refused;
- withdrawn and reinstated only grow (the larger of what is stored and what is reported), since
  each report carries the totals, never a share;
- an inquiry stays one only while every report says so; the deadline is the latest reported.

The payment's `disputed_amount` is what its disputes hold (withdrawn less reinstated); its status
stays as it was. Its net amount, and so its invoice's amount paid, drops by that.
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import F, Sum
from django.utils import timezone

from trackify.payments import state
from trackify.payments.gateways.types import DisputeStatus, DisputeUpdate
from trackify.payments.models import InvoicePayment, PaymentDispute, PaymentDisputeChange, PaymentWebhookEvent
from trackify.payments.services.ledger.records import (
    LedgerResult,
    Locked,
    Outcome,
    flag,
    notify,
    recompute_invoice,
)


def apply_dispute_update(
    locked: Locked,
    update: DisputeUpdate,
    *,
    source: str,
    event: PaymentWebhookEvent | None = None,
) -> LedgerResult:
    """Merge a provider's report of a dispute into its row; the payment and the invoice follow.

    Runs inside `payment_apply`'s transaction, with the payment and its invoice locked: every
    writer of a payment's disputes holds that lock, so a dispute is never written by two at once.
    """
    payment = locked.payment
    if update.currency.upper() != payment.currency:
        reason = f"dispute currency {update.currency.upper()} does not match the payment's {payment.currency}"
        flag(payment, reason)
        payment.save(update_fields=["attention_reason", "updated_at"])
        return LedgerResult(Outcome.NOT_APPLIED, reason)

    dispute = PaymentDispute.objects.filter(
        config_id=payment.config_id, gateway_dispute_id=update.gateway_dispute_id
    ).first()
    if dispute is not None and dispute.payment_id != payment.pk:
        reason = f"dispute {update.gateway_dispute_id} belongs to payment {dispute.payment_id}, not this one"
        return LedgerResult(Outcome.NOT_APPLIED, reason)
    target = DisputeStatus(update.status)
    if dispute is None:
        dispute, previous, moved = _open(locked, update), None, True
    else:
        previous = DisputeStatus(dispute.status)
        moved = target != previous and state.dispute_transition_allowed(previous, target)
        refused = target != previous and not moved
        before = _figures(dispute)
        _merge(dispute, update, moved=moved, bound=payment.amount)
        if not moved and _figures(dispute) == before:
            note = f"dispute {dispute.gateway_dispute_id} is {previous}, not {target}" if refused else ""
            if refused:
                _record(locked, dispute, previous, target, applied=False, source=source, note=note, event=event)
                return LedgerResult(Outcome.NOT_APPLIED, note)
            return LedgerResult(Outcome.UNCHANGED, f"dispute {dispute.gateway_dispute_id} already {target}")
        dispute.save()
    _record(locked, dispute, previous, DisputeStatus(dispute.status), applied=True, source=source, event=event)
    _recompute_disputed(locked)
    _notify(locked, dispute, opened=previous is None, closed=moved and dispute.status in state.DISPUTE_CLOSED)
    detail = f"dispute {dispute.gateway_dispute_id} {dispute.status}"
    if previous is not None and moved:
        detail += f" (was {previous})"
    if dispute.withdrawn_amount:
        detail += f", withdrawn {dispute.withdrawn_amount}"
    if dispute.reinstated_amount:
        detail += f", reinstated {dispute.reinstated_amount}"
    return LedgerResult(Outcome.APPLIED, detail)


def _open(locked: Locked, update: DisputeUpdate) -> PaymentDispute:
    payment = locked.payment
    withdrawn = _bounded(update.withdrawn, payment.amount)
    dispute = PaymentDispute(
        payment=payment,
        config_id=payment.config_id,
        gateway_dispute_id=update.gateway_dispute_id,
        amount=update.amount,
        currency=payment.currency,
        reason=update.reason[:100],
        status=update.status,
        is_inquiry=update.is_inquiry,
        evidence_due_by=update.evidence_due_by,
        withdrawn_amount=withdrawn,
        reinstated_amount=_bounded(update.reinstated, withdrawn),
        closed_at=timezone.now() if update.status in state.DISPUTE_CLOSED else None,
    )
    dispute.save(force_insert=True)
    return dispute


def _merge(dispute: PaymentDispute, update: DisputeUpdate, *, moved: bool, bound: int) -> None:
    """The row after this report: each figure merged so that the order of reports does not matter."""
    if moved:
        dispute.status = update.status
        if update.status in state.DISPUTE_CLOSED:
            dispute.closed_at = timezone.now()
    if update.reason and (moved or not dispute.reason):
        dispute.reason = update.reason[:100]
    dispute.is_inquiry = dispute.is_inquiry and update.is_inquiry
    if update.evidence_due_by is not None and (
        dispute.evidence_due_by is None or update.evidence_due_by > dispute.evidence_due_by
    ):
        dispute.evidence_due_by = update.evidence_due_by
    dispute.withdrawn_amount = max(dispute.withdrawn_amount, _bounded(update.withdrawn, bound))
    dispute.reinstated_amount = max(dispute.reinstated_amount, _bounded(update.reinstated, dispute.withdrawn_amount))


def _figures(dispute: PaymentDispute) -> tuple[object, ...]:
    return (
        dispute.status, dispute.reason, dispute.is_inquiry, dispute.evidence_due_by,
        dispute.withdrawn_amount, dispute.reinstated_amount,
    )  # fmt: skip


def _bounded(value: int, upper: int) -> int:
    return min(max(value, 0), upper)


def _recompute_disputed(locked: Locked) -> None:
    """The payment's disputed amount re-derived; the invoice follows its net amount."""
    payment = locked.payment
    net_before, before = payment.net_amount, (payment.disputed_amount, payment.attention_reason)
    derive_disputed(payment)
    if (payment.disputed_amount, payment.attention_reason) == before:
        return
    payment.save(update_fields=["disputed_amount", "attention_reason", "updated_at"])
    if payment.net_amount != net_before:
        recompute_invoice(locked, net_before=net_before)


def derive_disputed(payment: InvoicePayment) -> None:
    """disputed_amount = what the payment's disputes hold (withdrawn less reinstated), within what
    refunds left of it. Derived from both totals every time either moves (here and after a refund),
    refunds counting first, so that the figures never depend on the order the news came in. Sets the
    fields; the caller saves."""
    held = (
        PaymentDispute.objects.filter(payment_id=payment.pk)
        .aggregate(total=Sum(F("withdrawn_amount") - F("reinstated_amount")))["total"]
        or 0
    )
    room = payment.amount - payment.refunded_amount
    if held > room:
        flag(payment, f"disputes hold {held} and refunds {payment.refunded_amount}, more than the payment's "
                      f"{payment.amount} (minor units): check the payment at the provider")
        held = room
    payment.disputed_amount = held


def _record(
    locked: Locked,
    dispute: PaymentDispute,
    previous: DisputeStatus | None,
    target: DisputeStatus,
    *,
    applied: bool,
    source: str,
    note: str = "",
    event: PaymentWebhookEvent | None = None,
) -> None:
    change = PaymentDisputeChange(
        dispute=dispute,
        from_status=previous or "",
        to_status=target,
        withdrawn_amount=dispute.withdrawn_amount,
        reinstated_amount=dispute.reinstated_amount,
        applied=applied,
        source=source,
        note=note[:500],
        webhook_event=event,
    )
    if locked.pending_dispute_history is not None:
        locked.pending_dispute_history.append(change)
    else:
        change.save(force_insert=True)


def payment_has_open_or_lost_dispute(payment_id: UUID) -> bool:
    """A refund of this payment would take back money a dispute took or may take: refused."""
    return (
        PaymentDispute.objects.filter(payment_id=payment_id)
        .exclude(status=DisputeStatus.WON)
        .exists()
    )


def _notify(locked: Locked, dispute: PaymentDispute, *, opened: bool, closed: bool) -> None:
    figures = {
        "dispute_id": str(dispute.pk), "amount": dispute.amount, "status": dispute.status,
        "evidence_due_by": dispute.evidence_due_by.isoformat() if dispute.evidence_due_by else None,
    }  # fmt: skip
    if opened:
        notify(locked, "dispute.opened", key=str(dispute.pk), **figures)
    if closed:
        notify(locked, "dispute.closed", key=str(dispute.pk), **figures, held=dispute.held_amount)
