"""Async webhooks on a real Celery worker and the local Redis: applied once, even when a worker dies.

The worker is a real `celery -A config worker` process on this run's own queue and key prefix
(config/settings/test.py), against the test database; the tests need PostgreSQL (the worker must see
committed rows) and Redis, and skip, saying so, without them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client, override_settings

from bench import harness
from config.celery import app as celery_app
from tests.deployment.conftest import database_url_for_servers
from tests.payments.webhooks.sandbox_events import deliver, session_payload, signed
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment, PaymentStatusChange, PaymentWebhookEvent
from trackify.payments.tasks import webhook_event_apply

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 90.0


def eventually(condition: Callable[[], Any], what: str, deadline: float = DEADLINE) -> Any:
    """Poll until `condition()` is true (a worker is another process): the outcome, not a nap."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what} after {deadline} s")


def redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        pytest.skip(f"needs Redis at {settings.CELERY_BROKER_URL} for a real Celery worker: {exc}")


@pytest.fixture
def worker() -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker (prefork, one child) on this run's queue, against the test database."""
    redis_or_skip()
    log = Path(tempfile.mkstemp(prefix="celery-worker-", suffix=".log")[1])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_servers(),
        "TRACKIFY_TEST_RUN_ID": settings.TRACKIFY_TEST_RUN_ID,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "1",
        "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "-n", f"{settings.TRACKIFY_TEST_RUN_ID}@%h",
        "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        harness.terminate(process)
        if process.returncode not in (0, -signal.SIGTERM):
            print(log.read_text()[-5000:])
        log.unlink(missing_ok=True)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def applied(payment: InvoicePayment) -> int:
    return PaymentStatusChange.objects.filter(payment=payment, applied=True).count()


@override_settings(TRACKIFY_WEBHOOK_MODE="async")
def test_an_async_delivery_is_stored_queued_and_applied_once_by_a_worker(open_payment, worker):
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded", event_id="evt_sbx_async"))

    response = deliver(Client(), open_payment, body, headers)

    assert (response.status_code, response.json()["status"]) == (200, "queued")
    row = PaymentWebhookEvent.objects.get(gateway_event_id="evt_sbx_async")
    eventually(lambda: PaymentWebhookEvent.objects.get(pk=row.pk).status == "processed", "the worker")
    payment = InvoicePayment.objects.select_related("invoice").get(pk=open_payment.pk)
    assert (payment.status, payment.invoice.status) == ("succeeded", "paid")
    assert payment.invoice.amount_paid == payment.amount
    assert applied(payment) == 1
    again = deliver(Client(), open_payment, body, headers)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert applied(payment) == 1


@override_settings(TRACKIFY_WEBHOOK_MODE="async")
def test_a_worker_killed_mid_task_loses_nothing_and_applies_once(open_payment, worker):
    """The worker's child is killed (SIGKILL) while it holds the task, blocked on the invoice's row
    lock; the task was not acknowledged, so it comes back, and is applied exactly once."""
    hold, release = threading.Event(), threading.Event()

    def hold_the_invoice() -> None:
        with transaction.atomic():
            Invoice.objects.select_for_update().get(pk=open_payment.invoice_id)
            hold.set()
            release.wait(timeout=DEADLINE)
        connection.close()

    holder = threading.Thread(target=hold_the_invoice)
    holder.start()
    try:
        assert hold.wait(timeout=30)
        body, headers = signed(open_payment, session_payload(open_payment, "succeeded", event_id="evt_sbx_kill"))
        assert deliver(Client(), open_payment, body, headers).json()["status"] == "queued"
        eventually(waiting_on_a_lock, "the worker to block on the invoice's lock")
        [child] = eventually(lambda: children_of(worker.pid), "the worker's child")
        os.kill(child, signal.SIGKILL)
        eventually(lambda: children_of(worker.pid) and children_of(worker.pid) != [child], "a new child")
    finally:
        release.set()
        holder.join(timeout=30)

    eventually(lambda: PaymentWebhookEvent.objects.get(gateway_event_id="evt_sbx_kill").status == "processed",
               "the task to come back and be applied")
    payment = InvoicePayment.objects.select_related("invoice").get(pk=open_payment.pk)
    assert (payment.status, payment.invoice.amount_paid) == ("succeeded", payment.amount)
    assert applied(payment) == 1
    assert worker.poll() is None  # the worker itself lived on


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])


@pytest.fixture
def eager() -> Iterator[None]:
    """Tasks run in this process when queued: no broker, no worker."""
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = False


def test_running_the_task_again_on_an_applied_event_changes_nothing(open_payment, eager):
    """The task is idempotent: a redelivered message for an event already applied does nothing."""
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded", event_id="evt_sbx_twice"))
    with override_settings(TRACKIFY_WEBHOOK_MODE="async"):
        assert deliver(Client(), open_payment, body, headers).json()["status"] == "queued"
    row = PaymentWebhookEvent.objects.get(gateway_event_id="evt_sbx_twice")
    assert row.status == "processed"

    assert webhook_event_apply.apply(args=[row.pk]).get() == "duplicate"
    assert webhook_event_apply.apply(args=[row.pk]).get() == "duplicate"
    payment = InvoicePayment.objects.select_related("invoice").get(pk=open_payment.pk)
    assert (applied(payment), payment.invoice.amount_paid) == (1, payment.amount)


def test_every_periodic_task_of_the_beat_schedule_is_a_registered_task():
    celery_app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in celery_app.tasks, entry


@override_settings(TRACKIFY_WEBHOOK_MODE="async")
def test_in_async_mode_a_worker_sends_the_notifications_of_what_it_applied(open_payment, worker):
    """The worker applies the event; its commit queues the notifications task (by name: services never
    import tasks), which the worker runs: the owner's endpoint gets the signed webhooks, once."""
    from standardwebhooks import Webhook

    from tests.payments.notifications.receiver import receiving
    from trackify.payments.services.webhook_endpoints import webhook_endpoint_create

    with receiving() as receiver:
        endpoint = webhook_endpoint_create(owner=open_payment.invoice.owner, url=receiver.url)
        body, headers = signed(open_payment, session_payload(open_payment, "succeeded", event_id="evt_sbx_notify"))
        assert deliver(Client(), open_payment, body, headers).json()["status"] == "queued"
        eventually(lambda: len(receiver.received) >= 2, "the webhooks sent by the worker")
        time.sleep(0.5)  # nothing more comes
        types = sorted(json.loads(message.body)["type"] for message in receiver.received)
        assert types == ["invoice.paid", "payment.succeeded"]
        for message in receiver.received:
            Webhook(endpoint.secret).verify(message.body, message.headers)
