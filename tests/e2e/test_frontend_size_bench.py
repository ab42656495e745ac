"""bench/frontend_size.py still runs: the bundle sizes and one cold load of the pay page (`--runs 1`).

A smoke test only: it checks that the script finishes and prints its figures beside their targets,
never the figures themselves (speed is read from the script's output, not asserted in tests). It runs
once per `make test`, with the browser tests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.e2e.conftest import ROOT, chromium_path


def test_the_frontend_size_script_prints_the_sizes_and_the_first_render():
    if os.environ.get("TRACKIFY_E2E", "1") == "0":
        pytest.skip("the browser tests (and this one) run once per `make test`, in the other database pass")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    chromium = chromium_path()
    if chromium:
        env["TRACKIFY_CHROMIUM"] = chromium
    result = subprocess.run(
        [sys.executable, "bench/frontend_size.py", "--runs", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    assert re.search(r"pay page JS \(entry \+ React \+ page\), gzipped\s+\d+\.\d KB", out), out
    assert re.search(r"SandboxPaymentForm chunk\s+\d+\.\d KB", out), out
    assert re.search(r"StripePaymentForm chunk\s+\d+\.\d KB", out), out
    assert re.search(r"pay page target: < 80 KB -> (under|OVER)", out), out
    if chromium is None:
        assert "First render: skipped" in out
        return
    for row in ("login FCP (baseline)", "pay FCP", "pay invoice shown"):
        assert re.search(rf"{re.escape(row)}\s+\d+ / \d+", out), out
    assert re.search(r"first render target: < 1000 ms -> (under|OVER)", out), out
