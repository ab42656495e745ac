"""The outbox: each change recorded once in the ledger's transaction, fanned out and sent after the
commit, retried with back-off, marked failed after the last attempt; two senders never take the same
delivery."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from trackify.payments.gateways.types import DisputeStatus, DisputeUpdate, PaymentStatus, PaymentUpdate, WebhookEvent
from trackify.payments.models import InvoicePayment, NotificationDelivery, NotificationEvent
from trackify.payments.services import ledger
from trackify.payments.services.notifications import registry, sender
from trackify.payments.services.notifications.channels import Channel, DeliveryFailed, exponential
from trackify.payments.services.webhooks import webhook_apply


class Recorder:
    """A channel that records what it sends and fails while told to."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failing = False
        self.gave_up: list[NotificationDelivery] = []

    def expand(self, event):
        return [NotificationDelivery(kind=event.type, target="owner@example.com")]

    def send(self, delivery, timeout):
        assert timeout > 0
        if self.failing == "database":
            raise OperationalError("the database went away")
        if self.failing:
            raise DeliveryFailed("the server said no")
        self.sent.append((delivery.kind, delivery.event.key))

    def channel(self) -> Channel:
        return Channel(name="test", expand=self.expand, send=self.send,
                       retry_after=(timedelta(minutes=1), timedelta(minutes=2)), on_gave_up=self.gave_up.append)


@pytest.fixture
def recorder(monkeypatch):
    recorder = Recorder()
    for name in list(registry.CHANNELS):  # the outbox alone: its test channel, not the real ones
        monkeypatch.delitem(registry.CHANNELS, name)
    monkeypatch.setitem(registry.CHANNELS, "test", recorder.channel())
    return recorder


def _paid(invoice, config, event_id="evt_paid"):
    payment = InvoicePayment.objects.create(
        invoice=invoice, config=config, gateway_name="sandbox", amount=invoice.total, currency=invoice.currency,
        gateway_reference=f"sess_{uuid.uuid4().hex[:8]}",
    )  # fmt: skip
    event = WebhookEvent(gateway_event_id=event_id, event_type="test", payload={}, payment_id=payment.pk,
                         payment_update=PaymentUpdate(status=PaymentStatus.SUCCEEDED, amount=payment.amount,
                                                      currency=payment.currency))  # fmt: skip
    return payment, event


@pytest.mark.django_db(transaction=True)
def test_a_payment_is_told_once_after_commit_whatever_the_webhooks_do(invoice, sandbox_config, recorder):
    payment, event = _paid(invoice, sandbox_config)
    webhook_apply(config=sandbox_config, event=event)
    webhook_apply(config=sandbox_config, event=event)  # the same delivery again
    again = WebhookEvent(gateway_event_id="evt_other", event_type="test", payload={}, payment_id=payment.pk,
                         payment_update=event.payment_update)  # the same news in another event
    webhook_apply(config=sandbox_config, event=again)
    assert sorted(recorder.sent) == [("invoice.paid", f"invoice.paid:{invoice.pk}:{invoice.total}"),
                                     ("payment.succeeded", f"payment.succeeded:{payment.pk}")]  # fmt: skip
    assert NotificationEvent.objects.count() == 2
    assert set(NotificationDelivery.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_rolls_back_records_nothing(invoice, sandbox_config, recorder):
    payment, event = _paid(invoice, sandbox_config)
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.payment_apply(payment_id=payment.pk, payment_update=event.payment_update, source="webhook")
        raise RuntimeError("the process dies before the commit")
    assert not NotificationEvent.objects.exists()
    assert not recorder.sent


@pytest.mark.django_db(transaction=True)
def test_a_failed_send_is_retried_with_back_off_then_marked_failed(invoice, sandbox_config, recorder, settings):
    settings.TRACKIFY_NOTIFY_INLINE_SECONDS = 0
    payment, event = _paid(invoice, sandbox_config)
    webhook_apply(config=sandbox_config, event=event)
    recorder.failing = True
    summary = sender.deliver_due()
    assert (summary.expanded, summary.retried, summary.sent) == (2, 2, 0)
    delivery = NotificationDelivery.objects.get(kind="payment.succeeded")
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "the server said no")
    assert timezone.now() + timedelta(seconds=50) < delivery.next_attempt_at  # not due again for a minute
    assert sender.deliver_due().retried == 0  # nothing due yet
    for expected_attempts in (2, 3):
        NotificationDelivery.objects.update(next_attempt_at=timezone.now())
        sender.deliver_due()
        delivery.refresh_from_db()
        assert delivery.attempts == expected_attempts
    assert delivery.status == "failed"
    assert {d.kind for d in recorder.gave_up} == {"payment.succeeded", "invoice.paid"}
    recorder.failing = False
    sender.delivery_send_again(delivery)  # the owner's "send again"
    assert sender.deliver_due().sent == 1
    assert recorder.sent == [("payment.succeeded", f"payment.succeeded:{payment.pk}")]


