"""Gateway configs for webhook deliveries, kept per process so that a delivery need not read its config.

A delivery to `/payment/webhook/<gateway>/<config_id>/` is verified with the config this process
last read. It is never applied with a stale one: the query that locks the payment reads the config's
`updated_at` along, and a delivery whose config changed meanwhile is verified again with the config
read afresh (`StaleConfig`); deliveries that lock nothing check `updated_at` with a query of their own.
Every save of a config (`auto_now`) moves `updated_at`; a save in this
process also drops the entry at once. Decrypted credentials are cached by `crypto` in the same way.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from uuid import UUID

from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from trackify.common.errors import NotFound
from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.models import PaymentGatewayConfig
from trackify.payments.services.gateway_configs import gateway_for

_LIMIT = 1024
_configs: OrderedDict[UUID, PaymentGatewayConfig] = OrderedDict()
_lock = threading.Lock()


class StaleConfig(Exception):
    """The cached config changed in the database; here is the row as it is now."""

    def __init__(self, config: PaymentGatewayConfig) -> None:
        super().__init__(f"config {config.pk} changed")
        self.config = config


def webhook_config(config_id: UUID, gateway_name: str) -> tuple[PaymentGatewayConfig, bool]:
    """The config of a webhook URL, and whether it was read from the database just now."""
    with _lock:
        cached = _configs.get(config_id)
        if cached is not None:
            _configs.move_to_end(config_id)
    if cached is not None and cached.gateway_name == gateway_name:
        return cached, False
    config = PaymentGatewayConfig.objects.filter(pk=config_id, gateway_name=gateway_name).first()
    if config is None:
        raise NotFound("No such webhook endpoint.")
    return remember(config), True


def remember(config: PaymentGatewayConfig) -> PaymentGatewayConfig:
    with _lock:
        _configs[config.pk] = config
        _configs.move_to_end(config.pk)
        while len(_configs) > _LIMIT:
            _configs.popitem(last=False)
    return config


def gateway_of(config: PaymentGatewayConfig) -> PaymentGatewayBase:
    """The gateway bound to `config`, made once per config as read (`gateway_for`): a delivery with a
    cached config does not build its gateway again. A config read afresh is a new instance, so a
    changed config gets a new gateway."""
    gateway: PaymentGatewayBase | None = config.__dict__.get("_webhook_gateway")
    if gateway is None:
        gateway = config.__dict__["_webhook_gateway"] = gateway_for(config)
    return gateway


def reload(config: PaymentGatewayConfig) -> PaymentGatewayConfig:
    """The config as it is in the database now (NotFound if it is gone), remembered."""
    forget(config.pk)
    return webhook_config(config.pk, config.gateway_name)[0]


def check_current(config: PaymentGatewayConfig) -> None:
    """Raise `StaleConfig` (or NotFound) if the config changed (or went) since this process read it."""
    current = PaymentGatewayConfig.objects.filter(pk=config.pk).values_list("updated_at", flat=True).first()
    if current is None:
        forget(config.pk)
        raise NotFound("No such webhook endpoint.")
    if current != config.updated_at:
        raise StaleConfig(PaymentGatewayConfig.objects.get(pk=config.pk))


def forget(config_id: UUID) -> None:
    with _lock:
        _configs.pop(config_id, None)


@receiver(post_save, sender=PaymentGatewayConfig)
@receiver(post_delete, sender=PaymentGatewayConfig)
def _forget_changed(*, instance: PaymentGatewayConfig, **kwargs: Any) -> None:
    forget(instance.pk)


@receiver(setting_changed)
def _clear(**kwargs: Any) -> None:
    with _lock:
        _configs.clear()
