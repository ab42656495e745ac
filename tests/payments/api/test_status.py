"""GET /payment/status/<payment_id>/: where a payment stands, asking the gateway when it is open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.payments.api.conftest import assert_error, complete, create_session
from trackify.payments.models import InvoicePayment
from trackify.sandbox.models import SandboxSession

pytestmark = pytest.mark.django_db

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def status_url(payment_id: str) -> str:
    return f"/payment/status/{payment_id}/"


def test_owner_sees_the_payment_and_its_invoice(api, invoice, pending_payment_id):
    response = api.get(status_url(pending_payment_id))
    assert response.status_code == 200
    body = response.json()
    assert body["payment_id"] == pending_payment_id
    assert (body["status"], body["amount"], body["refunded_amount"], body["currency"]) == (
        "pending", "100.00", "0.00", "EUR"
    )  # fmt: skip
    assert body["gateway"] == "sandbox"
    assert body["needs_attention"] is False
    assert body["invoice"] == {
        "id": str(invoice.pk),
        "number": invoice.number,
        "status": "open",
        "currency": "EUR",
        "total": "100.00",
        "amount_paid": "0.00",
        "amount_due": "100.00",
        "amount_overpaid": "0.00",
    }


def test_token_holder_sees_the_status_with_the_token_in_the_query(anon, invoice, pending_payment_id):
    response = anon.get(status_url(pending_payment_id), {"token": invoice.public_token})
    assert response.status_code == 200
    assert response.json()["payment_id"] == pending_payment_id


def test_token_holder_sees_the_status_with_the_token_in_the_header(anon, invoice, pending_payment_id):
    response = anon.get(status_url(pending_payment_id), HTTP_X_INVOICE_TOKEN=invoice.public_token)
    assert response.status_code == 200


def test_a_wrong_token_is_not_found(anon, pending_payment_id):
    assert_error(anon.get(status_url(pending_payment_id), {"token": "wrong"}), 404, "not_found")


def test_the_token_of_another_invoice_is_not_found(anon, make_invoice, pending_payment_id):
    other = make_invoice()
    assert_error(anon.get(status_url(pending_payment_id), {"token": other.public_token}), 404, "not_found")


def test_anonymous_without_token_is_not_found(anon, pending_payment_id):
    assert_error(anon.get(status_url(pending_payment_id)), 404, "not_found")


def test_another_user_is_not_found(other_api, pending_payment_id):
    assert_error(other_api.get(status_url(pending_payment_id)), 404, "not_found")


def test_an_unknown_payment_is_not_found(api):
    assert_error(api.get(status_url(UNKNOWN_ID)), 404, "not_found")


def test_a_malformed_payment_id_is_a_json_404(api):
    assert_error(api.get("/payment/status/12345/"), 404, "not_found")


def test_post_is_not_allowed(api, pending_payment_id):
    assert_error(api.post(status_url(pending_payment_id)), 405, "method_not_allowed")


def test_a_delivered_webhook_shows_on_the_status(api, invoice, pending_payment_id):
    complete(api, pending_payment_id)
    body = api.get(status_url(pending_payment_id)).json()
    assert body["status"] == "succeeded"
    assert (body["invoice"]["status"], body["invoice"]["amount_paid"], body["invoice"]["amount_due"]) == (
        "paid", "100.00", "0.00"
    )  # fmt: skip


@override_settings(TRACKIFY_STATUS_REFRESH_INTERVAL=0)
def test_the_status_asks_the_gateway_when_the_webhook_has_not_arrived(anon, invoice, sandbox_config):
    session = create_session(anon, invoice, token=invoice.public_token).json()
    completed = complete(anon, session["payment_id"], deliver=False, invoice_token=invoice.public_token)
    assert completed.json()["delivered"] is False
    assert InvoicePayment.objects.get(pk=session["payment_id"]).status == "pending"

    body = anon.get(status_url(session["payment_id"]), {"token": invoice.public_token}).json()
    assert body["status"] == "succeeded"
    assert body["invoice"]["status"] == "paid"
    payment = InvoicePayment.objects.get(pk=session["payment_id"])
    assert payment.status == "succeeded"
    assert payment.status_changes.get(applied=True).source == "status_check"


def test_the_gateway_is_asked_at_most_once_per_interval(api, invoice, pending_payment_id):
    with override_settings(TRACKIFY_STATUS_REFRESH_INTERVAL=60):
        assert api.get(status_url(pending_payment_id)).json()["status"] == "pending"  # asked: still open
        complete(api, pending_payment_id, deliver=False)
        assert api.get(status_url(pending_payment_id)).json()["status"] == "pending"  # not asked again yet
    with override_settings(TRACKIFY_STATUS_REFRESH_INTERVAL=0):
        assert api.get(status_url(pending_payment_id)).json()["status"] == "succeeded"


@override_settings(TRACKIFY_STATUS_REFRESH_INTERVAL=0)
def test_a_declined_payment_shows_failed(api, pending_payment_id):
    complete(api, pending_payment_id, "declined", deliver=False)
    body = api.get(status_url(pending_payment_id)).json()
    assert body["status"] == "failed"
    assert body["invoice"]["status"] == "open"


def test_a_declined_payment_learnt_from_the_webhook_carries_a_message(api, pending_payment_id):
    complete(api, pending_payment_id, "declined")
    assert api.get(status_url(pending_payment_id)).json()["failure_message"] == "The card was declined (sandbox)."


@override_settings(TRACKIFY_STATUS_REFRESH_INTERVAL=0)
def test_a_declined_payment_learnt_from_a_status_refresh_carries_a_message(api, pending_payment_id):
    complete(api, pending_payment_id, "declined", deliver=False)
    assert api.get(status_url(pending_payment_id)).json()["failure_message"]


@override_settings(TRACKIFY_STATUS_REFRESH_INTERVAL=0)
def test_a_processing_payment_that_settles_later_shows_succeeded(api, invoice, pending_payment_id):
    with override_settings(TRACKIFY_SANDBOX_SETTLE_SECONDS=0):
        assert complete(api, pending_payment_id, "processing").json()["delivered"] is True
    assert InvoicePayment.objects.get(pk=pending_payment_id).status == "processing"
    body = api.get(status_url(pending_payment_id)).json()
    assert body["status"] == "succeeded"
    assert body["invoice"]["status"] == "paid"


@override_settings(TRACKIFY_STATUS_REFRESH_INTERVAL=0)
def test_a_processing_payment_that_has_not_settled_stays_processing(api, pending_payment_id):
    with override_settings(TRACKIFY_SANDBOX_SETTLE_SECONDS=3600):
        complete(api, pending_payment_id, "processing")
    body = api.get(status_url(pending_payment_id)).json()
    assert body["status"] == "processing"
    assert body["invoice"]["amount_paid"] == "0.00"


@override_settings(TRACKIFY_STATUS_REFRESH_INTERVAL=0)
def test_a_finished_payment_is_not_asked_about_again(api, pending_payment_id):
    complete(api, pending_payment_id)
    api.get(status_url(pending_payment_id))
    assert InvoicePayment.objects.get(pk=pending_payment_id).last_status_check_at is None


@override_settings(TRACKIFY_STATUS_REFRESH_INTERVAL=0)
def test_a_session_left_open_past_its_expiry_shows_expired(anon, invoice, pending_payment_id):
    past = timezone.now() - timedelta(minutes=1)
    payment = InvoicePayment.objects.get(pk=pending_payment_id)
    SandboxSession.objects.filter(pk=payment.gateway_reference).update(expires_at=past)
    body = anon.get(status_url(pending_payment_id), {"token": invoice.public_token}).json()
    assert body["status"] == "expired"
    assert body["invoice"]["status"] == "open"
    assert_error(complete(anon, pending_payment_id, invoice_token=invoice.public_token), 409, "conflict")


@override_settings(TRACKIFY_STATUS_REFRESH_INTERVAL=0)
def test_the_status_answers_when_the_payment_s_gateway_is_no_longer_enabled(api, pending_payment_id, settings):
    settings.PAYMENT_GATEWAYS = {}
    response = api.get(status_url(pending_payment_id))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending"
