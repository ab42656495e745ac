"""The kit's hands: our HTTP API driven as the owner, the payer and the provider would drive it.

Only HTTP (Django's test client through the whole stack) and the public types: the kit reads our
books through the owner's API (GET /payment/payments/<id>/), never through models, so what it
checks is what a user sees.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.test import Client
from rest_framework.test import APIClient

from trackify.common.money import parse_amount
from trackify.payments.gateways.testing.adapter import Delivery, GatewayAdapter, KitPayment, NotSupported


class _Skipping:
    """The adapter, with `NotSupported` turned into a skip that names the reason."""

    def __init__(self, adapter: GatewayAdapter):
        self._adapter = adapter

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._adapter, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return value(*args, **kwargs)
            except NotSupported as exc:
                import pytest

                pytest.skip(f"{self._adapter.gateway_class.name}: {exc}")

        return call


class LogCapture(logging.Handler):
    """Every log record of the test, formatted with its traceback, for the secrets check."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.texts.append(f"{record.name}: {text}")

    @contextmanager
    def installed(self) -> Iterator[LogCapture]:
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(self)
        root.setLevel(logging.DEBUG)  # so that a debug line with a secret is caught too
        try:
            yield self
        finally:
            root.removeHandler(self)
            root.setLevel(old_level)


