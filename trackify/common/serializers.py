"""Input serializers that take JSON types as the schema states them, nothing looser.

DRF's fields are lenient by design (a CharField takes 5 and makes it "5", a BooleanField takes
"yes" and 0, a UUIDField takes an integer): convenient for HTML forms, but then the OpenAPI schema
says one thing and the server accepts another. This base checks each field's raw JSON type first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from trackify.common.fields import AmountInputField

# Checked in this order: subclasses (ChoiceField, UUIDField...) before their bases.
_JSON_TYPES: list[tuple[type, type | tuple[type, ...], str]] = [
    (serializers.BooleanField, bool, "a boolean"),
    (serializers.ChoiceField, str, "a string"),
    (serializers.CharField, str, "a string"),
    (serializers.UUIDField, str, "a string (a UUID)"),
    (serializers.IntegerField, int, "an integer"),
    (serializers.DictField, dict, "an object"),
    (serializers.ListField, list, "an array"),
]


def _type_error(field: serializers.Field, value: Any) -> str | None:
    if isinstance(field, AmountInputField) or value is None:
        return None  # the amount field checks its own form; None is the field's own decision
    for field_cls, json_type, name in _JSON_TYPES:
        if isinstance(field, field_cls):
            ok = isinstance(value, json_type) and not (json_type is int and isinstance(value, bool))
            if not ok:
                return f"Must be {name}."
            child = getattr(field, "child", None)
            if isinstance(value, dict) and child is not None:
                bad = [key for key, item in value.items() if _type_error(child, item)]
                return f"Every value must be {_name_of(child)} ({bad[0]!r} is not)." if bad else None
            return None
    return None


def _name_of(field: serializers.Field) -> str:
    return next((name for field_cls, _, name in _JSON_TYPES if isinstance(field, field_cls)), "valid")


class StrictInputSerializer(serializers.Serializer):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            errors = {
                name: [message]
                for name, field in self.fields.items()
                if not field.read_only and name in data and (message := _type_error(field, data[name]))
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
