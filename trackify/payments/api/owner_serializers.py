"""The owner's payments page: its payments, their timelines and disputes. Amounts go out as decimal strings."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from trackify.common.fields import MoneyField
from trackify.payments import selectors
from trackify.payments.gateways.types import DisputeStatus, PaymentStatus
from trackify.payments.models import InvoicePayment, PaymentDispute
from trackify.payments.state import DISPUTE_NEEDS_RESPONSE


class PaymentListQuerySerializer(serializers.Serializer):
    # Query strings are text, so DRF's lenient fields are right here (not StrictInputSerializer).
    # An empty `status=` (a form's "any status") is no filter, as DRF reads a blank query value.
    status = serializers.ChoiceField(choices=[s.value for s in PaymentStatus], required=False, allow_blank=True)
    q = serializers.CharField(required=False, allow_blank=True, max_length=64, help_text="Part of an invoice number.")


class OwnerPaymentSerializer(serializers.Serializer):
    """A row of the owner's payments page."""

    payment_id = serializers.UUIDField(source="id")
    invoice_id = serializers.UUIDField(source="invoice.id")
    invoice_number = serializers.CharField(source="invoice.number")
    client_name = serializers.CharField(source="invoice.client_name")
    gateway = serializers.CharField(source="gateway_name")
    gateway_display_name = serializers.CharField(source="config.display_name")
    amount = MoneyField()
    refunded_amount = MoneyField()
    disputed_amount = MoneyField(
        help_text="What the payment's disputes hold now: withdrawn by the provider and not reinstated."
    )
    open_disputes = serializers.IntegerField(
        help_text="How many of its disputes are open (inquiry, needs_response or under_review)."
    )
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


class QueryFlagField(serializers.ChoiceField):
    """A yes/no filter of a query string: "true" or "false"; blank (a form's "any") or absent is no filter.

    Exactly the two words the schema states: DRF's BooleanField would also take "yes", "on", "1"...
    """

    def __init__(self, **kwargs: Any):
        super().__init__(choices=["true", "false"], required=False, allow_blank=True, **kwargs)

    def to_internal_value(self, data: Any) -> bool | None:  # type: ignore[override]  # a word in, a flag out
        return {"true": True, "false": False}.get(super().to_internal_value(data))


class DisputeListQuerySerializer(serializers.Serializer):
    open = QueryFlagField(
        help_text="true: the open disputes (inquiry, needs_response, under_review), nearest evidence deadline "
        "first, those without one last; false: the closed ones (won, lost)."
    )
    needs_response = QueryFlagField(
        help_text="true: only those waiting for your answer (inquiry, needs_response), nearest evidence deadline "
        "first; false: those that need none."
    )


class DisputeSerializer(serializers.Serializer):
    """A dispute (a chargeback, or an inquiry) of one of the owner's payments, as its provider reports it."""

    dispute_id = serializers.UUIDField(source="id")
    payment_id = serializers.UUIDField()
    invoice_id = serializers.UUIDField(source="payment.invoice_id")
    invoice_number = serializers.CharField(source="payment.invoice.number")
    client_name = serializers.CharField(source="payment.invoice.client_name")
    gateway = serializers.CharField(source="config.gateway_name")
    gateway_display_name = serializers.CharField(source="config.display_name")
    gateway_dispute_id = serializers.CharField(help_text="The provider's id of the dispute.")
    amount = MoneyField(help_text="What the client's bank disputes.")
    currency = serializers.CharField()
    reason = serializers.CharField(allow_blank=True, help_text="The provider's reason code (fraudulent, ...).")
    status = serializers.ChoiceField(choices=[d.value for d in DisputeStatus], read_only=True)
    is_inquiry = serializers.BooleanField(
        help_text="An inquiry (a warning, a retrieval request): no money moves unless it becomes a chargeback."
    )
    needs_response = serializers.SerializerMethodField(
        help_text="Waiting for your evidence at the provider (status inquiry or needs_response)."
    )
    evidence_due_by = serializers.DateTimeField(
        allow_null=True, help_text="The deadline for your evidence; past it, the dispute is lost."
    )
    days_left = serializers.SerializerMethodField(
        help_text="Whole days (UTC) until evidence_due_by: 0 on its last day, negative once past; "
        "null without a deadline."
    )
    withdrawn_amount = MoneyField(help_text="Taken back from you by the provider so far.")
    reinstated_amount = MoneyField(help_text="Given back to you so far (a won dispute).")
    held_amount = MoneyField(help_text="What the dispute takes from the payment now: withdrawn less reinstated.")
    dashboard_url = serializers.SerializerMethodField(
        help_text="Where to answer it (submit evidence) at the provider; empty when the gateway has no such page."
    )
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)

    def get_needs_response(self, dispute: PaymentDispute) -> bool:
        return dispute.status in DISPUTE_NEEDS_RESPONSE

    def get_days_left(self, dispute: PaymentDispute) -> int | None:
        return selectors.dispute_days_left(dispute)

    def get_dashboard_url(self, dispute: PaymentDispute) -> str:
        return selectors.dispute_dashboard_url(dispute)


class DisputeChangeSerializer(serializers.Serializer):
    from_status = serializers.CharField(allow_blank=True, help_text="Empty for the report that opened the dispute.")
    to_status = serializers.CharField()
    withdrawn_amount = MoneyField(currency_source="dispute.currency", help_text="The total withdrawn after it.")
    reinstated_amount = MoneyField(currency_source="dispute.currency", help_text="The total reinstated after it.")
    applied = serializers.BooleanField(help_text="False: a stale report, refused by the state machine (recorded only).")
    source = serializers.CharField(help_text="What reported it: webhook, catch_up, sandbox...")  # type: ignore[assignment]
    note = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class TimelineDisputeSerializer(DisputeSerializer):
    changes = DisputeChangeSerializer(many=True, help_text="Its history, oldest first.")


class PaymentTimelineSerializer(serializers.Serializer):
    """One payment with its history: status changes, refunds and disputes."""

    payment = OwnerPaymentSerializer()
    gateway_reference = serializers.CharField(source="payment.gateway_reference", allow_blank=True)
    gateway_payment_reference = serializers.CharField(source="payment.gateway_payment_reference", allow_blank=True)
    failure_message = serializers.CharField(source="payment.failure_message", allow_blank=True)
    attention_reason = serializers.CharField(source="payment.attention_reason", allow_blank=True)
    status_changes = StatusChangeSerializer(many=True)
    refunds = TimelineRefundSerializer(many=True)
    disputes = TimelineDisputeSerializer(many=True, help_text="Oldest first.")
    refundable = MoneyField(
        currency_source="payment.currency",
        help_text="The most a new refund may take: the amount less what disputes hold and refunds pending or "
        "made; 0 while the payment is not paid, or has a dispute open or lost (a refund is then refused, "
        "409 payment_disputed).",
    )
    refund_blocked_reason = serializers.CharField(
        allow_blank=True, help_text="Why nothing can be refunded now, in words for the owner; empty when something can."
    )
    refunds_supported = serializers.BooleanField()
    partial_refunds_supported = serializers.BooleanField()
    invoice_overpaid = MoneyField(
        source="overpaid", currency_source="payment.currency", help_text="What the invoice was paid beyond its total."
    )
    overpayment_refundable = MoneyField(
        currency_source="payment.currency",
        help_text="What POST /payment/invoice/{invoice_id}/refund-overpayment/ would return now.",
    )
