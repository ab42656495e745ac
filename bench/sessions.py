"""Create-session benchmark: Trackify against a fake Stripe that takes 50 ms per call, beside the gateway alone.

    .venv/bin/python -m bench.sessions            # 600 sessions, 8 connections
    .venv/bin/python -m bench.sessions --quick

The fake Stripe server of the test suite (tests/fakes/fake_stripe.py, real HTTP, the SDK unchanged)
answers every call after a fixed 50 ms. In one run:
1. "gateway alone": the load generator creates Checkout Sessions at the fake directly, with the body
   the SDK sends; its latency is the gateway's time as a client sees it;
2. Trackify under gunicorn (production settings) serves POST /payment/create-session/ for as many
   invoices, each calling the fake once;
3. prints both, and Trackify's own overhead per call: its latency minus the gateway's;
4. counts the SQL queries of one create-session in process.
"""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from bench import harness
from tests.fakes.fake_stripe import FakeStripe

DATABASE = "bench"
AMOUNT = 12_500


def _seed(account: Any, count: int) -> tuple[str, list[str]]:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from trackify.invoices.models import Invoice
    from trackify.payments.services.gateway_configs import gateway_config_create

    owner = get_user_model().objects.create_user(username=f"bench-{uuid.uuid4().hex[:8]}", password="bench-pw-1")
    gateway_config_create(
        owner=owner, gateway_name="stripe", is_default=True, test_mode=True,
        credentials={"secret_key": account.secret_key, "publishable_key": account.publishable_key,
                     "webhook_secret": account.webhook_secret},
    )
    invoices = Invoice.objects.bulk_create(
        [Invoice(owner=owner, number=f"S-{i:06d}", client_name="Bench client", client_email="client@example.com",
                 currency="EUR", total=AMOUNT) for i in range(count)]
    )
    return Token.objects.create(user=owner).key, [str(invoice.pk) for invoice in invoices]


def _direct_requests(invoice_ids: Sequence[str]) -> list[dict[str, Any]]:
    """What the SDK sends to create one Checkout Session, form-encoded as Stripe expects."""
    requests = []
    for invoice_id in invoice_ids:
        payment_id = str(uuid.uuid4())
        form = {
            "mode": "payment", "line_items[0][quantity]": "1",
            "line_items[0][price_data][currency]": "eur", "line_items[0][price_data][unit_amount]": str(AMOUNT),
            "line_items[0][price_data][product_data][name]": "Invoice S-000001",
            "client_reference_id": payment_id, "metadata[trackify_payment_id]": payment_id,
            "metadata[trackify_invoice_id]": invoice_id, "success_url": "https://trackify.example/pay/result/",
            "cancel_url": "https://trackify.example/pay/", "customer_email": "client@example.com",
        }
        requests.append({"method": "POST", "path": "/v1/checkout/sessions", "body": urlencode(form),
                         "headers": {"Content-Type": "application/x-www-form-urlencoded",
                                     "Idempotency-Key": f"trackify-payment-{payment_id}"}})
    return requests


def _measure_queries(token: str, invoice_id: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/payment/create-session/", json.dumps({"invoice_id": invoice_id}),
                               content_type="application/json", secure=True,
                               headers={"Authorization": f"Token {token}"})
    assert response.status_code == 201, response.content
    return len(queries.captured_queries)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args(argv)
    if args.quick:
        args.sessions, args.rounds = 40, 1
    workers = args.workers or harness.default_workers()
    fake = FakeStripe().start()
    account = fake.add_account()
    print(f"==> machine: {harness.machine()}")
    db_url = harness.recreate_database(args.database)
    harness.setup_django(db_url, STRIPE_API_BASE=fake.url)
    warmup = 4 * workers
    token, invoice_ids = _seed(account, (args.sessions + warmup) * args.rounds + 2)
    from django.db import connections

    connections.close_all()
    fake.slow_next(10**9, seconds=args.latency_ms / 1000)
    print(f"==> {args.sessions} sessions per run, {args.concurrency} connections, {workers} gunicorn sync workers, "
          f"gateway latency {args.latency_ms:.0f} ms")
    fake_port = int(fake.url.rsplit(":", 1)[1])
    overheads = []
    for round_no in range(args.rounds):
        start = round_no * (args.sessions + warmup)
        warm, batch = invoice_ids[start : start + warmup], invoice_ids[start + warmup : start + warmup + args.sessions]
        direct = harness.run_load(f"gateway alone, round {round_no + 1}", fake_port,
                                  _direct_requests(batch), concurrency=args.concurrency,
                                  headers={"Authorization": f"Bearer {account.secret_key}"})
        env = harness.trackify_env(db_url, STRIPE_API_BASE=fake.url, STRIPE_MAX_NETWORK_RETRIES="0")
        with harness.gunicorn("config.wsgi:application", env, workers=workers) as server:
            headers = {"Authorization": f"Token {token}", "X-Forwarded-Proto": "https"}
            body = [{"method": "POST", "path": "/payment/create-session/", "body": json.dumps({"invoice_id": i})}
                    for i in warm]
            harness.run_load("warmup", server, body, concurrency=args.concurrency, headers=headers)
            requests = [{"method": "POST", "path": "/payment/create-session/", "body": json.dumps({"invoice_id": i})}
                        for i in batch]
            ours = harness.run_load(f"Trackify create-session, round {round_no + 1}", server, requests,
                                    concurrency=args.concurrency, headers=headers)
        harness.print_table([direct, ours], unit="calls/s")
        overhead = ours.percentile(50) - direct.percentile(50)
        overheads.append(overhead)
        print(f"  Trackify's own time per call (p50 minus the gateway's p50): {overhead:.1f} ms; "
              f"throughput ratio to the gateway alone: {ours.rate / direct.rate:.2f}", flush=True)
    print("\n==> SQL queries per create-session (in process)")
    print(f"  new session: {_measure_queries(token, invoice_ids[-1])}")
    print("\n==> summary")
    print(f"  Trackify overhead per create-session beyond the gateway: {harness.spread(overheads)} ms")
    fake.stop()
    connections.close_all()
    harness.drop_database(args.database)


if __name__ == "__main__":
    main()
