"""Crash safety: a server process killed with SIGKILL between storing an event and applying it.

The pause is made in the database, not in our code: the harness holds the invoice's row lock, so
the process stops where the ledger locks the invoice to apply the event, waits until PostgreSQL
shows it waiting, and kills it with SIGKILL.

- Inline mode (the default): storing and applying are one transaction in the web worker. It dies
  with the worker, the gateway saw no 2xx, and its next delivery applies the event once.
- Async mode (`TRACKIFY_WEBHOOK_MODE=async`): the web worker commits the event as `received` and
  queues it; the Celery worker applying it is killed. The stored event is not lost: the reprocess
  command applies it, once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from django.test import override_settings

from tests.fakes.fake_stripe import Account, FakeStripe
from tests.harness.live_server import ROOT, LiveServer, database_url
from trackify.invoices.services import invoice_create
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig, PaymentStatusChange, PaymentWebhookEvent
from trackify.payments.services.catch_up import webhook_events_reprocess
from trackify.payments.services.gateway_configs import gateway_config_create
from trackify.payments.services.sessions import payment_session_create

pytestmark = [pytest.mark.postgres, pytest.mark.harness, pytest.mark.django_db(transaction=True)]


@dataclass
class World:
    fake: FakeStripe
    account: Account
    config: PaymentGatewayConfig
    payment: InvoicePayment

    def deliver(self, server: LiveServer, event: dict[str, Any]) -> requests.Response:
        signed = FakeStripe.delivery(event, self.account.webhook_secret)
        url = f"{server.url}/payment/webhook/stripe/{self.config.id}/"
        return requests.post(url, data=signed.body, headers=signed.headers, timeout=60)


@pytest.fixture
def world(make_user: Any) -> Iterator[World]:
    """A Stripe account at the fake, its config, and a Checkout payment of 42.00 EUR, paid at Stripe."""
    fake = FakeStripe().start()
    try:
        account = fake.add_account()
        credentials = {"secret_key": account.secret_key, "publishable_key": account.publishable_key,
                       "webhook_secret": account.webhook_secret}  # fmt: skip
        config = gateway_config_create(owner=make_user("crash-owner"), gateway_name="stripe", credentials=credentials)
        invoice = invoice_create(owner=config.owner, number="CRASH-1", client_name="C", currency="EUR", total="42.00")
        with override_settings(STRIPE_API_BASE=fake.url):
            payment = payment_session_create(invoice_id=invoice.pk).payment
        yield World(fake, account, config, payment)
    finally:
        fake.stop()


def wait_for_lock_waiter(observer: psycopg.Connection[Any], seconds: float = 30) -> None:
    """Until a backend of the server waits on a row lock (the worker reached the apply step)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        observer.execute("SELECT pg_stat_clear_snapshot()")  # the view is a per-transaction snapshot otherwise
        row = observer.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ).fetchone()
        if row and row[0]:
            return
        observer.execute("SELECT pg_sleep(0.05)")  # polling the database's state, not timing the test
    raise AssertionError("the worker never reached the apply step")


def kill_while_applying(world: World, server: LiveServer, event: dict[str, Any]) -> Any:
    [worker] = server.worker_pids()
    return kill_with_invoice_locked(world, worker, lambda: world.deliver(server, event))


def kill_with_invoice_locked(world: World, victim: int, action: Any, *, seconds: float = 30) -> Any:
    """Run `action` with the invoice's row locked; SIGKILL `victim` once a process waits for that lock.

    Returns what `action` returned (or raised), e.g. what a webhook sender got.
    """
    pause = psycopg.connect(database_url().replace("postgres://", "postgresql://", 1))
    answers: list[Any] = []

    def send() -> None:
        try:
            answers.append(action())
        except requests.RequestException as exc:
            answers.append(exc)

    sender = threading.Thread(target=send)
    try:
        pause.execute("SELECT 1 FROM invoices_invoice WHERE id = %s FOR UPDATE", [world.payment.invoice_id])
        sender.start()
        wait_for_lock_waiter(pause, seconds)
        os.kill(victim, signal.SIGKILL)
    finally:
        pause.rollback()  # the pause ends
        pause.close()
        if sender.is_alive() or sender.ident:
            sender.join(timeout=60)
    return answers[0] if answers else None


