"""Status benchmark: GET /payment/status/<id>/ polled by many clients at once, beside a bare status view.

    .venv/bin/python -m bench.status             # 100 clients, 20 open payments, 6000 polls
    .venv/bin/python -m bench.status --quick

Open payments (Checkout Sessions at the fake Stripe server, which answers after 50 ms) are polled
round-robin by 100 concurrent clients, as the result pages of many clients do while they wait for
the webhook. Trackify asks the gateway about an open payment at most once per
TRACKIFY_STATUS_REFRESH_INTERVAL (10 s), whoever polls: the run counts the calls the fake received
and prints them beside that bound. The bare baseline (bench/baseline/) answers the same polls with
one read of the payment and its invoice. Queries per call are counted in process.
"""

from __future__ import annotations

import argparse
import math
import uuid
from collections.abc import Sequence
from typing import Any

from bench import harness
from tests.fakes.fake_stripe import FakeStripe

DATABASE = "bench"
AMOUNT = 12_500


def _seed(account: Any, count: int) -> list[tuple[str, str]]:
    """`count` open invoices, each with a pending payment whose Checkout Session is at the fake."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from bench.baseline.views import TABLES
    from trackify.invoices.models import Invoice
    from trackify.payments.services.gateway_configs import gateway_config_create
    from trackify.payments.services.sessions import payment_session_create

    owner = get_user_model().objects.create_user(username=f"bench-{uuid.uuid4().hex[:8]}", password="bench-pw-1")
    gateway_config_create(
        owner=owner, gateway_name="stripe", is_default=True, test_mode=True,
        credentials={"secret_key": account.secret_key, "publishable_key": account.publishable_key,
                     "webhook_secret": account.webhook_secret},
    )
    polled = []
    with connection.cursor() as cursor:
        cursor.execute(TABLES)
    for i in range(count):
        invoice = Invoice.objects.create(owner=owner, number=f"P-{i:06d}", client_name="Bench client",
                                         currency="EUR", total=AMOUNT)
        payment = payment_session_create(invoice_id=invoice.pk).payment
        polled.append((str(payment.pk), invoice.public_token))
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO baseline_invoice (id, total) VALUES (%s, %s)", [invoice.pk, AMOUNT])
            cursor.execute("INSERT INTO baseline_payment (id, invoice_id, amount) VALUES (%s, %s, %s)",
                           [payment.pk, invoice.pk, AMOUNT])
    return polled


def _measure_queries(payment_id: str, token: str) -> tuple[int, int]:
    """Queries of a poll that asks the gateway (first of its interval), and of one that does not."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from trackify.payments.models import InvoicePayment

    InvoicePayment.objects.filter(pk=payment_id).update(last_status_check_at=None)
    client = Client()
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/payment/status/{payment_id}/?token={token}", secure=True)
        assert response.status_code == 200, response.content
        counts.append(len(queries.captured_queries))
    return counts[0], counts[1]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--polls", type=int, default=6000)
    parser.add_argument("--payments", type=int, default=20)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args(argv)
    if args.quick:
        args.polls, args.payments, args.clients, args.rounds = 300, 3, 20, 1
    workers = args.workers or harness.default_workers()
    fake = FakeStripe().start()
    account = fake.add_account()
    print(f"==> machine: {harness.machine()}")
    db_url = harness.recreate_database(args.database)
    harness.setup_django(db_url, STRIPE_API_BASE=fake.url)
    polled = _seed(account, args.payments)
    from django.conf import settings
    from django.db import connections

    interval = settings.TRACKIFY_STATUS_REFRESH_INTERVAL
    connections.close_all()
    fake.slow_next(10**9, seconds=args.latency_ms / 1000)
    print(f"==> {args.polls} polls of {args.payments} open payments by {args.clients} clients at once, "
          f"{workers} gunicorn sync workers, gateway latency {args.latency_ms:.0f} ms, refresh interval {interval} s")
    ours_requests = [{"method": "GET", "path": f"/payment/status/{pid}/?token={token}"} for pid, token in polled]
    base_requests = [{"method": "GET", "path": f"/status/{pid}/"} for pid, _ in polled]

    def cycle(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [requests[i % len(requests)] for i in range(args.polls)]

    ratios, within_bound = [], True
    headers = {"X-Forwarded-Proto": "https"}
    for round_no in range(1, args.rounds + 1):
        with harness.gunicorn("bench.baseline.wsgi:application", harness.baseline_env(db_url),
                              workers=workers) as server:
            harness.run_load("warmup", server, base_requests * 5, concurrency=args.clients)
            base = harness.run_load(f"bare baseline, round {round_no}", server, cycle(base_requests),
                                    concurrency=args.clients)
        env = harness.trackify_env(db_url, STRIPE_API_BASE=fake.url, STRIPE_MAX_NETWORK_RETRIES="0")
        with harness.gunicorn("config.wsgi:application", env, workers=workers) as server:
            harness.run_load("warmup", server, ours_requests * 5, concurrency=args.clients, headers=headers)
            before = len(fake.requests_to("GET", "/v1/checkout/sessions"))
            ours = harness.run_load(f"Trackify status, round {round_no}", server, cycle(ours_requests),
                                    concurrency=args.clients, headers=headers)
            calls = len(fake.requests_to("GET", "/v1/checkout/sessions")) - before
        bound = args.payments * (math.floor(ours.seconds / interval) + 2)
        within_bound &= calls <= bound
        harness.print_table([base, ours], unit="polls/s")
        ratios.append(ours.rate / base.rate)
        print(f"  ratio Trackify/baseline: {ratios[-1]:.2f}; gateway calls during the run: {calls} "
              f"(at most once per payment per {interval} s: bound {bound})", flush=True)
    asking, answering = _measure_queries(*polled[0])
    print("\n==> SQL queries per status call (in process)")
    print(f"  poll that asks the gateway (first of its interval): {asking}")
    print(f"  poll within the interval (answered from the database): {answering}")
    print("\n==> summary")
    print(f"  throughput ratio Trackify/baseline: {harness.spread(ratios)}")
    print(f"  gateway calls within the once-per-interval bound: {'yes' if within_bound else 'NO'}")
    fake.stop()
    connections.close_all()
    harness.drop_database(args.database)
    if not within_bound:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
