"""PayPal's orders, captures, refunds and webhook events as our typed values (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from uuid import UUID

from trackify.common.errors import ValidationFailed
from trackify.common.money import format_amount, to_minor_units
from trackify.payments.gateways.errors import InvalidGatewayRequest
from trackify.payments.gateways.types import PaymentStatus, PaymentUpdate, RefundStatus, RefundUpdate, WebhookEvent

# PayPal's currencies (REST API reference, "Currency codes"). HUF and TWD take no decimals at
# PayPal though ISO 4217 gives them two; JPY has none in both.
SUPPORTED = frozenset(
    "AUD BRL CAD CNY CZK DKK EUR HKD HUF ILS JPY MYR MXN TWD NZD NOK PHP PLN GBP SGD SEK CHF THB USD".split()
)
_WHOLE_AT_PAYPAL = {"HUF", "TWD"}
_CAPTURE_STATUS = {
    "COMPLETED": PaymentStatus.SUCCEEDED,
    "PARTIALLY_REFUNDED": PaymentStatus.SUCCEEDED,  # refunds are reported apart, as RefundUpdates
    "REFUNDED": PaymentStatus.SUCCEEDED,
    "PENDING": PaymentStatus.PROCESSING,
    "DECLINED": PaymentStatus.FAILED,
    "FAILED": PaymentStatus.FAILED,
}
_REFUND_STATUS = {
    s: RefundStatus[r] for s, r in (("COMPLETED", "SUCCEEDED"), ("FAILED", "FAILED"), ("CANCELLED", "CANCELLED"))
}
_ORDER_EVENTS = {"CHECKOUT.ORDER.APPROVED", "CHECKOUT.ORDER.COMPLETED"}
_CAPTURE_EVENTS = {f"PAYMENT.CAPTURE.{s}" for s in ("COMPLETED", "PENDING", "DENIED", "DECLINED")}
_REFUND_EVENTS = {"PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED"}


def paypal_amount(minor: int, currency: str) -> dict[str, str]:
    """Our minor units as PayPal's `{currency_code, value}`; refuses what PayPal cannot express."""
    currency = currency.upper()
    if currency not in SUPPORTED:
        raise InvalidGatewayRequest(f"PayPal does not take {currency}.")
    if currency in _WHOLE_AT_PAYPAL:
        if minor % 100:
            raise InvalidGatewayRequest(f"PayPal takes whole {currency} amounts only.")
        return {"currency_code": currency, "value": str(minor // 100)}
    return {"currency_code": currency, "value": format_amount(minor, currency)}


def iso_amount(amount: Any) -> tuple[int | None, str | None]:
    if not isinstance(amount, Mapping):
        return None, None
    currency = str(amount.get("currency_code") or "").upper()
    try:
        return to_minor_units(str(amount.get("value")), currency), currency
    except ValidationFailed:
        return None, currency or None


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _first(items: Any) -> Mapping[str, Any]:
    return items[0] if isinstance(items, list) and items and isinstance(items[0], Mapping) else {}


def first_capture(order: Mapping[str, Any]) -> Mapping[str, Any]:
    return _first((_first(order.get("purchase_units")).get("payments") or {}).get("captures"))


def capture_update(capture: Mapping[str, Any]) -> PaymentUpdate:
    status = _CAPTURE_STATUS.get(str(capture.get("status")), PaymentStatus.PROCESSING)
    amount, currency = iso_amount(capture.get("amount"))
    failure = "PayPal declined the payment." if status == PaymentStatus.FAILED else ""
    reference = str(capture.get("id") or "")
    return PaymentUpdate(status, amount, currency, gateway_payment_reference=reference, failure_message=failure)


def order_update(order: Mapping[str, Any]) -> PaymentUpdate:
    """Where an order stands: approved is authorized (the core captures it); completed, its capture's status."""
    status = str(order.get("status"))
    if status == "COMPLETED" and first_capture(order):
        return capture_update(first_capture(order))
    amount, currency = iso_amount(_first(order.get("purchase_units")).get("amount"))
    mapped = {"APPROVED": PaymentStatus.AUTHORIZED, "VOIDED": PaymentStatus.CANCELLED}.get(status)
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


def normalize(payload: Mapping[str, Any]) -> WebhookEvent:
    event_type = str(payload.get("event_type") or "")
    resource: Mapping[str, Any] = payload["resource"] if isinstance(payload.get("resource"), Mapping) else {}
    event = WebhookEvent(gateway_event_id=str(payload.get("id") or ""), event_type=event_type, payload=payload)
    if event_type in _ORDER_EVENTS:
        payment_id = _uuid(_first(resource.get("purchase_units")).get("custom_id"))
        return replace(event, payment_id=payment_id, gateway_reference=str(resource.get("id") or ""),
                       payment_update=order_update(resource))  # fmt: skip
    payment_id = _uuid(resource.get("custom_id"))
    if event_type in _CAPTURE_EVENTS:
        order_id = ((resource.get("supplementary_data") or {}).get("related_ids") or {}).get("order_id")
        return replace(event, payment_id=payment_id, gateway_reference=str(order_id or resource.get("id") or ""),
                       payment_update=capture_update(resource))  # fmt: skip
    refund = refund_update(resource) if event_type in _REFUND_EVENTS else None
    if refund is not None:  # named by the capture it refunds (its "up" link), or our id where we made it
        return replace(
            event, payment_id=payment_id, gateway_reference=_up_capture_id(resource), refund_updates=(refund,)
        )
    return event
