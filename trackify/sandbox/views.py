"""The sandbox provider's pages and its test API."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trackify.common.errors import Conflict, NotFound, ValidationFailed
from trackify.common.money import format_amount
from trackify.common.parsing import client_token
from trackify.payments import selectors
from trackify.payments.models import PaymentGatewayConfig
from trackify.sandbox import provider
from trackify.sandbox.delivery import send_event


@require_http_methods(["GET", "POST"])
def hosted_checkout(request: HttpRequest, session_id: str) -> HttpResponse:
    """The page a payer is redirected to: choose what happens to the payment."""
    try:
        session = provider.get_session(session_id)
    except provider.SandboxError:
        return render(request, "sandbox/checkout.html", {"missing": True}, status=404)
    error = ""
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        try:
            event = provider.complete_session(session.id, outcome)
        except provider.SandboxError as exc:
            error = str(exc)
        else:
            config = PaymentGatewayConfig.objects.get(pk=session.account_id)
            send_event(config, event)
            target = session.cancel_url if outcome == "cancelled" else session.return_url
            return HttpResponseRedirect(target)
    context = {
        "session": session,
        "amount": format_amount(session.amount, session.currency),
        "is_open": session.status == provider.Status.OPEN,
        "error": error,
    }
    return render(request, "sandbox/checkout.html", context, status=409 if error else 200)


class CompleteInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=provider.OUTCOMES)
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

    @extend_schema(
        request=CompleteInputSerializer,
        responses=CompleteOutputSerializer,
        summary="Sandbox: complete a payment with a chosen outcome",
    )
    def post(self, request: Request, payment_id: str) -> Response:
        payment = selectors.payment_for_client(payment_id=payment_id, user=request.user, token=client_token(request))
        if payment.gateway_name != "sandbox":
            raise NotFound("No such sandbox payment.")
        serializer = CompleteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            event = provider.complete_session(payment.gateway_reference, serializer.validated_data["outcome"])
        except provider.SandboxError as exc:
            raise (Conflict if exc.status == 409 else ValidationFailed)(str(exc)) from exc
        result = send_event(payment.config, event, deliver=serializer.validated_data["deliver"])
        return Response(result)
