"""The owner's webhook endpoints (signed webhooks to their own systems). Thin views over
services/webhook_endpoints.py; the signing secret is answered by create and roll-secret only."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trackify.payments.api import webhook_serializers as ws
from trackify.payments.api.views import OwnerPaymentPagination
from trackify.payments.services import webhook_endpoints as endpoints
from trackify.payments.services.webhook_endpoints import EndpointWithSecret


def _valid(serializer_cls: type[Any], data: Any) -> dict[str, Any]:
    serializer = serializer_cls(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _with_secret(result: EndpointWithSecret) -> dict[str, Any]:
    return {**ws.WebhookEndpointSerializer(result.endpoint).data, "secret": result.secret}


class WebhookEndpointListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ws.WebhookEndpointSerializer(many=True), summary="Your webhook endpoints")
    def get(self, request: Request) -> Response:
        return Response(ws.WebhookEndpointSerializer(endpoints.webhook_endpoints_of(request.user), many=True).data)

    @extend_schema(
        request=ws.WebhookEndpointCreateSerializer,
        responses={201: ws.EndpointWithSecretSerializer},
        summary="Add a webhook endpoint (its signing secret is in this answer only)",
    )
    def post(self, request: Request) -> Response:
        data = _valid(ws.WebhookEndpointCreateSerializer, request.data)
        result = endpoints.webhook_endpoint_create(owner=request.user, **data)
        return Response(_with_secret(result), status=status.HTTP_201_CREATED)


class WebhookEndpointDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ws.WebhookEndpointSerializer, summary="One of your webhook endpoints")
    def get(self, request: Request, endpoint_id: str) -> Response:
        endpoint = endpoints.webhook_endpoint_for_owner(endpoint_id=endpoint_id, user=request.user)
        return Response(ws.WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        request=ws.WebhookEndpointUpdateSerializer,
        responses=ws.WebhookEndpointSerializer,
        summary="Change a webhook endpoint (enable it again after it was disabled)",
    )
    def patch(self, request: Request, endpoint_id: str) -> Response:
        endpoint = endpoints.webhook_endpoint_for_owner(endpoint_id=endpoint_id, user=request.user)
        data = _valid(ws.WebhookEndpointUpdateSerializer, request.data)
        endpoint = endpoints.webhook_endpoint_update(endpoint=endpoint, **data)
        return Response(ws.WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None}, summary="Delete a webhook endpoint (its pending deliveries fail)")
    def delete(self, request: Request, endpoint_id: str) -> Response:
        endpoint = endpoints.webhook_endpoint_for_owner(endpoint_id=endpoint_id, user=request.user)
        endpoints.webhook_endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointRollSecretView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses=ws.EndpointWithSecretSerializer,
        summary="A new signing secret, used from the next attempt on (in this answer only)",
    )
    def post(self, request: Request, endpoint_id: str) -> Response:
        endpoint = endpoints.webhook_endpoint_for_owner(endpoint_id=endpoint_id, user=request.user)
        return Response(_with_secret(endpoints.webhook_endpoint_roll_secret(endpoint=endpoint)))


class WebhookEndpointDeliveriesView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ws.WebhookDeliverySerializer
    pagination_class = OwnerPaymentPagination

    @extend_schema(summary="The endpoint's delivery log, newest first, each with its attempts")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        endpoint = endpoints.webhook_endpoint_for_owner(endpoint_id=self.kwargs["endpoint_id"], user=self.request.user)
        return endpoints.webhook_deliveries_of(endpoint)


class WebhookDeliverySendAgainView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={202: ws.WebhookDeliverySerializer},
        summary="Send a delivery again now, with a fresh count of attempts (409 when the endpoint is disabled)",
    )
    def post(self, request: Request, endpoint_id: str, delivery_id: str) -> Response:
        endpoint = endpoints.webhook_endpoint_for_owner(endpoint_id=endpoint_id, user=request.user)
        delivery = endpoints.webhook_delivery_of(endpoint=endpoint, delivery_id=delivery_id)
        delivery = endpoints.webhook_delivery_send_again(endpoint=endpoint, delivery=delivery)
        delivery = endpoints.webhook_delivery_of(endpoint=endpoint, delivery_id=delivery.pk)  # with its attempts
        return Response(ws.WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookEndpointTestEventView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={202: ws.WebhookDeliverySerializer},
        summary="Send a webhook.test event to this endpoint only (409 when it is disabled)",
    )
    def post(self, request: Request, endpoint_id: str) -> Response:
        endpoint = endpoints.webhook_endpoint_for_owner(endpoint_id=endpoint_id, user=request.user)
        delivery = endpoints.webhook_endpoint_send_test(endpoint=endpoint)
        delivery = endpoints.webhook_delivery_of(endpoint=endpoint, delivery_id=delivery.pk)
        return Response(ws.WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