def test_a_worker_killed_between_storing_and_applying_loses_nothing(world: World, tmp_path: Path) -> None:
    [completed] = [e for e in world.account.pay_checkout(world.payment.gateway_reference)
                   if e["type"] == "checkout.session.completed"]  # fmt: skip

    with LiveServer(workers=1, env={"STRIPE_API_BASE": world.fake.url}, log=tmp_path / "gunicorn.log") as server:
        answer = kill_while_applying(world, server, completed)

        # Stripe saw no 2xx: a failed delivery. Nothing of it is stored or half-applied.
        assert not isinstance(answer, requests.Response) or answer.status_code >= 500
        assert not PaymentWebhookEvent.objects.filter(gateway_event_id=completed["id"]).exists()
        assert InvoicePayment.objects.get(pk=world.payment.pk).status == "pending"
        assert webhook_events_reprocess(older_than=timedelta(0)).total == 0

        # Stripe's retry reaches a fresh worker and completes it, once.
        retry = world.deliver(server, completed)
        assert (retry.status_code, retry.json()["status"]) == (200, "processed")
        assert world.deliver(server, completed).json()["status"] == "duplicate"

    paid = InvoicePayment.objects.select_related("invoice").get(pk=world.payment.pk)
    assert (paid.status, paid.invoice.status, paid.invoice.amount_paid) == ("succeeded", "paid", 4200)
    assert PaymentWebhookEvent.objects.filter(gateway_event_id=completed["id"]).count() == 1
    assert PaymentStatusChange.objects.filter(payment=paid, applied=True).count() == 1


def test_a_celery_worker_killed_between_storing_and_applying_loses_nothing(world: World, tmp_path: Path) -> None:
    redis = pytest.importorskip("redis").Redis(host="127.0.0.1", port=6379)
    try:
        redis.ping()
    except Exception as exc:
        pytest.skip(f"Redis is not reachable on 127.0.0.1:6379 ({exc}); async mode needs it")
    run = uuid.uuid4().hex[:12]
    env = {
        "STRIPE_API_BASE": world.fake.url,
        "TRACKIFY_WEBHOOK_MODE": "async",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        # The test settings' own queue and key prefix on the shared Redis, the same for server and worker.
        "TRACKIFY_TEST_RUN_ID": f"crash{run}",
    }
    [completed] = [e for e in world.account.pay_checkout(world.payment.gateway_reference)
                   if e["type"] == "checkout.session.completed"]  # fmt: skip
    try:
        with LiveServer(workers=1, env=env, log=tmp_path / "gunicorn.log") as server:
            queued = world.deliver(server, completed)
            assert (queued.status_code, queued.json()["status"]) == (200, "queued"), queued.text
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-l", "warning",
                 "-Q", f"trackify-test-crash{run}"],
                cwd=ROOT, env=server.env | env, stdout=(tmp_path / "celery.log").open("wb"), stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:  # a worker starting on a busy machine may take a while before it takes the task
                kill_with_invoice_locked(world, worker.pid, lambda: worker.wait(timeout=180), seconds=150)
            except AssertionError as exc:
                log = (tmp_path / "celery.log").read_text()[-2000:]
                raise AssertionError(f"{exc}; the worker's log: {log}") from exc
            finally:
                if worker.poll() is None:
                    worker.kill()
                worker.wait(timeout=10)
            assert worker.returncode == -signal.SIGKILL

            # Stored, not applied, not lost.
            row = PaymentWebhookEvent.objects.get(gateway_event_id=completed["id"])
            assert row.status == PaymentWebhookEvent.Status.RECEIVED
            assert InvoicePayment.objects.get(pk=world.payment.pk).status == "pending"

            summary = webhook_events_reprocess(older_than=timedelta(0))
            assert (summary.total, dict(summary.outcomes)) == (1, {"processed": 1})
    finally:
        for key in redis.scan_iter(f"trackify-test-crash{run}*"):
            redis.delete(key)

    paid = InvoicePayment.objects.select_related("invoice").get(pk=world.payment.pk)
    assert (paid.status, paid.invoice.status, paid.invoice.amount_paid) == ("succeeded", "paid", 4200)
    assert PaymentStatusChange.objects.filter(payment=paid, applied=True).count() == 1
