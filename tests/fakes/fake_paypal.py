"""A fake PayPal REST API: a real HTTP server on 127.0.0.1 that PayPal's server SDK talks to unchanged.

As PayPal does (shapes from https://developer.paypal.com/api/rest/responses/ and the Orders v2 and
Payments v2 references, https://developer.paypal.com/docs/api/orders/v2/):
- `POST /v1/oauth2/token` with HTTP basic auth (client id : secret) gives a bearer token; a wrong
  pair answers 401 `{"error": "invalid_client", ...}`. Token requests are counted (`token_requests`).
- orders: create (intent CAPTURE, links `self`, `payer-action`), get, capture; a second capture
  answers 422 UNPROCESSABLE_ENTITY / ORDER_ALREADY_CAPTURED; captures are counted.
- `PayPal-Request-Id` on a POST replays the first answer.
- refunds of a capture (full or partial), with links `up` to the capture.
- `POST /v1/notifications/verify-webhook-signature`: SUCCESS only for a delivery this fake made
  (`delivery()`), with the same body, headers and webhook id; else FAILURE.
- errors as `{name, message, debug_id, details: [{issue, description}]}`.

For tests on top: `approve(order_id)` (the payer approves), an approve page at the payer-action
link that approves and redirects to the return URL with `?token=ORDER_ID&PayerID=…`, faults for
the next N requests (`fail_next`), and a fake JS SDK at `/sdk/js` defining `window.paypal.Buttons`
(the payer approves, or cancels with `buttons_outcome = "cancel"`). The page and the JS SDK, what a
browser meets, are in `paypal_browser`.

For the conformance kit (tests/payments/gateways/paypal/test_conformance.py), the webhooks PayPal
sends on its own (https://developer.paypal.com/api/rest/webhooks/event-names/) are queued in
`outbox` (take them with `take_deliveries()`): CHECKOUT.ORDER.APPROVED when the payer approves
(`approve(order_id, notify=True)`), PAYMENT.CAPTURE.COMPLETED when an order is captured,
PAYMENT.CAPTURE.REFUNDED when a capture is refunded (through the API or `dashboard_refund`). Also:
`decline_capture(order_id)` (the payer's funding is refused at capture: 422 INSTRUMENT_DECLINED,
https://developer.paypal.com/docs/checkout/standard/customize/handle-funding-failures/),
`void(order_id)` (an order that lapsed unapproved: status VOIDED, no webhook), and per-order capture
counts (`captured`).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.fakes import paypal_browser
from tests.fakes.http import Answer, FakeServer, Fault, Handler, read_body, send_bytes, send_json


def new_id(length: int = 17) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass
class App:
    """A PayPal REST app: its credentials and the webhook registered for it."""

    client_id: str
    client_secret: str
    webhook_id: str


@dataclass(frozen=True)
class Delivery:
    body: bytes
    headers: dict[str, str]

    def django_headers(self) -> dict[str, str]:
        return {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in self.headers.items()}


class PayPalError(Exception):
    def __init__(self, status: int, name: str, message: str, issue: str = ""):
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"name": name, "message": message, "debug_id": new_id(13).lower()}
        if issue:
            self.body["details"] = [{"issue": issue, "description": message}]


def _unprocessable(issue: str) -> PayPalError:
    return PayPalError(422, "UNPROCESSABLE_ENTITY", "The requested action could not be performed.", issue)


@dataclass
class FakePayPal(FakeServer):
    """The server, its lifecycle (`url`, `start`, `stop`), `faults` and `lock` are `FakeServer`'s."""

    apps: list[App] = field(default_factory=list)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    token_requests: int = 0
    captures: int = 0
    captured: dict[str, int] = field(default_factory=dict)  # order id -> captures made
    outbox: list[tuple[str, Delivery]] = field(default_factory=list)  # (event type, delivery)
    declining: set[str] = field(default_factory=set)  # orders whose capture is declined
    buttons_outcome: str = "approve"  # what the payer does in the JS SDK's popup: "approve" or "cancel"

    def __post_init__(self) -> None:
        super().__init__()  # the dataclass's __init__ does not call it
        self.tokens: dict[str, App] = {}
        self.replays: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self.sent: set[bytes] = set()
        self.owners: dict[str, App] = {}  # order id -> the app that created it (its webhook)

    def add_app(self) -> App:
        app = App(client_id=f"A{new_id(40)}", client_secret=f"E{new_id(40)}", webhook_id=new_id(17))
        self.apps.append(app)
        return app

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 500,
        path: str = "",
        drop: bool = False,
        after: bool = False,
        name: str = "INTERNAL_SERVER_ERROR",
        issue: str = "",
    ) -> Fault:
        """The next `n` requests (under `path`) fail: `status` with PayPal's error body (`name`,
        `issue`), or a dropped connection (`drop`; `after=True`: once the request took effect)."""
        if drop:
            return self.drop_next(n, after_processing=after, path=path)
        error = PayPalError(status, name, "The request failed (a fault of the fake).", issue)
        return self.inject(Fault("error", n, status=status, body=error.body, path=path))

    # -- the payer, and webhooks -------------------------------------------------------------------

    def approve(self, order_id: str, *, notify: bool = False) -> None:
        with self.lock:
            order = self.orders[order_id]
            if order["status"] == "PAYER_ACTION_REQUIRED":
                order["status"] = "APPROVED"
                order["payer"] = {"payer_id": new_id(13), "email_address": "payer@example.com"}
                if notify:
                    self._notify(order_id, "CHECKOUT.ORDER.APPROVED", self._order(order_id))

    def decline_capture(self, order_id: str) -> None:
        with self.lock:
            self.declining.add(order_id)

    def void(self, order_id: str) -> None:
        with self.lock:
            self.orders[order_id]["status"] = "VOIDED"

    def dashboard_refund(self, capture_id: str, amount: dict[str, str]) -> dict[str, Any]:
        """The merchant refunds in PayPal's dashboard: a refund without our custom_id."""
        with self.lock:
            return self._refund(capture_id, {"amount": amount})

    def dispute(self, order_id: str, *, stage: str = "CHARGEBACK", status: str = "WAITING_FOR_SELLER_RESPONSE",
                outcome: str = "", dispute_id: str = "") -> str:
        """The payer's bank (or the payer) disputes the order's capture; CUSTOMER.DISPUTE.* is queued.

        The resource as the Disputes API v1 reference shows it
        (https://developer.paypal.com/docs/api/customer-disputes/v1/#disputes_get): `disputed_transactions`
        name the capture (`seller_transaction_id`) and echo its `custom_id` as `custom`.
        """
        with self.lock:
            capture = self.capture_of(order_id)
            dispute_id = dispute_id or f"PP-D-{new_id(5)}"
            resource: dict[str, Any] = {
                "dispute_id": dispute_id,
                "create_time": "2026-12-07T08:10:00.000Z",
                "disputed_transactions": [{"seller_transaction_id": capture["id"], "custom": capture.get("custom_id")}],
                "reason": "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
                "status": status,
                "dispute_amount": dict(capture["amount"]),
                "seller_response_due_date": "2026-12-21T08:10:00.000Z",
                "dispute_life_cycle_stage": stage,
                "dispute_channel": "EXTERNAL" if stage == "CHARGEBACK" else "INTERNAL",
            }
            if outcome:
                resource["dispute_outcome"] = {"outcome_code": outcome}
            kind = "RESOLVED" if status == "RESOLVED" else ("CREATED" if not outcome else "UPDATED")
            self._notify(order_id, f"CUSTOMER.DISPUTE.{kind}", resource)
            return dispute_id

    def take_deliveries(self) -> list[tuple[str, Delivery]]:
        with self.lock:
            taken, self.outbox = self.outbox, []
        return taken

    def _notify(self, order_id: str, event_type: str, resource: dict[str, Any]) -> None:
        app = self.owners.get(order_id)
        if app is not None:
            self.outbox.append((event_type, self.delivery(app, event_type, resource)))

    def delivery(self, app: App, event_type: str, resource: dict[str, Any]) -> Delivery:
        """A webhook event as PayPal POSTs it; the fake remembers it, so that it verifies."""
        event = {
            "id": f"WH-{new_id(8)}-{new_id(17)}",
            "event_version": "1.0",
            "create_time": "2026-12-07T08:00:00.000Z",
            "resource_type": event_type.split(".")[1].lower(),
            "event_type": event_type,
            "summary": event_type,
            "resource": resource,
        }
        body = json.dumps(event).encode()
        headers = {
            "paypal-transmission-id": new_id(36),
            "paypal-transmission-time": "2026-12-07T08:00:01Z",
            "paypal-transmission-sig": base64.b64encode(secrets.token_bytes(64)).decode(),
            "paypal-cert-url": f"{self.url}/v1/notifications/certs/CERT-360caa42",
            "paypal-auth-algo": "SHA256withRSA",
        }
        with self.lock:
            self.sent.add(self._signature_key(app.webhook_id, headers, event))
        return Delivery(body=body, headers=headers)

    @staticmethod
    def _signature_key(webhook_id: str, headers: dict[str, Any], event: Any) -> bytes:
        return json.dumps([webhook_id, headers.get("paypal-transmission-sig"), event], sort_keys=True).encode()

    def capture_of(self, order_id: str) -> dict[str, Any]:
        return dict(self.orders[order_id]["purchase_units"][0]["payments"]["captures"][0])

    # -- HTTP --------------------------------------------------------------------------------------

    def handle(self, handler: Handler) -> None:
        parts = urlsplit(handler.path)
        raw = read_body(handler)
        with self.lock:
            self.requests.append((handler.command, parts.path))
        fault = self.take_fault(handler.command, parts.path)
        self.respond(fault, partial(self._answer, handler, parts.path, parts.query, raw), partial(self._send, handler))

    def _answer(self, handler: Handler, path: str, query: str, raw: bytes) -> Answer:
        try:
            status, body = self._route(handler, path, query, raw)
        except PayPalError as exc:
            status, body = exc.status, exc.body
        return status, body, {}

    @staticmethod
    def _send(handler: Handler, answer: Answer) -> None:
        status, body, _ = answer
        if status == 302:  # the approve page sends the payer back
            return send_bytes(handler, 302, headers={"Location": body["location"]})
        if status == 0:  # the fake JS SDK: a script, not JSON
            return send_bytes(handler, 200, body["js"].encode(), content_type="application/javascript")
        send_json(handler, status, body, headers={"Paypal-Debug-Id": str(body.get("debug_id", ""))})

    def _route(self, handler: Handler, path: str, query: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        method = handler.command
        page = paypal_browser.route(self, method, path, query, raw)
        if page is not None:
            return page
        if path == "/v1/oauth2/token":
            return self._token(handler)
        app = self._app_of(handler)
        body = json.loads(raw) if raw else {}
        request_id = handler.headers.get("PayPal-Request-Id") or ""
        if method == "POST" and request_id and (path, request_id) in self.replays:
            return self.replays[(path, request_id)]
        segments = path.strip("/").split("/")
        with self.lock:
            if method == "POST" and path == "/v2/checkout/orders":
                answer = (201, self._create_order(body))
                self.owners[answer[1]["id"]] = app
            elif method == "GET" and segments[:3] == ["v2", "checkout", "orders"] and len(segments) == 4:
                answer = (200, self._order(segments[3]))
            elif method == "POST" and segments[:3] == ["v2", "checkout", "orders"] and segments[4:] == ["capture"]:
                answer = (201, self._capture(segments[3]))
            elif method == "POST" and segments[:3] == ["v2", "payments", "captures"] and segments[4:] == ["refund"]:
                answer = (201, self._refund(segments[3], body))
            elif method == "POST" and path == "/v1/notifications/verify-webhook-signature":
                return 200, {"verification_status": self._verdict(app, body)}
            else:
                raise PayPalError(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.")
            if request_id:
                self.replays[(path, request_id)] = answer
        return answer

    def _token(self, handler: Handler) -> tuple[int, dict[str, Any]]:
        self.token_requests += 1
        try:
            client_id, _, secret = base64.b64decode(handler.headers["Authorization"].split()[1]).decode().partition(":")
        except (KeyError, IndexError, ValueError):
            client_id = secret = ""
        app = next((a for a in self.apps if (a.client_id, a.client_secret) == (client_id, secret)), None)
        if app is None:
            return 401, {"error": "invalid_client", "error_description": "Client Authentication failed"}
        token = f"A21AA{new_id(60)}"
        self.tokens[token] = app
        return 200, {
            "scope": "https://uri.paypal.com/services/payments/payment",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": 32400,
            "nonce": new_id(20),
        }

    def _app_of(self, handler: Handler) -> App:
        token = (handler.headers.get("Authorization") or "").removeprefix("Bearer ")
        app = self.tokens.get(token)
        if app is None:
            raise PayPalError(401, "AUTHENTICATION_FAILURE", "Authentication failed due to invalid credentials.")
        return app

    def _order(self, order_id: str) -> dict[str, Any]:
        if order_id not in self.orders:
            raise PayPalError(
                404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "INVALID_RESOURCE_ID"
            )
        return json.loads(json.dumps(self.orders[order_id]))

    def _create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("intent") != "CAPTURE" or not body.get("purchase_units"):
            raise PayPalError(400, "INVALID_REQUEST", "Request is not well-formed.", "MISSING_REQUIRED_PARAMETER")
        order_id = new_id(17)
        context = body.get("payment_source", {}).get("paypal", {}).get("experience_context", {})
        self.orders[order_id] = {
            "id": order_id,
            "intent": "CAPTURE",
            "status": "PAYER_ACTION_REQUIRED",
            "purchase_units": [dict(unit) for unit in body["purchase_units"]],
            "experience_context": context,
            "links": [
                {"href": f"{self.url}/v2/checkout/orders/{order_id}", "rel": "self", "method": "GET"},
                {"href": f"{self.url}/checkoutnow?token={order_id}", "rel": "payer-action", "method": "GET"},
            ],
        }
        return self._order(order_id)

    def _capture(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(order_id) or {}
        if order.get("status") == "COMPLETED":
            raise _unprocessable("ORDER_ALREADY_CAPTURED")
        if order.get("status") != "APPROVED":
            raise _unprocessable("ORDER_NOT_APPROVED")
        if order_id in self.declining:
            raise _unprocessable("INSTRUMENT_DECLINED")
        self.captures += 1
        self.captured[order_id] = self.captured.get(order_id, 0) + 1
        unit = order["purchase_units"][0]
        capture_id = new_id(17)
        unit["payments"] = {
            "captures": [
                {
                    "id": capture_id,
                    "status": "COMPLETED",
                    "amount": dict(unit["amount"]),
                    "final_capture": True,
                    "custom_id": unit.get("custom_id"),
                    "invoice_id": unit.get("invoice_id"),
                    "supplementary_data": {"related_ids": {"order_id": order_id}},
                    "links": [
                        {"href": f"{self.url}/v2/payments/captures/{capture_id}", "rel": "self", "method": "GET"}
                    ],
                }
            ]
        }
        order["status"] = "COMPLETED"
        self._notify(order_id, "PAYMENT.CAPTURE.COMPLETED", self.capture_of(order_id))
        return self._order(order_id)

    def _refund(self, capture_id: str, body: dict[str, Any]) -> dict[str, Any]:
        order_id = next((o for o in self.orders if self.captured.get(o) and self.capture_of(o)["id"] == capture_id), "")
        if not order_id:
            raise PayPalError(
                404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "INVALID_RESOURCE_ID"
            )
        capture = self.orders[order_id]["purchase_units"][0]["payments"]["captures"][0]
        amount = body.get("amount") or capture["amount"]
        refund_id = new_id(17)
        self.refunds[refund_id] = {
            "id": refund_id,
            "status": "COMPLETED",
            "amount": amount,
            "links": [
                {"href": f"{self.url}/v2/payments/refunds/{refund_id}", "rel": "self", "method": "GET"},
                {"href": f"{self.url}/v2/payments/captures/{capture_id}", "rel": "up", "method": "GET"},
            ],
        }
        if body.get("custom_id"):  # a refund carries the custom_id it was given (none from the dashboard)
            self.refunds[refund_id]["custom_id"] = body["custom_id"]
        refunded = sum(float(r["amount"]["value"]) for r in self.refunds.values() if capture_id in str(r["links"]))
        capture["status"] = "REFUNDED" if refunded >= float(capture["amount"]["value"]) else "PARTIALLY_REFUNDED"
        self._notify(order_id, "PAYMENT.CAPTURE.REFUNDED", dict(self.refunds[refund_id]))
        return dict(self.refunds[refund_id])

    def _verdict(self, app: App, body: dict[str, Any]) -> str:
        headers = {f"paypal-{k.replace('_', '-')}": v for k, v in body.items() if k != "webhook_event"}
        headers["paypal-transmission-sig"] = body.get("transmission_sig")
        if body.get("webhook_id") != app.webhook_id:
            return "FAILURE"
        key = self._signature_key(app.webhook_id, headers, body.get("webhook_event"))
        return "SUCCESS" if key in self.sent else "FAILURE"


@pytest.fixture
def fake_paypal(settings: Any) -> Iterator[FakePayPal]:
    """A fake PayPal for this test; the SDK and the JS SDK URL point at it. Clients are not reused
    across tests (each test's fake has other apps)."""
    from trackify.payments.gateways.paypal import api

    fake = FakePayPal().start()
    settings.PAYPAL_API_BASE = fake.url
    settings.PAYPAL_JS_SDK_URL = f"{fake.url}/sdk/js"
    settings.PAYPAL_MAX_NETWORK_RETRIES = 0
    settings.PAYPAL_RETRY_BACKOFF = 0
    settings.PAYPAL_TIMEOUT_SECONDS = 5
    api.api_for.cache_clear()
    yield fake
    api.api_for.cache_clear()
    fake.stop()


@pytest.fixture
def paypal_app(fake_paypal: FakePayPal) -> App:
    return fake_paypal.add_app()
