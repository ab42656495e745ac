"""The webhook endpoint: the only view without CSRF protection, because its caller is a gateway.

Authenticity comes from the gateway's signature instead, checked in the service before anything
in the body is trusted. The raw body is passed on untouched: signatures cover its exact bytes.
"""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trackify.common.api import error_body
from trackify.common.throttling import RejectedWebhookThrottle
from trackify.payments.api.serializers import WebhookAnswerSerializer
from trackify.payments.gateways.errors import WebhookVerificationError
from trackify.payments.services.health import webhook_rejection_record
from trackify.payments.services.webhooks import webhook_receive

WEBHOOK_RESPONSES = {
    200: WebhookAnswerSerializer,
    400: OpenApiResponse(description="Bad or missing signature, stale timestamp, malformed body"),
    404: OpenApiResponse(description="Unknown gateway or webhook endpoint"),
    413: OpenApiResponse(description="Body over 64 KiB"),
    500: OpenApiResponse(description="Stored, not yet processed; the gateway should deliver again"),
}


class WebhookView(APIView):
    authentication_classes: list[type] = []  # no session, no CSRF: the signature authenticates
    permission_classes = [AllowAny]
    parser_classes: list[type] = []  # the body is read raw, never parsed here
    throttle_classes = [RejectedWebhookThrottle]

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses=WEBHOOK_RESPONSES,
        summary="Receive a gateway's webhook event (the payment id in the body picks the config)",
        operation_id="payment_webhook_receive",
    )
    def post(self, request: Request, gateway_name: str, config_id: UUID | None = None) -> Response:
        limit = settings.TRACKIFY_WEBHOOK_MAX_BYTES
        too_large = Response(
            error_body("payload_too_large", f"Webhook bodies are limited to {limit} bytes."), status=413
        )
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return too_large
        body = request._request.read(limit + 1)
        if len(body) > limit:
            return too_large
        try:
            outcome = webhook_receive(
                gateway_name=gateway_name, config_id=config_id, body=body, headers=dict(request.headers)
            )
        except WebhookVerificationError:
            if config_id is not None:  # the config's webhook health counts it; nothing else is kept
                webhook_rejection_record(config_id=config_id)
            raise
        return Response({"status": outcome.status, "detail": outcome.detail})


class ConfigWebhookView(WebhookView):
    """The same endpoint with the config in the URL: the one to give a gateway's dashboard."""

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses=WEBHOOK_RESPONSES,
        summary="Receive a gateway's webhook event for one config",
        operation_id="payment_webhook_receive_for_config",
    )
    def post(self, request: Request, gateway_name: str, config_id: UUID | None = None) -> Response:
        return super().post(request, gateway_name, config_id)
