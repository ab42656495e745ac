"""Serializer fields shared by every API: amounts in (a decimal string) and out (from minor units)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from trackify.common.money import AMOUNT_PATTERN, format_amount


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


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "pattern": AMOUNT_PATTERN, "maxLength": 23, "example": "123.45"},
            {"type": "number", "minimum": 0, "example": 123.45},
        ],
        "description": "Major units: ASCII digits and at most one dot, with no more decimals than the "
        "currency has (a JSON number is read the same way, as its decimal text).",
    }
)
class AmountInputField(serializers.Field):
    """An amount as text ("123.45", or a JSON number read as Decimal); checked against the currency later.

    The form is checked here (`AMOUNT_PATTERN`); the number of decimals once the currency is
    known, by `trackify.common.money.parse_amount`.
    """

    default_error_messages = {"invalid": 'Send the amount as a decimal string of ASCII digits, like "123.45".'}

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, (str, int, Decimal)):
            self.fail("invalid")
        text = data if isinstance(data, str) else str(data)
        if not re.fullmatch(AMOUNT_PATTERN, text, flags=re.ASCII):
            self.fail("invalid")
        return text

    def to_representation(self, value: Any) -> str:
        return str(value)
