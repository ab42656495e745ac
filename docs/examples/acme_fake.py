"""A fake Acme Pay API for the conformance kit: a real HTTP server on 127.0.0.1.

What a gateway author writes next to their gateway: the provider's few endpoints the gateway calls
(with its idempotency and its error answers), what happens at the provider outside our calls (the
payer pays, the checkout expires) with the signed webhook events it sends, and faults on the wire.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Fault:
    kind: str  # "down", "error_5xx", "rate_limited", "bad_request", "unauthorized", "answer_lost"
    remaining: int


@dataclass
class FakeAcme:
    api_key: str = field(default_factory=lambda: "ak_test_" + secrets.token_hex(16))
    webhook_secret: str = field(default_factory=lambda: "whsec_" + secrets.token_hex(16))
    checkouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> checkout id
    faults: list[Fault] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)  # events not yet handed to the test
    lock: threading.RLock = field(default_factory=threading.RLock)

    def start(self) -> FakeAcme:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection: a dropped one hits no pool

            def do_GET(self) -> None:
                fake._handle(self)

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- what happens at Acme outside our calls ------------------------------------------------

    def settle(self, checkout_id: str, status: str) -> None:
        """The payer pays ("paid"), is declined ("failed"), or the checkout lapses ("expired")."""
        with self.lock:
            checkout = self.checkouts[checkout_id]
            checkout["status"] = status
            event = {"id": "evt_" + secrets.token_hex(8), "type": f"checkout.{status}", "data": dict(checkout)}
            self.outbox.append(event)

    def signed(self, event: dict[str, Any], secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(event).encode()
        signature = hmac.new((secret or self.webhook_secret).encode(), body, hashlib.sha256).hexdigest()
        return body, {"Acme-Signature": signature}

    # -- serving ---------------------------------------------------------------------------------

    def _take_fault(self) -> str:
        with self.lock:
            for fault in self.faults:
                if fault.remaining > 0:
                    fault.remaining -= 1
                    return fault.kind
        return ""

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        fault = self._take_fault()
        if fault == "down":
            request.close_connection = True
            request.connection.close()  # no answer at all
            return
        errors = {"error_5xx": 500, "rate_limited": 429, "bad_request": 400, "unauthorized": 401}
        if fault in errors:
            self._send(request, errors[fault], {"error": f"Acme answers {errors[fault]} ({fault})."})
            return
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            self._send(request, 401, {"error": "Unknown API key."})
            return
        length = int(request.headers.get("Content-Length") or 0)
        body = json.loads(request.rfile.read(length)) if length else {}
        status, answer = self._route(request.command, request.path, body, request.headers.get("Idempotency-Key", ""))
        if fault == "answer_lost":  # it took effect; the answer never arrives
            request.connection.close()
            return
        self._send(request, status, answer)

    def _route(self, method: str, path: str, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if method == "GET" and path == "/v1/account":
                return 200, {"id": "acct_kit"}
            if method == "POST" and path == "/v1/checkouts":
                if key in self.by_key:  # a retry: the first answer
                    return 200, self.checkouts[self.by_key[key]]
                checkout_id = "co_" + secrets.token_hex(8)
                self.checkouts[checkout_id] = {
                    "id": checkout_id, "status": "open", "amount": body["amount"], "currency": body["currency"],
                    "metadata": body.get("metadata", {}), "url": f"https://pay.acme.invalid/{checkout_id}",
                }  # fmt: skip
                self.by_key[key] = checkout_id
                return 201, self.checkouts[checkout_id]
            if method == "GET" and path.startswith("/v1/checkouts/"):
                checkout = self.checkouts.get(path.rsplit("/", 1)[1])
                return (200, checkout) if checkout else (404, {"error": "No such checkout."})
        return 404, {"error": "No such endpoint."}

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, answer: dict[str, Any]) -> None:
        raw = json.dumps(answer).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(raw)))
        request.end_headers()
        request.wfile.write(raw)
