"""PayPal passes the conformance kit, against the fake PayPal server (tests/fakes/fake_paypal.py) behind
PayPal's server SDK. The adapter drives the fake: the payer approving an order, PayPal's own webhooks
(CHECKOUT.ORDER.APPROVED on approval; PAYMENT.CAPTURE.COMPLETED once our core captured;
PAYMENT.CAPTURE.REFUNDED for every refund), the dashboard, and faults on the wire. Both flows: the
redirect to PayPal's page and the in-modal buttons (the same order, approved in PayPal's popup)."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.fake_paypal import App, FakePayPal
from tests.payments.gateways.fake_adapter import FakeServerAdapter
from trackify.common.money import format_amount
from trackify.payments.gateways.paypal import PayPalGateway, api
from trackify.payments.gateways.testing import Delivery, FaultKind, KitPayment
from trackify.payments.gateways.testing.suite import GatewayConformance

# What PayPal answers each fault with (https://developer.paypal.com/api/rest/responses/).
_ERRORS: dict[str, dict[str, Any]] = {
    "error_5xx": {"status": 500, "name": "INTERNAL_SERVER_ERROR"},
    "rate_limited": {"status": 429, "name": "RATE_LIMIT_REACHED"},
    "bad_request": {"status": 400, "name": "INVALID_REQUEST", "issue": "INVALID_PARAMETER_VALUE"},
    "unauthorized": {"status": 401, "name": "AUTHENTICATION_FAILURE"},
}


class PayPalAdapter(FakeServerAdapter):
    gateway_class = PayPalGateway
    config_options = {"flow": "redirect"}

    def start(self, *, settings: Any, monkeypatch: Any) -> None:
        self.fake = FakePayPal().start()
        settings.PAYPAL_API_BASE = self.fake.url
        settings.PAYPAL_JS_SDK_URL = f"{self.fake.url}/sdk/js"
        settings.PAYPAL_MAX_NETWORK_RETRIES = 2  # the SDK retries a lost answer with the same PayPal-Request-Id
        settings.PAYPAL_RETRY_BACKOFF = 0
        settings.PAYPAL_TIMEOUT_SECONDS = 5
        api.api_for.cache_clear()  # each test's fake has other apps
        self.app: App = self.fake.add_app()
        self.refused: App = self.fake.add_app()
        self.fake.apps.remove(self.refused)  # well-formed credentials that PayPal no longer knows

    def stop(self) -> None:
        api.api_for.cache_clear()
        self.fake.stop()

    @staticmethod
    def _credentials(app: App) -> dict[str, str]:
        return {"client_id": app.client_id, "client_secret": app.client_secret, "webhook_id": app.webhook_id}

    def credentials(self) -> dict[str, str]:
        return self._credentials(self.app)

    def bad_credentials(self) -> dict[str, str]:
        return self._credentials(self.refused)

    def secrets(self) -> list[str]:
        with self.fake.lock:
            tokens = list(self.fake.tokens)  # the OAuth access tokens the fake issued
        return [self.app.client_secret, self.refused.client_secret, *tokens]

    # -- the payer and the merchant at PayPal ----------------------------------------------------

    def pay(self, payment: KitPayment) -> None:
        self.fake.approve(payment.gateway_reference, notify=True)

    def decline(self, payment: KitPayment) -> None:
        # The payer approves, but the capture meets a refused funding source (INSTRUMENT_DECLINED).
        self.fake.decline_capture(payment.gateway_reference)
        self.fake.approve(payment.gateway_reference, notify=True)

    def expire(self, payment: KitPayment) -> None:
        self.fake.void(payment.gateway_reference)  # the order lapsed unapproved: no webhook for it

    def refund_at_provider(self, payment: KitPayment, amount: int) -> None:
        value = {"currency_code": payment.currency, "value": format_amount(amount, payment.currency)}
        self.fake.dashboard_refund(payment.gateway_payment_reference, value)

    def dispute(self, payment: KitPayment) -> None:
        self.fake.dispute(payment.gateway_reference)

    def tamper_amount(self, payment: KitPayment, amount: int, currency: str) -> None:
        with self.fake.lock:  # the order (and so its capture) now says this amount
            unit = self.fake.orders[payment.gateway_reference]["purchase_units"][0]
            unit["amount"] = {"currency_code": currency, "value": format_amount(amount, currency)}

    # -- webhooks --------------------------------------------------------------------------------

    def deliveries(self) -> list[Delivery]:
        return [Delivery(body=d.body, headers=d.headers, label=kind) for kind, d in self.fake.take_deliveries()]

    def forge(self, delivery: Delivery) -> Delivery:
        # A genuine delivery's headers on a body changed in transit: PayPal does not verify it.
        event = json.loads(delivery.body)
        event["resource"]["custom_id"] = "tampered"
        return Delivery(body=json.dumps(event).encode(), headers=delivery.headers, label=f"forged {delivery.label}")

    # -- faults ------------------------------------------------------------------------------------

    def provider_error(self, kind: FaultKind, times: int) -> None:
        self.fake.fail_next(times, **_ERRORS[kind])

    # -- counters ----------------------------------------------------------------------------------

    def _orders_of(self, payment: KitPayment) -> list[str]:
        with self.fake.lock:
            orders = list(self.fake.orders.values())
        return [o["id"] for o in orders if o["purchase_units"][0].get("custom_id") == payment.payment_id]

    def sessions_opened(self, payment: KitPayment) -> int:
        return len(self._orders_of(payment))

    def captures(self, payment: KitPayment) -> int:
        return sum(self.fake.captured.get(order_id, 0) for order_id in self._orders_of(payment))


class TestPayPalConformance(GatewayConformance):
    adapter_class = PayPalAdapter


class PayPalButtonsAdapter(PayPalAdapter):
    """The in-modal flow: PayPal's buttons approve the same order in PayPal's popup."""

    config_options = {"flow": "in_modal"}


class TestPayPalButtonsConformance(GatewayConformance):
    adapter_class = PayPalButtonsAdapter
