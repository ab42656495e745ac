"""The beat schedule's tasks run the catch-up and the reprocessing (in this process: no broker needed)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.payments.webhooks.sandbox_events import session_payload, signed
from trackify.payments.gateways.types import WebhookRequest
from trackify.payments.models import InvoicePayment, PaymentWebhookEvent
from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.webhook_events import event_claim
from trackify.payments.tasks import payments_catch_up_task, webhook_events_reprocess_task


def test_an_event_a_lost_message_left_stored_is_applied_by_the_periodic_reprocessing(open_payment):
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded", event_id="evt_sbx_lost"))
    signature = headers["HTTP_TRACKIFY_SANDBOX_SIGNATURE"]
    request = WebhookRequest(body=body, headers={"trackify-sandbox-signature": signature})
    event = gateway_for(open_payment.config).handle_webhook(request)
    stored = event_claim(config=open_payment.config, event=event, status=PaymentWebhookEvent.Status.RECEIVED)
    PaymentWebhookEvent.objects.filter(pk=stored).update(received_at=timezone.now() - timedelta(minutes=5))

    webhook_events_reprocess_task.apply().get()

    assert PaymentWebhookEvent.objects.get(pk=stored).status == "processed"
    assert InvoicePayment.objects.get(pk=open_payment.pk).status == "succeeded"


def test_the_catch_up_task_runs_the_catch_up(open_payment):
    InvoicePayment.objects.filter(pk=open_payment.pk).update(created_at=timezone.now() - timedelta(hours=1))
    report = payments_catch_up_task.apply().get()
    assert "checked: 1" in report
