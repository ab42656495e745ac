"""Webhook benchmark: Trackify under gunicorn with its production settings, side by side with a bare baseline.

    .venv/bin/python -m bench.webhooks            # defaults: 3 rounds of 3000 events, 4 connections
    .venv/bin/python -m bench.webhooks --quick    # a smoke run (seconds)

In one run, on a database of its own (`bench`, dropped and created again):
1. seeds payments, and events already processed (a table of past events, as in production; `--past-events`),
   in Trackify's tables and in the baseline's;
2. for each round, starts gunicorn (config/gunicorn.conf.py) with the bare baseline (bench/baseline/)
   and gunicorn with Trackify, side by side, and sends both the same signed Stripe deliveries from a
   separate process (bench/loadgen.py) over several connections at once: a mix of new, duplicate and
   out-of-order events over many payments (bench/stripe_events.py), in segments sent to the two
   sides in turns (A B B A …), so that a slow spell of a shared machine falls on both alike;
3. sends deliveries at a fixed rate (200 events/s) to both, for the p99 at that rate;
4. counts the SQL queries of one delivery of each kind, in process (Django's CaptureQueriesContext);
5. with `--async` (and Redis answering), measures Trackify's ingestion with TRACKIFY_WEBHOOK_MODE=async
   and a Celery worker applying the events;
6. prints every figure, and Trackify's throughput as a ratio of the baseline's, round by round.

`--connections persistent,pool` compares the database connection modes (config/settings/database.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from bench import harness
from bench import stripe_events as se

DATABASE = "bench"


def _server_env(db_url: str, connections: str, **extra: str) -> dict[str, str]:
    return harness.trackify_env(db_url, DATABASE_CONNECTIONS=connections, **extra)


def _baseline_env(db_url: str) -> dict[str, str]:
    return harness.baseline_env(db_url, BASELINE_WEBHOOK_SECRET=se.WEBHOOK_SECRET)


class Slices:
    """Hands out fresh payments, so that every phase's new events are really new."""

    def __init__(self, payments: Sequence[se.SeededPayment]) -> None:
        self._rest: Iterator[se.SeededPayment] = iter(payments)

    def take(self, count: int) -> list[se.SeededPayment]:
        taken = [p for _, p in zip(range(count), self._rest, strict=False)]
        if len(taken) < count:
            raise SystemExit("not enough seeded payments; raise --payments")
        return taken


def _load(label: str, server: harness.Server, events: list[dict[str, Any]], path: str, args: Any,
          warmup: list[dict[str, Any]], rate: float = 0.0) -> harness.LoadResult:
    headers = {"X-Forwarded-Proto": "https"}
    harness.run_load("warmup", server, se.requests_for(warmup, path), concurrency=args.concurrency,
                     sign_secret=se.WEBHOOK_SECRET, headers=headers)
    concurrency = max(args.concurrency, 32) if rate else args.concurrency
    return harness.run_load(label, server, se.requests_for(events, path), concurrency=concurrency, rate=rate,
                            sign_secret=se.WEBHOOK_SECRET, headers=headers)


