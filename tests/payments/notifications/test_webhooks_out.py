"""Signed webhooks to the owner's systems, end to end: a real HTTP server on 127.0.0.1 receives them and
verifies every signature with the Standard Webhooks library."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from standardwebhooks import Webhook

from tests.conftest import post_json
from tests.payments.notifications.conftest import parts
from tests.payments.notifications.receiver import Answer, Received, receiving
from tests.payments.webhooks.sandbox_events import send as send_sandbox_event
from trackify.payments.models import (
    NotificationDelivery,
    NotificationEvent,
    NotificationSettings,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
)
from trackify.payments.services.notifications import outbox, sender, webhooks_out
from trackify.payments.services.webhook_endpoints import webhook_endpoint_create

pytestmark = pytest.mark.django_db

@pytest.fixture
def receiver() -> Any:
    with receiving() as r:
        yield r


def create_endpoint(api: Any, url: str, **body: Any) -> dict[str, Any]:
    response = post_json(api, "/payment/webhook-endpoints/", {"url": url, **body})
    assert response.status_code == 201, response.content
    return response.json()


def verified(received: Received, secret: str) -> dict[str, Any]:
    """The body, once its signature is verified exactly as a receiver would."""
    headers = {k: received.headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    return Webhook(secret).verify(received.body, headers)


def due_now() -> None:
    """Skip the back-off: every pending delivery is due."""
    NotificationDelivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())


def paid_through_webhooks(open_payment: Any) -> None:
    client = Client()
    for status in ("succeeded", "succeeded", "processing"):  # a duplicate, then a stale one arriving late
        assert send_sandbox_event(client, open_payment, status).status_code == 200


def test_a_payment_paid_through_the_webhook_path_is_sent_once_signed(api, open_payment, receiver):
    endpoint = create_endpoint(api, receiver.url, event_types=["payment.succeeded", "invoice.paid"])
    paid_through_webhooks(open_payment)
    sender.deliver_due()
    sender.deliver_due()  # nothing more to send
    assert len(receiver.received) == 2
    bodies = [verified(r, endpoint["secret"]) for r in receiver.received]
    assert sorted(b["type"] for b in bodies) == ["invoice.paid", "payment.succeeded"]
    payment = next(b for b in bodies if b["type"] == "payment.succeeded")
    event = NotificationEvent.objects.get(type="payment.succeeded")
    assert payment["id"] == str(event.pk)
    assert payment["timestamp"].startswith(event.occurred_at.strftime("%Y-%m-%dT%H:%M"))
    obj = payment["data"]["object"]
    assert obj["payment_id"] == str(open_payment.pk)
    assert obj["status"] == "succeeded" and obj["amount"] == "100.00" and obj["currency"] == "EUR"
    # The same fields as the owner's payments list shows the row.
    row = api.get("/payment/payments/").json()["results"][0]
    assert obj == row
    invoice = next(b for b in bodies if b["type"] == "invoice.paid")["data"]["object"]
    assert invoice == {"invoice_id": str(open_payment.invoice_id), "number": open_payment.invoice.number,
                       "total": "100.00", "amount_paid": "100.00", "amount_due": "0.00", "status": "paid",
                       "currency": "EUR"}
    delivery = NotificationDelivery.objects.get(kind="payment.succeeded")
    assert next(r for r in receiver.received if json.loads(r.body)["type"] == "payment.succeeded").headers[
        "webhook-id"] == str(delivery.pk)
    assert delivery.status == "sent" and delivery.attempts == 1


def test_only_subscribed_types_and_enabled_endpoints_get_deliveries(api, open_payment, receiver):
    create_endpoint(api, receiver.url, event_types=["payment.refunded"])
    create_endpoint(api, receiver.url, enabled=False)
    everything = create_endpoint(api, receiver.url)  # empty list: all types
    paid_through_webhooks(open_payment)
    sender.deliver_due()
    targets = set(NotificationDelivery.objects.filter(channel="webhook").values_list("target", flat=True))
    assert targets == {everything["endpoint_id"]}


def test_a_failing_endpoint_is_retried_with_back_off_then_succeeds(api, open_payment, receiver):
    endpoint = create_endpoint(api, receiver.url, event_types=["payment.succeeded"])
    receiver.answers = [Answer(500, b"boom"), Answer(503, b"later")]
    paid_through_webhooks(open_payment)
    sender.deliver_due()
    delivery = NotificationDelivery.objects.get(channel="webhook")
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "The endpoint answered 500.")
    assert timedelta(seconds=3) < delivery.next_attempt_at - timezone.now() <= timedelta(seconds=5)
    sender.deliver_due()
    assert len(receiver.received) == 1  # not due yet
    due_now()
    sender.deliver_due()
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert timedelta(minutes=4) < delivery.next_attempt_at - timezone.now() <= timedelta(minutes=5)
    due_now()
    sender.deliver_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert ids == {str(delivery.pk)}  # the same id on every retry: the receiver can dedupe
    for r in receiver.received:
        verified(r, endpoint["secret"])
    log = api.get(f"/payment/webhook-endpoints/{endpoint['endpoint_id']}/deliveries/").json()["results"]
    assert [a["status_code"] for a in log[0]["attempts_log"]] == [500, 503, 200]
    assert log[0]["attempts_log"][0]["response_excerpt"] == "boom"
    assert WebhookEndpoint.objects.get().consecutive_failures == 0


def test_the_retry_schedule_spans_about_three_days():
    total = sum(webhooks_out.RETRY_AFTER, timedelta())
    assert timedelta(days=2.5) < total < timedelta(days=3.5)
    assert webhooks_out.RETRY_AFTER[0] == timedelta(seconds=5)


def test_a_hanging_endpoint_times_out_within_the_budget_and_is_retried(api, open_payment, receiver, settings):
    settings.TRACKIFY_NOTIFY_SEND_TIMEOUT = 0.6
    create_endpoint(api, receiver.url, event_types=["payment.succeeded"])
    receiver.answers = [Answer(delay=3)]
    paid_through_webhooks(open_payment)
    started = time.monotonic()
    sender.deliver_due()
    assert time.monotonic() - started < 2
    delivery = NotificationDelivery.objects.get(channel="webhook")
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "No answer within 0.6 s."
    attempt = WebhookDeliveryAttempt.objects.get()
    assert attempt.status_code is None and attempt.duration_ms < 1500
    due_now()
    sender.deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_a_redirect_is_not_followed_and_is_a_failure(api, open_payment, receiver):
    create_endpoint(api, receiver.url, event_types=["payment.succeeded"])
    receiver.answers = [Answer(302, b"", headers={"Location": receiver.url + "/elsewhere"})]
    paid_through_webhooks(open_payment)
    sender.deliver_due()
    assert [r.path for r in receiver.received] == ["/hooks"]
    delivery = NotificationDelivery.objects.get(channel="webhook")
    assert delivery.status == "pending"
    assert "302" in delivery.last_error and "redirect" in delivery.last_error


def test_a_large_answer_is_read_only_so_far(api, open_payment, receiver):
    create_endpoint(api, receiver.url, event_types=["payment.succeeded"])
    receiver.answers = [Answer(200, b"\xff" + b"x" * 2_000_000)]
    paid_through_webhooks(open_payment)
    sender.deliver_due()
    attempt = WebhookDeliveryAttempt.objects.get()
    assert attempt.status_code == 200
    assert len(attempt.response_excerpt) == 500 and attempt.response_excerpt.startswith("\ufffdxxx")


def test_the_secret_is_shown_on_create_and_roll_only_and_never_logged(api, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    created = create_endpoint(api, receiver.url, description="ERP")
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert set(created) == {"endpoint_id", "url", "description", "event_types", "enabled", "disabled_reason",
                            "created_at", "secret"}
    url = f"/payment/webhook-endpoints/{created['endpoint_id']}/"
    listing, one = api.get("/payment/webhook-endpoints/"), api.get(url)
    patched = api.patch(url, data=json.dumps({"description": "ERP 2"}), content_type="application/json")
    for response in (listing, one, patched):
        assert response.status_code == 200 and secret not in response.content.decode()
        assert "secret" not in json.dumps(response.json())
    assert secret not in WebhookEndpoint.objects.get().secret_encrypted  # sealed at rest
    rolled = post_json(api, url + "roll-secret/").json()
    assert rolled["secret"].startswith("whsec_") and rolled["secret"] != secret
    tested = post_json(api, url + "test-event/")
    assert tested.status_code == 202, tested.content
    verified(receiver.received[-1], rolled["secret"])  # signed with the new one
    with pytest.raises(Exception):
        verified(receiver.received[-1], secret)
    deliveries = api.get(url + "deliveries/").content.decode()
    for text in [caplog.text, deliveries, api.get(url).content.decode()]:
        assert secret not in text and rolled["secret"] not in text


def test_a_test_event_goes_to_that_endpoint_only(api, receiver):
    one = create_endpoint(api, receiver.url)
    create_endpoint(api, receiver.url)
    response = post_json(api, f"/payment/webhook-endpoints/{one['endpoint_id']}/test-event/")
    assert response.status_code == 202
    delivery = response.json()
    assert delivery["event_type"] == "webhook.test" and delivery["status"] == "sent"
    assert delivery["attempts_log"][0]["status_code"] == 200
    assert len(receiver.received) == 1
    body = verified(receiver.received[0], one["secret"])
    assert body["type"] == "webhook.test" and body["data"]["object"]["endpoint_id"] == one["endpoint_id"]


def test_send_again_sends_a_failed_delivery_with_a_fresh_count(api, receiver):
    endpoint = create_endpoint(api, receiver.url)
    url = f"/payment/webhook-endpoints/{endpoint['endpoint_id']}/"
    receiver.answers = [Answer(500)]
    first = post_json(api, url + "test-event/").json()
    assert first["status"] == "pending" and first["attempts"] == 1
    NotificationDelivery.objects.filter(pk=first["delivery_id"]).update(status="failed")
    again = post_json(api, url + f"deliveries/{first['delivery_id']}/send-again/")
    assert again.status_code == 202
    body = again.json()
    assert (body["status"], body["attempts"], body["next_attempt_at"]) == ("sent", 1, None)
    assert [a["status_code"] for a in body["attempts_log"]] == [500, 200]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1


def test_the_delivery_log_newest_first_with_its_fields(api, receiver):
    endpoint = create_endpoint(api, receiver.url)
    url = f"/payment/webhook-endpoints/{endpoint['endpoint_id']}/"
    receiver.answers = [Answer(418, b"I'm a teapot")]
    first = post_json(api, url + "test-event/").json()
    second = post_json(api, url + "test-event/").json()
    log = api.get(url + "deliveries/").json()
    assert [d["delivery_id"] for d in log["results"]] == [second["delivery_id"], first["delivery_id"]]
    failed = log["results"][1]
    assert set(failed) == {"delivery_id", "event_type", "status", "attempts", "next_attempt_at", "last_error",
                           "sent_at", "created_at", "attempts_log"}
    assert failed["status"] == "pending" and failed["next_attempt_at"] and failed["sent_at"] is None
    assert failed["last_error"] == "The endpoint answered 418."
    attempt = failed["attempts_log"][0]
    assert set(attempt) == {"attempted_at", "status_code", "duration_ms", "response_excerpt", "error"}
    assert (attempt["status_code"], attempt["response_excerpt"]) == (418, "I'm a teapot")
    assert log["results"][0]["sent_at"] is not None


def test_an_endpoint_is_disabled_after_repeated_failure_and_its_owner_told(api, user, receiver):
    endpoint = create_endpoint(api, receiver.url)
    url = f"/payment/webhook-endpoints/{endpoint['endpoint_id']}/"
    receiver.answers = [Answer(500)] * 100
    WebhookEndpoint.objects.update(consecutive_failures=webhooks_out.DISABLE_AFTER_FAILURES - 2)
    post_json(api, url + "test-event/")
    assert api.get(url).json()["enabled"] is True
    second = post_json(api, url + "test-event/").json()
    shown = api.get(url).json()
    assert shown["enabled"] is False and "20 attempts in a row failed" in shown["disabled_reason"]
    told = NotificationEvent.objects.get(type="owner.endpoint_disabled")
    assert told.owner_id == user.pk and told.data["endpoint_id"] == endpoint["endpoint_id"]
    # Its pending deliveries fail with a clear error; it gets no new ones; send again and test are refused.
    due_now()
    sender.deliver_due()
    delivery = NotificationDelivery.objects.get(pk=second["delivery_id"])
    assert delivery.status == "failed" and delivery.last_error.startswith("The webhook endpoint is disabled")
    assert post_json(api, url + "test-event/").status_code == 409
    assert post_json(api, url + f"deliveries/{delivery.pk}/send-again/").status_code == 409
    sent = len(receiver.received)
    # Enabled again by its owner: a fresh count, and it is sent to.
    receiver.answers = []
    assert api.patch(url, data=json.dumps({"enabled": True}), content_type="application/json").json()[
        "disabled_reason"] == ""
    assert post_json(api, url + "test-event/").json()["status"] == "sent"
    assert len(receiver.received) == sent + 1


def test_a_delivery_that_gives_up_disables_its_endpoint(api, receiver):
    endpoint = create_endpoint(api, receiver.url)
    url = f"/payment/webhook-endpoints/{endpoint['endpoint_id']}/"
    receiver.answers = [Answer(500)] * 100
    post_json(api, url + "test-event/")
    for _ in webhooks_out.RETRY_AFTER:
        due_now()
        sender.deliver_due()
    delivery = NotificationDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", len(webhooks_out.RETRY_AFTER) + 1)
    shown = api.get(url).json()
    assert shown["enabled"] is False and "failed 12 attempts" in shown["disabled_reason"]
    assert NotificationEvent.objects.filter(type="owner.endpoint_disabled").count() == 1


def test_only_the_newest_attempts_are_kept(api, receiver, monkeypatch):
    monkeypatch.setattr(webhooks_out, "KEEP_ATTEMPTS", 3)
    endpoint = create_endpoint(api, receiver.url)
    for _ in range(5):
        post_json(api, f"/payment/webhook-endpoints/{endpoint['endpoint_id']}/test-event/")
    assert WebhookDeliveryAttempt.objects.count() == 3


def test_a_deleted_endpoint_fails_its_pending_deliveries(api, receiver, user):
    result = webhook_endpoint_create(owner=user, url=receiver.url)
    receiver.answers = [Answer(500)]
    post_json(api, f"/payment/webhook-endpoints/{result.endpoint.pk}/test-event/")
    assert api.delete(f"/payment/webhook-endpoints/{result.endpoint.pk}/").status_code == 204
    due_now()
    sender.deliver_due()
    delivery = NotificationDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == ("failed", "The webhook endpoint was deleted.")


def test_unknown_event_types_are_refused(api, receiver):
    response = post_json(api, "/payment/webhook-endpoints/", {"url": receiver.url, "event_types": ["payment.stolen"]})
    assert response.status_code == 400


def test_another_user_sees_none_of_it(api, other_api, receiver):
    endpoint = create_endpoint(api, receiver.url)
    url = f"/payment/webhook-endpoints/{endpoint['endpoint_id']}/"
    assert other_api.get("/payment/webhook-endpoints/").json() == []
    for method, path in [("get", url), ("patch", url), ("delete", url), ("post", url + "roll-secret/"),
                         ("get", url + "deliveries/"), ("post", url + "test-event/")]:
        data = {} if method == "get" else {"data": "{}", "content_type": "application/json"}
        assert getattr(other_api, method)(path, **data).status_code == 404
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_inline_mode_sends_right_after_the_provider_webhook_commits(api, open_payment, receiver):
    """No sender run by the test: the provider webhook's own request sends them after its commit."""
    endpoint = create_endpoint(api, receiver.url, event_types=["payment.succeeded", "invoice.paid"])
    paid_through_webhooks(open_payment)
    assert sorted(verified(r, endpoint["secret"])["type"] for r in receiver.received) == [
        "invoice.paid", "payment.succeeded"]
    assert set(NotificationDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_the_owner_is_e_mailed_when_an_endpoint_is_turned_off(user, inbox, owner_email):
    """`owner.endpoint_disabled` (recorded when an endpoint gives up) becomes an e-mail, which has no
    switch: the endpoint stays off until the owner acts."""
    NotificationSettings.objects.create(owner=user, **{kind: False for kind in NotificationSettings.KINDS})
    outbox.write([outbox.event(owner_id=user.pk, type="owner.endpoint_disabled", key="endpoint-1:off",
                               data={"endpoint_id": "endpoint-1", "url": "https://erp.example.com/hooks",
                                     "reason": "20 attempts in a row failed"})])  # fmt: skip
    sender.deliver_due()
    (message,) = inbox.to(owner_email)
    text, html = parts(message)
    assert "https://erp.example.com/hooks" in text and "20 attempts in a row failed" in html
    assert "/settings/notifications/" in text
