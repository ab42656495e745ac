"""The webhook lane: gateway deliveries served straight from WSGI, in front of Django's request handling.

Webhook deliveries are the busiest requests there are, and a gateway's POST needs nothing that
Django's request handling adds: the request and response objects, the middleware chain, the URL
resolver. That handling was about a quarter of a delivery's Python calls (docs/performance.md). So
`config/wsgi.py` wraps Django's WSGI application in `WebhookLane`, which serves a delivery with the
endpoint's own logic (`webhooks.webhook_answer`, the same that the Django view serves) and keeps,
done as Django does it:
- the `request_started` and `request_finished` signals (database connections' age and health
  checks, the query log, the caches' connections);
- the ALLOWED_HOSTS check, and the security middleware's response headers (HSTS, nosniff,
  Referrer-Policy, COOP), computed once by the middleware itself;
- the request id (X-Request-ID, and on every log line);
- the logging of 4xx and 5xx answers on `django.request`, and for an unexpected error Django's own
  answer (handler500, or the debug page) through `response_for_exception`.

Whatever is not plainly a delivery takes the ordinary way and gets Django's own answer: another
method (405), an insecure request where HTTPS is required (the redirect), a host not allowed (400),
a body without Content-Length, a path the lane's pattern does not match, or a site that sets
PREPEND_WWW or DISALLOWED_USER_AGENTS. TRACKIFY_WEBHOOK_LANE=off turns the lane off altogether.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from http.client import responses
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core import signals
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.middleware.security import SecurityMiddleware
from django.urls import reverse
from django.utils.log import log_response

from trackify.common.logs import current_request_id
from trackify.common.middleware import HEADER as REQUEST_ID_HEADER
from trackify.common.middleware import request_id_from
from trackify.payments.api.webhooks import webhook_answer

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # Django's <uuid:…>
_HOSTS_REMEMBERED = 64


class _Sent(list[bytes]):
    """The answer's body; closing it ends the request as Django's response does."""

    def close(self) -> None:
        signals.request_finished.send(sender=WSGIHandler)


class _Scheme(HttpRequest):
    """A request that is secure or not, for asking the security middleware which headers it adds."""

    def __init__(self, secure: bool):
        super().__init__()
        self.secure = secure

    def _get_scheme(self) -> str:
        return "https" if self.secure else "http"


def _security_headers(secure: bool) -> list[tuple[str, str]]:
    response = SecurityMiddleware(lambda request: HttpResponse()).process_response(_Scheme(secure), HttpResponse())
    return [(name, value) for name, value in response.items() if name.lower() != "content-type"]


class WebhookLane:
    """WSGI middleware: serves webhook deliveries itself, passes every other request to `django_app`."""

    def __init__(self, django_app: WSGIApp):
        self.django_app = django_app
        prefix = re.escape(reverse("webhook", kwargs={"gateway_name": "g"})[: -len("g/")])
        # Django's <str:…> takes any name; the lane only plain ones (the rest still reach the view).
        self.path = re.compile(rf"{prefix}(?P<gateway>[A-Za-z0-9_.-]+)/(?:(?P<config>{_UUID})/)?")
        self.headers = {secure: _security_headers(secure) for secure in (True, False)}
        self.hosts: dict[str, bool] = {}
        self.proxy_ssl_header = settings.SECURE_PROXY_SSL_HEADER
        self.redirect_to_https = settings.SECURE_SSL_REDIRECT
        self.off = bool(settings.PREPEND_WWW or settings.DISALLOWED_USER_AGENTS)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        match = None if self.off or environ.get("REQUEST_METHOD") != "POST" else self.path.fullmatch(
            environ.get("PATH_INFO", "")
        )
        length = environ.get("CONTENT_LENGTH", "")
        if match is None or not length.isdigit() or not self._host_allowed(environ):
            return self.django_app(environ, start_response)
        secure = self._secure(environ)
        if self.redirect_to_https and not secure:
            return self.django_app(environ, start_response)  # the security middleware's redirect
        return self._serve(environ, start_response, match, int(length), secure)

    def _serve(
        self, environ: dict[str, Any], start_response: Callable[..., Any], match: re.Match[str], length: int,
        secure: bool,
    ) -> Iterable[bytes]:
        signals.request_started.send(sender=WSGIHandler, environ=environ)
        request_id = request_id_from(environ)
        token = current_request_id.set(request_id)
        try:
            stream, config = environ["wsgi.input"], match["config"]
            answer = webhook_answer(
                method="POST", gateway_name=match["gateway"], config_id=UUID(config) if config else None,
                meta=environ, read=lambda size: stream.read(min(size, length)),  # never past the body
            )
            status, body = answer.status, json.dumps(answer.body).encode()
            headers = [("Content-Type", "application/json"), *answer.headers.items()]
            if status >= 400:
                _log(status, environ)
        except Exception as exc:  # as Django's handler: logged, and answered by handler500 (or the debug page)
            response = response_for_exception(WSGIRequest(environ), exc)
            status, body = response.status_code, response.content
            headers = [(name, value) for name, value in response.items() if name.lower() != "content-length"]
        finally:
            current_request_id.reset(token)
        headers += [*self.headers[secure], ("Content-Length", str(len(body))), (REQUEST_ID_HEADER, request_id)]
        start_response(f"{status} {responses.get(status, 'Unknown Status Code')}", headers)
        return _Sent([body])

    def _secure(self, environ: dict[str, Any]) -> bool:
        if self.proxy_ssl_header:
            header, value = self.proxy_ssl_header
            if header in environ:
                return str(environ[header]).split(",")[0].strip() == value
        return environ.get("wsgi.url_scheme") == "https"

    def _host_allowed(self, environ: dict[str, Any]) -> bool:
        """As `HttpRequest.get_host()` decides, remembered per host (a site answers to a few)."""
        host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
        if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in environ:
            return False  # rare: Django's own handling decides
        allowed = self.hosts.get(host)
        if allowed is None:
            domain, _port = split_domain_port(host)
            hosts = settings.ALLOWED_HOSTS
            if settings.DEBUG and not hosts:
                hosts = [".localhost", "127.0.0.1", "[::1]"]
            allowed = bool(domain) and validate_host(domain, hosts)
            if len(self.hosts) < _HOSTS_REMEMBERED:
                self.hosts[host] = allowed
        return allowed


def _log(status: int, environ: dict[str, Any]) -> None:
    """A 4xx or 5xx answer logged by Django's own `log_response`, as its handler logs one."""
    path = environ.get("PATH_INFO", "").encode("latin-1", "replace").decode("utf-8", "replace")
    response = HttpResponse(status=status)
    log_response(  # the request as far as a log line reads it (no HttpRequest is built here)
        "%s: %s", response.reason_phrase, path, response=response, request=_Logged(path)  # type: ignore[arg-type]
    )


class _Logged:
    """What a log line shows of the request (trackify.common.logs.JsonFormatter): method and path."""

    method = "POST"

    def __init__(self, path: str):
        self.path = path


def wrap(django_app: WSGIApp) -> WSGIApp:
    """Django's WSGI application, with webhook deliveries served by the lane unless it is turned off."""
    return WebhookLane(django_app) if settings.TRACKIFY_WEBHOOK_LANE else django_app
