"""Webhook deliveries: verified before trusted, stored once, applied once, whatever arrives."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.test import Client

from tests.payments.webhooks.sandbox_events import deliver, send, session_payload, signed
from trackify.payments.models import InvoicePayment, PaymentStatusChange, PaymentWebhookEvent
from trackify.payments.services import ledger


@pytest.fixture
def client() -> Iterator[Client]:
    yield Client()


def reload(payment: InvoicePayment) -> InvoicePayment:
    return InvoicePayment.objects.select_related("invoice").get(pk=payment.pk)


def test_succeeded_event_marks_payment_and_invoice_paid(client, open_payment):
    response = send(client, open_payment, "succeeded")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "processed"
    payment = reload(open_payment)
    assert payment.status == "succeeded"
    assert payment.invoice.status == "paid"
    assert payment.invoice.amount_paid == payment.amount


def test_duplicate_delivery_is_stored_once_and_applied_once(client, open_payment):
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded", event_id="evt_sbx_dup"))
    first = deliver(client, open_payment, body, headers)
    second = deliver(client, open_payment, body, headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["status"] == "processed"
    assert second.json()["status"] == "duplicate"
    assert PaymentWebhookEvent.objects.filter(gateway_event_id="evt_sbx_dup").count() == 1
    assert PaymentStatusChange.objects.filter(payment=open_payment, applied=True).count() == 1
    assert reload(open_payment).invoice.amount_paid == open_payment.amount


def test_late_pending_after_succeeded_is_recorded_and_ignored(client, open_payment):
    send(client, open_payment, "succeeded")
    late = send(client, open_payment, "processing")
    assert late.status_code == 200
    assert "not allowed" in late.json()["detail"]
    payment = reload(open_payment)
    assert payment.status == "succeeded"
    refused = PaymentStatusChange.objects.get(payment=payment, applied=False)
    assert (refused.from_status, refused.to_status) == ("succeeded", "processing")


def test_out_of_order_processing_then_succeeded_then_processing_counts_once(client, open_payment):
    for status in ["processing", "succeeded", "processing", "succeeded"]:
        assert send(client, open_payment, status).status_code == 200
    payment = reload(open_payment)
    assert payment.status == "succeeded"
    assert payment.invoice.amount_paid == payment.amount


def test_money_after_cancellation_is_flagged_not_counted(client, open_payment):
    send(client, open_payment, "cancelled")
    send(client, open_payment, "succeeded")
    payment = reload(open_payment)
    assert payment.status == "cancelled"
    assert "succeeded after it was cancelled" in payment.attention_reason
    assert payment.invoice.amount_paid == 0


def test_amount_mismatch_is_stored_flagged_and_not_applied(client, open_payment):
    response = send(client, open_payment, "succeeded", amount=open_payment.amount - 1)
    assert response.status_code == 200
    payment = reload(open_payment)
    assert payment.status == "pending"
    assert "does not match" in payment.attention_reason
    assert payment.invoice.amount_paid == 0
    assert PaymentWebhookEvent.objects.get().status == "processed"


def test_currency_mismatch_is_flagged_and_not_applied(client, open_payment):
    send(client, open_payment, "succeeded", currency="USD")
    payment = reload(open_payment)
    assert payment.status == "pending"
    assert "currency USD" in payment.attention_reason


def test_tampered_body_is_refused_and_nothing_stored(client, open_payment):
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded"))
    tampered = body.replace(b'"succeeded"', b'"cancelled"')
    response = deliver(client, open_payment, tampered, headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_invalid"
    assert not PaymentWebhookEvent.objects.exists()
    assert reload(open_payment).status == "pending"


def test_wrong_secret_is_refused(client, open_payment):
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded"), secret="not-the-secret")
    assert deliver(client, open_payment, body, headers).status_code == 400
    assert not PaymentWebhookEvent.objects.exists()


def test_stale_timestamp_is_refused(client, open_payment):
    import time

    payload = session_payload(open_payment, "succeeded")
    body, headers = signed(open_payment, payload, timestamp=int(time.time()) - 301)
    response = deliver(client, open_payment, body, headers)
    assert response.status_code == 400
    assert "tolerance" in response.json()["error"]["message"]


def test_missing_signature_is_refused(client, open_payment):
    body, _ = signed(open_payment, session_payload(open_payment, "succeeded"))
    response = deliver(client, open_payment, body, {})
    assert response.status_code == 400
    assert "Missing" in response.json()["error"]["message"]


def test_signed_body_that_is_not_json_is_refused(client, open_payment):
    from trackify.sandbox import provider

    body = b"{not json"
    secret = open_payment.config.credentials["webhook_secret"]
    headers = {"HTTP_TRACKIFY_SANDBOX_SIGNATURE": provider.sign(secret, body)}
    assert deliver(client, open_payment, body, headers).status_code == 400


def test_body_over_64_kib_is_refused_with_413(client, open_payment):
    payload = session_payload(open_payment, "succeeded")
    payload["padding"] = "x" * (64 * 1024)
    body, headers = signed(open_payment, payload)
    response = deliver(client, open_payment, body, headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not PaymentWebhookEvent.objects.exists()


def test_unknown_gateway_answers_404(client, open_payment):
    response = client.post("/payment/webhook/nope/", data=b"{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_gateway"


def test_unknown_config_answers_404(client, open_payment):
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded"))
    response = client.post(
        "/payment/webhook/sandbox/00000000-0000-0000-0000-000000000000/",
        data=body, content_type="application/json", **headers,
    )
    assert response.status_code == 404


def test_shared_url_finds_the_config_from_the_payment_id(client, open_payment):
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded"))
    response = deliver(client, open_payment, body, headers, shared_url=True)
    assert response.status_code == 200, response.content
    assert reload(open_payment).status == "succeeded"


def test_shared_url_refuses_an_event_naming_no_payment(client, open_payment):
    payload = session_payload(open_payment, "succeeded")
    del payload["data"]["session"]["payment_id"]
    body, headers = signed(open_payment, payload)
    assert deliver(client, open_payment, body, headers, shared_url=True).status_code == 400


def test_unknown_event_type_is_stored_and_ignored(client, open_payment):
    payload = session_payload(open_payment, "succeeded", event_type="account.updated")
    body, headers = signed(open_payment, payload)
    response = deliver(client, open_payment, body, headers)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert PaymentWebhookEvent.objects.get().status == "ignored"
    assert reload(open_payment).status == "pending"


def test_event_for_unknown_payment_is_ignored(client, open_payment):
    payload = session_payload(open_payment, "succeeded")
    payload["data"]["session"]["payment_id"] = "11111111-1111-1111-1111-111111111111"
    payload["data"]["session"]["id"] = "sbx_sess_unknown"
    body, headers = signed(open_payment, payload)
    response = deliver(client, open_payment, body, headers)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert reload(open_payment).status == "pending"


def test_processing_failure_is_stored_answered_500_and_completed_on_next_delivery(client, open_payment, monkeypatch):
    real_apply = ledger.apply_payment_update
    calls = {"n": 0}

    def failing_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database hiccup")
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(ledger, "apply_payment_update", failing_once)
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded", event_id="evt_sbx_retry"))

    first = deliver(client, open_payment, body, headers)
    assert first.status_code == 500
    assert first.json()["error"]["code"] == "webhook_processing_failed"
    stored = PaymentWebhookEvent.objects.get(gateway_event_id="evt_sbx_retry")
    assert stored.status == "failed"
    assert "database hiccup" in stored.error
    assert reload(open_payment).status == "pending"

    second = deliver(client, open_payment, body, headers)
    assert second.status_code == 200
    assert second.json()["status"] == "processed"
    stored.refresh_from_db()
    assert (stored.status, stored.error, stored.attempts) == ("processed", "", 2)
    assert reload(open_payment).status == "succeeded"


def test_stored_event_can_be_processed_again(client, open_payment):
    from trackify.payments.services.webhooks import webhook_event_reprocess

    send(client, open_payment, "succeeded")
    event = PaymentWebhookEvent.objects.get()
    outcome = webhook_event_reprocess(event_row=event)
    assert outcome.status == "processed"
    assert [result.outcome for result in outcome.results] == [ledger.Outcome.UNCHANGED]
    assert reload(open_payment).invoice.amount_paid == open_payment.amount


def test_payload_is_stored_verbatim(client, open_payment):
    payload = session_payload(open_payment, "succeeded", event_id="evt_sbx_payload")
    body, headers = signed(open_payment, payload)
    deliver(client, open_payment, body, headers)
    assert PaymentWebhookEvent.objects.get().payload == json.loads(body)
