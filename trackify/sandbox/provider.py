"""The sandbox provider's API, called in-process: the sandbox gateway's "SDK".

It behaves like a small real gateway: idempotent creates, sessions that expire, asynchronous
payments that settle later, and events signed with HMAC-SHA256 over "<timestamp>.<raw body>".
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from trackify.sandbox import delivery
from trackify.sandbox.models import SandboxDispute, SandboxRefund, SandboxSession
from trackify.sandbox.signing import (  # the gateway's one door to the provider re-exports them
    SIGNATURE_HEADER,
    SIGNATURE_TOLERANCE_SECONDS,
    SignatureError,
    encode_event,
    sign,
    verify,
)

__all__ = [
    "DISPUTE_EVIDENCE_DAYS", "DISPUTE_OUTCOMES", "OPEN_DISPUTE_STATUSES", "OUTCOMES", "SIGNATURE_HEADER",
    "SIGNATURE_TOLERANCE_SECONDS", "DisputeStatus", "SandboxError", "SignatureError", "Status", "close_dispute",
    "complete_session", "create_refund", "create_session", "dispute_url", "encode_event", "get_dispute", "get_session",
    "list_disputes", "notify", "open_dispute", "retrieve_session", "session_event", "sign", "verify",
]

OUTCOMES = ("succeeded", "declined", "processing", "cancelled")

Status = SandboxSession.Status
DisputeStatus = SandboxDispute.Status
DISPUTE_OUTCOMES = ("won", "lost")
OPEN_DISPUTE_STATUSES = SandboxDispute.OPEN
DISPUTE_EVIDENCE_DAYS = 7  # how long the merchant has to answer, from the dispute's opening


class SandboxError(Exception):
    """The provider refuses the call (unknown id, wrong state, bad amount)."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


# -- sessions -----------------------------------------------------------------------------------


def _to_dict(session: SandboxSession) -> dict[str, Any]:
    return {
        "id": session.id,
        "object": "sandbox.session",
        "account": str(session.account_id),
        "payment_id": str(session.payment_id),
        "amount": session.amount,
        "currency": session.currency,
        "status": session.status,
        "expires_at": int(session.expires_at.timestamp()),
        "url": f"{settings.TRACKIFY_SITE_URL}/sandbox/checkout/{session.id}/",
        "refunded": sum(r.amount for r in session.refunds.all()),
    }


def create_session(
    *,
    account_id: UUID,
    idempotency_key: str,
    payment_id: UUID,
    amount: int,
    currency: str,
    description: str,
    return_url: str,
    cancel_url: str,
    expires_at: datetime,
) -> dict[str, Any]:
    existing = SandboxSession.objects.filter(account_id=account_id, idempotency_key=idempotency_key).first()
    if existing is not None:  # a replay answers the first result, as real gateways do
        return _to_dict(existing)
    if amount <= 0:
        raise SandboxError("amount must be positive")
    try:
        with transaction.atomic():
            session = SandboxSession.objects.create(
                account_id=account_id,
                idempotency_key=idempotency_key,
                payment_id=payment_id,
                amount=amount,
                currency=currency,
                description=description[:200],
                return_url=return_url,
                cancel_url=cancel_url,
                expires_at=expires_at,
            )
    except IntegrityError:
        session = SandboxSession.objects.get(account_id=account_id, idempotency_key=idempotency_key)
    return _to_dict(session)


def _advance_clock(session: SandboxSession) -> None:
    """Time-driven changes, applied when the session is next looked at."""
    now = timezone.now()
    if session.status == Status.OPEN and session.expires_at <= now:
        session.status = Status.EXPIRED
        session.save(update_fields=["status"])
    elif session.status == Status.PROCESSING and session.settles_at and session.settles_at <= now:
        session.status = Status.SUCCEEDED
        session.save(update_fields=["status"])


def get_session(session_id: str, *, account_id: UUID | None = None) -> SandboxSession:
    session = SandboxSession.objects.filter(pk=session_id).first()
    if session is None or (account_id is not None and session.account_id != account_id):
        raise SandboxError("no such session", status=404)
    _advance_clock(session)
    return session


def retrieve_session(*, account_id: UUID, session_id: str) -> dict[str, Any]:
    return _to_dict(get_session(session_id, account_id=account_id))


def expire_session(*, account_id: UUID, session_id: str) -> dict[str, Any]:
    """Close an open session so it can no longer be paid; any other session is left as it is."""
    with transaction.atomic():
        session = SandboxSession.objects.select_for_update().filter(pk=session_id, account_id=account_id).first()
        if session is None:
            raise SandboxError("no such session", status=404)
        _advance_clock(session)
        if session.status == Status.OPEN:
            session.status = Status.EXPIRED
            session.save(update_fields=["status"])
    return _to_dict(session)


