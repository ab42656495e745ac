"""What one webhook delivery costs inside the process: Trackify against the bare baseline, side by side.

    .venv/bin/python -m bench.webhook_cost              # 2,000 deliveries each, 2 rounds
    .venv/bin/python -m bench.webhook_cost --quick      # a smoke run

No HTTP server and no load generator: each side's WSGI application is called directly, in a process
of its own (production settings for Trackify, `bench/baseline/` for the baseline), on the same
database and the same signed Stripe deliveries as `bench/webhooks.py` (new, duplicate and
out-of-order events). It prints per delivery:
- Python function calls, counted by cProfile in a separate pass: the same on every run, whatever else
  the machine is doing, so a change to the code shows in it at once;
- CPU time of the process, and of every PostgreSQL process on the machine (read from /proc: run it
  on a machine with nothing else using PostgreSQL), without the profiler;
- WAL records and bytes written per delivery (`pg_stat_wal`, the whole server's: autovacuum and the
  pruning of pages count too, so they move by a tenth or two from run to run);
- wall time.
This is what docs/performance.md's profile figures come from; `bench/webhooks.py` measures the same
deliveries under gunicorn.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import harness
from bench import stripe_events as se

DATABASE = "bench_cost"


def _postgres_cpu_seconds() -> float:
    """CPU time of every process named postgres on this machine (Linux /proc)."""
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if "(postgres)" in stat:
            fields = stat.rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _side(spec: dict[str, Any]) -> dict[str, float]:
    """In the child process: call the side's WSGI app with the deliveries; measure, then count calls."""
    import cProfile

    from bench.loadgen import _signature

    os.environ.update(spec["env"])
    if spec["side"] == "ours":
        from config.wsgi import application
    else:
        from bench.baseline.wsgi import application
    path = spec["path"]

    def deliver(body: bytes) -> None:
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1:8000",
            "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
            "HTTP_X_FORWARDED_PROTO": "https", "HTTP_STRIPE_SIGNATURE": _signature(se.WEBHOOK_SECRET, body.decode()),
        }
        status: list[str] = []

        def start_response(line: str, headers: Any, *exc_info: Any) -> Any:
            status.append(line)

        result = application(environ, start_response)
        b"".join(result)
        getattr(result, "close", lambda: None)()
        if not status[0].startswith("200"):
            raise SystemExit(f"{spec['side']}: a delivery was answered {status[0]}")

    def bodies(key: str) -> list[bytes]:
        return [json.dumps(e, separators=(",", ": ")).encode() for e in spec[key]]

    for body in bodies("warmup"):  # the config cache, compiled and prepared statements, imports
        deliver(body)
    measured = bodies("events")
    wal = _wal_written()
    cpu, wall, pg = time.process_time(), time.perf_counter(), _postgres_cpu_seconds()
    for body in measured:
        deliver(body)
    cpu, wall, pg = time.process_time() - cpu, time.perf_counter() - wall, _postgres_cpu_seconds() - pg
    wal_records, wal_bytes = (after - before for before, after in zip(wal, _wal_written(), strict=True))
    profiled = bodies("profiled")
    profile = cProfile.Profile()
    profile.enable()
    for body in profiled:
        deliver(body)
    profile.disable()
    import pstats

    if spec.get("profile_out") and spec["side"] == "ours":
        profile.dump_stats(spec["profile_out"])

    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    n = len(measured)
    return {"calls": calls / len(profiled), "cpu_ms": 1000 * cpu / n, "pg_cpu_ms": 1000 * pg / n,
            "wal_records": wal_records / n, "wal_bytes": wal_bytes / n, "wall_ms": 1000 * wall / n}


def _wal_written() -> tuple[int, int]:
    """WAL records and bytes the PostgreSQL server has written so far (all databases)."""
    from django.db import connection

    with connection.cursor() as cursor:
        # A backend reports its WAL counts at most once a second; make this one report what it has.
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT wal_records, wal_bytes FROM pg_stat_wal")
        records, written = cursor.fetchone()
    return int(records), int(written)


WARMUP_PAYMENTS = 10


def _shares(events: int) -> tuple[int, int]:
    """Payments for the measured deliveries (4 each) and for the profiled pass (half as many)."""
    return events // 4, max(1, events // 8)


