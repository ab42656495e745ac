#!/usr/bin/env python3
"""Prove the suite's teeth: break each guarantee in turn and check that its tests go red.

Each mutation removes one row lock, the unique constraint on webhook events (which the event
store's INSERT … ON CONFLICT stands on), or one amount check,
by replacing an exact piece of source text (which must occur exactly once: if the code moves, the
script says so instead of testing nothing). It runs the tests that guard that guarantee, restores
the file (always, even on Ctrl-C), and prints a table: a mutation is "killed" when those tests
fail, "SURVIVED" when they pass. It exits non-zero if any mutation survived, if a mutated run
errored instead of failing, or if the unmutated baseline is not green.

Row locks only mean something on PostgreSQL, so every run uses TEST_POSTGRES_URL (default
postgres://postgres@127.0.0.1:5432/test); without a reachable PostgreSQL the script says so and
exits 0 with nothing checked, unless REQUIRE_POSTGRES=1.

The unique constraint is removed from the model's Meta and the tests run with --no-migrations,
so pytest-django builds the test tables from the models: the constraint is really absent from
the test database, no migration is written.

Usage: .venv/bin/python scripts/mutation_check.py [--repeat N] [--only NAME] [--no-baseline]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")

LOCK_TESTS = ("tests/payments/test_row_locks.py", "tests/payments/test_concurrency.py")


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    original: str
    mutated: str
    tests: tuple[str, ...]
    pytest_args: tuple[str, ...] = ()


MUTATIONS = (
    Mutation(
        "payment row lock (payment_locks.locked_payments: FOR UPDATE OF the payment)",
        "trackify/payments/services/payment_locks.py",
        '.select_for_update(of=("invoice", "self"))',
        '.select_for_update(of=("invoice",))',
        LOCK_TESTS,
    ),
    Mutation(
        "invoice row lock in the ledger (payment_locks.locked_payments: FOR UPDATE OF the invoice)",
        "trackify/payments/services/payment_locks.py",
        '.select_for_update(of=("invoice", "self"))',
        '.select_for_update(of=("self",))',
        LOCK_TESTS,
    ),
    Mutation(
        "both locks of the ledger's locking read, against the racing-thread tests alone",
        "trackify/payments/services/payment_locks.py",
        '        .select_for_update(of=("invoice", "self"))\n',
        "",
        ("tests/payments/test_concurrency.py",),
    ),
    Mutation(
        "invoice row lock while a session opens (invoices.selectors.invoice_lock)",
        "trackify/invoices/selectors.py",
        "Invoice.objects.select_for_update().filter(pk=invoice_id).first()",
        "Invoice.objects.filter(pk=invoice_id).first()",
        LOCK_TESTS,
    ),
    Mutation(
        "amount and currency check on a payment update (ledger._amount_mismatch)",
        "trackify/payments/services/ledger/payments.py",
        "    if currency is not None and currency.upper() != payment.currency:",
        "    return ''\n    if currency is not None and currency.upper() != payment.currency:",
        ("tests/payments/webhooks/", "tests/payments/gateways/stripe/test_api_webhooks.py"),
    ),
    Mutation(
        "refund amount at most what is left (refunds._refund_amount)",
        "trackify/payments/services/refunds.py",
        "    if amount > refundable:\n",
        "    if False:\n",
        ("tests/payments/api/test_refunds.py", "tests/payments/test_concurrency.py"),
    ),
    Mutation(
        "session amount at most the amount payable (sessions._check_amount)",
        "trackify/payments/services/sessions.py",
        "    if amount > payable:\n",
        "    if False:\n",
        ("tests/payments/api/test_create_session.py", "tests/payments/api/test_payable_amount_and_config.py"),
    ),
    Mutation(
        "one gateway status call per interval (status._claim_check's conditional UPDATE)",
        "trackify/payments/services/status.py",
        "        .filter(Q(last_status_check_at__isnull=True) | Q(last_status_check_at__lte=cutoff))\n",
        "",
        ("tests/payments/api/test_status.py",),
    ),
    Mutation(
        "unique constraint on webhook events (gateway, config, event id)",
        "trackify/payments/models/books.py",
        "            models.UniqueConstraint(\n"
        '                fields=["gateway_name", "config", "gateway_event_id"],\n'
        '                name="webhook_event_unique_per_gateway_and_config",\n'
        "            )\n",
        "",
        ("tests/payments/webhooks/test_webhook_delivery.py", "tests/payments/test_concurrency.py"),
        ("--no-migrations",),
    ),
)


def postgres_url() -> str | None:
    url = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
    probe = (
        "import sys, psycopg\n"
        "psycopg.connect(sys.argv[1].replace('postgres://', 'postgresql://', 1), connect_timeout=3).close()\n"
    )
    ok = subprocess.run([PYTHON, "-c", probe, url], capture_output=True).returncode == 0
    return url if ok else None


def run_tests(tests: tuple[str, ...], extra: tuple[str, ...], db_url: str) -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": db_url}
    # -x: the first failure is enough to call a mutation killed. The test database is built once
    # (the first run) and reused; a mutation of the schema rebuilds it, and comes last.
    database = "--reuse-db" if _test_db["as_migrated"] and not extra else "--create-db"
    _test_db["as_migrated"] = not extra
    command = [PYTHON, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", database, *extra, *tests]
    return subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


# Whether the test database on the server was last built by the migrations (so can be reused).
_test_db = {"as_migrated": False}


def apply(mutation: Mutation) -> str:
    """Mutate the file; return its original text (for restoring)."""
    path = ROOT / mutation.path
    text = path.read_text()
    count = text.count(mutation.original)
    if count != 1:
        raise SystemExit(f"mutation '{mutation.name}': its target occurs {count} times in {mutation.path}, not once")
    path.write_text(text.replace(mutation.original, mutation.mutated))
    return text


def check(mutation: Mutation, db_url: str) -> tuple[str, float]:
    original = apply(mutation)
    started = time.monotonic()
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)  # restore on SIGTERM too
    try:
        code = run_tests(mutation.tests, mutation.pytest_args, db_url)
    finally:
        (ROOT / mutation.path).write_text(original)
        signal.signal(signal.SIGTERM, previous)
    verdict = {0: "SURVIVED", 1: "killed"}.get(code, f"ERROR (pytest exit {code})")
    return verdict, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="run every mutation this many times")
    parser.add_argument("--only", default="", help="only the mutations whose name contains this text")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the unmutated run (CI: make test just ran them green)"
    )
    args = parser.parse_args()
    mutations = [m for m in MUTATIONS if args.only in m.name]

    db_url = postgres_url()
    if db_url is None:
        message = "PostgreSQL is not reachable (TEST_POSTGRES_URL): the row-lock mutations cannot be checked."
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            print(f"FAILED: {message}", file=sys.stderr)
            return 1
        print(f"SKIPPED: {message}")
        return 0

    baseline_tests = tuple(sorted({t for m in mutations for t in m.tests}))
    if not args.no_baseline and run_tests(baseline_tests, (), db_url) != 0:
        print("FAILED: the tests are not green without any mutation; fix that first.", file=sys.stderr)
        return 1

    width = max(len(m.name) for m in mutations)
    print(f"{'mutation':<{width}}  {'run':>3}  {'result':<8}  seconds")
    bad = 0
    for mutation in mutations:
        for attempt in range(1, args.repeat + 1):
            verdict, seconds = check(mutation, db_url)
            bad += verdict != "killed"
            print(f"{mutation.name:<{width}}  {attempt:>3}  {verdict:<8}  {seconds:5.1f}", flush=True)
    total = len(mutations) * args.repeat
    print(f"{total - bad} of {total} mutation runs killed" + ("" if bad == 0 else f"; {bad} NOT killed"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
