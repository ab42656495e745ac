"""What every benchmark here shares: a throwaway database, gunicorn servers, the load generator, figures.

Benchmarks print figures side by side with a baseline measured in the same run; they are not tests
and are not run by `make test` (tests/bench/ runs each once, tiny, to keep them working).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ADMIN_URL = os.environ.get("BENCH_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

# Production settings refuse to start without these; the values are for the throwaway database only.
BENCH_ENV = {
    "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-any-real-deployment-0123456789",
    "TRACKIFY_ENCRYPTION_KEYS": "Wp0cFjk7bZJrsYKYu1pT1pq8Z7kqQ-mQmHq0bSmJkXI=",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "TRACKIFY_SITE_URL": "https://trackify.example",
    "SECURE_SSL_REDIRECT": "0",  # the bench speaks plain HTTP to gunicorn on loopback
    "TRACKIFY_LOG_LEVEL": "WARNING",
    "STRIPE_MAX_NETWORK_RETRIES": "0",
    # Every bench client comes from 127.0.0.1: one address, many payers, so no throttle applies.
    "TRACKIFY_THROTTLE_PUBLIC_ADDRESS": "1000000/min",
    "TRACKIFY_THROTTLE_PUBLIC_TOKEN": "1000000/min",
    "TRACKIFY_THROTTLE_PUBLIC_MISS": "1000000/min",
}


def database_url(name: str) -> str:
    base = ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def recreate_database(name: str) -> str:
    """Drop and create `name` (a database of the benchmark's own); return its URL."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with psycopg.connect(ADMIN_URL) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    pg = row[0] if row else "?"
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, PostgreSQL {pg}"


def listening_socket() -> socket.socket:
    """A socket bound to a free loopback port, handed to gunicorn by file descriptor (no race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _wait_until_serving(server: Server, probe: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{server.log.read_text()[-3000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
        try:
            conn.request("GET", probe)
            conn.getresponse().read()
            return  # any HTTP answer (a redirect to https included) means it serves
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    raise RuntimeError(f"the server did not answer within {timeout} s:\n{server.log.read_text()[-3000:]}")


@contextlib.contextmanager
def gunicorn(
    wsgi: str, env: Mapping[str, str], *, workers: int, probe: str = "/", threads: int = 1
) -> Iterator[Server]:
    """gunicorn with config/gunicorn.conf.py on a free loopback port; stopped on exit."""
    sock = listening_socket()
    log = Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
    full_env = {
        **os.environ,
        **env,
        "GUNICORN_BIND": f"fd://{sock.fileno()}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_LOG_LEVEL": "warning",
        "PYTHONPATH": str(ROOT),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", str(ROOT / "config" / "gunicorn.conf.py"), wsgi],
            cwd=ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=(sock.fileno(),),
        )
    server = Server(port=sock.getsockname()[1], process=process, log=log)
    sock.close()
    try:
        _wait_until_serving(server, probe)
        yield server
    finally:
        terminate(process)
        log.unlink(missing_ok=True)


def terminate(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Stop a server or worker we started: SIGTERM (a graceful shutdown), SIGKILL after `timeout` s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class LoadResult:
    label: str
    sent: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    outcomes: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    # CPU seconds of the whole machine while the deliveries were sent, and of the load generator itself
    # (bench/loadgen.py measures both over its sending alone).
    machine_cpu: float | None = None
    loadgen_cpu: float = 0.0

    @property
    def cost_in_loadgen_units(self) -> float | None:
        """The machine's CPU during the run over the load generator's: what serving a delivery costs,
        in units of what sending it costs (the same work for any server). A machine that slows down for
        a while slows both, so this drifts less than events per second do."""
        if self.machine_cpu is None or not self.loadgen_cpu:
            return None
        return self.machine_cpu / self.loadgen_cpu

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[index]


def run_load(
    label: str,
    server: Server | int,
    requests: Sequence[Mapping[str, Any]],
    *,
    concurrency: int,
    rate: float = 0.0,
    sign_secret: str = "",
    headers: Mapping[str, str] | None = None,
) -> LoadResult:
    """Send `requests` from a separate process (bench/loadgen.py); closed loop, or at a fixed rate.

    `server` is one of ours, or the port of another (the fake gateway)."""
    spec = {
        "port": server if isinstance(server, int) else server.port,
        "concurrency": concurrency,
        "rate": rate,
        "sign_secret": sign_secret,
        "headers": dict(headers or {}),
        "requests": list(requests),
    }
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        spec_path, out_path = Path(tmp) / "spec.json", Path(tmp) / "out.json"
        spec_path.write_text(json.dumps(spec))
        subprocess.run(
            [PYTHON, "-m", "bench.loadgen", str(spec_path), str(out_path)], cwd=ROOT, check=True
        )
        out = json.loads(out_path.read_text())
    return LoadResult(
        label=label,
        sent=out["sent"],
        seconds=out["seconds"],
        latencies_ms=out["latencies_ms"],
        errors=out["errors"],
        outcomes=out["outcomes"],
        error_samples=out["error_samples"],
        machine_cpu=out["machine_cpu"],
        loadgen_cpu=out["cpu"],
    )


def combined(label: str, parts: Sequence[LoadResult]) -> LoadResult:
    """One result from runs of one server taken in turns with another's (interleaved segments)."""
    outcomes: dict[str, int] = {}
    for part in parts:
        for outcome, count in part.outcomes.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
    return LoadResult(
        label=label,
        sent=sum(p.sent for p in parts),
        seconds=sum(p.seconds for p in parts),
        latencies_ms=[ms for p in parts for ms in p.latencies_ms],
        errors=sum(p.errors for p in parts),
        outcomes=outcomes,
        error_samples=[sample for p in parts for sample in p.error_samples],
        machine_cpu=None if any(p.machine_cpu is None for p in parts) else sum(p.machine_cpu or 0.0 for p in parts),
        loadgen_cpu=sum(p.loadgen_cpu for p in parts),
    )


def print_table(results: Sequence[LoadResult], *, unit: str = "events/s") -> None:
    print(f"  {'':34} {unit:>10} {'p50':>8} {'p95':>8} {'p99':>8} {'errors':>7}  outcomes")
    for r in results:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r.outcomes.items()))
        print(
            f"  {r.label:34} {r.rate:10.1f} {r.percentile(50):6.1f}ms {r.percentile(95):6.1f}ms "
            f"{r.percentile(99):6.1f}ms {r.errors:7d}  {outcomes}"
        )
        for sample in r.error_samples[:3]:
            print(f"  {'':34} error: {sample[:160]}")


def spread(values: Sequence[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "n/a"
    median = ordered[len(ordered) // 2] if len(ordered) % 2 else sum(ordered[len(ordered) // 2 - 1 :][:2]) / 2
    return f"median {median:.2f} (min {ordered[0]:.2f}, max {ordered[-1]:.2f}, n={len(ordered)})"


def setup_django(db_url: str, **extra_env: str) -> None:
    """This process as a Trackify node with production settings on `db_url`, migrated."""
    os.environ.update(BENCH_ENV)
    os.environ.update(
        {"DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "config.settings.production", **extra_env}
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def trackify_env(db_url: str, **extra: str) -> dict[str, str]:
    """The environment of a Trackify gunicorn: production settings on the benchmark's database."""
    return {**BENCH_ENV, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "config.settings.production", **extra}


def baseline_env(db_url: str, **extra: str) -> dict[str, str]:
    return {**BENCH_ENV, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "bench.baseline.settings", **extra}


def default_workers() -> int:
    return (os.cpu_count() or 1) * 2 + 1
