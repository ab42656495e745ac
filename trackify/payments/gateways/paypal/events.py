"""PayPal's orders, captures, refunds and webhook events as our typed values (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from uuid import UUID

from django.utils.dateparse import parse_datetime

from trackify.common.errors import ValidationFailed
from trackify.common.money import format_amount, to_minor_units
from trackify.payments.gateways.errors import InvalidGatewayRequest
from trackify.payments.gateways.types import DisputeStatus as D
from trackify.payments.gateways.types import (
    DisputeUpdate,
    PaymentStatus,
    PaymentUpdate,
    RefundStatus,
    RefundUpdate,
    WebhookEvent,
)

# PayPal's currencies (REST API reference, "Currency codes"). HUF and TWD take no decimals at
# PayPal though ISO 4217 gives them two; JPY has none in both.
SUPPORTED = frozenset(
    "AUD BRL CAD CNY CZK DKK EUR HKD HUF ILS JPY MYR MXN TWD NZD NOK PHP PLN GBP SGD SEK CHF THB USD".split()
)
_WHOLE_AT_PAYPAL = {"HUF", "TWD"}
# A capture's status; refunded stays succeeded (refunds come apart, as RefundUpdates); PENDING is processing.
_SUCCEEDED = dict.fromkeys(("COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"), PaymentStatus.SUCCEEDED)
_CAPTURE_STATUS = {**_SUCCEEDED, **dict.fromkeys(("DECLINED", "FAILED"), PaymentStatus.FAILED)}
_REFUND_STATUS = dict(COMPLETED=RefundStatus.SUCCEEDED, FAILED=RefundStatus.FAILED, CANCELLED=RefundStatus.CANCELLED)
_ORDER_EVENTS = {"CHECKOUT.ORDER.APPROVED", "CHECKOUT.ORDER.COMPLETED"}
_CAPTURE_EVENTS = {f"PAYMENT.CAPTURE.{s}" for s in ("COMPLETED", "PENDING", "DENIED", "DECLINED")}
_REFUND_EVENTS = {"PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED"}
# Disputes API v1 (developer.paypal.com/docs/api/customer-disputes/v1/): a dispute's status, and the
# outcomes that close it in the merchant's favour. PayPal holds the money once a claim or chargeback
# (any stage past INQUIRY) is open, and gives it back when the merchant wins.
_DISPUTE_STATUS = {"WAITING_FOR_BUYER_RESPONSE": D.UNDER_REVIEW, "UNDER_REVIEW": D.UNDER_REVIEW}
_WON = {"RESOLVED_SELLER_FAVOUR", "CANCELED_BY_BUYER", "DENIED"}


def paypal_amount(minor: int, currency: str) -> dict[str, str]:
    """Our minor units as PayPal's `{currency_code, value}`; refuses what PayPal cannot express."""
    currency = currency.upper()
    if currency not in SUPPORTED:
        raise InvalidGatewayRequest(f"PayPal does not take {currency}.")
    if currency in _WHOLE_AT_PAYPAL and minor % 100:
        raise InvalidGatewayRequest(f"PayPal takes whole {currency} amounts only.")
    value = str(minor // 100) if currency in _WHOLE_AT_PAYPAL else format_amount(minor, currency)
    return {"currency_code": currency, "value": value}


def iso_amount(amount: Any) -> tuple[int | None, str | None]:
    if not isinstance(amount, Mapping):
        return None, None
    currency = str(amount.get("currency_code") or "").upper()
    try:
        return to_minor_units(str(amount.get("value")), currency), currency
    except ValidationFailed:
        return None, currency or None


def _first(items: Any) -> Mapping[str, Any]:
    return items[0] if isinstance(items, list) and items and isinstance(items[0], Mapping) else {}


def payment_id_of(resource: Any) -> UUID | None:
    """Our payment id, from a capture's or refund's custom_id or an order's purchase unit's."""
    if not isinstance(resource, Mapping):
        return None
    try:
        return UUID(str(resource.get("custom_id") or _first(resource.get("purchase_units")).get("custom_id")))
    except ValueError:
        return None


def capture_update(capture: Mapping[str, Any]) -> PaymentUpdate:
    status = _CAPTURE_STATUS.get(str(capture.get("status")), PaymentStatus.PROCESSING)
    amount, currency = iso_amount(capture.get("amount"))
    failure = "PayPal declined the payment." if status == PaymentStatus.FAILED else ""
    reference = str(capture.get("id") or "")
    return PaymentUpdate(status, amount, currency, gateway_payment_reference=reference, failure_message=failure)


def order_update(order: Mapping[str, Any]) -> PaymentUpdate:
    """Where an order stands: approved is authorized (the core captures it); completed, its capture's status."""
    unit = _first(order.get("purchase_units"))
    capture = _first((unit.get("payments") or {}).get("captures"))
    if order.get("status") == "COMPLETED" and capture:
        return capture_update(capture)
    amount, currency = iso_amount(unit.get("amount"))
    # VOIDED: PayPal lapsed the order (we never void one; a payer who cancels leaves it open).
    mapped = {"APPROVED": PaymentStatus.AUTHORIZED, "VOIDED": PaymentStatus.EXPIRED}.get(str(order.get("status")))
    return PaymentUpdate(status=mapped or PaymentStatus.PENDING, amount=amount, currency=currency)


def refund_update(refund: Mapping[str, Any]) -> RefundUpdate | None:
    amount, currency = iso_amount(refund.get("amount"))
    if amount is None or currency is None:
        return None
    status = _REFUND_STATUS.get(str(refund.get("status")), RefundStatus.PENDING)
    return RefundUpdate(gateway_refund_id=str(refund.get("id") or ""), status=status, amount=amount, currency=currency)


def _up_capture_id(resource: Mapping[str, Any]) -> str:
    for link in resource.get("links") or []:
        if isinstance(link, Mapping) and link.get("rel") == "up" and "/captures/" in str(link.get("href")):
            return str(link["href"]).rstrip("/").rsplit("/", 1)[-1]
    return ""


def dispute_update(dispute: Mapping[str, Any]) -> tuple[DisputeUpdate, Mapping[str, Any]] | None:
    """A CUSTOMER.DISPUTE.* resource as a snapshot, with the disputed transaction (our capture)."""
    amount, currency = iso_amount(dispute.get("dispute_amount"))
    if amount is None or currency is None:
        return None
    inquiry = dispute.get("dispute_life_cycle_stage") == "INQUIRY"
    status = _DISPUTE_STATUS.get(str(dispute.get("status")), D.INQUIRY if inquiry else D.NEEDS_RESPONSE)
    if dispute.get("status") == "RESOLVED":
        status = D.WON if (dispute.get("dispute_outcome") or {}).get("outcome_code") in _WON else D.LOST
    withdrawn = 0 if inquiry and status != D.LOST else amount
    due = parse_datetime(str(dispute.get("seller_response_due_date") or ""))
    update = DisputeUpdate(
        str(dispute.get("dispute_id") or ""), status, amount, currency, reason=str(dispute.get("reason") or ""),
        evidence_due_by=due, withdrawn=withdrawn, reinstated=withdrawn if status == D.WON else 0, is_inquiry=inquiry,
    )
    return update, _first(dispute.get("disputed_transactions"))


def normalize(payload: Mapping[str, Any]) -> WebhookEvent:
    event_type = str(payload.get("event_type") or "")
    resource: Mapping[str, Any] = payload["resource"] if isinstance(payload.get("resource"), Mapping) else {}
    event = WebhookEvent(str(payload.get("id") or ""), event_type, payload, payment_id=payment_id_of(resource))
    if event_type in _ORDER_EVENTS:
        return replace(event, gateway_reference=str(resource.get("id") or ""), payment_update=order_update(resource))
    if event_type in _CAPTURE_EVENTS:
        order_id = ((resource.get("supplementary_data") or {}).get("related_ids") or {}).get("order_id")
        reference = str(order_id or resource.get("id") or "")
        return replace(event, gateway_reference=reference, payment_update=capture_update(resource))
    disputed = dispute_update(resource) if event_type.startswith("CUSTOMER.DISPUTE.") else None
    if disputed is not None:  # named by the capture disputed, and our id where PayPal echoes it (`custom`)
        update, txn = disputed
        custom = payment_id_of({"custom_id": txn.get("custom")})
        reference = str(txn.get("seller_transaction_id") or "")
        return replace(event, payment_id=custom, gateway_reference=reference, dispute_updates=(update,))
    refund = refund_update(resource) if event_type in _REFUND_EVENTS else None
    if refund is not None:  # named by the capture it refunds (its "up" link), and our id where we made it
        return replace(event, gateway_reference=_up_capture_id(resource), refund_updates=(refund,))
    return event
