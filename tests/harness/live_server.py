"""A live Trackify under gunicorn, on the test run's PostgreSQL database, for the harnesses.

Self-contained on purpose (no deployment config file): the harness decides workers and timeouts.
The socket is bound here, to a free port on 127.0.0.1, and handed to gunicorn as `fd://`, so no
other process can take the port between choosing and serving it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests
from django.db import connection

from bench import harness

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the database this test run uses (pytest-django's `test_<name>`)."""
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class LiveServer:
    def __init__(self, *, workers: int, env: dict[str, str], log: Path, timeout: int = 60):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(256)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.workers, self.timeout, self.log = workers, timeout, log
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url(),
            "DATABASE_CONN_MAX_AGE": "600",  # as in production: a worker keeps its connection
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> LiveServer:
        fd = self.listener.fileno()
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"fd://{fd}",
            "--workers", str(self.workers),
            "--timeout", str(self.timeout),
            "--graceful-timeout", "5",
            "--log-level", "warning",
        ]  # fmt: skip
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, pass_fds=(fd,), stdout=out, stderr=subprocess.STDOUT
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()[-3000:]
            try:  # the socket accepts at once (it is ours); an answer means a worker is serving
                requests.get(f"{self.url}/payment/webhook/stripe/", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.1)  # polling the server's start-up, not synchronising a test
        raise AssertionError(f"gunicorn did not answer within {seconds} s:\n{self.log.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        """The master's children (gunicorn's workers), read from /proc."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            harness.terminate(self.process, timeout=15)
        self.listener.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
