"""Admin helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest


def label_of(labels: Mapping[str, str], value: str) -> str:
    """The human label of a stored value; a value with no label still reads as words."""
    if not value:
        return "-"
    return labels.get(value) or value.replace("_", " ").capitalize()


def labelled_filter(field: str, title: str, labels: Mapping[str, str]) -> type[admin.SimpleListFilter]:
    """A list filter offering `labels`' values by their labels, for a field whose choices carry none.

    Labels kept out of the model's choices keep a change of wording out of the migrations.
    """

    class LabelledFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            return list(labels.items())

        def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
            value = self.value()
            return queryset.filter(**{field: value}) if value in labels else queryset

    LabelledFilter.title = title
    LabelledFilter.__name__ = f"{field.title().replace('_', '')}LabelledFilter"
    return LabelledFilter
