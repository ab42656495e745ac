"""Input and output shapes of the payments API. Amounts go out as decimal strings."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from trackify.common.fields import AmountInputField, MoneyField
from trackify.common.serializers import StrictInputSerializer
from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.gateways.registry import UnknownGateway, gateway_classes, get_gateway_class
from trackify.payments.gateways.types import PaymentFlow
from trackify.payments.masking import masked_credentials
from trackify.payments.models import InvoicePayment, NotificationSettings, PaymentGatewayConfig
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


class GatewayChoiceSerializer(PublicGatewaySerializer):
    config_id = serializers.UUIDField()


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
    gateway = PublicGatewaySerializer(
        allow_null=True, help_text="The default gateway: the one a session opens on when no config is named."
    )
    gateways = GatewayChoiceSerializer(
        many=True,
        help_text="Every gateway the client may choose, the default first then the oldest; "
        "name one in create-session as gateway_config_id.",
    )
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
    status = serializers.ChoiceField(
        choices=["processed", "ignored", "deferred", "duplicate", "queued", "unmatched"],
        help_text="unmatched: a hint-only delivery naming an object the provider does not have for the config.",
    )
    detail = serializers.CharField()


class WebhookHealthSerializer(serializers.Serializer):
    """Counts are over the last 24 hours."""

    last_event_at = serializers.DateTimeField(allow_null=True)
    last_event_type = serializers.CharField()
    last_rejected_at = serializers.DateTimeField(allow_null=True)
    verified = serializers.IntegerField(help_text="verified deliveries (stored events)")
    rejected = serializers.IntegerField(help_text="deliveries refused for a bad signature")
    unmatched = serializers.IntegerField(
        help_text="hints (a hint-only gateway's unsigned webhooks) naming a payment the provider does not have "
        "for this config: answered 200 and ignored"
    )
    failed = serializers.IntegerField(help_text="events whose processing failed; processed again later")
    deferred = serializers.IntegerField(help_text="events whose payment is not known yet; processed again later")
    open_payments = serializers.IntegerField(help_text="payments still open past the silence threshold")
    disputes_needing_response = serializers.IntegerField(
        help_text="disputes of this config waiting for the owner's answer (inquiry or needs_response), "
        "whenever they were opened"
    )
    nearest_dispute_deadline = serializers.DateTimeField(
        allow_null=True, help_text="the nearest evidence deadline of those disputes; null when none has one"
    )
    warnings = serializers.ListField(child=serializers.CharField())



class NotificationKindsSerializer(serializers.Serializer):
    """Each e-mail kind (NotificationSettings.KINDS; docs/notifications.md says when each is sent), on or off."""

    client_receipt = serializers.BooleanField()
    client_refund = serializers.BooleanField()
    owner_payment_received = serializers.BooleanField()
    owner_payment_failed = serializers.BooleanField()
    owner_refund = serializers.BooleanField()
    owner_overpayment = serializers.BooleanField()
    owner_dispute_opened = serializers.BooleanField()
    owner_dispute_closed = serializers.BooleanField()
    owner_health_digest = serializers.BooleanField()


class NotificationSettingsSerializer(serializers.Serializer):
    """Which e-mails go out for your invoices, and their Reply-To."""

    reply_to = serializers.EmailField(
        allow_blank=True, help_text="The Reply-To of every e-mail (blank: none; the From is the site's)."
    )
    kinds = NotificationKindsSerializer()

    @staticmethod
    def of(row: NotificationSettings) -> dict[str, Any]:
        return {"reply_to": row.reply_to, "kinds": {kind: row.is_on(kind) for kind in NotificationSettings.KINDS}}


class NotificationKindsUpdateSerializer(StrictInputSerializer):
    """The kinds to change; the others stay as they are."""

    client_receipt = serializers.BooleanField(required=False)
    client_refund = serializers.BooleanField(required=False)
    owner_payment_received = serializers.BooleanField(required=False)
    owner_payment_failed = serializers.BooleanField(required=False)
    owner_refund = serializers.BooleanField(required=False)
    owner_overpayment = serializers.BooleanField(required=False)
    owner_dispute_opened = serializers.BooleanField(required=False)
    owner_dispute_closed = serializers.BooleanField(required=False)
    owner_health_digest = serializers.BooleanField(required=False)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(NotificationSettings.KINDS))
            if unknown:
                raise serializers.ValidationError(f"Unknown e-mail kind {unknown[0]!r}.")
        return super().to_internal_value(data)


class NotificationSettingsUpdateSerializer(StrictInputSerializer):
    """A partial update: only what is sent changes."""

    reply_to = serializers.EmailField(allow_blank=True, required=False, max_length=254)
    kinds = NotificationKindsUpdateSerializer(required=False)


class EmailLogQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["pending", "sent", "failed"], required=False, allow_blank=True,
        help_text="failed: the e-mails that could not be sent after every attempt.",
    )


class EmailDeliverySerializer(serializers.Serializer):
    delivery_id = serializers.UUIDField(source="id", help_text="Also its X-Trackify-Notification header.")
    kind = serializers.CharField(help_text="client_receipt, owner_payment_received, ... (the notification kinds)")
    event_type = serializers.CharField(source="event.type")
    to = serializers.CharField(source="target")
    status = serializers.ChoiceField(choices=["pending", "sent", "failed"], read_only=True)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True, help_text="null unless pending.")
    last_error = serializers.CharField(allow_blank=True, help_text="Why the last attempt failed (no secret in it).")
    sent_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        if instance.status != "pending":
            data["next_attempt_at"] = None
        return data
