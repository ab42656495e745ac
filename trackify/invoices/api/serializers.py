from __future__ import annotations

from typing import Any

from rest_framework import serializers

from trackify.common.errors import ValidationFailed
from trackify.common.fields import AmountInputField, MoneyField
from trackify.common.money import parse_amount
from trackify.common.serializers import StrictInputSerializer
from trackify.invoices.models import Invoice, InvoiceStatus
from trackify.invoices.selectors import invoice_pay_url


class InvoiceSerializer(serializers.ModelSerializer):
    total = MoneyField()
    amount_paid = MoneyField()
    amount_due = MoneyField()
    amount_overpaid = MoneyField()
    pay_url = serializers.SerializerMethodField(help_text="The link to send the client.")

    class Meta:
        model = Invoice
        fields = [
            "id", "number", "client_name", "client_email", "currency", "total", "amount_paid",
            "amount_due", "amount_overpaid", "status", "allow_partial_payment", "public_token",
            "pay_url", "issuer_name", "issued_on", "due_on", "created_at", "updated_at",
        ]





    def get_pay_url(self, invoice: Invoice) -> str:
        return invoice_pay_url(invoice)


class InvoiceCreateSerializer(StrictInputSerializer):
    number = serializers.CharField(max_length=64)
    client_name = serializers.CharField(max_length=200)
    client_email = serializers.EmailField(required=False, allow_blank=True)
    currency = serializers.CharField(max_length=3, min_length=3)
    total = AmountInputField(help_text='Major units as a string, e.g. "1200.00".')
    allow_partial_payment = serializers.BooleanField(required=False, default=False)
    issuer_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Your business name, as the client sees it."
    )
    issued_on = serializers.DateField(required=False, help_text="Default: today.")
    due_on = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(
        choices=[InvoiceStatus.DRAFT, InvoiceStatus.OPEN], required=False, default=InvoiceStatus.OPEN
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:  # the currency's decimals, strictly
            parse_amount(attrs["total"], attrs["currency"])
        except ValidationFailed as exc:
            raise serializers.ValidationError({exc.field if exc.field == "currency" else "total": exc.message}) from exc
        return attrs
