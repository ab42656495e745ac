"""Reading Stripe objects (plain dicts, as `api` returns them and webhooks carry them).

Pure functions: where a Checkout Session, PaymentIntent, Refund or Dispute stands in our terms,
which of our ids it carries in its metadata, and its amounts in ISO 4217 minor units.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from trackify.common.parsing import parse_uuid
from trackify.payments.gateways.stripe.currencies import from_stripe_amount
from trackify.payments.gateways.types import DisputeStatus, DisputeUpdate, PaymentStatus, RefundStatus

#: Metadata keys we put on every Stripe object we create.
PAYMENT_ID_KEY = "trackify_payment_id"
INVOICE_ID_KEY = "trackify_invoice_id"
INVOICE_NUMBER_KEY = "trackify_invoice_number"
REFUND_ID_KEY = "trackify_refund_id"

# ISO 4217's code for "no currency". An amount that cannot be expressed exactly in ISO minor
# units is reported in it, so the ledger's currency check flags it and never applies it.
NO_CURRENCY = "XXX"

_REFUND_STATUS = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELLED,
}


def expandable_id(value: object) -> str:
    """The id of a field Stripe sends either as an id or, when expanded, as the object."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    return ""


def metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    value = obj.get("metadata")
    return value if isinstance(value, Mapping) else {}


def payment_id_of(obj: Mapping[str, Any]) -> UUID | None:
    """Our payment id, from metadata (any object) or `client_reference_id` (Checkout Sessions)."""
    return parse_uuid(metadata(obj).get(PAYMENT_ID_KEY)) or parse_uuid(obj.get("client_reference_id"))


def refund_id_of(refund: Mapping[str, Any]) -> UUID | None:
    return parse_uuid(metadata(refund).get(REFUND_ID_KEY))


def iso_amount(obj: Mapping[str, Any], field: str = "amount") -> tuple[int | None, str | None]:
    """(amount in ISO minor units, upper-case ISO currency) of a Stripe object.

    (None, None) when the object names no amount; (None, "XXX") when Stripe's amount cannot
    be expressed exactly in ISO minor units, so that it is flagged rather than applied.
    """
    amount, currency = obj.get(field), obj.get("currency")
    if not isinstance(currency, str) or not isinstance(amount, int) or isinstance(amount, bool):
        return None, currency.upper() if isinstance(currency, str) else None
    converted = from_stripe_amount(amount, currency)
    if converted is None:
        return None, NO_CURRENCY
    return converted, currency.upper()


def payment_failure_message(payment_intent: Mapping[str, Any]) -> str:
    error = payment_intent.get("last_payment_error")
    if isinstance(error, Mapping):
        return str(error.get("message") or "The payment was declined.")
    return ""


def payment_intent_status(payment_intent: Mapping[str, Any]) -> PaymentStatus:
    status = payment_intent.get("status")
    if status == "succeeded":
        return PaymentStatus.SUCCEEDED
    if status in ("processing", "requires_capture"):
        return PaymentStatus.PROCESSING
    if status == "canceled":
        return PaymentStatus.CANCELLED
    if status == "requires_payment_method" and payment_failure_message(payment_intent):
        # The last attempt failed; the payer may still try another method.
        return PaymentStatus.FAILED
    return PaymentStatus.PENDING  # requires_payment_method, requires_confirmation, requires_action


def checkout_session_status(session: Mapping[str, Any]) -> PaymentStatus:
    """Where a Checkout Session stands; a completed but unpaid one is settling asynchronously.

    When the session's PaymentIntent is expanded, a completed unpaid session follows it (so a
    failed bank debit reads as failed, not as still processing).
    """
    status = session.get("status")
    if status == "expired":
        return PaymentStatus.EXPIRED
    if status != "complete":
        return PaymentStatus.PENDING
    if session.get("payment_status") in ("paid", "no_payment_required"):
        return PaymentStatus.SUCCEEDED
    intent = session.get("payment_intent")
    if isinstance(intent, Mapping) and payment_intent_status(intent) in (
        PaymentStatus.FAILED,
        PaymentStatus.CANCELLED,
    ):
        return payment_intent_status(intent)
    return PaymentStatus.PROCESSING


