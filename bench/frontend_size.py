"""Front-end size and speed: builds frontend/, prints the gzipped JavaScript the pay page loads before any
gateway form, each gateway form's chunk, and the pay page's first render in Debian's Chromium.

    .venv/bin/python bench/frontend_size.py [--runs 7]

Targets: the pay page under 80 KB gzipped; its first render under 1 s. The baseline beside the first
render is the server-rendered login page (no JavaScript at all) from the same server in the same run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "frontend" / "dist"
CHROMIUM = os.environ.get("TRACKIFY_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PAY_TARGET_KB = 80
RENDER_TARGET_MS = 1000


def gz_kb(files: list[str]) -> float:
    return sum(len(gzip.compress((DIST / f).read_bytes(), 9)) for f in files) / 1024


def closure(manifest: dict[str, Any], key: str, *, skip: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The chunk's file and every chunk it imports statically, less those in `skip`."""
    seen: list[str] = []
    stack = [key]
    while stack:
        k = stack.pop()
        if k in seen or k in skip:
            continue
        seen.append(k)
        stack.extend(manifest[k].get("imports", []))
    return seen


def sizes() -> list[tuple[str, float]]:
    manifest = json.loads((DIST / ".vite" / "manifest.json").read_text())
    pay = closure(manifest, "src/entries/pay.jsx")
    rows = [("pay page JS (entry + React + page), gzipped", gz_kb([manifest[k]["file"] for k in pay]))]
    rows.append(("  stylesheet, gzipped", gz_kb([manifest["src/styles/app.css"]["file"]])))
    modal = closure(manifest, "src/modal/PaymentModal.jsx", skip=set(pay))
    rows.append(("PaymentModal chunk (on 'Pay now')", gz_kb([manifest[k]["file"] for k in modal])))
    for key in sorted(k for k in manifest if k.startswith("src/gateways/") and k.endswith("Form.jsx")):
        extra = closure(manifest, key, skip=set(pay) | set(modal))
        rows.append((f"  {Path(key).stem} chunk", gz_kb([manifest[k]["file"] for k in extra])))
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(tmp: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, Any]]:
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DATABASE_URL": f"sqlite:///{tmp}/b.db",
           "TRACKIFY_ENCRYPTION_KEYS": "Wp0cFjk7bZJrsYKYu1pT1pq8Z7kqQ-mQmHq0bSmJkXI=", "TRACKIFY_SITE_URL": site,
           "DEBUG": "0"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    seed = json.loads(subprocess.run([*manage, "seed_demo", "--json"], env=env, check=True, capture_output=True).stdout)
    server = subprocess.Popen([*manage, "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{site}/login/", timeout=1)  # noqa: S310 (our own server on loopback)
            break
        except OSError:
            time.sleep(0.1)
    return server, site, seed


def first_render(site: str, seed: dict[str, Any], runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    invoice = seed["invoices"][0]
    pay = f"{site}/pay/{invoice['id']}/?token={invoice['public_token']}"
    figures: dict[str, list[float]] = {"login FCP (baseline)": [], "pay FCP": [], "pay invoice shown": []}
    fcp = "performance.getEntriesByName('first-contentful-paint')[0]?.startTime"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for _ in range(runs):
            context = browser.new_context()  # a cold cache each time
            page = context.new_page()
            page.goto(f"{site}/login/")
            page.wait_for_function(f"{fcp} !== undefined")
            figures["login FCP (baseline)"].append(page.evaluate(fcp))
            context.close()
            context = browser.new_context()
            page = context.new_page()
            page.goto(pay)
            page.wait_for_function("performance.getEntriesByName('invoice-shown').length > 0")
            page.wait_for_function(f"{fcp} !== undefined")
            figures["pay FCP"].append(page.evaluate(fcp))
            shown = "performance.getEntriesByName('invoice-shown')[0].startTime"
            figures["pay invoice shown"].append(page.evaluate(shown))
            context.close()
        browser.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    subprocess.run([str(ROOT / "scripts" / "frontend.sh")], check=True)
    print("Bundle sizes (gzip -9 of the built files)")
    rows = sizes()
    for name, kb in rows:
        print(f"  {name:<48} {kb:7.1f} KB")
    verdict = "under" if rows[0][1] < PAY_TARGET_KB else "OVER"
    print(f"  pay page target: < {PAY_TARGET_KB} KB -> {verdict}")
    if not os.access(CHROMIUM, os.X_OK):
        print(f"First render: skipped, no Chromium at {CHROMIUM}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        server, site, seed = start_server(Path(tmp))
        try:
            figures = first_render(site, seed, args.runs)
        finally:
            server.terminate()
            server.wait()
    print(f"First render in Chromium ({args.runs} cold-cache loads each, median / max, ms)")
    for name, values in figures.items():
        print(f"  {name:<48} {statistics.median(values):7.0f} / {max(values):.0f}")
    shown = statistics.median(figures["pay invoice shown"])
    print(f"  first render target: < {RENDER_TARGET_MS} ms -> {'under' if shown < RENDER_TARGET_MS else 'OVER'}")


if __name__ == "__main__":
    main()
