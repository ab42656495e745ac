"""The payment state machine, as data. Pure: no database, no gateway.

    pending ──► processing ──► succeeded ──► partially_refunded ──► refunded
       │            │              ▲
       │            ├──► failed ───┘   (a failed attempt can still be retried and paid)
       └────────────┴──► cancelled | expired   (final)

    pending | failed ──► authorized ──► processing | succeeded | failed
                                          └──► cancelled | expired   (never captured)

`authorized` is for gateways that capture (`capabilities.captures`): the payer approved, the money
is held at the provider, and the core captures it once (`services/captures.py`). Like processing,
it holds its amount against the invoice but does not pay it.

Refund states are not reported by gateways as payment states: they follow from the refunded
amount (`status_for_refunds`). "Final" is about what a gateway may report of the payment itself; a
refund that fails at the bank after it succeeded (it happens) gives the money back to the merchant,
so the refunded amount, and with it a refunded payment's status, follows that too.

    refund: pending ──► succeeded ──► failed
               └──────► failed | cancelled

    dispute: inquiry ──► needs_response ──► under_review ──► won | lost
                │              └───────────────────────────► won | lost
                └──► under_review, won, lost

A dispute's status only moves forward: a report of an earlier stage arriving after a later one
(events come in any order) is refused, so every order of the same reports ends in the same state.
The payment keeps its own status through a dispute; the money a dispute takes back is its own
figure (`disputed_amount`), subtracted from what the payment contributes to its invoice.
"""

from __future__ import annotations

from trackify.payments.gateways.types import DisputeStatus as D
from trackify.payments.gateways.types import PaymentStatus as S
from trackify.payments.gateways.types import RefundStatus as R

PAID_STATUSES: frozenset[S] = frozenset({S.SUCCEEDED, S.PARTIALLY_REFUNDED, S.REFUNDED})
OPEN_STATUSES: frozenset[S] = frozenset({S.PENDING, S.AUTHORIZED, S.PROCESSING})
#: Money approved or on its way: held against the invoice's amount due, not yet paid.
IN_FLIGHT_STATUSES: frozenset[S] = frozenset({S.AUTHORIZED, S.PROCESSING})
FINAL_STATUSES: frozenset[S] = frozenset({S.CANCELLED, S.EXPIRED, S.REFUNDED})

# Transitions a gateway may cause (webhook or status check).
_GATEWAY_TRANSITIONS: dict[S, frozenset[S]] = {
    S.PENDING: frozenset({S.AUTHORIZED, S.PROCESSING, S.SUCCEEDED, S.FAILED, S.CANCELLED, S.EXPIRED}),
    S.AUTHORIZED: frozenset({S.PROCESSING, S.SUCCEEDED, S.FAILED, S.CANCELLED, S.EXPIRED}),
    S.PROCESSING: frozenset({S.SUCCEEDED, S.FAILED, S.CANCELLED, S.EXPIRED}),
    S.FAILED: frozenset({S.AUTHORIZED, S.PROCESSING, S.SUCCEEDED, S.CANCELLED, S.EXPIRED}),
    S.SUCCEEDED: frozenset(),
    S.PARTIALLY_REFUNDED: frozenset(),
    S.REFUNDED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}


def gateway_transition_allowed(current: S, target: S) -> bool:
    return target in _GATEWAY_TRANSITIONS[S(current)]


def status_for_refunds(amount: int, refunded: int) -> S:
    """The status of a paid payment given how much of it was refunded."""
    if refunded <= 0:
        return S.SUCCEEDED
    if refunded >= amount:
        return S.REFUNDED
    return S.PARTIALLY_REFUNDED


def needs_attention(current: S, target: S) -> bool:
    """Money reported after we closed the payment: refuse the transition, tell the owner."""
    return target == S.SUCCEEDED and S(current) in (S.CANCELLED, S.EXPIRED)


_REFUND_TRANSITIONS: dict[R, frozenset[R]] = {
    R.PENDING: frozenset({R.SUCCEEDED, R.FAILED, R.CANCELLED}),
    R.SUCCEEDED: frozenset({R.FAILED}),
    R.FAILED: frozenset(),
    R.CANCELLED: frozenset(),
}


def refund_transition_allowed(current: R, target: R) -> bool:
    return target in _REFUND_TRANSITIONS[R(current)]


_DISPUTE_TRANSITIONS: dict[D, frozenset[D]] = {
    D.INQUIRY: frozenset({D.NEEDS_RESPONSE, D.UNDER_REVIEW, D.WON, D.LOST}),
    D.NEEDS_RESPONSE: frozenset({D.UNDER_REVIEW, D.WON, D.LOST}),
    D.UNDER_REVIEW: frozenset({D.WON, D.LOST}),
    D.WON: frozenset(),
    D.LOST: frozenset(),
}

#: Disputes the merchant must answer (before `evidence_due_by`) or the money is lost.
DISPUTE_NEEDS_RESPONSE: frozenset[D] = frozenset({D.INQUIRY, D.NEEDS_RESPONSE})
DISPUTE_OPEN: frozenset[D] = frozenset({D.INQUIRY, D.NEEDS_RESPONSE, D.UNDER_REVIEW})
DISPUTE_CLOSED: frozenset[D] = frozenset({D.WON, D.LOST})


def dispute_transition_allowed(current: D, target: D) -> bool:
    return target in _DISPUTE_TRANSITIONS[D(current)]
