"""Webhook health per config, for its owner: the last event, 24-hour counts of verified, rejected,
failed and deferred deliveries, and warnings when webhooks silently stopped working or disputes
wait for the owner's answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from tests.payments.api.conftest import assert_error, pay
from tests.payments.disputes import report_dispute
from tests.payments.webhooks.sandbox_events import deliver, send, session_payload, signed
from trackify.payments.gateways.types import DisputeStatus
from trackify.payments.models import InvoicePayment, PaymentWebhookEvent
from trackify.payments.services.gateway_configs import gateway_config_create

pytestmark = pytest.mark.django_db


def health(api, config) -> dict:
    response = api.get(f"/payment/gateways/{config.pk}/webhook-health/")
    assert response.status_code == 200, response.content
    return dict(response.json())


def send_badly_signed(payment: InvoicePayment) -> None:
    body, headers = signed(payment, session_payload(payment, "succeeded"), secret="not-the-endpoint-secret")
    assert deliver(Client(), payment, body, headers).status_code == 400


def test_a_config_that_heard_nothing_yet(api, sandbox_config) -> None:
    assert health(api, sandbox_config) == {
        "last_event_at": None,
        "last_event_type": "",
        "last_rejected_at": None,
        "verified": 0,
        "unmatched": 0,
        "rejected": 0,
        "failed": 0,
        "deferred": 0,
        "open_payments": 0,
        "disputes_needing_response": 0,
        "nearest_dispute_deadline": None,
        "warnings": [],
    }


def test_verified_rejected_failed_and_deferred_deliveries_are_counted(api, open_payment) -> None:
    assert send(Client(), open_payment, "processing").status_code == 200
    assert send(Client(), open_payment, "succeeded").status_code == 200
    send_badly_signed(open_payment)
    for status in (PaymentWebhookEvent.Status.FAILED, PaymentWebhookEvent.Status.DEFERRED):
        PaymentWebhookEvent.objects.create(
            gateway_name="sandbox", config=open_payment.config, gateway_event_id=f"evt_{status}",
            event_type="session.succeeded", payload={}, status=status,
        )
    old = PaymentWebhookEvent.objects.create(
        gateway_name="sandbox", config=open_payment.config, gateway_event_id="evt_old",
        event_type="session.succeeded", payload={}, status=PaymentWebhookEvent.Status.FAILED,
    )
    PaymentWebhookEvent.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(hours=25))

    found = health(api, open_payment.config)
    assert (found["verified"], found["rejected"], found["failed"], found["deferred"]) == (4, 1, 1, 1)
    assert found["last_event_type"] == "session.succeeded"
    assert found["last_rejected_at"] is not None
    assert any("failed and 1 deferred" in w for w in found["warnings"])


def test_mostly_rejected_deliveries_warn_of_a_wrong_signing_secret(api, open_payment) -> None:
    for _ in range(3):
        send_badly_signed(open_payment)
    [warning] = health(api, open_payment.config)["warnings"]
    assert "signing secret" in warning
    assert not PaymentWebhookEvent.objects.exists()  # nothing of a refused delivery is kept


def test_open_payments_and_a_silent_gateway_warn(api, open_payment, settings) -> None:
    settings.TRACKIFY_WEBHOOK_SILENCE_MINUTES = 60
    assert health(api, open_payment.config)["warnings"] == []  # opened just now: nothing to expect yet
    InvoicePayment.objects.filter(pk=open_payment.pk).update(created_at=timezone.now() - timedelta(hours=3))
    found = health(api, open_payment.config)
    assert found["open_payments"] == 1
    [warning] = found["warnings"]
    assert "No webhook has arrived ever" in warning


def test_health_is_the_owners_only(other_api, sandbox_config) -> None:
    assert_error(other_api.get(f"/payment/gateways/{sandbox_config.pk}/webhook-health/"), 404)


def test_the_admin_shows_a_configs_webhook_health(open_payment) -> None:
    send_badly_signed(open_payment)
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "admin-pass-123")
    client = Client()
    client.force_login(admin)
    page = client.get(f"/admin/payments/paymentgatewayconfig/{open_payment.config_id}/change/").content.decode()
    assert "Webhook health" in page
    assert "rejected (bad signature) 1" in page


def test_disputes_needing_a_response_warn_with_the_nearest_deadline(api, make_invoice, sandbox_config) -> None:
    now = timezone.now()
    near, far = now + timedelta(days=7), now + timedelta(days=12)
    report_dispute(pay(api, make_invoice()), gateway_dispute_id="dp_far", evidence_due_by=far)
    report_dispute(pay(api, make_invoice()), gateway_dispute_id="dp_near", status=DisputeStatus.INQUIRY,
                   is_inquiry=True, evidence_due_by=near)  # fmt: skip
    # Answered already, or closed: nothing to do, whatever their deadline.
    report_dispute(pay(api, make_invoice()), gateway_dispute_id="dp_review", status=DisputeStatus.UNDER_REVIEW,
                   evidence_due_by=now + timedelta(days=1))  # fmt: skip
    report_dispute(pay(api, make_invoice()), gateway_dispute_id="dp_lost", status=DisputeStatus.LOST,
                   evidence_due_by=now)  # fmt: skip
    # Another config of the same owner: its own health.
    other = gateway_config_create(owner=sandbox_config.owner, gateway_name="sandbox", display_name="Other")
    report_dispute(pay(api, make_invoice(), gateway_config_id=str(other.pk)), gateway_dispute_id="dp_other")

    found = health(api, sandbox_config)
    assert found["disputes_needing_response"] == 2
    assert found["nearest_dispute_deadline"][:19] == near.isoformat()[:19]
    assert found["warnings"] == [
        f"2 disputes need a response; the nearest deadline is {near.date():%Y-%m-%d} (7 days left): "
        "answer at the provider or the money is lost."
    ]
    theirs = health(api, other)
    assert (theirs["disputes_needing_response"], theirs["nearest_dispute_deadline"]) == (1, None)
    assert theirs["warnings"] == ["1 dispute needs a response: answer at the provider or the money is lost."]


@pytest.mark.parametrize(("days", "words"), [(0, "the last day"), (1, "1 day left"), (-3, "3 days past")])
def test_a_single_disputes_deadline_reads_as_days_left_or_past(api, invoice, sandbox_config, days, words) -> None:
    due = timezone.now() + timedelta(days=days)
    report_dispute(pay(api, invoice), evidence_due_by=due)
    [warning] = health(api, sandbox_config)["warnings"]
    assert warning == (
        f"1 dispute needs a response; its deadline is {due.date():%Y-%m-%d} ({words}): "
        "answer at the provider or the money is lost."
    )


def test_an_answered_dispute_no_longer_warns(api, invoice, sandbox_config) -> None:
    payment_id = pay(api, invoice)
    report_dispute(payment_id, evidence_due_by=timezone.now() + timedelta(days=3))
    assert health(api, sandbox_config)["disputes_needing_response"] == 1
    report_dispute(payment_id, status=DisputeStatus.UNDER_REVIEW)
    found = health(api, sandbox_config)
    assert (found["disputes_needing_response"], found["nearest_dispute_deadline"], found["warnings"]) == (0, None, [])


def test_the_admin_shows_the_disputes_warning(api, invoice, sandbox_config) -> None:
    report_dispute(pay(api, invoice))
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "admin-pass-123")
    client = Client()
    client.force_login(admin)
    page = client.get(f"/admin/payments/paymentgatewayconfig/{sandbox_config.pk}/change/").content.decode()
    assert "1 dispute needs a response" in page
