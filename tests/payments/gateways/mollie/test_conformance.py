"""Mollie passes the conformance kit, against the fake Mollie server (tests/fakes/fake_mollie.py).

The adapter drives the fake's account: the payer's outcome on the hosted page, the dashboard's
refunds, the bank's chargebacks, and faults on the wire. Mollie's webhooks are hints (`id=tr_…`), so
a forged one names a payment Mollie does not have and is answered 200 (`forged_status`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.fakes.fake_mollie import Account, FakeMollie
from tests.payments.gateways.fake_adapter import FakeServerAdapter
from trackify.common.money import format_amount
from trackify.payments.gateways.mollie import MollieGateway
from trackify.payments.gateways.testing import Delivery, FaultKind, KitPayment, NotSupported
from trackify.payments.gateways.testing.suite import GatewayConformance

FORM = "application/x-www-form-urlencoded"


class MollieAdapter(FakeServerAdapter):
    gateway_class = MollieGateway
    forged_status = 200
    config_options = {"flow": "redirect"}
    #: What the payer's approval makes of the payment at Mollie: "authorized" (methods such as Klarna or
    #: cards with manual capture, which Mollie captures only when asked), else "paid" (below).
    paid_status = "authorized"

    def start(self, *, settings: Any, monkeypatch: Any) -> None:
        self.fake = FakeMollie().start()
        settings.MOLLIE_API_BASE = self.fake.url
        settings.MOLLIE_TIMEOUT_SECONDS = 5
        self.account: Account = self.fake.add_account()
        self.refused: Account = self.fake.add_account()
        self.fake.accounts.remove(self.refused)  # a well-formed key Mollie does not know
        self.account.refund_status = "refunded"  # the kit expects a refund done when made

    def stop(self) -> None:
        self.fake.stop()

    def credentials(self) -> dict[str, str]:
        return {"api_key": self.account.api_key}

    def bad_credentials(self) -> dict[str, str]:
        return {"api_key": self.refused.api_key}

    def secrets(self) -> list[str]:
        return [self.account.api_key, self.refused.api_key]

    def pay(self, payment: KitPayment) -> None:
        self.fake.set_status(payment.gateway_reference, self.paid_status)

    def decline(self, payment: KitPayment) -> None:
        self.fake.set_status(payment.gateway_reference, "failed", failure_message="The card was declined.")

    def expire(self, payment: KitPayment) -> None:
        self.fake.set_status(payment.gateway_reference, "expired")

    def refund_at_provider(self, payment: KitPayment, amount: int) -> None:
        self.fake.refund_at_dashboard(payment.gateway_reference, format_amount(amount, payment.currency))

    def dispute(self, payment: KitPayment) -> None:
        self.fake.chargeback(payment.gateway_reference)

    def tamper_amount(self, payment: KitPayment, amount: int, currency: str) -> None:
        with self.fake.lock:
            value = Decimal(format_amount(amount, currency))
            self.fake.payment(payment.gateway_reference)["amount"] = {"currency": currency, "value": str(value)}

    def deliveries(self) -> list[Delivery]:
        with self.fake.lock:
            hints, self.account.hints[:] = list(self.account.hints), []
        return [Delivery(body=hint.body, headers={}, content_type=FORM, label=hint.body.decode()) for hint in hints]

    def forge(self, delivery: Delivery) -> Delivery:
        return Delivery(body=b"id=tr_forged0000", headers={}, content_type=FORM, label="forged")

    def provider_error(self, kind: FaultKind, times: int) -> None:
        fake = self.fake
        if kind == "error_5xx":
            fake.fail_next(times, status=500)
        elif kind == "rate_limited":
            fake.fail_next(times, status=429, detail="Too many requests")
        elif kind == "bad_request":
            fake.fail_next(times, status=422, detail="The amount is lower than the minimum")
        elif kind == "unauthorized":
            fake.fail_next(times, status=401, detail="Missing authentication, or failed to authenticate")

    def sessions_opened(self, payment: KitPayment) -> int:
        with self.fake.lock:
            payments = list(self.account.payments.values())
        return sum(1 for p in payments if (p.get("metadata") or {}).get("payment_id") == payment.payment_id)

    def captures(self, payment: KitPayment) -> int:
        with self.fake.lock:
            return len(self.fake.payment(payment.gateway_reference)["_captures"])


class TestMollieConformance(GatewayConformance):
    adapter_class = MollieAdapter


class MollieDirectAdapter(MollieAdapter):
    """Methods that Mollie captures itself (iDEAL, Bancontact, cards by default): approval is `paid`."""

    paid_status = "paid"

    def captures(self, payment: KitPayment) -> int:
        raise NotSupported("with these methods Mollie captures by itself; Trackify captures nothing")


class TestMollieDirectConformance(GatewayConformance):
    adapter_class = MollieDirectAdapter
