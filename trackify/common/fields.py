"""Serializer fields shared by every API: amounts in (a decimal string) and out (from minor units)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from trackify.common.money import format_amount


@extend_schema_field({"type": "string", "example": "123.45", "readOnly": True})
class MoneyField(serializers.Field):
    """An amount kept in minor units, written as a decimal string in its object's currency.

    `source` names the minor-unit amount; `currency_source` (dotted) names the currency.
    """

    def __init__(self, *, currency_source: str = "currency", **kwargs: Any):
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self.currency_path = currency_source.split(".")

    def get_attribute(self, instance: Any) -> tuple[Any, str]:
        currency = instance
        for part in self.currency_path:
            currency = currency[part] if isinstance(currency, dict) else getattr(currency, part)
        return super().get_attribute(instance), str(currency)

    def to_representation(self, value: tuple[int, str]) -> str:
        amount, currency = value
        return format_amount(amount, currency)


@extend_schema_field({"type": "string", "example": "123.45"})
class AmountInputField(serializers.Field):
    """A decimal string ("123.45") or JSON number; converted to minor units once the currency is known."""

    default_error_messages = {"invalid": 'Send the amount as a decimal string, like "123.45".'}

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, (str, int, Decimal)):
            self.fail("invalid")
        return str(data)

    def to_representation(self, value: Any) -> str:
        return str(value)
