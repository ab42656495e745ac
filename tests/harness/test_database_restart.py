"""PostgreSQL restarted in the middle of a webhook storm: every delivery answers 200 or 503, none is lost.

gunicorn (4 sync workers, each keeping its connection) serves signed Stripe deliveries from 8
senders against a PostgreSQL cluster of this test's own (`postgres_cluster.py`; the shared server is
left alone). A third of the way in, the cluster restarts: a fast shutdown, a second down, a start.
Deliveries in flight meet "terminating connection", those sent while it is down a refused
connection, and each worker's kept connection is dead once it is back. The senders retry as Stripe
does: a delivery that got a 503 or no answer is sent again after a back-off.

Afterwards: nothing but 200 and 503 was answered (no 500, no connection error), each 503 logged one
line and no traceback, every event is stored once and done, every invoice's amount paid equals what
Stripe's books say, and the workers are the ones that started. Run with Django's connection health
checks on (production's default) and off (the request that meets a dead connection discards it).
`OUTAGE_PAYMENTS` changes the size (default 60, about 430 deliveries).
"""

from __future__ import annotations

import collections
import contextlib
import heapq
import itertools
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dj_database_url
import pytest
import requests
from django.db import connection

from tests.fakes.fake_stripe import FakeStripe
from tests.harness.live_server import ROOT, LiveServer
from tests.harness.postgres_cluster import PostgresCluster, postgres_bin
from tests.harness.test_webhook_storm import (
    Delivery,
    Figures,
    happen_at_stripe,
    make_endpoints,
    open_payments,
    plan_deliveries,
    run_senders,
    wrong_invoices,
)
from trackify.payments.models import PaymentWebhookEvent
from trackify.payments.services.webhook_events import DONE

pytestmark = [
    pytest.mark.postgres(reason="a PostgreSQL cluster restarted under a live server"),
    pytest.mark.harness,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(postgres_bin() is None, reason="no PostgreSQL server binaries under /usr/lib/postgresql/"),
]

PAYMENTS = int(os.environ.get("OUTAGE_PAYMENTS", "60"))
MAX_ATTEMPTS = 12
DOWN_FOR = 1.0  # seconds between the fast shutdown and the start
RETRY_AFTER = 1  # the servers' TRACKIFY_DB_RETRY_AFTER, short for the test


@dataclass
class OutageFigures(Figures):
    answered_503: int = 0
    restart_at: int = 0  # deliveries sent when the restart began
    restart_seconds: float = 0.0
    attempts_per_delivery: collections.Counter[int] = field(default_factory=collections.Counter)


@contextlib.contextmanager
def django_database(url: str) -> Iterator[None]:
    """This process's default connection on `url` for the block, as Django's own test-database creation
    switches it: closed, its settings changed, reopened on first use."""
    target = dj_database_url.parse(url)
    keys = ("NAME", "USER", "PASSWORD", "HOST", "PORT")
    kept = {key: connection.settings_dict[key] for key in keys}
    connection.close()
    connection.settings_dict.update({key: target[key] for key in keys})  # type: ignore[literal-required]
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(kept)


