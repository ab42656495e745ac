"""The built-in sandbox passes the conformance kit. Its provider is `trackify.sandbox`, in-process:
the adapter acts at it through `trackify.sandbox.provider` and hands the kit the signed events the
provider would POST (asked for with `deliver=False`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from trackify.payments.gateways.sandbox import SandboxGateway
from trackify.payments.gateways.testing import Delivery, FaultKind, GatewayAdapter, KitPayment, NotSupported
from trackify.payments.gateways.testing.suite import GatewayConformance
from trackify.sandbox import accounts, provider
from trackify.sandbox.models import SandboxSession

IN_PROCESS = "the sandbox provider runs in-process: it is never down, slow or refusing"


class SandboxAdapter(GatewayAdapter):
    gateway_class = SandboxGateway
    config_options = {"flow": "redirect"}

    def start(self, *, settings: Any, monkeypatch: Any) -> None:
        self.account_id: UUID | None = None
        self.outbox: list[dict[str, Any]] = []

    def config_created(self, config_id: str) -> None:
        self.account_id = UUID(config_id)  # a sandbox account is its config

    def credentials(self) -> dict[str, str]:
        return {}  # the webhook secret is generated

    def bad_credentials(self) -> dict[str, str]:
        raise NotSupported("the sandbox needs no remote account, so no credentials are refused")

    def secrets(self) -> list[str]:
        endpoint = accounts.endpoint_of(self.account_id) if self.account_id else None
        return [endpoint.webhook_secret] if endpoint else []

    def _send(self, event: dict[str, Any]) -> None:
        assert self.account_id is not None
        self.outbox.append(provider.notify(self.account_id, event, deliver=False)["webhook"])

    def pay(self, payment: KitPayment) -> None:
        self._send(provider.complete_session(payment.gateway_reference, "succeeded"))

    def decline(self, payment: KitPayment) -> None:
        self._send(provider.complete_session(payment.gateway_reference, "declined"))

    def expire(self, payment: KitPayment) -> None:
        assert self.account_id is not None
        provider.expire_session(account_id=self.account_id, session_id=payment.gateway_reference)
        self._send(provider.session_event(provider.get_session(payment.gateway_reference)))

    def refund_at_provider(self, payment: KitPayment, amount: int) -> None:
        raise NotSupported("the sandbox has no dashboard: its events report no refunds made outside our API")

    def dispute(self, payment: KitPayment) -> None:
        assert self.account_id is not None
        opened = provider.open_dispute(account_id=self.account_id, session_id=payment.gateway_reference)
        for event in opened["events"]:
            self._send(event)

    def tamper_amount(self, payment: KitPayment, amount: int, currency: str) -> None:
        SandboxSession.objects.filter(pk=payment.gateway_reference).update(amount=amount, currency=currency)

    def deliveries(self) -> list[Delivery]:
        sent, self.outbox = self.outbox, []
        return [
            Delivery(
                body=webhook["body"].encode(),
                headers={k: v for k, v in webhook["headers"].items() if k != "Content-Type"},
                label=webhook["body"][:80],
            )
            for webhook in sent
        ]

    def forge(self, delivery: Delivery) -> Delivery:
        # The genuine signature over a body changed by one byte: the signature no longer matches.
        return Delivery(body=delivery.body.replace(b'"succeeded"', b'"succeeded" ', 1) + b" ", headers=delivery.headers)

    def fault(self, kind: FaultKind, times: int = 1) -> None:
        raise NotSupported(IN_PROCESS)

    def clear_faults(self) -> None:
        return None

    def sessions_opened(self, payment: KitPayment) -> int:
        return SandboxSession.objects.filter(payment_id=payment.payment_id).count()


class TestSandboxConformance(GatewayConformance):
    adapter_class = SandboxAdapter
