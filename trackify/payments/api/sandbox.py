"""The sandbox's test API: finish a sandbox payment as its payer would, or dispute it as the payer's
bank would, and get the signed webhooks back.

It lives with payments because it checks access to a payment (owner or invoice-token holder; only
the owner may dispute: a client must not take the money back through our test API);
it reaches the simulated provider only through the sandbox gateway, as every payment reaches its
provider. Mounted at /payment/sandbox/ only where the sandbox is enabled.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trackify.common.errors import NotFound
from trackify.common.fields import AmountInputField
from trackify.common.money import parse_amount
from trackify.common.parsing import client_token
from trackify.common.serializers import StrictInputSerializer
from trackify.common.throttling import PUBLIC_THROTTLES
from trackify.payments import selectors
from trackify.payments.gateways.sandbox import DISPUTE_ACTIONS, SandboxGateway
from trackify.payments.models import InvoicePayment
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
        gateway = _sandbox_gateway_of(payment)
        serializer = CompleteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = gateway.complete_as_payer(lookup_for(payment), data["outcome"], deliver=data["deliver"])
        return Response(result)


class DisputeInputSerializer(StrictInputSerializer):
    action = serializers.ChoiceField(
        choices=DISPUTE_ACTIONS,
        help_text="open: the payer's bank disputes the payment (a chargeback: the funds are withdrawn at once; "
        "on an open inquiry, it becomes a chargeback). win: the bank decides for the merchant (a chargeback's "
        "funds are reinstated; an inquiry closes). lose: for the payer (the funds stay withdrawn).",
    )
    deliver = serializers.BooleanField(default=True, help_text="false: only sign the events, deliver none.")
    inquiry = serializers.BooleanField(
        default=False, help_text="With open: an inquiry first, which withdraws nothing."
    )
    amount = AmountInputField(
        required=False, help_text="With open: the part disputed. Default: all of the payment not refunded."
    )


class DisputeOutputSerializer(serializers.Serializer):
    delivered = serializers.BooleanField(help_text="Every event of this step was accepted by the webhook URL.")
    webhook = SignedWebhookSerializer(help_text="The last event of this step, signed.")
    webhooks = SignedWebhookSerializer(many=True, help_text="Every event of this step, signed, in the order sent.")
    dispute_id = serializers.CharField(help_text="The dispute's id at the sandbox provider.")


class SandboxDisputeView(APIView):
    """Dispute a paid sandbox payment as the payer's bank would, and get the signed webhooks back."""

    permission_classes = [AllowAny]  # the payment's owner; anyone else is answered 404, the client too
    throttle_classes = PUBLIC_THROTTLES

    @extend_schema(
        request=DisputeInputSerializer,
        responses={
            200: DisputeOutputSerializer,
            409: OpenApiResponse(
                description="dispute_not_allowed: the payment is not paid, already has an open dispute, "
                "has none open to decide, or has nothing left to dispute."
            ),
        },
        summary="Sandbox: open a dispute of a paid payment, or close it as won or lost",
    )
    def post(self, request: Request, payment_id: str) -> Response:
        payment = selectors.payment_for_owner(payment_id=payment_id, user=request.user)
        gateway = _sandbox_gateway_of(payment)
        serializer = DisputeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        amount = data.get("amount")
        result = gateway.dispute_as_bank(
            lookup_for(payment),
            data["action"],
            deliver=data["deliver"],
            inquiry=data["inquiry"],
            amount=parse_amount(amount, payment.currency) if amount is not None else None,
        )
        return Response(result)


def _sandbox_gateway_of(payment: InvoicePayment) -> SandboxGateway:
    gateway = gateway_for(payment.config) if payment.gateway_name == SandboxGateway.name else None
    if not isinstance(gateway, SandboxGateway):  # another gateway, or another class registered under the name
        raise NotFound("No such sandbox payment.")
    return gateway


urlpatterns = [
    path("<uuid:payment_id>/complete/", SandboxCompleteView.as_view(), name="sandbox-complete"),
    path("<uuid:payment_id>/dispute/", SandboxDisputeView.as_view(), name="sandbox-dispute"),
]
