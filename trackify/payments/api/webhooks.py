"""The webhook endpoint: the only view without CSRF protection, because its caller is a gateway.

Authenticity comes from the gateway's signature instead, checked in the service before anything
in the body is trusted. The raw body is passed on untouched: signatures cover its exact bytes.

A delivery is an ordinary Django view behind the whole middleware stack. It needs none of what DRF
adds to a request (authentication, content negotiation, parsers, serializers), so it is a plain
view that answers the API's JSON error bodies itself; the DRF classes at the end only describe it
for the OpenAPI schema (drf-spectacular reads `callback.cls`), and their `as_view()` returns it.
"""

from __future__ import annotations

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
from trackify.payments.services.webhooks import WebhookProviderUnavailable, webhook_receive
from trackify.payments.tasks import webhook_event_apply

WEBHOOK_RESPONSES = {
    200: WebhookAnswerSerializer,
    400: OpenApiResponse(description="Bad or missing signature, stale timestamp, malformed body"),
    404: OpenApiResponse(description="Unknown gateway or webhook endpoint"),
    405: OpenApiResponse(description="Not a POST"),
    413: OpenApiResponse(description="Body over TRACKIFY_WEBHOOK_MAX_BYTES (64 KiB by default)"),
    429: OpenApiResponse(description="Too many rejected deliveries for this config lately; see Retry-After"),
    500: OpenApiResponse(description="Stored, not yet processed; the gateway should deliver again"),
    503: OpenApiResponse(
        description="The database is unavailable, or the provider could not be asked to verify the delivery "
        "(PayPal's verification) or to show what a hint names (Mollie): nothing was applied; the gateway "
        "should deliver again (after Retry-After seconds)"
    ),
}

# What a 503 for a provider that could not be asked tells the provider to wait before delivering again.
PROVIDER_RETRY_AFTER_SECONDS = 30

# Rejected deliveries (400, 404) count towards the `webhook_rejected` throttle, and so do hints
# naming an object the provider does not have (answered 200).
_REJECTED = frozenset({400, 404})


def _error(status: int, code: str, message: str, **headers: str) -> HttpResponse:
    response = JsonResponse(error_body(code, message), status=status)
    for name, value in headers.items():
        response[name] = value
    return response


@csrf_exempt
def webhook_receive_view(request: HttpRequest, gateway_name: str, config_id: UUID | None = None) -> HttpResponse:
    if request.method != "POST":
        return _error(405, "method_not_allowed", f'Method "{request.method}" not allowed.', Allow="POST, OPTIONS")
    # Per config on its own URL; per gateway and address on the shared one.
    ident = f"config:{config_id}" if config_id else f"shared:{gateway_name}:{client_address_of(request.META)}"
    wait = webhook_rejections.wait(ident)
    if wait is not None:
        return _error(429, "throttled", f"Request was throttled. Expected available in {wait} seconds.",
                      **{"Retry-After": str(wait)})
    limit = settings.TRACKIFY_WEBHOOK_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    body = b"" if declared > limit else request.read(limit + 1)
    if declared > limit or len(body) > limit:
        return _error(413, "payload_too_large", f"Webhook bodies are limited to {limit} bytes.")
    try:
        outcome = webhook_receive(gateway_name=gateway_name, config_id=config_id, body=body, headers=request.headers)
    except TrackifyError as exc:
        if isinstance(exc, WebhookVerificationError) and config_id is not None:
            webhook_rejection_record(config_id=config_id)  # the config's webhook health counts it
        if exc.status_code in _REJECTED:
            webhook_rejections.record(ident)
        response = JsonResponse(error_body(exc.code, exc.message, field=exc.field), status=exc.status_code)
        if isinstance(exc, WebhookProviderUnavailable):
            response["Retry-After"] = str(PROVIDER_RETRY_AFTER_SECONDS)
        return response
    if outcome.status == "unmatched":  # a hint naming nothing the provider has for us: made up, or astray
        webhook_rejections.record(ident)  # each costs a call to the provider: bounded like rejections
    if outcome.status == "queued":  # async mode: the event is stored (committed); a worker applies it
        webhook_event_apply.delay(outcome.event_id)
    return JsonResponse({"status": outcome.status, "detail": outcome.detail})


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
