"""The async mode in the webhook benchmark: ingestion under gunicorn, application by a Celery worker.

Called by `bench/webhooks.py --async` with Redis answering: the web tier runs with
TRACKIFY_WEBHOOK_MODE=async (verify, store, enqueue, answer), one Celery worker (prefork, one process
per core) applies the events; the run prints the ingestion figures and how long the worker took to
apply everything that was queued.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench import harness
from bench import stripe_events as se


def run(db_url: str, config_id: str, slices: Any, args: Any, workers: int) -> None:
    import redis

    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(broker, socket_connect_timeout=2).ping()
    except Exception as exc:
        print(f"\n==> async mode: skipped, Redis at {broker} does not answer ({exc})")
        return
    run_id = uuid.uuid4().hex[:10]
    env = harness.trackify_env(
        db_url, TRACKIFY_WEBHOOK_MODE="async", CELERY_BROKER_URL=broker,
        CELERY_TASK_DEFAULT_QUEUE=f"bench-{run_id}", CELERY_KEY_PREFIX=f"bench-{run_id}:",
    )
    events = se.mixed_events(slices.take(args.events // 4), seed=7)
    warm = [se.session_completed(p) for p in slices.take(10 * workers)]
    path = f"/payment/webhook/stripe/{config_id}/"
    with harness.gunicorn("config.wsgi:application", env, workers=workers) as server:
        harness.run_load("warmup", server, se.requests_for(warm, path), concurrency=args.concurrency,
                         sign_secret=se.WEBHOOK_SECRET, headers={"X-Forwarded-Proto": "https"})
        worker = _start_worker(env)
        try:
            ingest = harness.run_load("Trackify async ingestion", server, se.requests_for(events, path),
                                      concurrency=args.concurrency, sign_secret=se.WEBHOOK_SECRET,
                                      headers={"X-Forwarded-Proto": "https"})
            started = time.monotonic()
            left = _wait_until_applied(db_url)
            drained = time.monotonic() - started
        finally:
            harness.terminate(worker, timeout=60)
    print(f"\n==> async mode (TRACKIFY_WEBHOOK_MODE=async, one Celery worker, {os.cpu_count()} processes)")
    harness.print_table([ingest])
    applied_in = ingest.seconds + drained
    print(f"  every queued event applied {drained:.1f} s after the last answer ({left} left); "
          f"end to end {len(events) / applied_in:.1f} events/s")


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = Path(tempfile.mkstemp(prefix="bench-celery-", suffix=".log")[1])
    with log.open("wb") as out:
        return subprocess.Popen(
            [harness.PYTHON, "-m", "celery", "-A", "config", "worker", "-l", "warning", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "-Q", env["CELERY_TASK_DEFAULT_QUEUE"]],
            cwd=harness.ROOT, env={**os.environ, **env, "PYTHONPATH": str(harness.ROOT)}, stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_until_applied(db_url: str, timeout: float = 600) -> int:
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(db_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT count(*) FROM payments_paymentwebhookevent WHERE status IN ('received', 'failed')"
            ).fetchone()
            left = int(row[0]) if row else 0
            if left == 0 or time.monotonic() > deadline:
                return left
            time.sleep(0.2)
