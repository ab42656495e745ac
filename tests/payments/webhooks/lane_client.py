"""A test client that sends requests through the webhook lane (trackify/payments/api/webhook_lane.py),
as gunicorn does, instead of through Django's test handler: so the webhook tests check both ways in."""

from __future__ import annotations

import json
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from trackify.payments.api.webhook_lane import WebhookLane


class LaneResponse:
    def __init__(self, status: str, headers: list[tuple[str, str]], content: bytes):
        self.status_code = int(status.split(" ", 1)[0])
        self.reason_phrase = status.split(" ", 1)[1]
        self.headers = {name.lower(): value for name, value in headers}
        self.header_list = headers
        self.content = content

    def json(self) -> Any:
        assert self.headers["content-type"] == "application/json", self.headers
        return json.loads(self.content)

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]

    def has_header(self, name: str) -> bool:
        return name.lower() in self.headers


class LaneClient:
    """Like django.test.Client for POSTs: `post(path, data, content_type, **environ)`. `served_by_lane`
    says whether the last request was answered by the lane itself (not passed on to Django)."""

    def __init__(self) -> None:
        self.passed_on = 0
        self.served_by_lane = False

        django_app = WSGIHandler()

        def counted(environ: dict[str, Any], start_response: Any) -> Any:
            self.passed_on += 1
            return django_app(environ, start_response)

        self.lane = WebhookLane(counted)

    def request(self, environ: dict[str, Any]) -> LaneResponse:
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> None:
            started.append((status, headers))

        before = self.passed_on
        # As Django's test handler does: inside a test's transaction, the connection must stay open.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            result = self.lane(environ, start_response)
            try:
                content = b"".join(result)
            finally:
                getattr(result, "close", lambda: None)()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        self.served_by_lane = self.passed_on == before
        status, headers = started[0]
        return LaneResponse(status, headers, content)

    def post(
        self, path: str, data: bytes | str = b"", content_type: str = "application/json", **extra: Any
    ) -> LaneResponse:
        return self.request(RequestFactory().post(path, data=data, content_type=content_type, **extra).environ)

    def generic(self, method: str, path: str, data: bytes = b"", **extra: Any) -> LaneResponse:
        return self.request(RequestFactory().generic(method, path, data, **extra).environ)