def _interleaved(
    sides: dict[str, tuple[harness.Server, str]], labels: dict[str, str], events: list[dict[str, Any]],
    warmup: list[dict[str, Any]], args: Any, *, first: str,
) -> dict[str, harness.LoadResult]:
    """Both servers up at once (an idle one costs nothing), loaded in turns: the events in
    `args.segments` segments, each sent to one side and then to the other, which side goes first
    alternating (A B B A …). A slow spell of a shared machine then falls on both sides alike, where
    a run of one side and then of the other would put it on whichever ran during it."""
    headers = {"X-Forwarded-Proto": "https"}
    for server, path in sides.values():
        harness.run_load("warmup", server, se.requests_for(warmup, path), concurrency=args.concurrency,
                         sign_secret=se.WEBHOOK_SECRET, headers=headers)
    size = -(-len(events) // max(1, args.segments))
    order = [first, next(side for side in sides if side != first)]
    parts: dict[str, list[harness.LoadResult]] = {side: [] for side in sides}
    for index, start in enumerate(range(0, len(events), size)):
        for side in order if index % 2 == 0 else order[::-1]:
            server, path = sides[side]
            parts[side].append(harness.run_load(
                labels[side], server, se.requests_for(events[start:start + size], path),
                concurrency=args.concurrency, sign_secret=se.WEBHOOK_SECRET, headers=headers,
            ))
    return {side: harness.combined(labels[side], results) for side, results in parts.items()}


def _measure_queries(config_id: str, slices: Slices) -> dict[str, int]:
    """SQL queries of one delivery of each kind, in this process, on the benchmark's database."""
    import json

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.loadgen import _signature

    client = Client()
    path = f"/payment/webhook/stripe/{config_id}/"
    warm, payment = slices.take(2)

    def post(event: dict[str, Any], url: str = path) -> int:
        body = json.dumps(event)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, body, content_type="application/json", secure=True,
                                   headers={"Stripe-Signature": _signature(se.WEBHOOK_SECRET, body)})
        assert response.status_code == 200, response.content
        # BEGIN and COMMIT are transaction control, logged as statements by some backends: not queries.
        return sum(q["sql"].upper() not in ("BEGIN", "COMMIT", "ROLLBACK") for q in queries.captured_queries)

    post(se.session_completed(warm))  # the process's first delivery loads the config
    completed = se.session_completed(payment)
    other = slices.take(1)[0]
    return {
        "new event (payment succeeds, invoice paid)": post(completed),
        "duplicate delivery": post(completed),
        "new event, nothing changes (payment_intent.succeeded)": post(
            se.intent_event(payment, "payment_intent.succeeded", "succeeded")),
        "late event refused by the state machine": post(
            se.intent_event(payment, "payment_intent.processing", "processing")),
        "new event on the shared URL /payment/webhook/stripe/": post(
            se.session_completed(other), "/payment/webhook/stripe/"),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=3000, help="events per closed-loop run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4, help="connections at once (closed loop)")
    parser.add_argument("--segments", type=int, default=6,
                        help="each round's events in this many segments, sent to the two sides in turns")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: the config's)")
    parser.add_argument("--rate", type=float, default=200.0, help="events/s of the fixed-rate run")
    parser.add_argument("--rate-seconds", type=float, default=10.0)
    parser.add_argument("--connections", default="persistent",
                        help="comma-separated: persistent (the production default), pool, per-request")
    parser.add_argument("--async", dest="async_mode", action="store_true",
                        help="also measure ingestion with TRACKIFY_WEBHOOK_MODE=async and a Celery worker (Redis)")
    parser.add_argument("--quick", action="store_true", help="a few events, one round: checks the script works")
    parser.add_argument("--past-events", type=int, default=se.PAST_EVENTS,
                        help="events stored before the run, in each side's table (bench/stripe_events.py)")
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.rounds, args.rate_seconds = 80, 1, 1.0
        args.past_events = min(args.past_events, 1000)
    modes = [m.strip() for m in args.connections.split(",") if m.strip()]
    workers = args.workers or harness.default_workers()
    per_run = args.events // 4
    rate_events = int(args.rate * args.rate_seconds)
    warmup = 10 * workers
    needed = (per_run + warmup) * args.rounds * len(modes) + rate_events // 4 + warmup * 3 + per_run * 2 + 16
    print(f"==> machine: {harness.machine()}")
    print(f"==> seeding {needed} payments and {args.past_events} past events per side in database "
          f"'{args.database}'", flush=True)
    db_url = harness.recreate_database(args.database)
    harness.setup_django(db_url, DATABASE_CONNECTIONS=modes[0])
    config_id, payments = se.seed(needed, past_events=args.past_events)
    from django.db import connections

    connections.close_all()
    slices = Slices(payments)
    ours_path = f"/payment/webhook/stripe/{config_id}/"
    base_path = f"/webhook/{config_id}/"
    print(f"==> {args.events} deliveries per run ({per_run} payments x 4: new, new-no-change, duplicate, "
          f"late), {args.concurrency} connections, {workers} gunicorn sync workers", flush=True)

    ratios: dict[str, list[float]] = {m: [] for m in modes}
    costs: dict[str, list[float]] = {m: [] for m in modes}  # the same ratio from CPU (see harness.LoadResult)
    results: list[harness.LoadResult] = []
    for round_no in range(1, args.rounds + 1):
        for mode in modes:
            batch = slices.take(per_run)
            events = se.mixed_events(batch, seed=round_no)
            warm = [se.session_completed(p) for p in slices.take(warmup)]  # one set serves both: own tables
            labels = {"baseline": f"bare baseline, round {round_no}", "ours": f"Trackify ({mode}), round {round_no}"}
            with harness.gunicorn("bench.baseline.wsgi:application", _baseline_env(db_url),
                                  workers=workers) as base_server, \
                    harness.gunicorn("config.wsgi:application", _server_env(db_url, mode),
                                     workers=workers) as our_server:
                sides = {"baseline": (base_server, base_path), "ours": (our_server, ours_path)}
                by = _interleaved(sides, labels, events, warm, args, first="baseline" if round_no % 2 else "ours")
            results += [by["baseline"], by["ours"]]
            harness.print_table([by["baseline"], by["ours"]])
            ratio = by["ours"].rate / by["baseline"].rate
            if by["ours"].errors or by["baseline"].errors:
                print(f"  ratio Trackify/baseline: {ratio:.2f}, not counted: there were errors", flush=True)
            else:
                ratios[mode].append(ratio)
                print(f"  ratio Trackify/baseline: {ratio:.2f}", flush=True)
            base_cost, our_cost = by["baseline"].cost_in_loadgen_units, by["ours"].cost_in_loadgen_units
            if base_cost and our_cost and not (by["ours"].errors or by["baseline"].errors):
                costs[mode].append(base_cost / our_cost)
                print(f"  machine CPU per delivery, in units of the load generator's: baseline {base_cost:.2f}, "
                      f"Trackify {our_cost:.2f}; ratio {base_cost / our_cost:.2f}", flush=True)

    print(f"\n==> fixed rate: {args.rate:.0f} events/s for {args.rate_seconds:.0f} s")
    rate_batch = slices.take(rate_events // 4)
    rate_results = []
    warm = [se.session_completed(p) for p in slices.take(warmup)]
    rate_events_list = se.mixed_events(rate_batch, seed=99)
    with harness.gunicorn("bench.baseline.wsgi:application", _baseline_env(db_url), workers=workers) as server:
        rate_results.append(_load(f"bare baseline @ {args.rate:.0f}/s", server, rate_events_list, base_path, args,
                                  warm, rate=args.rate))
    warm = [se.session_completed(p) for p in slices.take(warmup)]
    with harness.gunicorn("config.wsgi:application", _server_env(db_url, modes[0]), workers=workers) as server:
        rate_results.append(_load(f"Trackify ({modes[0]}) @ {args.rate:.0f}/s", server, rate_events_list,
                                  ours_path, args, warm, rate=args.rate))
    harness.print_table(rate_results)

    print("\n==> SQL queries per delivery (in process, PostgreSQL, production settings; BEGIN/COMMIT not counted)")
    for kind, count in _measure_queries(config_id, slices).items():
        print(f"  {kind:58} {count}")
    connections.close_all()

    if args.async_mode:
        from bench import webhooks_async

        webhooks_async.run(db_url, config_id, slices, args, workers)

    print("\n==> summary")
    for mode, values in ratios.items():
        print(f"  throughput ratio Trackify ({mode}) / bare baseline: {harness.spread(values)}")
        if costs[mode]:
            print(f"    the same from the machine's CPU per delivery (a diagnostic, steadier on a shared machine): "
                  f"{harness.spread(costs[mode])}")
    ours_rate = rate_results[-1]
    print(f"  p99 at {args.rate:.0f} events/s: Trackify {ours_rate.percentile(99):.1f} ms, "
          f"baseline {rate_results[0].percentile(99):.1f} ms")
    errors = sum(r.errors for r in results + rate_results)
    print(f"  errors: {errors}")
    harness.drop_database(args.database)
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
