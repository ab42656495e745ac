"""Thin views: parse, check access, call a service, serialize. No business rules here."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trackify.common.errors import ValidationFailed
from trackify.common.money import parse_amount
from trackify.common.parsing import client_token
from trackify.common.throttling import PUBLIC_THROTTLES
from trackify.common.untrusted import InputError, idempotency_key
from trackify.payments import selectors
from trackify.payments.api import owner_serializers as owner
from trackify.payments.api import serializers as s
from trackify.payments.gateways.registry import gateway_classes
from trackify.payments.services import gateway_configs as config_services
from trackify.payments.services.email_log import email_deliveries_of, email_delivery_send_again
from trackify.payments.services.health import webhook_health
from trackify.payments.services.notification_settings import (
    notification_settings_of,
    notification_settings_update,
)
from trackify.payments.services.refunds import invoice_refund_overpayment, payment_refund
from trackify.payments.services.sessions import payment_session_create
from trackify.payments.services.status import payment_refresh_status

TOKEN_PARAM = OpenApiParameter(
    "token", str, description="The invoice's public token (or send the X-Invoice-Token header).", required=False
)


class GatewayTypeListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.GatewayTypeSerializer(many=True), summary="Registered gateway types")
    def get(self, request: Request) -> Response:
        data = [s.GatewayTypeSerializer.from_class(cls) for cls in gateway_classes().values()]
        return Response(s.GatewayTypeSerializer(data, many=True).data)


class GatewayConfigListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.GatewayConfigSerializer(many=True), summary="Your gateway configurations")
    def get(self, request: Request) -> Response:
        configs = selectors.gateway_configs_of(request.user)
        return Response(s.GatewayConfigSerializer(configs, many=True).data)

    @extend_schema(
        request=s.GatewayConfigCreateSerializer,
        responses={201: s.GatewayConfigSerializer},
        summary="Add a gateway configuration",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.GatewayConfigCreateSerializer, request.data)
        config = config_services.gateway_config_create(owner=request.user, **data)
        return Response(s.GatewayConfigSerializer(config).data, status=status.HTTP_201_CREATED)


class GatewayConfigDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.GatewayConfigSerializer, summary="One of your gateway configurations")
    def get(self, request: Request, config_id: str) -> Response:
        config = selectors.gateway_config_for_owner(config_id=config_id, user=request.user)
        return Response(s.GatewayConfigSerializer(config).data)

    @extend_schema(
        request=s.GatewayConfigUpdateSerializer,
        responses=s.GatewayConfigSerializer,
        summary="Change a gateway configuration (credentials given replace those fields only)",
    )
    def patch(self, request: Request, config_id: str) -> Response:
        config = selectors.gateway_config_for_owner(config_id=config_id, user=request.user)
        data = _valid(s.GatewayConfigUpdateSerializer, request.data)
        config = config_services.gateway_config_update(config=config, **data)
        return Response(s.GatewayConfigSerializer(config).data)

    @extend_schema(responses={204: None}, summary="Delete (or archive, if payments use it)")
    def delete(self, request: Request, config_id: str) -> Response:
        config = selectors.gateway_config_for_owner(config_id=config_id, user=request.user)
        config_services.gateway_config_delete(config=config)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GatewayConfigSetDefaultView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=s.GatewayConfigSerializer, summary="Make this your default gateway")
    def post(self, request: Request, config_id: str) -> Response:
        config = selectors.gateway_config_for_owner(config_id=config_id, user=request.user)
        config = config_services.gateway_config_update(config=config, is_default=True)
        return Response(s.GatewayConfigSerializer(config).data)


class GatewayConfigTestConnectionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=s.ConnectionTestSerializer, summary="Check the credentials with the gateway")
    def post(self, request: Request, config_id: str) -> Response:
        config = selectors.gateway_config_for_owner(config_id=config_id, user=request.user)
        message = config_services.gateway_config_test_connection(config=config)
        return Response({"ok": True, "message": message})


class GatewayConfigWebhookHealthView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.WebhookHealthSerializer, summary="Is the gateway reaching your webhook endpoint?")
    def get(self, request: Request, config_id: str) -> Response:
        config = selectors.gateway_config_for_owner(config_id=config_id, user=request.user)
        return Response(s.WebhookHealthSerializer(webhook_health(config=config)).data)


class CreateSessionView(APIView):
    permission_classes = [AllowAny]  # the owner, or the client holding the invoice's token
    throttle_classes = PUBLIC_THROTTLES

    @extend_schema(
        request=s.CreateSessionSerializer,
        responses={201: s.PaymentSessionSerializer, 200: s.PaymentSessionSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        summary="Open a payment session for an invoice (200 when an open one is reused)",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.CreateSessionSerializer, request.data)
        invoice = selectors.invoice_for_client(
            invoice_id=data["invoice_id"], user=request.user, token=client_token(request)
        )
        amount = data.get("amount")
        outcome = payment_session_create(
            invoice_id=invoice.pk,
            amount=parse_amount(amount, invoice.currency) if amount is not None else None,
            config_id=data.get("gateway_config_id"),
            return_url=data.get("return_url", ""),
            idempotency_key=_idempotency_key(request),
        )
        code = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
        return Response(s.PaymentSessionSerializer(outcome.payment).data, status=code)


class PaymentStatusView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = PUBLIC_THROTTLES

    @extend_schema(responses=s.PaymentStatusSerializer, parameters=[TOKEN_PARAM], summary="A payment's status")
    def get(self, request: Request, payment_id: str) -> Response:
        payment = selectors.payment_for_client(payment_id=payment_id, user=request.user, token=client_token(request))
        payment = payment_refresh_status(payment=payment)
        return Response(s.PaymentStatusSerializer(payment).data)


class PaymentCheckView(APIView):
    """The payer's browser says the gateway approved (PayPal's buttons' `onApprove`): ask it now.

    Same access as the status. The gateway is asked at once (not once per refresh interval), and a
    payment it reports authorized is captured, once, however many signals arrive together.
    """

    permission_classes = [AllowAny]
    throttle_classes = PUBLIC_THROTTLES

    @extend_schema(
        request=None,
        responses=s.PaymentStatusSerializer,
        parameters=[TOKEN_PARAM],
        summary="Ask the payment's gateway now (after an in-page approval); capture it if authorized",
    )
    def post(self, request: Request, payment_id: str) -> Response:
        payment = selectors.payment_for_client(payment_id=payment_id, user=request.user, token=client_token(request))
        payment = payment_refresh_status(payment=payment, now=True)
        return Response(s.PaymentStatusSerializer(payment).data)


class OwnerPaymentPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Any) -> int | None:
        """A `page_size` that is not a whole number is a 400, not quietly the default; above 100 it is 100."""
        raw = request.query_params.get(self.page_size_query_param, "").strip()
        if raw and not raw.lstrip("-").isdigit():
            raise ValidationFailed("page_size must be a whole number.", field="page_size")
        return super().get_page_size(request)


class OwnerPaymentListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = owner.OwnerPaymentSerializer
    pagination_class = OwnerPaymentPagination

    @extend_schema(
        parameters=[owner.PaymentListQuerySerializer],
        summary="Your payments, newest first (filter by status, search by invoice number)",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = _valid(owner.PaymentListQuerySerializer, self.request.query_params)
        return selectors.payments_of_owner(user=self.request.user, status=query.get("status"), q=query.get("q"))


class OwnerDisputeListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = owner.DisputeSerializer
    pagination_class = OwnerPaymentPagination

    @extend_schema(
        parameters=[owner.DisputeListQuerySerializer],
        summary="Your disputes (chargebacks), newest first; ?open=true or ?needs_response=true: nearest deadline first",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = _valid(owner.DisputeListQuerySerializer, self.request.query_params)
        return selectors.disputes_of_owner(
            user=self.request.user, open=query.get("open"), needs_response=query.get("needs_response")
        )


class OwnerPaymentDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=owner.PaymentTimelineSerializer, summary="One of your payments, with its timeline")
    def get(self, request: Request, payment_id: str) -> Response:
        timeline = selectors.payment_timeline_for_owner(payment_id=payment_id, user=request.user)
        return Response(owner.PaymentTimelineSerializer(timeline).data)


class InvoiceGatewayView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = PUBLIC_THROTTLES

    @extend_schema(
        responses=s.InvoiceGatewaySerializer,
        parameters=[TOKEN_PARAM],
        summary="Public: how the client of an invoice can pay it",
    )
    def get(self, request: Request, invoice_id: str) -> Response:
        invoice = selectors.invoice_for_client(invoice_id=invoice_id, user=request.user, token=client_token(request))
        return Response(s.InvoiceGatewaySerializer(selectors.invoice_payment_options(invoice)).data)


class RefundView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.RefundInputSerializer, responses={201: s.RefundSerializer}, summary="Refund a payment")
    def post(self, request: Request, payment_id: str) -> Response:
        payment = selectors.payment_for_owner(payment_id=payment_id, user=request.user)
        data = _valid(s.RefundInputSerializer, request.data)
        amount = data.get("amount")
        refund = payment_refund(
            payment_id=payment.pk,
            amount=parse_amount(amount, payment.currency) if amount is not None else None,
            reason=data.get("reason", ""),
            created_by=request.user,
        )
        return Response(s.RefundSerializer(refund).data, status=status.HTTP_201_CREATED)


class InvoiceRefundOverpaymentView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={201: s.RefundSerializer(many=True)},
        summary="Refund what an invoice was paid beyond its total (409 when it is not overpaid)",
    )
    def post(self, request: Request, invoice_id: str) -> Response:
        invoice = selectors.invoice_for_client(invoice_id=invoice_id, user=request.user, token=None)
        refunds = invoice_refund_overpayment(invoice_id=invoice.pk, created_by=request.user)
        return Response(s.RefundSerializer(refunds, many=True).data, status=status.HTTP_201_CREATED)


def _idempotency_key(request: Request) -> str:
    try:
        return idempotency_key(request.headers.get("Idempotency-Key", ""))
    except InputError as exc:
        raise ValidationFailed(str(exc), field="Idempotency-Key") from exc


class NotificationSettingsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.NotificationSettingsSerializer, summary="Your e-mail notification settings")
    def get(self, request: Request) -> Response:
        row = notification_settings_of(request.user.pk)
        return Response(s.NotificationSettingsSerializer(s.NotificationSettingsSerializer.of(row)).data)

    @extend_schema(
        request=s.NotificationSettingsUpdateSerializer,
        responses=s.NotificationSettingsSerializer,
        summary="Change your e-mail notification settings (partial: what is sent changes)",
    )
    def patch(self, request: Request) -> Response:
        data = _valid(s.NotificationSettingsUpdateSerializer, request.data)
        row = notification_settings_update(
            owner_id=request.user.pk, reply_to=data.get("reply_to"), kinds=data.get("kinds")
        )
        return Response(s.NotificationSettingsSerializer(s.NotificationSettingsSerializer.of(row)).data)


class EmailLogView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.EmailDeliverySerializer
    pagination_class = OwnerPaymentPagination

    @extend_schema(
        parameters=[s.EmailLogQuerySerializer],
        summary="Your e-mails (receipts, notices), newest first; ?status=failed: those that could not be sent",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = _valid(s.EmailLogQuerySerializer, self.request.query_params)
        deliveries = email_deliveries_of(owner_id=self.request.user.pk, status=query.get("status") or None)
        return deliveries.select_related("event")


class EmailSendAgainView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={202: s.EmailDeliverySerializer},
        summary="Send an e-mail again now, with a fresh count of attempts",
    )
    def post(self, request: Request, delivery_id: str) -> Response:
        delivery = email_delivery_send_again(owner_id=request.user.pk, delivery_id=delivery_id)
        return Response(s.EmailDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


def _valid(serializer_cls: type[Any], data: Any) -> dict[str, Any]:
    serializer = serializer_cls(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
