"""The sandbox provider's directory of accounts, answered from our gateway configs.

The simulated provider must know where an account's events go and the secret that signs them, as a
real provider knows from its dashboard. Rather than keep a second, unsealed copy of the secret in
its own tables, it asks this directory (registered in `PaymentsConfig.ready()`); the dependency
points from payments to the sandbox, never back.
"""

from __future__ import annotations

from uuid import UUID

from trackify.payments.gateways.sandbox import SandboxGateway
from trackify.payments.models import PaymentGatewayConfig
from trackify.payments.services.gateway_configs import webhook_url
from trackify.sandbox.accounts import AccountEndpoint


def sandbox_account_endpoint(account_id: UUID) -> AccountEndpoint | None:
    config = PaymentGatewayConfig.objects.filter(pk=account_id, gateway_name=SandboxGateway.name).first()
    if config is None:
        return None
    return AccountEndpoint(webhook_url=webhook_url(config), webhook_secret=config.credentials["webhook_secret"])
