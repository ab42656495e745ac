"""The load generator: a process of its own, so that the server's CPU time and ours are not mixed.

`python -m bench.loadgen SPEC OUT`: SPEC is JSON (port, concurrency, rate, sign_secret, headers,
requests: [{method, path, body?}]). Each request goes on its own connection, as a gateway's delivery
does. Closed loop (rate 0): `concurrency` connections back to back. Fixed rate: request i is due at
start + i / rate; its latency counts from when it was due, so a server that falls behind is not
excused by the generator waiting for it (no coordinated omission).

Stripe-style signing happens just before sending (`t=<now>,v1=HMAC-SHA256(secret, "t.body")`), so
a long run never trips the signature's 300 s tolerance.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any


def _signature(secret: str, body: str) -> str:
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class Generator:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.requests: list[dict[str, Any]] = spec["requests"]
        self.latencies: list[float] = [0.0] * len(self.requests)
        self.statuses: list[str] = [""] * len(self.requests)
        self.errors: list[str] = []
        self.next_index = itertools.count()
        self.lock = threading.Lock()

    def send(self, index: int) -> str:
        request = self.requests[index]
        body = request.get("body")
        headers = {"Content-Type": "application/json", **self.spec["headers"], **request.get("headers", {})}
        if body is not None and self.spec["sign_secret"]:
            headers["Stripe-Signature"] = _signature(self.spec["sign_secret"], body)
        conn = http.client.HTTPConnection("127.0.0.1", self.spec["port"], timeout=60)
        try:
            conn.request(request.get("method", "POST"), request["path"], body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        finally:
            conn.close()
        if response.status >= 400:
            raise RuntimeError(f"HTTP {response.status}: {payload[:200]!r}")
        try:
            return str(json.loads(payload).get("status", "ok"))
        except (ValueError, AttributeError):
            return "ok"

    def worker(self, start: float, rate: float) -> None:
        while True:
            index = next(self.next_index)
            if index >= len(self.requests):
                return
            due = start + index / rate if rate else time.perf_counter()
            if rate:
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            try:
                self.statuses[index] = self.send(index)
            except Exception as exc:
                self.statuses[index] = "error"
                with self.lock:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
            self.latencies[index] = (time.perf_counter() - due) * 1000

    def run(self) -> dict[str, Any]:
        rate = float(self.spec.get("rate") or 0)
        machine, cpu = machine_cpu_seconds(), time.process_time()
        start = time.perf_counter()
        threads = [
            threading.Thread(target=self.worker, args=(start, rate)) for _ in range(self.spec["concurrency"])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
        machine = machine_cpu_seconds() - machine if machine is not None else None
        outcomes: dict[str, int] = {}
        for status in self.statuses:
            outcomes[status] = outcomes.get(status, 0) + 1
        return {
            "sent": len(self.requests),
            "seconds": seconds,
            "latencies_ms": self.latencies,
            "errors": len(self.errors),
            "error_samples": self.errors[:5],
            "outcomes": outcomes,
            "cpu": cpu,  # this process's, while sending
            "machine_cpu": machine,  # the whole machine's, meanwhile
        }


def machine_cpu_seconds() -> float | None:
    """CPU time the whole machine has spent working (user, system, interrupts; not idle, I/O wait or
    steal), from /proc/stat; None where there is none."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    Path(sys.argv[2]).write_text(json.dumps(Generator(spec).run()))


if __name__ == "__main__":
    main()
