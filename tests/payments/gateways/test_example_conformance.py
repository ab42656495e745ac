"""The documented example runs the conformance kit as a gateway in another package would: pytest
started in docs/examples with that folder's own pytest.ini and conftest, the kit imported from
trackify, nothing from tests/. Run in a subprocess so that nothing of this suite's set-up helps."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


def test_the_acme_example_passes_the_conformance_kit_from_its_own_package() -> None:
    # Its own SQLite test database: never the one this run holds open.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "test_acme_conformance.py", "-q", "-p", "no:cacheprovider"],
        cwd=EXAMPLES, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", summary) and "failed" not in summary and "error" not in summary, summary