def complete_session(session_id: str, outcome: str) -> dict[str, Any]:
    """The person paying chose an outcome; returns the event the provider sends about it.

    "succeeded" or "declined" also settle a session that is processing.
    """
    if outcome not in OUTCOMES:
        raise SandboxError(f"outcome must be one of {', '.join(OUTCOMES)}")
    with transaction.atomic():
        session = SandboxSession.objects.select_for_update().filter(pk=session_id).first()
        if session is None:
            raise SandboxError("no such session", status=404)
        _advance_clock(session)
        allowed_from = [Status.OPEN] if outcome in ("processing", "cancelled") else [Status.OPEN, Status.PROCESSING]
        if session.status not in allowed_from:
            raise SandboxError(f"session is {session.status}; it cannot become {outcome}", status=409)
        session.status = {"succeeded": Status.SUCCEEDED, "declined": Status.DECLINED,
                          "processing": Status.PROCESSING, "cancelled": Status.CANCELLED}[outcome]
        if outcome == "processing":
            session.settles_at = timezone.now() + timedelta(seconds=settings.TRACKIFY_SANDBOX_SETTLE_SECONDS)
        session.save()
    return session_event(session)


def session_event(session: SandboxSession) -> dict[str, Any]:
    return _event(f"session.{session.status}", {"session": _to_dict(session)})


def _event(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"evt_sbx_{secrets.token_hex(12)}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": data,
    }


# -- refunds ------------------------------------------------------------------------------------


def create_refund(*, account_id: UUID, session_id: str, amount: int, idempotency_key: str) -> dict[str, Any]:
    with transaction.atomic():
        session = SandboxSession.objects.select_for_update().filter(pk=session_id, account_id=account_id).first()
        if session is None:
            raise SandboxError("no such session", status=404)
        existing = session.refunds.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            if session.status != Status.SUCCEEDED:
                raise SandboxError(f"session is {session.status}; only a succeeded one can be refunded")
            if session.disputes.filter(status__in=SandboxDispute.OPEN).exists():
                raise SandboxError("session is disputed; it cannot be refunded while the dispute is open", status=409)
            left = _undisputed(session)
            if not 0 < amount <= left:
                raise SandboxError(f"refund amount must be between 1 and {left}")
            existing = SandboxRefund.objects.create(session=session, amount=amount, idempotency_key=idempotency_key)
    return {"id": existing.id, "object": "sandbox.refund", "amount": existing.amount,
            "currency": session.currency, "status": "succeeded", "session": session.id}


def _undisputed(session: SandboxSession) -> int:
    """What is left of a session's money: not refunded, and not held by a dispute."""
    refunded = sum(r.amount for r in session.refunds.all())
    held = sum(d.withdrawn - d.reinstated for d in session.disputes.all())
    return session.amount - refunded - held


def notify(account_id: UUID, event: dict[str, Any], *, deliver: bool = True) -> dict[str, Any]:
    """Send an event to the account's webhook URL (unless told not to); hand back the signed request."""
    return delivery.send_event(account_id, event, deliver=deliver)


# -- disputes -----------------------------------------------------------------------------------
#
# The payer's bank disputes a paid session. A chargeback withdraws the money from the merchant at
# once; an inquiry only asks, and moves no money unless it becomes a chargeback. Each step sends
# events whose `data.dispute` is the dispute as that step left it (status, totals withdrawn and
# reinstated, deadline): a snapshot, like every object a provider sends.


def _dispute_to_dict(dispute: SandboxDispute) -> dict[str, Any]:
    return {
        "id": dispute.id,
        "object": "sandbox.dispute",
        "session": dispute.session_id,
        "payment_id": str(dispute.session.payment_id),
        "amount": dispute.amount,
        "currency": dispute.currency,
        "reason": dispute.reason,
        "status": dispute.status,
        "evidence_due_by": int(dispute.evidence_due_by.timestamp()),
        "withdrawn": dispute.withdrawn,
        "reinstated": dispute.reinstated,
        "created": int(dispute.created_at.timestamp()),
        "url": dispute_url(dispute.id),
    }


def dispute_url(dispute_id: str) -> str:
    """The provider's page of a dispute: where a merchant would answer it (read-only in the sandbox)."""
    return f"{settings.TRACKIFY_SITE_URL}/sandbox/disputes/{dispute_id}/"


def get_dispute(dispute_id: str) -> SandboxDispute:
    dispute = SandboxDispute.objects.select_related("session").filter(pk=dispute_id).first()
    if dispute is None:
        raise SandboxError("no such dispute", status=404)
    return dispute