def migrate(url: str, log: Path) -> None:
    """The schema, made as a deployment makes it."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url}
    with log.open("ab") as out:
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env,
                       stdout=out, stderr=subprocess.STDOUT, check=True, timeout=300)  # fmt: skip


class RetryingSenders:
    """8 senders; a delivery that fails is sent again after an exponential back-off, as Stripe does."""

    def __init__(self, server_url: str, planned: list[Delivery], figures: OutageFigures, restart: Any):
        self.server_url, self.figures, self.restart = server_url, figures, restart
        self.order = itertools.count()
        self.due: list[tuple[float, int, Delivery]] = [(0.0, next(self.order), d) for d in planned]
        self.unfinished = len(planned)
        self.restart_after = len(planned) // 3
        self.changed = threading.Condition()

    def run(self) -> None:
        self.figures.seconds = run_senders(self._sender)

    def _take(self) -> Delivery | None:
        with self.changed:
            while self.unfinished:
                wait = self.due[0][0] - time.monotonic() if self.due else None
                if wait is not None and wait <= 0:
                    delivery = heapq.heappop(self.due)[2]
                    delivery.attempt += 1
                    self.figures.deliveries += 1
                    self.figures.retried += delivery.attempt > 1
                    if self.figures.deliveries == self.restart_after:
                        self.figures.restart_at = self.figures.deliveries
                        self.restart.set()
                    return delivery
                self.changed.wait(wait)  # until a delivery is due, or one is put back or finished
            return None

    def _done(self, delivery: Delivery, ok: bool) -> None:
        with self.changed:
            if ok or delivery.attempt >= MAX_ATTEMPTS:
                self.unfinished -= 1
                self.figures.attempts_per_delivery[delivery.attempt] += 1
                if not ok:
                    self.figures.errors.append(f"gave up on {delivery.event['id']}")
            else:  # Stripe's back-off, scaled down from hours to seconds
                back_off = min(0.25 * 2 ** (delivery.attempt - 1), 4.0) * random.uniform(0.8, 1.2)
                heapq.heappush(self.due, (time.monotonic() + back_off, next(self.order), delivery))
            self.changed.notify_all()

    def _sender(self) -> None:
        session = requests.Session()
        while (delivery := self._take()) is not None:
            try:
                ok = self._send(session, delivery)
            except Exception as exc:  # a sender must not die with deliveries left: the others would wait
                self.figures.errors.append(f"{type(exc).__name__} in the sender: {exc}")
                ok = False
            self._done(delivery, ok)

    def _send(self, session: requests.Session, delivery: Delivery) -> bool:
        signed = FakeStripe.delivery(delivery.event, delivery.endpoint.account.webhook_secret)
        url = f"{self.server_url}/payment/webhook/stripe/{delivery.endpoint.config.id}/"
        try:
            response = session.post(url, data=signed.body, headers=signed.headers, timeout=60)
        except requests.RequestException as exc:
            with self.changed:
                self.figures.errors.append(f"{type(exc).__name__} on {delivery.event['id']}")
            return False
        with self.changed:
            self.figures.statuses[response.status_code] += 1
            if response.status_code == 503:
                self.figures.answered_503 += 1
                answer = (response.headers.get("Retry-After"), response.json()["error"]["code"])
                if answer != (str(RETRY_AFTER), "database_unavailable"):
                    self.figures.errors.append(f"a 503 answered {answer}")
            if response.ok:
                self.figures.outcomes[response.json().get("status", "?")] += 1
        return response.ok


def restart_when_told(cluster: PostgresCluster, told: threading.Event, figures: OutageFigures) -> threading.Thread:
    def restart() -> None:
        if told.wait(timeout=300):
            figures.restart_seconds = cluster.restart(down_for=DOWN_FOR)

    thread = threading.Thread(target=restart, name="restart")
    thread.start()
    return thread


def causes_logged(log: Path) -> collections.Counter[str]:
    """The causes of the 503s the servers logged, by their first words."""
    lines = re.findall(r"Database unavailable, answered 503 to POST \S+: (.*)", log.read_text())
    return collections.Counter(" ".join(line.split()[:6]) for line in lines)


@pytest.fixture
def fake_stripe_server() -> Iterator[FakeStripe]:
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.mark.parametrize("health_checks", ["on", "off"])
def test_a_database_restart_mid_storm_loses_no_delivery(
    fake_stripe_server: FakeStripe, make_user: Any, settings: Any, tmp_path: Path, capsys: Any, health_checks: str
) -> None:
    settings.STRIPE_API_BASE = fake_stripe_server.url
    rng = random.Random(int(os.environ.get("STORM_SEED", "1")) or None)
    figures = OutageFigures()
    log = tmp_path / "gunicorn.log"
    with PostgresCluster() as cluster:
        url = cluster.create_database("trackify")
        migrate(url, log)
        with django_database(url):
            endpoints = make_endpoints(fake_stripe_server, make_user)
            opened = open_payments(endpoints, rng, count=PAYMENTS)
            happen_at_stripe(opened, rng)
            planned = plan_deliveries(endpoints, rng, figures)
            for delivery in planned:
                delivery.abandon = False  # every failure here is the database's
            connection.close()  # this process's connection would not survive the restart either

            env = {
                "DATABASE_URL": url,
                "DATABASE_CONN_HEALTH_CHECKS": "1" if health_checks == "on" else "0",
                "TRACKIFY_DB_RETRY_AFTER": str(RETRY_AFTER),
                "STRIPE_API_BASE": fake_stripe_server.url,
            }
            told = threading.Event()
            with LiveServer(workers=4, env=env, log=log) as server:
                workers_before = sorted(server.worker_pids())
                restarter = restart_when_told(cluster, told, figures)
                RetryingSenders(server.url, planned, figures, told).run()
                told.set()  # (already set, unless the storm was too small to reach a third)
                restarter.join()
                workers_after = sorted(server.worker_pids())

            wrong = wrong_invoices(opened)
            events = collections.Counter(PaymentWebhookEvent.objects.values_list("status", flat=True))
            causes = causes_logged(log)
            log_text = log.read_text()

    with capsys.disabled():
        print(
            f"\n[db restart, health checks {health_checks}] {PAYMENTS} payments, {figures.deliveries} deliveries "
            f"({figures.unique_events} events, {figures.duplicates} duplicates, {figures.retried} retries) in "
            f"{figures.seconds:.1f} s; restart after {figures.restart_at} deliveries, away "
            f"{figures.restart_seconds:.1f} s; answers {dict(sorted(figures.statuses.items()))}; attempts per "
            f"delivery {dict(sorted(figures.attempts_per_delivery.items()))}; logged causes {dict(causes)}; "
            f"events {dict(events)}; errors {len(figures.errors)}; wrong invoices {len(wrong)}"
        )
    assert set(figures.statuses) <= {200, 503}, figures.statuses
    assert figures.restart_seconds > 0, "the cluster was not restarted during the storm"
    assert figures.answered_503 > 0, "no request met the outage: the test proved nothing"
    assert not figures.errors, figures.errors[:10]  # no connection error, no delivery given up
    assert sum(causes.values()) == figures.answered_503  # one line per 503 ...
    assert "Traceback" not in log_text  # ... and no traceback
    assert sum(events.values()) == figures.unique_events
    assert set(events) <= set(DONE), events
    assert not wrong, wrong[:10]
    assert workers_after == workers_before, "a gunicorn worker was restarted"