def refund_status(refund: Mapping[str, Any]) -> RefundStatus:
    return _REFUND_STATUS.get(str(refund.get("status")), RefundStatus.PENDING)


# Stripe's dispute statuses: ours, and whether the dispute is still an inquiry (a "warning").
_DISPUTE_STATUS: dict[str, tuple[DisputeStatus, bool]] = {
    "warning_needs_response": (DisputeStatus.INQUIRY, True),
    "warning_under_review": (DisputeStatus.UNDER_REVIEW, True),
    # An inquiry closed without becoming a chargeback: no money moved, the merchant keeps it.
    "warning_closed": (DisputeStatus.WON, True),
    "needs_response": (DisputeStatus.NEEDS_RESPONSE, False),
    "under_review": (DisputeStatus.UNDER_REVIEW, False),
    "won": (DisputeStatus.WON, False),
    "lost": (DisputeStatus.LOST, False),
}


def dispute_status(dispute: Mapping[str, Any]) -> tuple[DisputeStatus, bool] | None:
    """(our status, is an inquiry) of a Stripe dispute; None for a status we do not know."""
    return _DISPUTE_STATUS.get(str(dispute.get("status")))


def dispute_money_moved(dispute: Mapping[str, Any]) -> tuple[int, int]:
    """(withdrawn, reinstated) so far, in Stripe's units of the dispute's currency.

    From the dispute's `balance_transactions`: the negative amounts were taken from the merchant,
    the positive ones given back. A balance transaction's `amount` is gross: its `fee` (Stripe's
    dispute fee, and its refund when won) is Stripe's charge to the merchant, not money the payer
    took back, so it is left out. A balance transaction is in the account's settlement currency,
    which may differ from the charge's: its amount, converted at Stripe's rate, is not what the
    payer disputed, so such an entry counts as the dispute's own `amount` in its own currency.
    """
    currency = str(dispute.get("currency") or "").lower()
    disputed = dispute.get("amount")
    disputed = disputed if isinstance(disputed, int) and not isinstance(disputed, bool) else 0
    withdrawn = reinstated = 0
    entries = dispute.get("balance_transactions")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        amount = entry.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
            continue
        if str(entry.get("currency") or "").lower() != currency:
            amount = disputed if amount > 0 else -disputed
        if amount < 0:
            withdrawn += -amount
        else:
            reinstated += amount
    return withdrawn, reinstated


def timestamp(value: object) -> datetime | None:
    """A Stripe Unix timestamp as an aware UTC datetime; None when absent or not a number."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**37:
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def dispute_update(dispute: Mapping[str, Any]) -> DisputeUpdate | None:
    """Our report of a Stripe dispute; None when it lacks what the ledger needs (id, status, amount).

    An amount that cannot be expressed exactly in ISO minor units comes with currency XXX, so the
    ledger's currency check flags it and applies nothing.
    """
    dispute_id, status = str(dispute.get("id") or ""), dispute_status(dispute)
    amount, currency = iso_amount(dispute)
    if not dispute_id or status is None or currency is None:
        return None
    withdrawn, reinstated = dispute_money_moved(dispute)
    iso_withdrawn = from_stripe_amount(withdrawn, currency) if currency != NO_CURRENCY else None
    iso_reinstated = from_stripe_amount(reinstated, currency) if currency != NO_CURRENCY else None
    if amount is None or iso_withdrawn is None or iso_reinstated is None:
        currency, amount, iso_withdrawn, iso_reinstated = NO_CURRENCY, amount or 0, 0, 0
    details = dispute.get("evidence_details")
    return DisputeUpdate(
        gateway_dispute_id=dispute_id,
        status=status[0],
        amount=amount,
        currency=currency,
        reason=str(dispute.get("reason") or ""),
        evidence_due_by=timestamp(details.get("due_by")) if isinstance(details, Mapping) else None,
        withdrawn=iso_withdrawn,
        reinstated=iso_reinstated,
        is_inquiry=status[1],
    )
