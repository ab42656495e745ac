"""How the sandbox provider sends its signed events to us.

Delivery goes through `webhook_receive`, the same service path (gateway verification included)
that the HTTP webhook endpoint uses; the signed request is also handed back, so a test or a
gateway author can deliver it again over HTTP, late, twice, or tampered.
"""

from __future__ import annotations

import logging
from typing import Any

from trackify.common.errors import TrackifyError
from trackify.payments.models import PaymentGatewayConfig
from trackify.payments.services.gateway_configs import webhook_url
from trackify.payments.services.webhooks import webhook_receive
from trackify.sandbox import provider

logger = logging.getLogger(__name__)


def signed_webhook(config: PaymentGatewayConfig, event: dict[str, Any]) -> dict[str, Any]:
    body = provider.encode_event(event)
    headers = {
        "Content-Type": "application/json",
        provider.SIGNATURE_HEADER: provider.sign(config.credentials["webhook_secret"], body),
    }
    return {"url": webhook_url(config), "headers": headers, "body": body.decode()}


def send_event(config: PaymentGatewayConfig, event: dict[str, Any], *, deliver: bool = True) -> dict[str, Any]:
    """Sign an event; deliver it unless told not to. Returns {"delivered", "webhook"}."""
    webhook = signed_webhook(config, event)
    delivered = False
    if deliver:
        try:
            webhook_receive(
                gateway_name=config.gateway_name,
                config_id=config.id,
                body=webhook["body"].encode(),
                headers=webhook["headers"],
            )
            delivered = True
        except TrackifyError as exc:  # a real provider would retry later; we report it
            logger.warning("Sandbox event %s was not accepted: %s", event["id"], exc.message)
    return {"delivered": delivered, "webhook": webhook}
