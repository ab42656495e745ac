"""PayPal's orders, captures, refunds and webhook events as our typed values (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from uuid import UUID

from django.utils.dateparse import parse_datetime

from trackify.common.money import format_amount, read_amount
from trackify.payments.gateways import types as t
from trackify.payments.gateways.errors import InvalidGatewayRequest
from trackify.payments.gateways.types import DisputeStatus as D

# PayPal's currencies (REST API reference, "Currency codes"). HUF and TWD take no decimals at
# PayPal though ISO 4217 gives them two; JPY has none in both.
SUPPORTED = frozenset(
    "AUD BRL CAD CNY CZK DKK EUR HKD HUF ILS JPY MYR MXN TWD NZD NOK PHP PLN GBP SGD SEK CHF THB USD".split()
)
_WHOLE_AT_PAYPAL = {"HUF", "TWD"}
# A capture's status; refunded stays succeeded (refunds come apart, as RefundUpdates); PENDING is processing.
_SUCCEEDED = dict.fromkeys(("COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"), t.PaymentStatus.SUCCEEDED)
_CAPTURE_STATUS = {**_SUCCEEDED, **dict.fromkeys(("DECLINED", "FAILED"), t.PaymentStatus.FAILED)}
_REFUND_STATUS = {"COMPLETED": t.RefundStatus.SUCCEEDED, "FAILED": t.RefundStatus.FAILED,
                  "CANCELLED": t.RefundStatus.CANCELLED}  # fmt: skip
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


def capture_update(capture: Mapping[str, Any]) -> t.PaymentUpdate:
    status = _CAPTURE_STATUS.get(str(capture.get("status")), t.PaymentStatus.PROCESSING)
    amount, currency = read_amount(capture.get("amount"), "currency_code")
    failure = "PayPal declined the payment." if status == t.PaymentStatus.FAILED else ""
    reference = str(capture.get("id") or "")
    return t.PaymentUpdate(status, amount, currency, gateway_payment_reference=reference, failure_message=failure)


def order_update(order: Mapping[str, Any]) -> t.PaymentUpdate:
    """Where an order stands: approved is authorized (the core captures it); completed, its capture's status."""
    unit = _first(order.get("purchase_units"))
    capture = _first((unit.get("payments") or {}).get("captures"))
    if order.get("status") == "COMPLETED" and capture:
        return capture_update(capture)
    amount, currency = read_amount(unit.get("amount"), "currency_code")
    # VOIDED: PayPal lapsed the order (we never void one; a payer who cancels leaves it open).
    mapped = {"APPROVED": t.PaymentStatus.AUTHORIZED, "VOIDED": t.PaymentStatus.EXPIRED}.get(str(order.get("status")))
    return t.PaymentUpdate(status=mapped or t.PaymentStatus.PENDING, amount=amount, currency=currency)


def refund_update(refund: Mapping[str, Any]) -> t.RefundUpdate | None:
    amount, currency = read_amount(refund.get("amount"), "currency_code")
    if amount is None or currency is None:
        return None
    status = _REFUND_STATUS.get(str(refund.get("status")), t.RefundStatus.PENDING)
    return t.RefundUpdate(str(refund.get("id") or ""), status=status, amount=amount, currency=currency)


def _up_capture_id(resource: Mapping[str, Any]) -> str:
    for link in resource.get("links") or []:
        if isinstance(link, Mapping) and link.get("rel") == "up" and "/captures/" in str(link.get("href")):
            return str(link["href"]).rstrip("/").rsplit("/", 1)[-1]
    return ""


def dispute_update(dispute: Mapping[str, Any]) -> t.DisputeUpdate | None:
    """A CUSTOMER.DISPUTE.* resource (or a Disputes API listing's item) as a snapshot."""
    amount, currency = read_amount(dispute.get("dispute_amount"), "currency_code")
    if amount is None or currency is None:
        return None
    inquiry = dispute.get("dispute_life_cycle_stage") == "INQUIRY"
    status = _DISPUTE_STATUS.get(str(dispute.get("status")), D.INQUIRY if inquiry else D.NEEDS_RESPONSE)
    if dispute.get("status") == "RESOLVED":
        status = D.WON if (dispute.get("dispute_outcome") or {}).get("outcome_code") in _WON else D.LOST
    withdrawn = 0 if inquiry and status != D.LOST else amount
    due = parse_datetime(str(dispute.get("seller_response_due_date") or ""))
    return t.DisputeUpdate(
        str(dispute.get("dispute_id") or ""), status, amount, currency, reason=str(dispute.get("reason") or ""),
        evidence_due_by=due, withdrawn=withdrawn, reinstated=withdrawn if status == D.WON else 0, is_inquiry=inquiry,
    )


def normalize(payload: Mapping[str, Any]) -> t.WebhookEvent:
    event_type = str(payload.get("event_type") or "")
    resource: Mapping[str, Any] = payload["resource"] if isinstance(payload.get("resource"), Mapping) else {}
    event = t.WebhookEvent(str(payload.get("id") or ""), event_type, payload, payment_id=payment_id_of(resource))
    if event_type in _ORDER_EVENTS:
        return replace(event, gateway_reference=str(resource.get("id") or ""), payment_update=order_update(resource))
    if event_type in _CAPTURE_EVENTS:
        order_id = ((resource.get("supplementary_data") or {}).get("related_ids") or {}).get("order_id")
        reference = str(order_id or resource.get("id") or "")
        return replace(event, gateway_reference=reference, payment_update=capture_update(resource))
    if event_type.startswith("CUSTOMER.DISPUTE."):  # named by the capture disputed, and our id where PayPal echoes it
        txn, update = _first(resource.get("disputed_transactions")), dispute_update(resource)
        return replace(
            event,
            payment_id=payment_id_of({"custom_id": txn.get("custom")}),
            gateway_reference=str(txn.get("seller_transaction_id") or ""),
            dispute_updates=(update,) if update else (),
        )
    refund = refund_update(resource) if event_type in _REFUND_EVENTS else None
    if refund is not None:  # named by the capture it refunds (its "up" link), and our id where we made it
        return replace(event, gateway_reference=_up_capture_id(resource), refund_updates=(refund,))
    return event