class Kit:
    """One test's view of the system: an owner with a config at the gateway under test."""

    def __init__(self, adapter: GatewayAdapter, owner: Any, token: str):
        self.adapter = adapter
        self.provider: Any = _Skipping(adapter)  # adapter calls that may skip the check
        self.gateway = adapter.gateway_class
        self.owner = owner
        self.api = APIClient()
        self.api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        self.payer = APIClient()  # the invoice's client: no account, the invoice's token
        self.bodies: list[str] = []  # every response body, for the secrets check
        self.logs = LogCapture()
        self.config: dict[str, Any] = {}

    def begin(self) -> None:
        """The owner adds the gateway in settings: a default config with the adapter's credentials."""
        self.config = self.create_config(self.adapter.credentials(), is_default=True)
        self.adapter.config_created(self.config["id"])

    # -- requests (every answer is kept for the secrets check) ---------------------------------

    def _keep(self, response: Any) -> Any:
        self.bodies.append(response.content.decode(errors="replace"))
        return response

    def post(self, client: Any, url: str, data: Any = None, **extra: Any) -> Any:
        return self._keep(client.post(url, data=json.dumps(data or {}), content_type="application/json", **extra))

    def get(self, client: Any, url: str, data: Any = None) -> Any:
        return self._keep(client.get(url, data))

    @staticmethod
    def ok(response: Any, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, (response.status_code, response.content[:1000])
        return dict(response.json())

    # -- the owner -------------------------------------------------------------------------------

    def create_config(self, credentials: dict[str, str], **body: Any) -> dict[str, Any]:
        data = {"gateway_name": self.gateway.name, "credentials": credentials, **self.adapter.config_options, **body}
        return self.ok(self.post(self.api, "/payment/gateways/", data), 201)

    def invoice(self, total: str = "100.00", currency: str = "EUR", **body: Any) -> dict[str, Any]:
        data = {"number": f"KIT-{uuid.uuid4().hex[:10]}", "client_name": "Kit Client Ltd",
                "client_email": "client@example.com", "currency": currency, "total": total, **body}  # fmt: skip
        return self.ok(self.post(self.api, "/invoices/", data), 201)

    def invoice_now(self, invoice: dict[str, Any]) -> dict[str, Any]:
        return self.ok(self.get(self.api, f"/invoices/{invoice['id']}/"))

    def timeline(self, payment_id: str) -> dict[str, Any]:
        return self.ok(self.get(self.api, f"/payment/payments/{payment_id}/"))

    def payments_of(self, invoice: dict[str, Any]) -> list[dict[str, Any]]:
        """The owner's payments of an invoice (its rows on the payments page)."""
        page = self.ok(self.get(self.api, "/payment/payments/", {"q": invoice["number"], "page_size": 100}))
        return [row for row in page["results"] if row["invoice_id"] == invoice["id"]]

    def refund(self, payment_id: str, amount: str | None = None) -> Any:
        return self.post(self.api, f"/payment/{payment_id}/refund/", {} if amount is None else {"amount": amount})

    def webhook_health(self) -> dict[str, Any]:
        return self.ok(self.get(self.api, f"/payment/gateways/{self.config['id']}/webhook-health/"))

    def test_connection(self, config_id: str) -> Any:
        return self.post(self.api, f"/payment/gateways/{config_id}/test-connection/")

    # -- the payer -------------------------------------------------------------------------------

    def open_session(self, invoice: dict[str, Any], *, key: str = "", **body: Any) -> Any:
        data = {"invoice_id": invoice["id"], "invoice_token": invoice["public_token"], **body}
        extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        return self.post(self.payer, "/payment/create-session/", data, **extra)

    def opened(self, invoice: dict[str, Any], **body: Any) -> KitPayment:
        session = self.ok(self.open_session(invoice, **body), 201)
        return self.payment(session["payment_id"], session)

    def status(self, payment: KitPayment, invoice: dict[str, Any]) -> dict[str, Any]:
        """GET /payment/status/<id>/ as the payer's page polls it (it refreshes an open payment)."""
        return self.ok(
            self.get(self.payer, f"/payment/status/{payment.payment_id}/", {"token": invoice["public_token"]})
        )

    def check(self, payment: KitPayment, invoice: dict[str, Any]) -> Any:
        """POST /payment/status/<id>/check/: the payer's return (PayPal's onApprove) asks for a refresh now."""
        url = f"/payment/status/{payment.payment_id}/check/?token={invoice['public_token']}"
        return self.post(APIClient(), url)  # a client of its own: checks may run in threads at once

    def payment(self, payment_id: str, session: dict[str, Any] | None = None) -> KitPayment:
        """Our payment as the owner's API shows it, for the adapter."""
        line = self.timeline(payment_id)
        row = line["payment"]
        return KitPayment(
            payment_id=str(payment_id),
            config_id=self.config["id"],
            invoice_id=row["invoice_id"],
            gateway_reference=line["gateway_reference"],
            gateway_payment_reference=line["gateway_payment_reference"],
            amount=parse_amount(row["amount"], row["currency"]),
            currency=row["currency"],
            status=row["status"],
            redirect_url=(session or {}).get("redirect_url"),
            client_params=dict((session or {}).get("client_params") or {}),
        )

    def again(self, payment: KitPayment) -> KitPayment:
        """The same payment, re-read (its references and status now)."""
        return self.payment(payment.payment_id)

    # -- the provider's deliveries -------------------------------------------------------------

    def post_delivery(self, delivery: Delivery) -> Any:
        """POST a delivery to the config's webhook URL as a provider does: no session, CSRF enforced."""
        url = f"/payment/webhook/{self.gateway.name}/{self.config['id']}/"
        client = Client(enforce_csrf_checks=True)
        response = client.post(url, data=delivery.body, content_type=delivery.content_type, headers=delivery.headers)
        return self._keep(response)

    def deliveries(self) -> list[Delivery]:
        return list(self.provider.deliveries())

    def deliver(self, deliveries: list[Delivery]) -> list[dict[str, Any]]:
        """Post each delivery; every one must be answered 200 (applied, ignored or a duplicate)."""
        answers = []
        for delivery in deliveries:
            response = self.post_delivery(delivery)
            assert response.status_code == 200, (delivery.label, response.status_code, response.content[:1000])
            answers.append(dict(response.json()) if response.content else {})
        return answers

    def deliver_all(self) -> list[Delivery]:
        """Post what the provider sent since the last call; returns those deliveries."""
        sent = self.deliveries()
        self.deliver(sent)
        return sent

    def paid(self, payment: KitPayment, invoice: dict[str, Any]) -> KitPayment:
        """The payer pays at the provider, the provider's deliveries arrive, the payer's page polls."""
        self.provider.pay(payment)
        self.deliver_all()
        self.status(payment, invoice)
        return self.again(payment)

    # -- what the books say ----------------------------------------------------------------------

    def applied(self, payment_id: str, to_status: str) -> int:
        """How many applied status changes of the payment went to `to_status` (history rows)."""
        changes = self.timeline(payment_id)["status_changes"]
        return sum(1 for c in changes if c["applied"] and c["to_status"] == to_status)

    def minor(self, amount: str, currency: str) -> int:
        return parse_amount(amount, currency)

    def leaks(self, secrets: list[str]) -> list[str]:
        """Where any of `secrets` shows: in a response body or a log record of this test."""
        found = []
        for secret in (s for s in secrets if len(s) >= 8):
            found += [f"a response shows {secret[:4]}…" for body in self.bodies if secret in body]
            found += [f"a log record ({text[:40]}…) shows {secret[:4]}…" for text in self.logs.texts if secret in text]
        return found
