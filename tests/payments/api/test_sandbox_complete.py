"""POST /payment/sandbox/<payment_id>/complete/: finish a sandbox payment, get the signed webhook back."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import override_settings

from tests.payments.api.conftest import assert_error, complete
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment, PaymentWebhookEvent
from trackify.sandbox import provider

pytestmark = pytest.mark.django_db


def deliver(client: Any, webhook: dict[str, Any]) -> Any:
    """POST a webhook exactly as the sandbox handed it back."""
    headers = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in webhook["headers"].items()}
    content_type = headers.pop("HTTP_CONTENT_TYPE")
    return client.post(urlsplit(webhook["url"]).path, data=webhook["body"], content_type=content_type, **headers)


def test_owner_completes_and_the_webhook_is_delivered(api, invoice, sandbox_config, pending_payment_id):
    response = complete(api, pending_payment_id)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["delivered"] is True
    assert body["webhook"]["url"] == f"http://127.0.0.1:8000/payment/webhook/sandbox/{sandbox_config.pk}/"
    assert InvoicePayment.objects.get(pk=pending_payment_id).status == "succeeded"
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert PaymentWebhookEvent.objects.get().status == "processed"


def test_token_holder_completes_with_the_token_in_the_body(anon, invoice, pending_payment_id):
    response = complete(anon, pending_payment_id, invoice_token=invoice.public_token)
    assert response.status_code == 200, response.content
    assert InvoicePayment.objects.get(pk=pending_payment_id).status == "succeeded"


def test_token_holder_completes_with_the_token_in_the_header(anon, invoice, pending_payment_id):
    response = anon.post(
        f"/payment/sandbox/{pending_payment_id}/complete/",
        data=json.dumps({"outcome": "cancelled"}),
        content_type="application/json",
        HTTP_X_INVOICE_TOKEN=invoice.public_token,
    )
    assert response.status_code == 200, response.content
    assert InvoicePayment.objects.get(pk=pending_payment_id).status == "cancelled"


def test_a_wrong_token_is_not_found(anon, pending_payment_id):
    assert_error(complete(anon, pending_payment_id, invoice_token="wrong"), 404, "not_found")
    assert InvoicePayment.objects.get(pk=pending_payment_id).status == "pending"


def test_anonymous_without_token_is_not_found(anon, pending_payment_id):
    assert_error(complete(anon, pending_payment_id), 404, "not_found")


def test_another_user_is_not_found(other_api, pending_payment_id):
    assert_error(complete(other_api, pending_payment_id), 404, "not_found")
    assert InvoicePayment.objects.get(pk=pending_payment_id).status == "pending"


def test_an_unknown_payment_is_not_found(api):
    assert_error(complete(api, "00000000-0000-4000-8000-000000000000"), 404, "not_found")


@pytest.mark.parametrize("outcome", ["refunded", "", "SUCCEEDED", None])
def test_an_invalid_outcome_is_a_400(api, pending_payment_id, outcome):
    error = assert_error(complete(api, pending_payment_id, outcome), 400, "invalid")
    assert "outcome" in error["fields"]


def test_a_missing_outcome_is_a_400(api, pending_payment_id):
    response = api.post(
        f"/payment/sandbox/{pending_payment_id}/complete/", data="{}", content_type="application/json"
    )
    assert_error(response, 400, "invalid")


def test_completing_twice_is_a_409(api, pending_payment_id):
    complete(api, pending_payment_id)
    assert_error(complete(api, pending_payment_id), 409, "conflict")
    assert_error(complete(api, pending_payment_id, "declined"), 409, "conflict")


def test_a_cancelled_session_cannot_then_succeed(api, invoice, pending_payment_id):
    complete(api, pending_payment_id, "cancelled")
    assert_error(complete(api, pending_payment_id, "succeeded"), 409, "conflict")
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == 0


@pytest.mark.parametrize(
    ("outcome", "payment_status", "invoice_status"),
    [
        ("succeeded", "succeeded", "paid"),
        ("declined", "failed", "open"),
        ("processing", "processing", "open"),
        ("cancelled", "cancelled", "open"),
    ],
)
def test_each_outcome_moves_the_payment(api, invoice, pending_payment_id, outcome, payment_status, invoice_status):
    assert complete(api, pending_payment_id, outcome).json()["delivered"] is True
    assert InvoicePayment.objects.get(pk=pending_payment_id).status == payment_status
    assert Invoice.objects.get(pk=invoice.pk).status == invoice_status


def test_a_processing_payment_can_then_be_settled(api, invoice, pending_payment_id):
    complete(api, pending_payment_id, "processing")
    assert complete(api, pending_payment_id, "succeeded").status_code == 200
    assert InvoicePayment.objects.get(pk=pending_payment_id).status == "succeeded"
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


@override_settings(TRACKIFY_SANDBOX_SETTLE_SECONDS=0)
def test_a_processing_payment_that_settled_by_itself_cannot_be_completed_again(api, pending_payment_id):
    complete(api, pending_payment_id, "processing")
    assert_error(complete(api, pending_payment_id, "declined"), 409, "conflict")


# -- deliver: false ---------------------------------------------------------------------------------


def test_deliver_false_hands_back_a_signed_webhook_that_pays_when_posted(
    api, anon, invoice, sandbox_config, pending_payment_id
):
    response = complete(api, pending_payment_id, deliver=False)
    assert response.status_code == 200
    body = response.json()
    assert body["delivered"] is False
    webhook = body["webhook"]
    assert set(webhook) == {"url", "headers", "body"}
    assert webhook["url"] == f"http://127.0.0.1:8000/payment/webhook/sandbox/{sandbox_config.pk}/"
    assert webhook["headers"]["Content-Type"] == "application/json"
    assert webhook["headers"][provider.SIGNATURE_HEADER].startswith("t=")
    event = json.loads(webhook["body"])
    assert (event["type"], event["data"]["session"]["payment_id"]) == ("session.succeeded", pending_payment_id)
    # Nothing happened on our side yet.
    assert InvoicePayment.objects.get(pk=pending_payment_id).status == "pending"
    assert not PaymentWebhookEvent.objects.exists()

    delivered = deliver(anon, webhook)
    assert delivered.status_code == 200, delivered.content
    assert delivered.json()["status"] == "processed"
    assert InvoicePayment.objects.get(pk=pending_payment_id).status == "succeeded"
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"

    again = deliver(anon, webhook)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert PaymentWebhookEvent.objects.count() == 1


def test_deliver_false_webhook_also_lands_on_the_shared_url(anon, invoice, pending_payment_id):
    webhook = complete(anon, pending_payment_id, deliver=False, invoice_token=invoice.public_token).json()["webhook"]
    shared = {**webhook, "url": "http://127.0.0.1:8000/payment/webhook/sandbox/"}
    assert deliver(anon, shared).json()["status"] == "processed"
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def test_a_tampered_webhook_body_is_refused_and_changes_nothing(anon, invoice, pending_payment_id, api):
    webhook = complete(api, pending_payment_id, deliver=False).json()["webhook"]
    tampered = {**webhook, "body": webhook["body"].replace('"amount":10000', '"amount":1')}
    assert tampered["body"] != webhook["body"]
    assert_error(deliver(anon, tampered), 400, "webhook_invalid")
    assert InvoicePayment.objects.get(pk=pending_payment_id).status == "pending"
