"""The daily webhook-health digest: one e-mail per owner with warnings, once a day."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.payments.notifications.conftest import parts
from trackify.payments.models import InvoicePayment, NotificationEvent
from trackify.payments.services.notifications.digest import health_digest_record
from trackify.payments.services.notifications.sender import deliver_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_gateway(open_payment):
    """A payment open for two hours with no webhook ever: a health warning."""
    InvoicePayment.objects.filter(pk=open_payment.pk).update(created_at=timezone.now() - timedelta(hours=2))
    return open_payment


def test_an_owner_with_warnings_gets_one_digest_a_day(silent_gateway, inbox, owner_email, make_user):
    make_user("quiet-owner")  # no gateway, no warning: nothing
    assert health_digest_record(day=date(2026, 12, 7)) == 1
    assert health_digest_record(day=date(2026, 12, 7)) == 0  # the same day again: nothing more
    deliver_due()

    (digest,) = inbox.messages
    assert digest["To"] == owner_email
    assert digest["Subject"] == "Your payment gateways need attention"
    text, html = parts(digest)
    assert "Sandbox" in text and "No webhook has arrived" in text
    assert "No webhook has arrived" in html
    event = NotificationEvent.objects.get(type="owner.health_digest")
    assert event.key.endswith(":2026-12-07")

    assert health_digest_record(day=date(2026, 12, 8)) == 1  # the next day: a new one


def test_the_command_records_and_sends(silent_gateway, inbox, owner_email):
    out = io.StringIO()
    call_command("notifications_digest", stdout=out)
    assert "digests recorded: 1" in out.getvalue()
    assert len(inbox.messages) == 1


def test_no_warning_no_digest(sandbox_config, inbox, owner_email):
    assert health_digest_record() == 0
    assert not NotificationEvent.objects.exists()


def test_the_beat_runs_it_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-digest"]
    assert entry["task"] == "trackify.payments.tasks.notifications_digest_task"
    assert entry["schedule"] == 24 * 3600
