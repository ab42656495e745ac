"""Serializer fields shared by every API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from trackify.payments.money import format_amount


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
            currency = getattr(currency, part)
        return super().get_attribute(instance), str(currency)

    def to_representation(self, value: tuple[int, str]) -> str:
        amount, currency = value
        return format_amount(amount, currency)
