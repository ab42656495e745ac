from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from trackify.invoices.models import Invoice, InvoiceStatus
from trackify.payments.api.serializers import AmountInputField
from trackify.payments.money import format_amount

_AMOUNT = {"type": "string", "example": "123.45"}


class InvoiceSerializer(serializers.ModelSerializer):
    total = serializers.SerializerMethodField()
    amount_paid = serializers.SerializerMethodField()
    amount_due = serializers.SerializerMethodField()
    amount_overpaid = serializers.SerializerMethodField()
    pay_url = serializers.SerializerMethodField(help_text="The link to send the client.")

    class Meta:
        model = Invoice
        fields = [
            "id", "number", "client_name", "client_email", "currency", "total", "amount_paid",
            "amount_due", "amount_overpaid", "status", "allow_partial_payment", "public_token",
            "pay_url", "created_at", "updated_at",
        ]

    @extend_schema_field(_AMOUNT)
    def get_total(self, invoice: Invoice) -> str:
        return format_amount(invoice.total, invoice.currency)

    @extend_schema_field(_AMOUNT)
    def get_amount_paid(self, invoice: Invoice) -> str:
        return format_amount(invoice.amount_paid, invoice.currency)

    @extend_schema_field(_AMOUNT)
    def get_amount_due(self, invoice: Invoice) -> str:
        return format_amount(invoice.amount_due, invoice.currency)

    @extend_schema_field(_AMOUNT)
    def get_amount_overpaid(self, invoice: Invoice) -> str:
        return format_amount(invoice.amount_overpaid, invoice.currency)

    def get_pay_url(self, invoice: Invoice) -> str:
        return invoice_pay_url(invoice)


def invoice_pay_url(invoice: Invoice) -> str:
    return f"{settings.TRACKIFY_SITE_URL}/pay/{invoice.pk}/?token={invoice.public_token}"


class InvoiceCreateSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=64)
    client_name = serializers.CharField(max_length=200)
    client_email = serializers.EmailField(required=False, allow_blank=True)
    currency = serializers.CharField(max_length=3, min_length=3)
    total = AmountInputField(help_text='Major units as a string, e.g. "1200.00".')
    allow_partial_payment = serializers.BooleanField(required=False, default=False)
    status = serializers.ChoiceField(
        choices=[InvoiceStatus.DRAFT, InvoiceStatus.OPEN], required=False, default=InvoiceStatus.OPEN
    )
