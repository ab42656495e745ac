"""What every fake provider server shares (tests only): a real HTTP server on 127.0.0.1, faults, the wire.

A fake subclasses `FakeServer` and writes `handle(request)`: its routes, objects and error bodies are
its provider's own; the server on a free port, its background thread, the fault list (`fail_next` and
friends build `Fault`s in the provider's error shape) and the helpers that read a body or write an
answer are here, once.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

# An answer as a fake's `send` takes it: status, JSON body, extra headers.
Answer = tuple[int, dict[str, Any], dict[str, str]]

# The status of an "answer" that is a closed connection (also what the fakes log for a dropped request).
DROPPED = -1


@dataclass
class Fault:
    """What the next `remaining` matching requests meet instead of (or after) a normal answer."""

    kind: str  # "error", "hang", "drop"
    remaining: int = 1
    status: int = 500
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    # True: the request takes effect at the fake first, and only its answer is lost or replaced.
    after_processing: bool = False
    method: str = ""
    path: str = ""  # a prefix of the request path

    def matches(self, method: str, path: str) -> bool:
        return (not self.method or self.method == method) and path.startswith(self.path)

    def answer(self) -> Answer:
        """What the client gets: the error, or (a drop) a connection closed without an answer."""
        if self.kind == "drop":
            return DROPPED, {}, {}
        return self.status, self.body, self.headers


class Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: faults never hit a pooled socket

    def do_GET(self) -> None:
        self.server.fake.handle(self)

    do_POST = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and left is part of the tests, not an error


class FakeServer:
    """A threaded HTTP server on 127.0.0.1 (a free port) that hands every request to `handle`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=type(self).__name__,
            daemon=True,  # a test that forgot stop() does not keep the run alive
        )

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def handle(self, request: Handler) -> None:
        raise NotImplementedError  # each fake serves its provider's routes

    # -- faults ----------------------------------------------------------------------------------

    def inject(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def hang_next(self, n: int = 1, *, seconds: float, **where: Any) -> Fault:
        """Wait `seconds` before handling the next `n` requests (a client timeout, if longer)."""
        return self.inject(Fault("hang", n, seconds=seconds, **where))

    def drop_next(self, n: int = 1, *, after_processing: bool = False, **where: Any) -> Fault:
        """Close the connection without an answer (before, or after the request took effect)."""
        return self.inject(Fault("drop", n, after_processing=after_processing, **where))

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The first fault with requests left that matches this one (and one request fewer for it)."""
        with self.lock:
            for fault in self.faults:
                if fault.remaining > 0 and fault.matches(method, path):
                    fault.remaining -= 1
                    return fault
        return None

    @staticmethod
    def respond(fault: Fault | None, act: Callable[[], Answer], send: Callable[[Answer], None]) -> None:
        """Answer one request through the fault it met, if any.

        `act()` makes the request take effect and gives its answer; `send` writes an answer (a
        fault's too). A hang waits, then answers as usual; an error or a drop comes instead of the
        request, or, with `after_processing`, once the request took effect (only its answer is lost).
        """
        if fault is not None and fault.kind == "hang":
            time.sleep(fault.seconds)
        elif fault is not None and not fault.after_processing:
            send(fault.answer())
            return
        answer = act()
        send(fault.answer() if fault is not None and fault.after_processing else answer)


# -- the wire ------------------------------------------------------------------------------------


def read_body(request: Handler) -> bytes:
    length = int(request.headers.get("Content-Length") or 0)
    return request.rfile.read(length) if length else b""


def drop_connection(request: Handler) -> None:
    """Close the connection without an answer, as a provider that went away does."""
    request.close_connection = True
    request.connection.shutdown(socket.SHUT_RDWR)


def send_bytes(
    request: Handler,
    status: int,
    data: bytes = b"",
    *,
    content_type: str = "",
    headers: dict[str, str] | None = None,
) -> None:
    """Write one answer; `DROPPED` closes the connection instead. A client that left is not an error."""
    if status == DROPPED:
        drop_connection(request)
        return
    try:
        request.send_response(status)
        if content_type:
            request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)
    except OSError:
        pass  # the client gave up (a timeout under test)


def send_json(
    request: Handler,
    status: int,
    body: dict[str, Any],
    *,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> None:
    send_bytes(request, status, json.dumps(body).encode(), content_type=content_type, headers=headers)
