"""Gateway names to classes: `settings.PAYMENT_GATEWAYS` plus the entry-point group.

Settings win over entry points on a name clash, so a deployment can replace a packaged gateway.
The result is cached and cleared when the setting changes (tests use `override_settings`).
"""

from __future__ import annotations

import functools
import logging
from importlib.metadata import entry_points

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from trackify.common.errors import NotFound
from trackify.payments.gateways.base import PaymentGatewayBase

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "trackify.payment_gateways"


class UnknownGateway(NotFound):
    code = "unknown_gateway"


def _check(name: str, cls: object, source: str) -> type[PaymentGatewayBase]:
    if not (isinstance(cls, type) and issubclass(cls, PaymentGatewayBase)):
        raise TypeError(f"{source} for gateway '{name}' is not a PaymentGatewayBase subclass")
    if cls.name != name:
        raise TypeError(f"{source} registers '{name}' but the class is named '{cls.name}'")
    return cls


@functools.cache
def gateway_classes() -> dict[str, type[PaymentGatewayBase]]:
    """Every registered gateway, by name, in a stable order."""
    found: dict[str, type[PaymentGatewayBase]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found[entry.name] = _check(entry.name, entry.load(), f"entry point {entry.value}")
    for name, dotted_path in getattr(settings, "PAYMENT_GATEWAYS", {}).items():
        found[name] = _check(name, import_string(dotted_path), f"settings path {dotted_path}")
    return dict(sorted(found.items()))


def get_gateway_class(name: str) -> type[PaymentGatewayBase]:
    try:
        return gateway_classes()[name]
    except KeyError:
        raise UnknownGateway(f"No payment gateway named '{name}' is enabled.") from None


@receiver(setting_changed)
def _clear_cache(*, setting: str, **kwargs: object) -> None:
    if setting == "PAYMENT_GATEWAYS":
        gateway_classes.cache_clear()
