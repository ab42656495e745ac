"""PayPal's objects and webhook events as our typed values: pure, no server."""

from __future__ import annotations

import uuid

import pytest

from trackify.common.money import read_amount
from trackify.payments.gateways.errors import InvalidGatewayRequest
from trackify.payments.gateways.paypal import events
from trackify.payments.gateways.types import PaymentStatus, RefundStatus

PID = uuid.uuid4()


def order(status: str, *captures: dict) -> dict:
    unit = {"custom_id": str(PID), "amount": {"currency_code": "EUR", "value": "123.45"}}
    if captures:
        unit["payments"] = {"captures": list(captures)}
    return {"id": "5O190127TN364715T", "status": status, "purchase_units": [unit]}


def capture(status: str = "COMPLETED") -> dict:
    return {
        "id": "3C679366HH908993F",
        "status": status,
        "amount": {"currency_code": "EUR", "value": "123.45"},
        "custom_id": str(PID),
        "supplementary_data": {"related_ids": {"order_id": "5O190127TN364715T"}},
    }


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("CREATED", PaymentStatus.PENDING),
        ("PAYER_ACTION_REQUIRED", PaymentStatus.PENDING),
        ("SAVED", PaymentStatus.PENDING),
        ("APPROVED", PaymentStatus.AUTHORIZED),
        ("VOIDED", PaymentStatus.EXPIRED),
    ],
)
def test_order_statuses(status: str, expected: PaymentStatus) -> None:
    update = events.order_update(order(status))
    assert (update.status, update.amount, update.currency) == (expected, 12345, "EUR")


@pytest.mark.parametrize(
    ("status", "expected"),
    [("COMPLETED", PaymentStatus.SUCCEEDED), ("PENDING", PaymentStatus.PROCESSING), ("DECLINED", PaymentStatus.FAILED)],
)
def test_a_completed_order_reports_its_capture(status: str, expected: PaymentStatus) -> None:
    update = events.order_update(order("COMPLETED", capture(status)))
    assert (update.status, update.gateway_payment_reference) == (expected, "3C679366HH908993F")
    assert bool(update.failure_message) == (expected == PaymentStatus.FAILED)


def test_amounts_follow_paypal_decimal_rules() -> None:
    assert events.paypal_amount(12345, "EUR") == {"currency_code": "EUR", "value": "123.45"}
    assert events.paypal_amount(1000, "JPY") == {"currency_code": "JPY", "value": "1000"}
    assert events.paypal_amount(150000, "HUF") == {"currency_code": "HUF", "value": "1500"}
    with pytest.raises(InvalidGatewayRequest):
        events.paypal_amount(150050, "HUF")  # PayPal takes no fillér
    with pytest.raises(InvalidGatewayRequest):
        events.paypal_amount(1000, "KWD")  # three decimals: not a PayPal currency
    # PayPal answers HUF in whole forints; our minor units are ISO's two decimals.
    assert read_amount({"currency_code": "HUF", "value": "1500"}, "currency_code") == (150000, "HUF")


def test_order_approved_event_is_authorized_and_names_our_payment() -> None:
    event = events.normalize({"id": "WH-1", "event_type": "CHECKOUT.ORDER.APPROVED", "resource": order("APPROVED")})
    assert (event.gateway_event_id, event.payment_id, event.gateway_reference) == ("WH-1", PID, "5O190127TN364715T")
    assert event.payment_update.status == PaymentStatus.AUTHORIZED


@pytest.mark.parametrize(
    ("event_type", "status", "expected"),
    [
        ("PAYMENT.CAPTURE.COMPLETED", "COMPLETED", PaymentStatus.SUCCEEDED),
        ("PAYMENT.CAPTURE.PENDING", "PENDING", PaymentStatus.PROCESSING),
        ("PAYMENT.CAPTURE.DENIED", "DECLINED", PaymentStatus.FAILED),
    ],
)
def test_capture_events(event_type: str, status: str, expected: PaymentStatus) -> None:
    event = events.normalize({"id": "WH-2", "event_type": event_type, "resource": capture(status)})
    assert (event.payment_id, event.gateway_reference) == (PID, "5O190127TN364715T")
    assert (event.payment_update.status, event.payment_update.amount) == (expected, 12345)


@pytest.mark.parametrize("event_type", ["PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED"])
def test_refund_events_name_the_capture_by_its_up_link(event_type: str) -> None:
    refund = {
        "id": "1JU08902781691411",
        "status": "COMPLETED",
        "amount": {"currency_code": "EUR", "value": "10.00"},
        "links": [{"rel": "up", "href": "https://api-m.paypal.com/v2/payments/captures/3C679366HH908993F"}],
    }
    event = events.normalize({"id": "WH-3", "event_type": event_type, "resource": refund})
    assert event.gateway_reference == "3C679366HH908993F" and event.payment_id is None
    [update] = event.refund_updates
    assert (update.status, update.amount) == (RefundStatus.SUCCEEDED, 1000)


def test_other_events_are_ignored() -> None:
    event = events.normalize({"id": "WH-4", "event_type": "BILLING.PLAN.CREATED", "resource": {}})
    assert not event.is_actionable


@pytest.mark.parametrize("details", [{"issue": "X"}, "INSTRUMENT_DECLINED", [], ["x"], None])
def test_a_malformed_error_body_is_still_translated(details: object) -> None:
    import json

    import requests

    from trackify.payments.gateways.paypal import api

    response = requests.Response()
    response.status_code, response._content = (
        422,
        json.dumps({"name": "UNPROCESSABLE_ENTITY", "details": details}).encode(),
    )
    error = api._translate(requests.HTTPError(response=response), "order get")
    assert isinstance(error, InvalidGatewayRequest) and "http=422" in error.detail
