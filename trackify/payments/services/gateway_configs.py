"""Gateway configurations: create, change, archive, and load the gateway a config names."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from trackify.common.errors import ValidationFailed
from trackify.common.secrets import SecretMapping
from trackify.payments.gateways.base import PaymentGatewayBase, refuse_live_mode_where_test_only
from trackify.payments.gateways.registry import get_gateway_class
from trackify.payments.gateways.types import GatewayContext, PaymentFlow
from trackify.payments.models import PaymentGatewayConfig


def gateway_for(config: PaymentGatewayConfig) -> PaymentGatewayBase:
    """The one way to get a gateway instance: the registry's class bound to the config."""
    gateway_cls = get_gateway_class(config.gateway_name)
    return gateway_cls(
        GatewayContext(
            config_id=config.id,
            credentials=SecretMapping(config.credentials),  # prints masked in reprs and error pages
            test_mode=config.test_mode,
            flow=PaymentFlow(config.flow),
            site_url=settings.TRACKIFY_SITE_URL,
        )
    )


def webhook_url(config: PaymentGatewayConfig) -> str:
    return f"{settings.TRACKIFY_SITE_URL}/payment/webhook/{config.gateway_name}/{config.id}/"


def _clean(
    gateway_cls: type[PaymentGatewayBase],
    credentials: dict[str, str],
    *,
    test_mode: bool,
    flow: str,
) -> dict[str, str]:
    if flow not in {f.value for f in gateway_cls.capabilities.flows}:
        offered = ", ".join(f.value for f in gateway_cls.capabilities.flows)
        raise ValidationFailed(
            f"{gateway_cls.display_name} offers the flows: {offered}.", field="flow"
        )
    refuse_live_mode_where_test_only(
        live=not test_mode, message="This installation accepts test-mode gateways only.", field="test_mode"
    )
    for spec in gateway_cls.credential_fields:
        if spec.generated and not credentials.get(spec.name):
            credentials[spec.name] = secrets.token_urlsafe(32)
    return gateway_cls.clean_credentials(credentials, test_mode=test_mode)


def gateway_config_check(
    *, gateway_name: str, credentials: dict[str, str], test_mode: bool, flow: str
) -> None:
    """Raise ValidationFailed if these settings would be refused on save. Saves nothing."""
    _clean(get_gateway_class(gateway_name), dict(credentials), test_mode=test_mode, flow=flow)


def _make_default(config: PaymentGatewayConfig) -> None:
    # Clear the old default first: the partial unique index allows one default per owner.
    PaymentGatewayConfig.objects.filter(owner=config.owner, is_default=True).exclude(
        pk=config.pk
    ).update(is_default=False)
    config.is_default = True
    config.save(update_fields=["is_default", "updated_at"])


@transaction.atomic
def gateway_config_create(
    *,
    owner: Any,
    gateway_name: str,
    display_name: str = "",
    credentials: dict[str, str] | None = None,
    flow: str = PaymentFlow.REDIRECT.value,
    test_mode: bool = True,
    is_default: bool = False,
    is_active: bool = True,
) -> PaymentGatewayConfig:
    gateway_cls = get_gateway_class(gateway_name)
    cleaned = _clean(gateway_cls, dict(credentials or {}), test_mode=test_mode, flow=flow)
    config = PaymentGatewayConfig(
        owner=owner,
        gateway_name=gateway_name,
        display_name=display_name or gateway_cls.display_name,
        flow=flow,
        test_mode=test_mode,
        is_active=is_active,
    )
    config.set_credentials(cleaned)
    config.save()
    has_default = PaymentGatewayConfig.objects.filter(
        owner=owner, is_default=True, archived_at__isnull=True
    ).exists()
    if is_default or not has_default:
        _make_default(config)
    return config


@transaction.atomic
def gateway_config_update(*, config: PaymentGatewayConfig, **changes: Any) -> PaymentGatewayConfig:
    """Change what is given. Credentials given replace those fields; the others are kept."""
    config = PaymentGatewayConfig.objects.select_for_update().get(pk=config.pk)
    gateway_cls = get_gateway_class(config.gateway_name)
    for field in ("display_name", "flow", "test_mode", "is_active"):
        if field in changes:
            setattr(config, field, changes[field])
    if not config.is_active:
        config.is_default = False  # an inactive config cannot be what invoices are paid through
    new_credentials = changes.get("credentials")
    if new_credentials is not None or "flow" in changes or "test_mode" in changes:
        merged = {**config.credentials, **(new_credentials or {})}
        config.set_credentials(
            _clean(gateway_cls, merged, test_mode=config.test_mode, flow=config.flow)
        )
    config.save()
    if changes.get("is_default"):
        _make_default(config)
    elif changes.get("is_default") is False and config.is_default:
        config.is_default = False
        config.save(update_fields=["is_default", "updated_at"])
    return config


@transaction.atomic
def gateway_config_delete(*, config: PaymentGatewayConfig) -> None:
    """Delete a config nothing points at; archive one that payments or events still name."""
    if config.payments.exists() or config.webhook_events.exists():
        config.archived_at = timezone.now()
        config.is_active = False
        config.is_default = False
        config.save(update_fields=["archived_at", "is_active", "is_default", "updated_at"])
    else:
        config.delete()


def gateway_config_test_connection(*, config: PaymentGatewayConfig) -> str:
    return gateway_for(config).test_connection()
