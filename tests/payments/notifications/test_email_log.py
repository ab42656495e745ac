"""The owner's e-mail log: an e-mail that could not be sent after every attempt is shown to the
owner, with its error, and can be sent again; another owner's are not theirs to see."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import post_json
from tests.payments.notifications.conftest import free_port
from tests.payments.notifications.test_email import pay
from trackify.payments.models import NotificationDelivery
from trackify.payments.services.notifications.sender import deliver_due

pytestmark = pytest.mark.django_db


def test_an_e_mail_that_failed_for_good_is_listed_for_its_owner_and_sent_again(
    anon, api, invoice, sandbox_config, smtp_server, owner_email, settings, django_capture_on_commit_callbacks,
    other_api,
):
    inbox, controller = smtp_server
    settings.EMAIL_PORT = free_port()  # the mail server is down for every attempt
    pay(anon, invoice, django_capture_on_commit_callbacks)
    for _ in range(10):
        NotificationDelivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
        deliver_due()
    failed = api.get("/payment/notification-emails/?status=failed").json()
    assert failed["count"] == 2
    receipt = next(row for row in failed["results"] if row["kind"] == "client_receipt")
    assert (receipt["to"], receipt["event_type"], receipt["attempts"]) == ("client@example.com",
                                                                            "payment.succeeded", 8)
    assert receipt["last_error"] == "The mail server could not be reached (ConnectionRefusedError)."
    assert receipt["next_attempt_at"] is None
    assert api.get("/payment/notification-emails/").json()["count"] == 2

    settings.EMAIL_PORT = controller.port  # back
    again = post_json(api, f"/payment/notification-emails/{receipt['delivery_id']}/send-again/")
    assert again.status_code == 202, again.content
    assert (again.json()["status"], again.json()["attempts"]) == ("sent", 1)
    assert len(inbox.to("client@example.com")) == 1
    assert api.get("/payment/notification-emails/?status=failed").json()["count"] == 1

    assert other_api.get("/payment/notification-emails/").json()["count"] == 0
    refused = post_json(other_api, f"/payment/notification-emails/{receipt['delivery_id']}/send-again/")
    assert refused.status_code == 404


def test_a_status_that_is_not_one_is_a_400(api: Any) -> None:
    answer = api.get("/payment/notification-emails/?status=lost")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid"
