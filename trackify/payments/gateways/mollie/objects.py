"""Mollie's objects read into our typed values (pure). Its amounts ({"currency": "EUR", "value": "10.00"})
have the ISO 4217 decimals of every currency it takes ("1000" JPY): `trackify.common.money` converts them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from trackify.common.money import format_amount, read_amount
from trackify.payments.gateways.types import DisputeStatus as D
from trackify.payments.gateways.types import DisputeUpdate, PaymentUpdate, RefundResult, RefundUpdate
from trackify.payments.gateways.types import PaymentStatus as P
from trackify.payments.gateways.types import RefundStatus as R

PAYMENT_ID_KEY, INVOICE_ID_KEY, REFUND_ID_KEY = "payment_id", "invoice_id", "refund_id"
# Mollie's currencies (docs.mollie.com/payments/multicurrency); each has its ISO 4217 decimals there.
SUPPORTED = frozenset("AED AUD BGN BRL CAD CHF CZK DKK EUR GBP HKD HUF ILS ISK JPY MXN MYR NOK NZD PHP PLN RON RUB "
                      "SEK SGD THB TWD USD ZAR".split())  # fmt: skip
PAYMENT_STATUSES = {"open": P.PENDING, "pending": P.PROCESSING, "authorized": P.AUTHORIZED, "paid": P.SUCCEEDED,
                    "canceled": P.CANCELLED, "expired": P.EXPIRED, "failed": P.FAILED}  # fmt: skip
REFUND_STATUSES = {"queued": R.PENDING, "pending": R.PENDING, "processing": R.PENDING, "refunded": R.SUCCEEDED,
                   "failed": R.FAILED, "canceled": R.CANCELLED}  # fmt: skip
FAILURE_MESSAGE = "The payment failed at Mollie."


def mollie_amount(amount: int, currency: str) -> dict[str, str]:
    return {"currency": currency.upper(), "value": format_amount(amount, currency)}


def iso_amount(obj: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """(minor units, currency) of an object's `amount`; (None, None) for anything malformed."""
    return read_amount(obj.get("amount"))


def uuid_in(obj: Mapping[str, Any], key: str) -> UUID | None:
    metadata = obj.get("metadata")
    try:
        return UUID(str(metadata.get(key))) if isinstance(metadata, Mapping) else None
    except ValueError:
        return None


def embedded(payment: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    found = payment.get("_embedded")
    items = found.get(name) if isinstance(found, Mapping) else None
    return [item for item in items or [] if isinstance(item, Mapping)]


def payment_update(payment: Mapping[str, Any]) -> PaymentUpdate:
    status = PAYMENT_STATUSES.get(str(payment.get("status")), P.PENDING)
    amount, currency = iso_amount(payment)
    details = payment["details"] if isinstance(payment.get("details"), Mapping) else {}  # cards: the reason
    failure = (str(details.get("failureMessage") or "") or FAILURE_MESSAGE)[:500] if status == P.FAILED else ""
    return PaymentUpdate(status, amount, currency, failure_message=failure)


def refund_updates(payment: Mapping[str, Any]) -> tuple[RefundUpdate, ...]:
    updates = []
    for refund in embedded(payment, "refunds"):
        (amount, currency), status = iso_amount(refund), REFUND_STATUSES.get(str(refund.get("status")))
        if amount is not None and currency is not None and status is not None:
            refund_id = uuid_in(refund, REFUND_ID_KEY)
            updates.append(RefundUpdate(str(refund.get("id")), status, amount, currency, refund_id=refund_id))
    return tuple(updates)


def refund_result(refund: Mapping[str, Any], asked: int) -> RefundResult:
    status, amount = REFUND_STATUSES.get(str(refund.get("status")), R.PENDING), iso_amount(refund)[0]
    return RefundResult(str(refund.get("id")), status, asked if amount is None else amount)


def capture_update(capture: Mapping[str, Any]) -> PaymentUpdate:
    """A capture as the payment's news: pending (processing) until Mollie says succeeded or failed."""
    status = {"succeeded": P.SUCCEEDED, "failed": P.FAILED}.get(str(capture.get("status")), P.PROCESSING)
    amount, currency = iso_amount(capture)
    failure = FAILURE_MESSAGE if status == P.FAILED else ""
    return PaymentUpdate(status, amount, currency, str(capture.get("id")), failure)


def dispute_updates(chargebacks: Iterable[Mapping[str, Any]]) -> tuple[DisputeUpdate, ...]:
    """Chargebacks as disputes: `lost` at once (Mollie withdraws the funds, with no evidence process in
    its API); `won` with the funds reinstated once reversed (`reversedAt`). See docs/mollie.md."""
    updates = []
    for chargeback in chargebacks:
        (amount, currency), reversed_ = iso_amount(chargeback), bool(chargeback.get("reversedAt"))
        reason: Mapping[str, Any] = (
            chargeback.get("reason") or {} if isinstance(chargeback.get("reason"), Mapping) else {}
        )
        if amount is None or currency is None:
            continue
        updates.append(
            DisputeUpdate(
                str(chargeback.get("id")), D.WON if reversed_ else D.LOST, amount, currency,
                reason=str(reason.get("description") or reason.get("code") or ""),
                withdrawn=amount, reinstated=amount if reversed_ else 0,
            )
        )  # fmt: skip
    return tuple(updates)


def event_id(payment: Mapping[str, Any]) -> str:
    """The news's identity: id, status, and a digest of the refunds' and chargebacks' states if any."""
    base = f"{str(payment.get('id'))[:200]}:{str(payment.get('status'))[:20]}"
    states = sorted(
        [f"{r.get('id')}:{r.get('status')}" for r in embedded(payment, "refunds")]
        + [f"{c.get('id')}:{'reversed' if c.get('reversedAt') else 'open'}" for c in embedded(payment, "chargebacks")]
    )
    return f"{base}:rc={hashlib.sha256(','.join(states).encode()).hexdigest()[:16]}" if states else base