@pytest.mark.django_db(transaction=True)
def test_a_database_gone_under_a_channel_is_no_failed_attempt(invoice, sandbox_config, recorder, settings):
    settings.TRACKIFY_NOTIFY_INLINE_SECONDS = 0
    _, event = _paid(invoice, sandbox_config)
    webhook_apply(config=sandbox_config, event=event)
    recorder.failing = "database"
    with pytest.raises(OperationalError):  # for the caller to answer as the database's (503), not logged as a bug
        sender.deliver_due()
    assert set(NotificationDelivery.objects.values_list("status", "attempts")) == {("pending", 0)}
    recorder.failing = False
    assert sender.deliver_due().sent == 2


@pytest.mark.django_db(transaction=True)
def test_dispute_and_refund_changes_are_recorded_once_each(invoice, sandbox_config, recorder, settings):
    settings.TRACKIFY_NOTIFY_INLINE_SECONDS = 0
    payment, event = _paid(invoice, sandbox_config)
    webhook_apply(config=sandbox_config, event=event)
    for status, withdrawn in ((DisputeStatus.NEEDS_RESPONSE, payment.amount), (DisputeStatus.LOST, payment.amount),
                              (DisputeStatus.LOST, payment.amount)):  # fmt: skip
        ledger.payment_apply(payment_id=payment.pk, source="webhook", dispute_updates=[DisputeUpdate(
            gateway_dispute_id="dp_1", status=status, amount=payment.amount, currency="EUR", withdrawn=withdrawn,
        )])  # fmt: skip
    types = sorted(NotificationEvent.objects.values_list("type", flat=True))
    assert types == ["dispute.closed", "dispute.opened", "invoice.paid", "payment.succeeded"]


@pytest.mark.django_db(transaction=True)
def test_two_senders_never_take_the_same_delivery(invoice, sandbox_config, recorder, settings):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL; SQLite has one writer at a time")
    settings.TRACKIFY_NOTIFY_INLINE_SECONDS = 0
    for n in range(10):
        _, event = _paid(invoice, sandbox_config, event_id=f"evt_{n}")
        webhook_apply(config=sandbox_config, event=event)
    sender.expand_events()

    def run() -> None:
        try:
            sender.deliver_due()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(recorder.sent) == len(set(recorder.sent)) == NotificationDelivery.objects.count()


@pytest.mark.django_db(transaction=True)
def test_the_command_sends_what_is_due_and_says_so(invoice, sandbox_config, recorder, settings, capsys):
    settings.TRACKIFY_NOTIFY_INLINE_SECONDS = 0
    webhook_apply(config=sandbox_config, event=_paid(invoice, sandbox_config)[1])
    call_command("notifications_deliver")
    out = capsys.readouterr().out
    assert "events fanned out: 2" in out and "sent: 2" in out


def test_back_off_grows_and_is_capped():
    waits = exponential(timedelta(seconds=5), attempts=5, factor=3, most=timedelta(minutes=1))
    assert [w.total_seconds() for w in waits] == [5, 15, 45, 60, 60]
