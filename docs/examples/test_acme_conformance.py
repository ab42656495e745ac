"""Acme Pay runs the conformance kit, as a gateway in its own package does: its adapter drives its
fake (acme_fake.py), and one subclass of GatewayConformance collects every check for it."""

from __future__ import annotations

import json
from typing import Any

from acme_fake import FakeAcme, Fault
from acme_gateway import AcmeGateway

from trackify.payments.gateways.testing import Delivery, FaultKind, GatewayAdapter, KitPayment, NotSupported
from trackify.payments.gateways.testing.suite import GatewayConformance


class AcmeAdapter(GatewayAdapter):
    gateway_class = AcmeGateway

    def start(self, *, settings: Any, monkeypatch: Any) -> None:
        self.fake = FakeAcme().start()
        settings.ACME_API_BASE = self.fake.url  # the gateway reads it on every call

    def stop(self) -> None:
        self.fake.stop()

    def credentials(self) -> dict[str, str]:
        return {"api_key": self.fake.api_key, "webhook_secret": self.fake.webhook_secret}

    def bad_credentials(self) -> dict[str, str]:
        return {"api_key": "ak_test_revoked0000000000", "webhook_secret": self.fake.webhook_secret}

    def secrets(self) -> list[str]:
        return [self.fake.api_key, self.fake.webhook_secret]

    def pay(self, payment: KitPayment) -> None:
        self.fake.settle(payment.gateway_reference, "paid")

    def decline(self, payment: KitPayment) -> None:
        self.fake.settle(payment.gateway_reference, "failed")

    def expire(self, payment: KitPayment) -> None:
        self.fake.settle(payment.gateway_reference, "expired")

    def refund_at_provider(self, payment: KitPayment, amount: int) -> None:
        raise NotSupported("Acme Pay has no refunds")

    def tamper_amount(self, payment: KitPayment, amount: int, currency: str) -> None:
        self.fake.checkouts[payment.gateway_reference].update(amount=amount, currency=currency.lower())

    def deliveries(self) -> list[Delivery]:
        with self.fake.lock:
            events, self.fake.outbox = self.fake.outbox, []
        return [Delivery(*self.fake.signed(event), label=event["type"]) for event in events]

    def forge(self, delivery: Delivery) -> Delivery:
        event = json.loads(delivery.body)
        return Delivery(*self.fake.signed(event, secret="whsec_not_acmes"))  # signed with another secret

    def fault(self, kind: FaultKind, times: int = 1) -> None:
        self.fake.faults.append(Fault(kind, times))

    def clear_faults(self) -> None:
        self.fake.faults.clear()

    def sessions_opened(self, payment: KitPayment) -> int:
        checkouts = self.fake.checkouts.values()
        return sum(1 for c in checkouts if c["metadata"].get("payment_id") == payment.payment_id)


class TestAcmeConformance(GatewayConformance):
    adapter_class = AcmeAdapter
