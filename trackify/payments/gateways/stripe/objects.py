"""Reading Stripe objects (plain dicts, as `api` returns them and webhooks carry them).

Pure functions: where a Checkout Session, PaymentIntent or Refund stands in our terms, which of
our ids it carries in its metadata, and its amount in ISO 4217 minor units.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from trackify.common.parsing import parse_uuid
from trackify.payments.gateways.stripe.currencies import from_stripe_amount
from trackify.payments.gateways.types import PaymentStatus, RefundStatus

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
