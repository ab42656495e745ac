"""Stripe passes the conformance kit, against the fake Stripe server (tests/fakes/fake_stripe.py)
with Stripe Checkout (the redirect flow). The adapter drives the fake's account: the payer on the
hosted page, the dashboard, the bank's disputes, and faults on the wire."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.fake_stripe import Account, FakeStripe, fast_sdk_retries
from tests.payments.gateways.fake_adapter import FakeServerAdapter
from trackify.payments.gateways.stripe import StripeGateway
from trackify.payments.gateways.stripe.objects import PAYMENT_ID_KEY
from trackify.payments.gateways.testing import Delivery, FaultKind, KitPayment, NotSupported
from trackify.payments.gateways.testing.suite import GatewayConformance


class StripeAdapter(FakeServerAdapter):
    gateway_class = StripeGateway
    config_options = {"flow": "redirect"}

    def start(self, *, settings: Any, monkeypatch: Any) -> None:
        self.fake = FakeStripe().start()
        settings.STRIPE_API_BASE = self.fake.url
        settings.STRIPE_MAX_NETWORK_RETRIES = 2
        settings.STRIPE_TIMEOUT_SECONDS = 5
        fast_sdk_retries(monkeypatch)
        self.account: Account = self.fake.add_account()
        self.refused: Account = self.fake.add_account()
        self.fake.accounts.remove(self.refused)  # well-formed keys that Stripe no longer knows

    def stop(self) -> None:
        self.fake.stop()

    @staticmethod
    def _credentials(account: Account) -> dict[str, str]:
        return {
            "secret_key": account.secret_key,
            "publishable_key": account.publishable_key,
            "webhook_secret": account.webhook_secret,
        }

    def credentials(self) -> dict[str, str]:
        return self._credentials(self.account)

    def bad_credentials(self) -> dict[str, str]:
        return self._credentials(self.refused)

    def secrets(self) -> list[str]:
        return [self.account.secret_key, self.account.webhook_secret, self.refused.secret_key]

    def pay(self, payment: KitPayment) -> None:
        self.account.pay_checkout(payment.gateway_reference)

    def decline(self, payment: KitPayment) -> None:
        self.account.decline_checkout_attempt(payment.gateway_reference)

    def expire(self, payment: KitPayment) -> None:
        self.account.expire_checkout(payment.gateway_reference)

    def refund_at_provider(self, payment: KitPayment, amount: int) -> None:
        self.account.dashboard_refund(payment.gateway_payment_reference, amount)

    def dispute(self, payment: KitPayment) -> None:
        self.account.open_dispute(payment.gateway_payment_reference)

    def tamper_amount(self, payment: KitPayment, amount: int, currency: str) -> None:
        with self.fake.lock:  # the session's intent is made from these when the payer pays
            self.account.sessions[payment.gateway_reference].update(amount_total=amount, currency=currency.lower())

    def deliveries(self) -> list[Delivery]:
        # Every event since the last call, also those about our own API calls (a refund's).
        return [
            Delivery(body=d.body, headers={"Stripe-Signature": d.headers["Stripe-Signature"]}, label=e["type"])
            for e in self.account.take_events()
            for d in [FakeStripe.delivery(e, self.account.webhook_secret)]
        ]

    def forge(self, delivery: Delivery) -> Delivery:
        # Signed by someone who does not hold the endpoint's secret.
        forged = FakeStripe.delivery(_event_of(delivery), "whsec_" + "0" * 32)
        return Delivery(body=forged.body, headers={"Stripe-Signature": forged.headers["Stripe-Signature"]})

    def provider_error(self, kind: FaultKind, times: int) -> None:
        fake = self.fake
        if kind == "error_5xx":
            fake.fail_next(times, status=500)
        elif kind == "rate_limited":
            fake.rate_limit_next(times)
        elif kind == "bad_request":
            fake.fail_next(times, status=400, error_type="invalid_request_error", code="amount_too_small",
                           message="Amount must be at least €0.50.")  # fmt: skip
        elif kind == "unauthorized":
            fake.fail_next(times, status=401, error_type="invalid_request_error",
                           message="Invalid API Key provided: sk_test_****")  # fmt: skip

    def sessions_opened(self, payment: KitPayment) -> int:
        with self.fake.lock:
            sessions = list(self.account.sessions.values())
        return sum(1 for s in sessions if (s.get("metadata") or {}).get(PAYMENT_ID_KEY) == payment.payment_id)


def _event_of(delivery: Delivery) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(delivery.body)
    return event


class TestStripeConformance(GatewayConformance):
    adapter_class = StripeAdapter


class StripeElementsAdapter(StripeAdapter):
    """The in-modal flow: a PaymentIntent that Stripe Elements confirms in our page."""

    config_options = {"flow": "in_modal"}

    def pay(self, payment: KitPayment) -> None:
        self.account.confirm_intent(payment.gateway_reference, "succeeded")

    def decline(self, payment: KitPayment) -> None:
        self.account.confirm_intent(payment.gateway_reference, "declined")

    def expire(self, payment: KitPayment) -> None:
        raise NotSupported("a PaymentIntent never expires at Stripe (our session reaper cancels it)")

    def tamper_amount(self, payment: KitPayment, amount: int, currency: str) -> None:
        with self.fake.lock:
            self.account.intents[payment.gateway_reference].update(amount=amount, currency=currency.lower())

    def sessions_opened(self, payment: KitPayment) -> int:
        with self.fake.lock:
            intents = list(self.account.intents.values())
        return sum(1 for i in intents if (i.get("metadata") or {}).get(PAYMENT_ID_KEY) == payment.payment_id)


class TestStripeElementsConformance(GatewayConformance):
    adapter_class = StripeElementsAdapter
