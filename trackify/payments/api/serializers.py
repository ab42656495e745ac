"""Input and output shapes of the payments API. Amounts go out as decimal strings."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from trackify.common.fields import AmountInputField, MoneyField
from trackify.common.serializers import StrictInputSerializer
from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.gateways.registry import UnknownGateway, gateway_classes, get_gateway_class
from trackify.payments.gateways.types import PaymentFlow, PaymentStatus
from trackify.payments.masking import masked_credentials
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig
from trackify.payments.services.gateway_configs import webhook_url

# -- gateway types and configs ---------------------------------------------------------------


class CredentialFieldSerializer(serializers.Serializer):
    # Field names mirror CredentialField; some shadow attributes of DRF's Field, hence the ignores.
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    secret = serializers.BooleanField()
    required = serializers.BooleanField()  # type: ignore[assignment]
    generated = serializers.BooleanField()
    help_text = serializers.CharField()  # type: ignore[assignment]


class CapabilitiesSerializer(serializers.Serializer):
    refunds = serializers.BooleanField()
    partial_refunds = serializers.BooleanField()
    flows = serializers.ListField(child=serializers.CharField())
    currencies = serializers.ListField(child=serializers.CharField(), allow_null=True)


class GatewayTypeSerializer(serializers.Serializer):
    name = serializers.CharField()
    display_name = serializers.CharField()
    credential_fields = CredentialFieldSerializer(many=True)
    capabilities = CapabilitiesSerializer()

    @staticmethod
    def from_class(gateway_cls: type[PaymentGatewayBase]) -> dict[str, Any]:
        caps = gateway_cls.capabilities
        return {
            "name": gateway_cls.name,
            "display_name": gateway_cls.display_name,
            "credential_fields": [vars(spec) for spec in gateway_cls.credential_fields],
            "capabilities": {
                "refunds": caps.refunds,
                "partial_refunds": caps.partial_refunds,
                "flows": [f.value for f in caps.flows],
                "currencies": sorted(caps.currencies) if caps.currencies is not None else None,
            },
        }


class GatewayConfigSerializer(serializers.ModelSerializer):
    credentials = serializers.SerializerMethodField(help_text="Secret values are masked.")
    webhook_url = serializers.SerializerMethodField()

    class Meta:
        model = PaymentGatewayConfig
        fields = [
            "id", "gateway_name", "display_name", "flow", "test_mode", "is_default", "is_active",
            "credentials", "webhook_url", "created_at", "updated_at",
        ]

    def get_credentials(self, config: PaymentGatewayConfig) -> dict[str, str]:
        try:
            gateway_cls = get_gateway_class(config.gateway_name)
        except UnknownGateway:  # no longer enabled here (the sandbox in production): reveal nothing
            return masked_credentials(config.credentials, set(config.credentials))
        secret = {spec.name for spec in gateway_cls.credential_fields if spec.secret}
        return masked_credentials(config.credentials, secret)

    def get_webhook_url(self, config: PaymentGatewayConfig) -> str:
        return webhook_url(config)


_FLOWS = [f.value for f in PaymentFlow]


class GatewayConfigCreateSerializer(StrictInputSerializer):
    gateway_name = serializers.CharField(max_length=50)
    display_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    credentials = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=500), required=False)
    flow = serializers.ChoiceField(choices=_FLOWS, required=False, default=PaymentFlow.REDIRECT.value)
    test_mode = serializers.BooleanField(required=False, default=True)
    is_default = serializers.BooleanField(required=False, default=False)
    is_active = serializers.BooleanField(required=False, default=True)

    def validate_gateway_name(self, value: str) -> str:
        # A bad value in the body is a 400; 404 is for unknown URLs (the webhook's gateway segment).
        if value not in gateway_classes():
            raise serializers.ValidationError(f"No payment gateway named '{value}' is enabled.")
        return value


class GatewayConfigUpdateSerializer(StrictInputSerializer):
    display_name = serializers.CharField(max_length=100, required=False)
    credentials = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=500), required=False)
    flow = serializers.ChoiceField(choices=_FLOWS, required=False)
    test_mode = serializers.BooleanField(required=False)
    is_default = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


class ConnectionTestSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()


# -- sessions, status, refunds ---------------------------------------------------------------


class CreateSessionSerializer(StrictInputSerializer):
    invoice_id = serializers.UUIDField()
    amount = AmountInputField(
        required=False, help_text='Major units as a string, e.g. "50.00". Default: the amount due.'
    )
    gateway_config_id = serializers.UUIDField(required=False)
    return_url = serializers.URLField(required=False, max_length=2000)
    invoice_token = serializers.CharField(
        required=False, max_length=200, help_text="The invoice's public token, for the client paying it."
    )


class PaymentSessionSerializer(serializers.Serializer):
    payment_id = serializers.UUIDField(source="id")
    status = serializers.CharField()
    amount = MoneyField()
    currency = serializers.CharField()
    gateway = serializers.CharField(source="gateway_name")
    redirect_url = serializers.CharField(allow_blank=True)
    client_params = serializers.DictField()
    expires_at = serializers.DateTimeField(allow_null=True)



class InvoiceSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    status = serializers.CharField()
    currency = serializers.CharField()
    total = MoneyField()
    amount_paid = MoneyField()
    amount_due = MoneyField()
    amount_overpaid = MoneyField()






class PaymentStatusSerializer(serializers.Serializer):
    payment_id = serializers.UUIDField(source="id")
    status = serializers.CharField()
    amount = MoneyField()
    refunded_amount = MoneyField()
    currency = serializers.CharField()
    gateway = serializers.CharField(source="gateway_name")
    failure_message = serializers.CharField(allow_blank=True)
    needs_attention = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    invoice = InvoiceSummarySerializer()



    def get_needs_attention(self, payment: InvoicePayment) -> bool:
        return bool(payment.attention_reason)


class PublicGatewaySerializer(serializers.Serializer):
    name = serializers.CharField()
    display_name = serializers.CharField()
    public_config = serializers.DictField()


class InvoiceGatewaySerializer(serializers.Serializer):
    invoice_id = serializers.UUIDField()
    invoice_number = serializers.CharField()
    invoice_status = serializers.CharField()
    payable = serializers.BooleanField(help_text="Whether the invoice can be paid online now.")
    currency = serializers.CharField()
    total = MoneyField()
    amount_due = MoneyField()
    amount_payable = MoneyField(
        help_text="The most a new payment session may take: the amount due less payments still being processed. "
        "Opening a session closes the invoice's other open sessions first; one that cannot be closed "
        "reserves its amount."
    )
    allow_partial_payment = serializers.BooleanField()
    gateway = PublicGatewaySerializer(allow_null=True)
    # What the pay page shows of the invoice (only what its client already knows from it).
    issuer_name = serializers.CharField(allow_blank=True, help_text="Who issued the invoice, as printed on it.")
    client_name = serializers.CharField()
    issued_on = serializers.DateField()
    due_on = serializers.DateField(allow_null=True)
    amount_paid = MoneyField()
    amount_in_flight = MoneyField(help_text="Payments still being processed, not yet counted as paid.")


class RefundInputSerializer(StrictInputSerializer):
    amount = AmountInputField(required=False, help_text="Default: everything not yet refunded.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class RefundSerializer(serializers.Serializer):
    refund_id = serializers.UUIDField(source="id")
    payment_id = serializers.UUIDField(source="payment.id")
    amount = MoneyField(currency_source="payment.currency")
    currency = serializers.CharField(source="payment.currency")
    status = serializers.CharField()
    gateway_refund_id = serializers.CharField()
    payment_status = serializers.CharField(source="payment.status")
    payment_refunded_amount = MoneyField(source="payment.refunded_amount", currency_source="payment.currency")




class WebhookAnswerSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["processed", "ignored", "deferred", "duplicate", "queued"])
    detail = serializers.CharField()


class WebhookHealthSerializer(serializers.Serializer):
    """Counts are over the last 24 hours."""

    last_event_at = serializers.DateTimeField(allow_null=True)
    last_event_type = serializers.CharField()
    last_rejected_at = serializers.DateTimeField(allow_null=True)
    verified = serializers.IntegerField(help_text="verified deliveries (stored events)")
    rejected = serializers.IntegerField(help_text="deliveries refused for a bad signature")
    failed = serializers.IntegerField(help_text="events whose processing failed; processed again later")
    deferred = serializers.IntegerField(help_text="events whose payment is not known yet; processed again later")
    open_payments = serializers.IntegerField(help_text="payments still open past the silence threshold")
    warnings = serializers.ListField(child=serializers.CharField())


# -- the owner's payments page ---------------------------------------------------------------


class PaymentListQuerySerializer(serializers.Serializer):
    # Query strings are text, so DRF's lenient fields are right here (not StrictInputSerializer).
    # An empty `status=` (a form's "any status") is no filter, as DRF reads a blank query value.
    status = serializers.ChoiceField(choices=[s.value for s in PaymentStatus], required=False, allow_blank=True)
    q = serializers.CharField(required=False, allow_blank=True, max_length=64, help_text="Part of an invoice number.")


class OwnerPaymentSerializer(serializers.Serializer):
    """A row of the owner's payments page. Disputes add their column here once they are recorded."""

    payment_id = serializers.UUIDField(source="id")
    invoice_id = serializers.UUIDField(source="invoice.id")
    invoice_number = serializers.CharField(source="invoice.number")
    client_name = serializers.CharField(source="invoice.client_name")
    gateway = serializers.CharField(source="gateway_name")
    gateway_display_name = serializers.CharField(source="config.display_name")
    amount = MoneyField()
    refunded_amount = MoneyField()
    currency = serializers.CharField()
    status = serializers.CharField()
    needs_attention = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    succeeded_at = serializers.DateTimeField(allow_null=True)

    def get_needs_attention(self, payment: InvoicePayment) -> bool:
        return bool(payment.attention_reason)


class StatusChangeSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    applied = serializers.BooleanField(help_text="False: asked for and refused by the state machine (recorded only).")
    source = serializers.CharField(help_text="What caused it: webhook, status_check, refund, api...")  # type: ignore[assignment]
    note = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class TimelineRefundSerializer(serializers.Serializer):
    refund_id = serializers.UUIDField(source="id")
    amount = MoneyField(currency_source="payment.currency")
    status = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    source = serializers.CharField(help_text="api: made here; gateway: made in the gateway's dashboard.")  # type: ignore[assignment]
    gateway_refund_id = serializers.CharField(allow_blank=True)
    failure_message = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class PaymentTimelineSerializer(serializers.Serializer):
    """One payment with its history. Disputes join `status_changes` and `refunds` here once recorded."""

    payment = OwnerPaymentSerializer()
    gateway_reference = serializers.CharField(source="payment.gateway_reference", allow_blank=True)
    gateway_payment_reference = serializers.CharField(source="payment.gateway_payment_reference", allow_blank=True)
    failure_message = serializers.CharField(source="payment.failure_message", allow_blank=True)
    attention_reason = serializers.CharField(source="payment.attention_reason", allow_blank=True)
    status_changes = StatusChangeSerializer(many=True)
    refunds = TimelineRefundSerializer(many=True)
    refundable = MoneyField(currency_source="payment.currency", help_text="The most a new refund may take.")
    refunds_supported = serializers.BooleanField()
    partial_refunds_supported = serializers.BooleanField()
    invoice_overpaid = MoneyField(
        source="overpaid", currency_source="payment.currency", help_text="What the invoice was paid beyond its total."
    )
    overpayment_refundable = MoneyField(
        currency_source="payment.currency",
        help_text="What POST /payment/invoice/{invoice_id}/refund-overpayment/ would return now.",
    )