def _step(event_type: str, dispute: SandboxDispute) -> dict[str, Any]:
    """Save the dispute as this step leaves it; return the event that reports it so."""
    dispute.save()
    return _event(event_type, {"dispute": _dispute_to_dict(dispute)})


def _locked_session(account_id: UUID, session_id: str) -> SandboxSession:
    session = SandboxSession.objects.select_for_update().filter(pk=session_id, account_id=account_id).first()
    if session is None:
        raise SandboxError("no such session", status=404)
    _advance_clock(session)
    return session


def open_dispute(
    *,
    account_id: UUID,
    session_id: str,
    amount: int | None = None,
    reason: str = "fraudulent",
    inquiry: bool = False,
) -> dict[str, Any]:
    """The payer's bank disputes a paid session: {"dispute", "events"} (the events in the order sent).

    A chargeback withdraws `amount` (default: all that is left, neither refunded nor taken by a
    lost dispute) at once. An inquiry withdraws nothing; opening a dispute on a session whose
    inquiry is open turns that inquiry into a chargeback of its amount (the same dispute).
    """
    with transaction.atomic():
        session = _locked_session(account_id, session_id)
        if session.status != Status.SUCCEEDED:
            raise SandboxError(f"session is {session.status}; only a paid one can be disputed", status=409)
        current = session.disputes.filter(status__in=SandboxDispute.OPEN).first()
        if current is not None:
            if current.status != DisputeStatus.INQUIRY or inquiry:
                raise SandboxError(f"session already has an open dispute ({current.id}, {current.status})", status=409)
            current.status = DisputeStatus.CHARGEBACK
            events = [_step("dispute.updated", current), _withdraw(current)]
            return {"dispute": _dispute_to_dict(current), "events": events}
        left = _undisputed(session)
        amount = left if amount is None else amount
        if not left:
            raise SandboxError("nothing is left of this session to dispute", status=409)
        if not 0 < amount <= left:
            raise SandboxError(f"dispute amount must be between 1 and {left}", status=409)
        dispute = SandboxDispute(
            session=session,
            amount=amount,
            currency=session.currency,
            reason=reason[:50],
            status=DisputeStatus.INQUIRY if inquiry else DisputeStatus.CHARGEBACK,
            evidence_due_by=timezone.now() + timedelta(days=DISPUTE_EVIDENCE_DAYS),
        )
        events = [_step("dispute.created", dispute)]
        if not inquiry:
            events.append(_withdraw(dispute))
    return {"dispute": _dispute_to_dict(dispute), "events": events}


def _withdraw(dispute: SandboxDispute) -> dict[str, Any]:
    dispute.withdrawn = dispute.amount
    return _step("dispute.funds_withdrawn", dispute)


def close_dispute(*, account_id: UUID, dispute_id: str, outcome: str) -> dict[str, Any]:
    """The bank decides an open dispute: {"dispute", "events"} (the events in the order sent).

    Won, a chargeback's funds are reinstated, and an inquiry closes with no money moved. Lost, the
    funds stay withdrawn; a lost inquiry becomes a chargeback first (its funds are withdrawn).
    """
    if outcome not in DISPUTE_OUTCOMES:
        raise SandboxError(f"outcome must be one of {', '.join(DISPUTE_OUTCOMES)}")
    with transaction.atomic():
        dispute = (
            SandboxDispute.objects.select_for_update()
            .select_related("session")
            .filter(pk=dispute_id, session__account_id=account_id)
            .first()
        )
        if dispute is None:
            raise SandboxError("no such dispute", status=404)
        if dispute.status not in SandboxDispute.OPEN:
            raise SandboxError(f"dispute {dispute.id} is closed already ({dispute.status})", status=409)
        events = []
        if outcome == "lost" and dispute.status == DisputeStatus.INQUIRY:
            dispute.status = DisputeStatus.CHARGEBACK
            events.append(_withdraw(dispute))
        if outcome == "won" and dispute.withdrawn:
            dispute.reinstated = dispute.withdrawn
            events.append(_step("dispute.funds_reinstated", dispute))
        if outcome == "lost":
            dispute.status = DisputeStatus.LOST
        elif dispute.status == DisputeStatus.INQUIRY:
            dispute.status = DisputeStatus.INQUIRY_CLOSED
        else:
            dispute.status = DisputeStatus.WON
        dispute.closed_at = timezone.now()
        events.append(_step("dispute.closed", dispute))
    return {"dispute": _dispute_to_dict(dispute), "events": events}


def list_disputes(*, account_id: UUID, session_id: str) -> list[dict[str, Any]]:
    """Every dispute of a session, oldest first, as it stands now."""
    session = get_session(session_id, account_id=account_id)
    return [_dispute_to_dict(dispute) for dispute in session.disputes.select_related("session")]