def _run_side(
    side: str, env: dict[str, str], path: str, payments: list[se.SeededPayment], events: int, seed: int,
    profile_out: str = "",
) -> dict[str, float]:
    measured, profiled = _shares(events)
    first = WARMUP_PAYMENTS + measured
    spec = {
        "side": side, "env": env, "path": path, "profile_out": profile_out,
        "warmup": [se.session_completed(p) for p in payments[:WARMUP_PAYMENTS]],
        "events": se.mixed_events(payments[WARMUP_PAYMENTS:first], seed=seed),
        "profiled": se.mixed_events(payments[first:first + profiled], seed=seed),
    }
    with tempfile.TemporaryDirectory(prefix="bench-cost-") as tmp:
        spec_path, out_path = Path(tmp) / "spec.pickle", Path(tmp) / "out.json"
        spec_path.write_bytes(pickle.dumps(spec))
        subprocess.run([harness.PYTHON, "-m", "bench.webhook_cost", "--side", str(spec_path), str(out_path)],
                       cwd=harness.ROOT, check=True, env={**os.environ, "PYTHONPATH": str(harness.ROOT)})
        result: dict[str, float] = json.loads(out_path.read_text())
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000, help="measured deliveries per side and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--past-events", type=int, default=se.PAST_EVENTS,
                        help="events stored before the run, in each side's table (bench/stripe_events.py)")
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--profile-out", default="", metavar="PATH",
                        help="write Trackify's cProfile stats here (read them with python -m pstats PATH)")
    parser.add_argument("--side", nargs=2, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.side:
        spec = pickle.loads(Path(args.side[0]).read_bytes())  # noqa: S301 (our own file, just written)
        Path(args.side[1]).write_text(json.dumps(_side(spec)))
        return
    if args.quick:
        args.events, args.rounds, args.past_events = 80, 1, min(args.past_events, 1000)
    per_side = WARMUP_PAYMENTS + sum(_shares(args.events))
    print(f"==> machine: {harness.machine()}")
    print(f"==> seeding {2 * per_side * args.rounds} payments and {args.past_events} past events per side in "
          f"database '{args.database}'", flush=True)
    db_url = harness.recreate_database(args.database)
    harness.setup_django(db_url)
    config_id, payments = se.seed(2 * per_side * args.rounds, past_events=args.past_events)
    from django.db import connections

    connections.close_all()
    print(f"==> {args.events} deliveries per side and round, called in process (no HTTP); then half as many "
          "again under cProfile for the call count", flush=True)
    rows = []
    for round_no in range(args.rounds):
        chunk = payments[2 * per_side * round_no: 2 * per_side * (round_no + 1)]
        sides = [("baseline", harness.baseline_env(db_url, BASELINE_WEBHOOK_SECRET=se.WEBHOOK_SECRET),
                  f"/webhook/{config_id}/", chunk[:per_side]),
                 ("Trackify", harness.trackify_env(db_url), f"/payment/webhook/stripe/{config_id}/", chunk[per_side:])]
        if round_no % 2:
            sides.reverse()
        for label, env, path, share in sides:
            side = "ours" if label == "Trackify" else "base"
            figures = _run_side(side, env, path, share, args.events, seed=round_no, profile_out=args.profile_out)
            rows.append((f"{label}, round {round_no + 1}", figures))
    print(f"  {'':24} {'calls':>8} {'CPU ms':>8} {'PG CPU ms':>10} {'WAL recs':>9} {'WAL bytes':>10} {'wall ms':>8}"
          "   (per delivery)")
    for label, f in rows:
        print(f"  {label:24} {f['calls']:8.0f} {f['cpu_ms']:8.3f} {f['pg_cpu_ms']:10.3f} {f['wal_records']:9.2f} "
              f"{f['wal_bytes']:10.0f} {f['wall_ms']:8.3f}")
    print("\n==> summary")
    ours = [f for label, f in rows if label.startswith("Trackify")]
    base = [f for label, f in rows if label.startswith("baseline")]
    for key, name in (("calls", "Python calls"), ("cpu_ms", "CPU"), ("pg_cpu_ms", "PostgreSQL CPU"),
                      ("wal_records", "WAL records"), ("wal_bytes", "WAL bytes")):
        ratios = [o[key] / b[key] for o, b in zip(ours, base, strict=True) if b[key]]
        print(f"  {name} per delivery, Trackify / baseline: {harness.spread(ratios)}")
    harness.drop_database(args.database)


if __name__ == "__main__":
    main()
