"""PayPal end to end over our HTTP API, with the fake PayPal behind PayPal's server SDK."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import requests
from django.test import Client

from tests.conftest import post_json
from tests.fakes.fake_paypal import Delivery, FakePayPal
from tests.payments.api.conftest import assert_error
from tests.payments.gateways.stripe.stripe_api import opened, payment, status_of
from trackify.common.money import format_amount

pytestmark = pytest.mark.django_db


def check(client: Any, invoice: Any, payment_id: str) -> dict[str, Any]:
    """POST /payment/status/<id>/check/, as the buttons' onApprove (and the payer's return) ask: the core
    refreshes the payment from PayPal now and captures it if the order is approved."""
    response = client.post(f"/payment/status/{payment_id}/check/?token={invoice.public_token}")
    assert response.status_code == 200, response.content
    return dict(response.json())


def approved(fake: FakePayPal, session: dict[str, Any]) -> str:
    order_id = payment(session["payment_id"]).gateway_reference
    fake.approve(order_id)
    return order_id


def post_delivery(delivery: Delivery, config_id: str) -> Any:
    client = Client(enforce_csrf_checks=True)
    return client.post(
        f"/payment/webhook/paypal/{config_id}/",
        data=delivery.body,
        content_type="application/json",
        **delivery.django_headers(),
    )


def test_a_user_adds_paypal_and_the_connection_test_gets_a_token(api, paypal_app, fake_paypal) -> None:
    from tests.payments.gateways.paypal.conftest import create_paypal_config

    config = create_paypal_config(api, paypal_app)
    assert config["webhook_url"].endswith(f"/payment/webhook/paypal/{config['id']}/")
    assert paypal_app.client_secret not in str(config)
    response = post_json(api, f"/payment/gateways/{config['id']}/test-connection/")
    assert response.status_code == 200, response.content
    assert response.json()["ok"] is True
    assert fake_paypal.token_requests == 1


def test_wrong_credentials_are_a_misconfiguration(api, paypal_app, fake_paypal) -> None:
    from tests.payments.gateways.paypal.conftest import create_paypal_config

    config = create_paypal_config(api, paypal_app)
    fake_paypal.apps.remove(paypal_app)
    response = post_json(api, f"/payment/gateways/{config['id']}/test-connection/")
    assert_error(response, 502, "gateway_misconfigured")
    assert paypal_app.client_secret not in response.content.decode()


def test_pay_by_redirect_approve_capture_and_refund(
    api, anon, invoice, paypal_config, paypal_app, fake_paypal, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    session = opened(anon, invoice)
    order_id = payment(session["payment_id"]).gateway_reference
    assert session["redirect_url"] == f"{fake_paypal.url}/checkoutnow?token={order_id}"
    assert session["client_params"]["order_id"] == order_id
    assert session["client_params"]["sdk_url"] == f"{fake_paypal.url}/sdk/js"
    order = fake_paypal.orders[order_id]
    unit = order["purchase_units"][0]
    assert unit["custom_id"] == session["payment_id"]
    assert unit["amount"] == {
        "currency_code": invoice.currency,
        "value": format_amount(invoice.total, invoice.currency),
    }

    # the payer approves at PayPal's page and comes back: the core captures the approved order
    answer = requests.get(session["redirect_url"], allow_redirects=False, timeout=5)
    assert answer.status_code == 302 and f"token={order_id}" in answer.headers["Location"]
    assert check(anon, invoice, session["payment_id"])["status"] == "succeeded"
    row = payment(session["payment_id"])
    assert row.gateway_payment_reference == fake_paypal.capture_of(order_id)["id"]
    assert fake_paypal.captures == 1
    assert check(anon, invoice, session["payment_id"])["status"] == "succeeded"  # a second signal
    assert status_of(anon, invoice, session["payment_id"])["status"] == "succeeded"
    assert fake_paypal.captures == 1  # captured once, whatever asked again
    assert fake_paypal.token_requests == 1  # one token for every call of this app
    assert paypal_app.client_secret not in caplog.text


def test_a_capture_whose_answer_was_lost_reads_the_order_next_time(fake_paypal, anon, invoice, paypal_config) -> None:
    session = opened(anon, invoice)
    order_id = approved(fake_paypal, session)
    fake_paypal.fail_next(path=f"/v2/checkout/orders/{order_id}/capture", drop=True, after=True)
    assert check(anon, invoice, session["payment_id"])["status"] == "authorized"  # captured, but we did not hear it
    assert fake_paypal.captures == 1
    fake_paypal.replays.clear()  # PayPal forgot the request id: the order answers ORDER_ALREADY_CAPTURED
    assert check(anon, invoice, session["payment_id"])["status"] == "succeeded"
    assert payment(session["payment_id"]).gateway_payment_reference == fake_paypal.capture_of(order_id)["id"]
    assert fake_paypal.captures == 1


def test_capture_when_paypal_is_down_stays_authorized_then_captures_once(
    fake_paypal, anon, invoice, paypal_config
) -> None:
    session = opened(anon, invoice)
    order_id = approved(fake_paypal, session)
    fake_paypal.fail_next(status=503, path=f"/v2/checkout/orders/{order_id}/capture")
    assert check(anon, invoice, session["payment_id"])["status"] == "authorized"
    assert fake_paypal.captures == 0
    assert check(anon, invoice, session["payment_id"])["status"] == "succeeded"  # the next signal captures
    assert fake_paypal.captures == 1


def test_verified_webhooks_capture_once_and_pay_the_invoice(
    paypal_config, fake_paypal, anon, invoice, django_capture_on_commit_callbacks
) -> None:
    session = opened(anon, invoice)
    fake_paypal.approve(payment(session["payment_id"]).gateway_reference, notify=True)
    [(kind, approval)] = fake_paypal.take_deliveries()
    assert kind == "CHECKOUT.ORDER.APPROVED"
    with django_capture_on_commit_callbacks(execute=True):  # the core captures once the approval is recorded
        response = post_delivery(approval, paypal_config["id"])
    assert response.status_code == 200, response.content
    assert fake_paypal.captures == 1
    [(kind, captured)] = fake_paypal.take_deliveries()
    assert kind == "PAYMENT.CAPTURE.COMPLETED"
    for delivery in (captured, approval):  # PayPal's news of the capture, and the approval again
        with django_capture_on_commit_callbacks(execute=True):
            assert post_delivery(delivery, paypal_config["id"]).status_code == 200
    row = payment(session["payment_id"])
    assert row.status == "succeeded" and fake_paypal.captures == 1
    row.invoice.refresh_from_db()
    assert row.invoice.amount_paid == row.invoice.total


def test_a_delivery_paypal_did_not_send_is_refused(paypal_config, fake_paypal, anon, invoice) -> None:
    session = opened(anon, invoice)
    fake_paypal.approve(payment(session["payment_id"]).gateway_reference, notify=True)
    [(_, real)] = fake_paypal.take_deliveries()
    event = json.loads(real.body)
    event["resource"]["purchase_units"][0]["amount"]["value"] = "99999.00"
    forged = Delivery(body=json.dumps(event).encode(), headers=real.headers)
    assert post_delivery(forged, paypal_config["id"]).status_code == 400
    assert payment(session["payment_id"]).status == "pending"


def test_verification_when_paypal_is_down_is_503(api, paypal_config, paypal_app, fake_paypal, anon, invoice) -> None:
    session = opened(anon, invoice)
    order_id = approved(fake_paypal, session)
    delivery = fake_paypal.delivery(paypal_app, "CHECKOUT.ORDER.APPROVED", fake_paypal.orders[order_id])
    fake_paypal.fail_next(status=500, path="/v1/notifications")
    # Not a 400 (a forgery) and not counted as one: PayPal delivers again after a 503.
    assert post_delivery(delivery, paypal_config["id"]).status_code == 503
    health = api.get(f"/payment/gateways/{paypal_config['id']}/webhook-health/")
    assert health.status_code == 200, health.content
    assert health.json()["rejected"] == 0
    assert post_delivery(delivery, paypal_config["id"]).status_code == 200  # the redelivery
    assert payment(session["payment_id"]).status in ("authorized", "succeeded")


def test_refunds_full_and_partial_through_our_api(api, paypal_config, fake_paypal, anon, invoice) -> None:
    session = opened(anon, invoice)
    approved(fake_paypal, session)
    assert check(anon, invoice, session["payment_id"])["status"] == "succeeded"
    total = payment(session["payment_id"]).amount
    response = post_json(api, f"/payment/{session['payment_id']}/refund/", {"amount": "1.00"})
    assert response.status_code in (200, 201), response.content
    [refund] = fake_paypal.refunds.values()
    assert refund["amount"]["value"] == "1.00"
    assert payment(session["payment_id"]).status == "partially_refunded"
    response = post_json(api, f"/payment/{session['payment_id']}/refund/", {})
    assert response.status_code in (200, 201), response.content
    assert payment(session["payment_id"]).refunded_amount == total


def test_in_modal_session_gives_the_buttons_what_they_need_and_no_secret(
    api, anon, invoice, paypal_app, fake_paypal
) -> None:
    from tests.payments.gateways.paypal.conftest import create_paypal_config

    create_paypal_config(api, paypal_app, flow="in_modal", is_default=True)
    gateway = anon.get(f"/payment/invoice/{invoice.pk}/gateway/", {"token": invoice.public_token})
    assert gateway.status_code == 200, gateway.content
    session = opened(anon, invoice)
    params = session["client_params"]
    assert params == {
        "order_id": payment(session["payment_id"]).gateway_reference,
        "client_id": paypal_app.client_id,
        "currency": invoice.currency,
        "sdk_url": f"{fake_paypal.url}/sdk/js",
    }
    assert paypal_app.client_secret not in gateway.content.decode() + str(session)
    script = requests.get(params["sdk_url"], timeout=5)
    assert script.status_code == 200 and "window.paypal" in script.text


@pytest.mark.parametrize(("outcome", "amount_paid"), [("RESOLVED_SELLER_FAVOUR", 10000), ("RESOLVED_BUYER_FAVOUR", 0)])
def test_a_chargeback_holds_the_money_until_paypal_resolves_it(
    paypal_config, fake_paypal, anon, invoice, outcome, amount_paid
) -> None:
    session = opened(anon, invoice)
    order_id = approved(fake_paypal, session)
    assert check(anon, invoice, session["payment_id"])["status"] == "succeeded"
    fake_paypal.take_deliveries()
    dispute_id = fake_paypal.dispute(order_id)
    resolved = fake_paypal.dispute(order_id, status="RESOLVED", outcome=outcome, dispute_id=dispute_id)
    [(_, opened_), (_, closed)] = fake_paypal.take_deliveries()

    assert post_delivery(opened_, paypal_config["id"]).status_code == 200
    row = payment(session["payment_id"])
    row.invoice.refresh_from_db()
    [dispute] = row.disputes.all()
    assert (dispute.gateway_dispute_id, dispute.status, row.disputed_amount) == (resolved, "needs_response", 10000)
    assert dispute.evidence_due_by is not None and row.invoice.amount_paid == 0
    for delivery in (closed, opened_):  # the resolution, then the opening again, late: the same end
        assert post_delivery(delivery, paypal_config["id"]).status_code == 200
    row = payment(session["payment_id"])
    row.invoice.refresh_from_db()
    dispute.refresh_from_db()
    assert dispute.status == ("won" if amount_paid else "lost")
    assert row.invoice.amount_paid == amount_paid


def test_an_inquiry_moves_no_money(paypal_config, fake_paypal, anon, invoice) -> None:
    session = opened(anon, invoice)
    order_id = approved(fake_paypal, session)
    check(anon, invoice, session["payment_id"])
    fake_paypal.take_deliveries()
    fake_paypal.dispute(order_id, stage="INQUIRY", status="OPEN")
    [(kind, delivery)] = fake_paypal.take_deliveries()
    assert kind == "CUSTOMER.DISPUTE.CREATED"
    assert post_delivery(delivery, paypal_config["id"]).status_code == 200
    row = payment(session["payment_id"])
    [dispute] = row.disputes.all()
    assert (dispute.status, dispute.is_inquiry, row.disputed_amount) == ("inquiry", True, 0)
