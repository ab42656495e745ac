"""The benchmark scripts still run: each once, tiny (`--quick`), on a database of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deployment.conftest import database_url_for_servers

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("script", "options"),
    [("webhooks", ["--workers", "2"]), ("sessions", ["--workers", "2"]), ("status", ["--workers", "2"]),
     ("webhook_cost", [])],
)
def test_benchmark_runs_and_prints_its_summary(script, options):
    admin_url = database_url_for_servers().rsplit("/", 1)[0] + "/postgres"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["BENCH_POSTGRES_ADMIN_URL"] = admin_url
    database = f"bench_smoke_{script}_{os.getpid()}"
    result = subprocess.run(
        [sys.executable, "-m", f"bench.{script}", "--quick", *options, "--database", database],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "==> summary" in result.stdout
