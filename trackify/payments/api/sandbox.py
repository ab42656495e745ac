"""The sandbox's test API: finish a sandbox payment as its payer would, and get the signed webhook back.

It lives with payments because it checks access to a payment (owner or invoice-token holder);
it reaches the simulated provider only through the sandbox gateway, as every payment reaches its
provider. Mounted at /payment/sandbox/ only where the sandbox is enabled.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trackify.common.errors import NotFound
from trackify.common.parsing import client_token
from trackify.common.serializers import StrictInputSerializer
from trackify.common.throttling import PUBLIC_THROTTLES
from trackify.payments import selectors
from trackify.payments.gateways.sandbox import SandboxGateway
from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.lookups import lookup_for


class CompleteInputSerializer(StrictInputSerializer):
    outcome = serializers.ChoiceField(choices=SandboxGateway.PAYER_OUTCOMES)
    deliver = serializers.BooleanField(default=True)


class SignedWebhookSerializer(serializers.Serializer):
    url = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    body = serializers.CharField(help_text="The raw body, exactly as signed.")


class CompleteOutputSerializer(serializers.Serializer):
    delivered = serializers.BooleanField()
    webhook = SignedWebhookSerializer()


class SandboxCompleteView(APIView):
    """Finish a sandbox payment as the payer would, and get the signed webhook back."""

    permission_classes = [AllowAny]  # the payment's owner, or the invoice token's holder
    throttle_classes = PUBLIC_THROTTLES

    @extend_schema(
        request=CompleteInputSerializer,
        responses=CompleteOutputSerializer,
        summary="Sandbox: complete a payment with a chosen outcome",
    )
    def post(self, request: Request, payment_id: str) -> Response:
        payment = selectors.payment_for_client(payment_id=payment_id, user=request.user, token=client_token(request))
        if payment.gateway_name != SandboxGateway.name:
            raise NotFound("No such sandbox payment.")
        serializer = CompleteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        gateway = gateway_for(payment.config)
        if not isinstance(gateway, SandboxGateway):  # another class registered under the name
            raise NotFound("No such sandbox payment.")
        data = serializer.validated_data
        result = gateway.complete_as_payer(lookup_for(payment), data["outcome"], deliver=data["deliver"])
        return Response(result)


urlpatterns = [
    path("<uuid:payment_id>/complete/", SandboxCompleteView.as_view(), name="sandbox-complete"),
]
