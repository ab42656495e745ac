"""The webhook endpoint: the only view without CSRF protection, because its caller is a gateway.

Authenticity comes from the gateway's signature instead, checked in the service before anything
in the body is trusted. The raw body is passed on untouched: signatures cover its exact bytes.

It is the hottest endpoint, and it needs none of what DRF adds to a request (authentication,
content negotiation, parsers, serializers): the delivery is served by a plain Django view,
`webhook_receive_view`, which answers the API's JSON error bodies itself. The DRF classes below
only describe it for the OpenAPI schema (drf-spectacular reads `callback.cls`); their `as_view()`
returns the plain view. docs/performance.md has the figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from trackify.common.api import error_body
from trackify.common.errors import TrackifyError
from trackify.common.throttling import client_address_of, webhook_rejections
from trackify.payments.api.serializers import WebhookAnswerSerializer
from trackify.payments.gateways.errors import WebhookVerificationError
from trackify.payments.services.health import webhook_rejection_record
from trackify.payments.services.webhooks import webhook_receive

WEBHOOK_RESPONSES = {
    200: WebhookAnswerSerializer,
    400: OpenApiResponse(description="Bad or missing signature, stale timestamp, malformed body"),
    404: OpenApiResponse(description="Unknown gateway or webhook endpoint"),
    405: OpenApiResponse(description="Not a POST"),
    413: OpenApiResponse(description="Body over TRACKIFY_WEBHOOK_MAX_BYTES (64 KiB by default)"),
    429: OpenApiResponse(description="Too many rejected deliveries for this config lately; see Retry-After"),
    500: OpenApiResponse(description="Stored, not yet processed; the gateway should deliver again"),
}

# Rejected deliveries (400, 404) count towards the `webhook_rejected` throttle.
_REJECTED = frozenset({400, 404})


class _EnvironHeaders(Mapping[str, str]):
    """A request's headers by lower-case name, read from its WSGI environ when asked for: a gateway
    reads one or two of them (its signature), and turning every header's name into its HTTP form
    cost some 30 Python calls a delivery (docs/performance.md)."""

    _NOT_PREFIXED = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}

    def __init__(self, meta: Mapping[str, Any]):
        self._meta = meta

    def __getitem__(self, name: str) -> str:
        key = self._NOT_PREFIXED.get(name) or "HTTP_" + name.upper().replace("-", "_")
        if name != name.lower() or key not in self._meta:
            raise KeyError(name)
        return str(self._meta[key])

    def __iter__(self) -> Iterator[str]:
        for key in self._meta:
            if key.startswith("HTTP_"):
                yield key[5:].replace("_", "-").lower()
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                yield key.replace("_", "-").lower()

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True)
class WebhookAnswer:
    """What the endpoint answers a delivery: the status, the JSON body, extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def _error(status: int, code: str, message: str, **headers: str) -> WebhookAnswer:
    return WebhookAnswer(status, error_body(code, message), headers)


def webhook_answer(
    *, method: str, gateway_name: str, config_id: UUID | None, meta: Mapping[str, Any], read: Callable[[int], bytes]
) -> WebhookAnswer:
    """A delivery's answer, from its WSGI environ (`meta`) and a reader of its body: the endpoint's
    one logic, served by the Django view below and by the webhook lane (`webhook_lane`)."""
    if method != "POST":
        return _error(405, "method_not_allowed", f'Method "{method}" not allowed.', Allow="POST, OPTIONS")
    # Per config on its own URL; per gateway and address on the shared one.
    ident = f"config:{config_id}" if config_id else f"shared:{gateway_name}:{client_address_of(meta)}"
    wait = webhook_rejections.wait(ident)
    if wait is not None:
        return _error(429, "throttled", f"Request was throttled. Expected available in {wait} seconds.",
                      **{"Retry-After": str(wait)})
    limit = settings.TRACKIFY_WEBHOOK_MAX_BYTES
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    body = b"" if declared > limit else read(limit + 1)
    if declared > limit or len(body) > limit:
        return _error(413, "payload_too_large", f"Webhook bodies are limited to {limit} bytes.")
    try:
        outcome = webhook_receive(
            gateway_name=gateway_name, config_id=config_id, body=body, headers=_EnvironHeaders(meta)
        )
    except TrackifyError as exc:
        if isinstance(exc, WebhookVerificationError) and config_id is not None:
            webhook_rejection_record(config_id=config_id)  # the config's webhook health counts it
        if exc.status_code in _REJECTED:
            webhook_rejections.record(ident)
        return WebhookAnswer(exc.status_code, error_body(exc.code, exc.message, field=exc.field))
    return WebhookAnswer(200, {"status": outcome.status, "detail": outcome.detail})


@csrf_exempt
def webhook_receive_view(request: HttpRequest, gateway_name: str, config_id: UUID | None = None) -> HttpResponse:
    answer = webhook_answer(
        method=request.method or "", gateway_name=gateway_name, config_id=config_id, meta=request.META,
        read=request.read,
    )
    response = JsonResponse(answer.body, status=answer.status)
    for name, value in answer.headers.items():
        response[name] = value
    return response


class _SchemaOnly(APIView):
    """Describes `webhook_receive_view` in the schema; requests never reach this class."""

    authentication_classes: list[type] = []  # no session, no CSRF: the signature authenticates
    permission_classes = [AllowAny]

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        def served(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return webhook_receive_view(request, *args, **kwargs)

        served.cls = cls  # type: ignore[attr-defined]  # what drf-spectacular documents
        served.initkwargs = initkwargs  # type: ignore[attr-defined]
        served.csrf_exempt = True  # type: ignore[attr-defined]
        return served


class WebhookView(_SchemaOnly):
    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses=WEBHOOK_RESPONSES,
        summary="Receive a gateway's webhook event (the payment id in the body picks the config)",
        operation_id="payment_webhook_receive",
    )
    def post(self, request: Any, gateway_name: str) -> Any:
        raise NotImplementedError  # served by webhook_receive_view


class ConfigWebhookView(_SchemaOnly):
    """The same endpoint with the config in the URL: the one to give a gateway's dashboard."""

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses=WEBHOOK_RESPONSES,
        summary="Receive a gateway's webhook event for one config",
        operation_id="payment_webhook_receive_for_config",
    )
    def post(self, request: Any, gateway_name: str, config_id: UUID) -> Any:
        raise NotImplementedError  # served by webhook_receive_view
