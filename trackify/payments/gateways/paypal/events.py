"""PayPal's orders, captures, refunds and webhook events as our typed values (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from trackify.common.errors import ValidationFailed
from trackify.common.money import format_amount, to_minor_units
from trackify.payments.gateways.errors import InvalidGatewayRequest
from trackify.payments.gateways.types import (
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

_CAPTURE_STATUS = {
    "COMPLETED": PaymentStatus.SUCCEEDED,
    "PARTIALLY_REFUNDED": PaymentStatus.SUCCEEDED,  # refunds are reported apart, as RefundUpdates
    "REFUNDED": PaymentStatus.SUCCEEDED,
    "PENDING": PaymentStatus.PROCESSING,
    "DECLINED": PaymentStatus.FAILED,
    "FAILED": PaymentStatus.FAILED,
}
_REFUND_STATUS = {
    "COMPLETED": RefundStatus.SUCCEEDED,
    "PENDING": RefundStatus.PENDING,
    "FAILED": RefundStatus.FAILED,
    "CANCELLED": RefundStatus.CANCELLED,
}
DECLINED_MESSAGE = "PayPal declined the payment."


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


def _unit(order: Mapping[str, Any]) -> Mapping[str, Any]:
    units = order.get("purchase_units")
    return units[0] if isinstance(units, list) and units and isinstance(units[0], Mapping) else {}


def first_capture(order: Mapping[str, Any]) -> Mapping[str, Any]:
    captures = (_unit(order).get("payments") or {}).get("captures")
    return captures[0] if isinstance(captures, list) and captures and isinstance(captures[0], Mapping) else {}


def capture_update(capture: Mapping[str, Any]) -> PaymentUpdate:
    status = _CAPTURE_STATUS.get(str(capture.get("status")), PaymentStatus.PROCESSING)
    amount, currency = iso_amount(capture.get("amount"))
    return PaymentUpdate(
        status=status,
        amount=amount,
        currency=currency,
        gateway_payment_reference=str(capture.get("id") or ""),
        failure_message=DECLINED_MESSAGE if status == PaymentStatus.FAILED else "",
    )


def order_update(order: Mapping[str, Any]) -> PaymentUpdate:
    """Where an order stands: approved is authorized (captured by the core); completed, its capture's status."""
    status = str(order.get("status"))
    if status == "COMPLETED" and first_capture(order):
        return capture_update(first_capture(order))
    amount, currency = iso_amount(_unit(order).get("amount"))
    mapped = {"APPROVED": PaymentStatus.AUTHORIZED, "VOIDED": PaymentStatus.CANCELLED}.get(status)
    return PaymentUpdate(status=mapped or PaymentStatus.PENDING, amount=amount, currency=currency)


def _up_capture_id(resource: Mapping[str, Any]) -> str:
    for link in resource.get("links") or []:
        if isinstance(link, Mapping) and link.get("rel") == "up" and "/captures/" in str(link.get("href")):
            return str(link["href"]).rstrip("/").rsplit("/", 1)[-1]
    return ""


def normalize(payload: Mapping[str, Any]) -> WebhookEvent:
    event_type = str(payload.get("event_type") or "")
    resource = payload.get("resource") if isinstance(payload.get("resource"), Mapping) else {}
    assert isinstance(resource, Mapping)
    base = WebhookEvent(gateway_event_id=str(payload.get("id") or ""), event_type=event_type, payload=payload)
    if event_type in ("CHECKOUT.ORDER.APPROVED", "CHECKOUT.ORDER.COMPLETED"):
        return _replace(
            base,
            payment_id=_uuid(_unit(resource).get("custom_id")),
            gateway_reference=str(resource.get("id") or ""),
            payment_update=order_update(resource),
        )
    if event_type in (
        "PAYMENT.CAPTURE.COMPLETED",
        "PAYMENT.CAPTURE.PENDING",
        "PAYMENT.CAPTURE.DENIED",
        "PAYMENT.CAPTURE.DECLINED",
    ):
        related = (resource.get("supplementary_data") or {}).get("related_ids") or {}
        return _replace(
            base,
            payment_id=_uuid(resource.get("custom_id")),
            gateway_reference=str(related.get("order_id") or resource.get("id") or ""),
            payment_update=capture_update(resource),
        )
    if event_type in ("PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED"):
        amount, currency = iso_amount(resource.get("amount"))
        if amount is None or currency is None:
            return base
        refund = RefundUpdate(
            gateway_refund_id=str(resource.get("id") or ""),
            status=_REFUND_STATUS.get(str(resource.get("status")), RefundStatus.PENDING),
            amount=amount,
            currency=currency,
        )
        return _replace(
            base,
            payment_id=_uuid(resource.get("custom_id")),
            gateway_reference=_up_capture_id(resource),
            refund_updates=(refund,),
        )
    return base


def _replace(event: WebhookEvent, **changes: Any) -> WebhookEvent:
    from dataclasses import replace

    return replace(event, **changes)
