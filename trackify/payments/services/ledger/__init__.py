"""Applying what a gateway reports to our rows. The only code that writes payment, refund and
invoice state.

`payment_apply` is the way in for news about an existing payment: it locks the invoice and the
payment (invoice first, then payment: one order everywhere, so two writers never deadlock) and
applies the updates in that one transaction. An invoice's amount paid moves by the change in its
payment's net amount, under the invoice's lock (`recompute_invoice`): an update applied twice moves
nothing the second time, so it still counts once. Each update answers a
`LedgerResult`: a typed outcome plus a human-readable detail (stored on the webhook event).

It writes what changed and nothing else: one locking read for the payment and its invoice, the
payment only when a field of it changed, the invoice only when the payment's contribution to it
moved, a history row per transition asked for.

The package: `records` (result types, locking, history, invoice totals), `payments` (a payment's own
state), `refunds`, `disputes` (chargebacks and the money they take back), `sessions` (a new payment:
reserved before its gateway is asked, then recorded as opened or released); the way in,
`payment_apply`, is here.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from django.db import transaction

from trackify.payments.gateways.types import DisputeUpdate, PaymentUpdate, RefundUpdate
from trackify.payments.models import PaymentWebhookEvent
from trackify.payments.services.ledger.disputes import apply_dispute_update, payment_has_open_or_lost_dispute
from trackify.payments.services.ledger.payments import apply_payment_update, payment_link_reference
from trackify.payments.services.ledger.records import (
    LedgerResult,
    Locked,
    Outcome,
    lock_payment,
    lock_payment_named,
    payment_named,
    recompute_invoice,
)
from trackify.payments.services.ledger.refunds import (
    apply_refund_update,
    refund_mark_failed,
    refund_mark_unanswered,
    refund_reserve,
    refund_reserved_amount,
)
from trackify.payments.services.ledger.sessions import (
    payment_record_opened,
    payment_release_reservation,
    payment_reserve,
)
from trackify.payments.services.notifications import outbox

__all__ = [
    "LedgerResult",
    "Locked",
    "Outcome",
    "apply_dispute_update",
    "apply_payment_update",
    "apply_refund_update",
    "apply_updates",
    "lock_payment",
    "lock_payment_named",
    "payment_apply",
    "payment_has_open_or_lost_dispute",
    "payment_link_reference",
    "payment_named",
    "payment_record_opened",
    "payment_release_reservation",
    "payment_reserve",
    "recompute_invoice",
    "refund_mark_failed",
    "refund_mark_unanswered",
    "refund_reserve",
    "refund_reserved_amount",
]


def payment_apply(
    *,
    payment_id: UUID,
    payment_update: PaymentUpdate | None = None,
    refund_updates: Sequence[RefundUpdate] = (),
    dispute_updates: Sequence[DisputeUpdate] = (),
    source: str,
    event: PaymentWebhookEvent | None = None,
) -> tuple[LedgerResult, ...]:
    """Lock the invoice and the payment, then apply the news about the payment, its refunds, its
    disputes.

    One transaction (the caller's, when it has one: no savepoint, so an error rolls back the
    whole of it), so the rows stay locked from the read to the write. `event`, when given, is
    pointed at the payment (the caller saves it).
    """
    with transaction.atomic(savepoint=False):
        locked = lock_payment(payment_id)
        if event is not None:
            event.payment = locked.payment
        results = apply_updates(locked, payment_update, refund_updates, dispute_updates, source=source, event=event)
        outbox.flush(locked.notifications)
        return results


def apply_updates(
    locked: Locked,
    payment_update: PaymentUpdate | None,
    refund_updates: Sequence[RefundUpdate],
    dispute_updates: Sequence[DisputeUpdate] = (),
    *,
    source: str,
    event: PaymentWebhookEvent | None = None,
) -> tuple[LedgerResult, ...]:
    """The news about a locked payment (then its refunds, then its disputes), applied in that order."""
    results = []
    if payment_update is not None:
        results.append(apply_payment_update(locked, payment_update, source=source, event=event))
    for refund in refund_updates:
        results.append(apply_refund_update(locked, refund, source=source, event=event))
    for dispute in dispute_updates:
        results.append(apply_dispute_update(locked, dispute, source=source, event=event))
    return tuple(results)
