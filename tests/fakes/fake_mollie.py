"""A fake Mollie API: a real HTTP server on 127.0.0.1 that the official SDK (mollie-api-python) talks to.

Shapes follow Mollie's API reference (docs.mollie.com/reference/create-payment, get-payment,
create-refund, list-chargebacks, create-capture, list-methods, and "Handling errors") and the SDK's own
test responses (`tests/responses/payment_single.json`, `refund_single.json`, `chargeback_single.json`,
`capture_single.json`, `error_unauthorized.json` in mollie/mollie-api-python):

- JSON bodies; `application/hal+json` answers with `_links`; 201 for a create;
- `Authorization: Bearer <api key>` picks the account; an unknown key answers 401;
- `Idempotency-Key` on a POST or DELETE: the same key with the same body replays the first answer
  (header `Idempotent-Replayed: true`); with another body it answers 422;
- errors as Mollie writes them: {"status", "title", "detail", "field"?, "_links": {"documentation"}};
- a hosted checkout page at `_links.checkout.href` where a browser picks the outcome (as Mollie's test
  mode does) and is sent to the payment's `redirectUrl`;
- on every change of a payment (its status, a refund, a chargeback) a hint `id=tr_…` for its
  `webhookUrl`, kept in `hints` for the test to POST (Mollie's webhooks carry nothing else).

Faults for the next matching requests (an error status, a hang, a dropped connection) as every fake
has them (`tests.fakes.http.Fault`).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http import Answer, FakeServer, Fault, Handler, read_body, send_bytes, send_json

ZERO_DECIMAL = {"JPY", "ISK"}
CURRENCIES = set(
    "AED AUD BGN BRL CAD CHF CZK DKK EUR GBP HKD HUF ILS ISK JPY MXN MYR NOK NZD PHP PLN RON RUB SEK SGD THB TWD "
    "USD ZAR".split()
)
_TITLES = {400: "Bad Request", 401: "Unauthorized Request", 404: "Not Found", 422: "Unprocessable Entity",
           429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}  # fmt: skip


class MollieError(Exception):
    def __init__(self, status: int, detail: str, field: str | None = None):
        super().__init__(detail)
        self.status, self.detail, self.field = status, detail, field


def error_body(status: int, detail: str, field: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "title": _TITLES.get(status, "Error"), "detail": detail}
    if field:
        body["field"] = field
    body["_links"] = {
        "documentation": {"href": "https://docs.mollie.com/overview/handling-errors", "type": "text/html"}
    }
    return body


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(5)


def now() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="seconds")


def value_of(amount: Any, *, field: str = "amount") -> Decimal:
    """The amount object checked as Mollie does: a known currency and exactly its decimals."""
    if not isinstance(amount, dict) or amount.get("currency") not in CURRENCIES:
        raise MollieError(422, "The amount contains an invalid currency", field=f"{field}.currency")
    decimals = 0 if amount["currency"] in ZERO_DECIMAL else 2
    pattern = r"[0-9]+" + (rf"\.[0-9]{{{decimals}}}" if decimals else "")
    if not isinstance(amount.get("value"), str) or not re.fullmatch(pattern, amount["value"]):
        raise MollieError(422, "The amount contains an invalid value", field=f"{field}.value")
    return Decimal(amount["value"])


def amount(value: Decimal, currency: str) -> dict[str, str]:
    decimals = 0 if currency in ZERO_DECIMAL else 2
    return {"currency": currency, "value": f"{value:.{decimals}f}"}


@dataclass
class Hint:
    """A webhook as Mollie POSTs it: form-encoded `id=tr_…` to the payment's webhookUrl."""

    url: str
    body: bytes


@dataclass
class Account:
    api_key: str
    base_url: str
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    hints: list[Hint] = field(default_factory=list)
    methods: tuple[str, ...] = ("ideal", "creditcard", "bancontact")
    # Mollie lets most open payments not be canceled; the tests choose.
    open_cancelable: bool = True
    capture_status: str = "succeeded"
    # Mollie's refunds start `pending` (then `refunded` within a day); the kit's adapter makes them quick.
    refund_status: str = "pending"


@dataclass
class Logged:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    idempotency_key: str
    status: int = 0
    replayed: bool = False


class FakeMollie(FakeServer):
    """The server, its lifecycle (`url`, `start`, `stop`) and `hang_next`/`drop_next` are `FakeServer`'s."""

    def __init__(self) -> None:
        super().__init__()
        self.accounts: list[Account] = []
        self.requests: list[Logged] = []

    def add_account(self, *, live: bool = False) -> Account:
        account = Account(api_key=f"{'live' if live else 'test'}_{secrets.token_hex(15)}", base_url=self.url)
        self.accounts.append(account)
        return account

    # -- faults ---------------------------------------------------------------------------------

    def fail_next(self, n: int = 1, *, status: int = 500, detail: str = "Something went wrong", **where: Any) -> Fault:
        return self.inject(Fault("error", n, status=status, body=error_body(status, detail), **where))

    def requests_to(self, method: str, path: str = "") -> list[Logged]:
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path.startswith(path)]

    # -- what the payer, the bank and the merchant's dashboard do --------------------------------

    def account_of(self, payment_id: str) -> Account:
        return next(a for a in self.accounts if payment_id in a.payments)

    def payment(self, payment_id: str) -> dict[str, Any]:
        return self.account_of(payment_id).payments[payment_id]

    def set_status(self, payment_id: str, status: str, *, failure_message: str = "") -> None:
        """The payment moves (paid, failed, expired, canceled, authorized, pending), and a hint is posted."""
        with self.lock:
            payment = self.payment(payment_id)
            payment["status"] = status
            payment["isCancelable"] = False
            if status in ("paid", "failed", "canceled", "expired", "authorized"):
                payment[f"{status}At"] = now()
            if status == "paid":
                payment["amountRemaining"] = dict(payment["amount"])
                payment["amountRefunded"] = amount(Decimal(0), payment["amount"]["currency"])
            if status == "failed" and failure_message:
                payment["details"] = {"failureMessage": failure_message, "failureReason": "refused_by_issuer"}
            self._hint(payment)

    def refund_at_dashboard(self, payment_id: str, value: str | None = None) -> dict[str, Any]:
        """The merchant refunds in Mollie's dashboard (no metadata of ours)."""
        with self.lock:
            payment = self.payment(payment_id)
            data = {"amount": amount(Decimal(value), payment["amount"]["currency"]) if value else payment["amount"]}
            return self._create_refund(payment, data)

    def set_refund_status(self, refund_id: str, status: str) -> None:
        with self.lock:
            for account in self.accounts:
                for payment in account.payments.values():
                    for refund in payment["_refunds"]:
                        if refund["id"] == refund_id:
                            refund["status"] = status
                            self._hint(payment)
                            return
        raise KeyError(refund_id)

    def chargeback(
        self, payment_id: str, value: str | None = None, *, reason: str = "Unauthorised transaction"
    ) -> dict[str, Any]:
        with self.lock:
            payment = self.payment(payment_id)
            currency = payment["amount"]["currency"]
            chargeback = {
                "resource": "chargeback", "id": new_id("chb_"), "paymentId": payment_id, "createdAt": now(),
                "amount": amount(Decimal(value), currency) if value else dict(payment["amount"]),
                "settlementAmount": {"currency": "EUR", "value": "-" + (value or payment["amount"]["value"])},
                "reason": {"code": "AC04", "description": reason}, "reversedAt": None,
                "_links": {"payment": {"href": f"{self.url}/v2/payments/{payment_id}", "type": "application/hal+json"}},
            }  # fmt: skip
            payment["_chargebacks"].append(chargeback)
            self._hint(payment)
            return chargeback

    def reverse_chargeback(self, chargeback_id: str) -> None:
        with self.lock:
            for account in self.accounts:
                for payment in account.payments.values():
                    for chargeback in payment["_chargebacks"]:
                        if chargeback["id"] == chargeback_id:
                            chargeback["reversedAt"] = now()
                            self._hint(payment)
                            return
        raise KeyError(chargeback_id)

    def create_outside(self, account: Account, value: str = "10.00", currency: str = "EUR") -> dict[str, Any]:
        """A payment made in Mollie's dashboard or by another system: no metadata of ours."""
        body = {"amount": {"currency": currency, "value": value}, "description": "Elsewhere",
                "redirectUrl": "https://elsewhere.example/",
                "webhookUrl": "https://elsewhere.example/hook"}  # fmt: skip
        return self._create_payment(account, body)

    def _hint(self, payment: dict[str, Any]) -> None:
        if payment.get("webhookUrl"):
            account = self.account_of(payment["id"])
            account.hints.append(Hint(payment["webhookUrl"], f"id={payment['id']}".encode()))

    # -- the API ---------------------------------------------------------------------------------

    def _create_payment(self, account: Account, body: dict[str, Any]) -> dict[str, Any]:
        value_of(body.get("amount"))
        if not isinstance(body.get("description"), str) or not body["description"]:
            raise MollieError(422, "The description is invalid", field="description")
        if not isinstance(body.get("redirectUrl"), str):
            raise MollieError(422, "The redirect URL is invalid", field="redirectUrl")
        payment_id = new_id("tr_")
        payment = {
            "resource": "payment", "id": payment_id, "mode": account.api_key[:4], "createdAt": now(),
            "amount": dict(body["amount"]), "description": body["description"], "method": None,
            "metadata": body.get("metadata"), "status": "open", "isCancelable": account.open_cancelable,
            "expiresAt": (datetime.now(tz=UTC) + timedelta(minutes=15)).isoformat(timespec="seconds"),
            "profileId": "pfl_QkEhN94Ba", "sequenceType": "oneoff", "redirectUrl": body["redirectUrl"],
            "cancelUrl": body.get("cancelUrl"), "webhookUrl": body.get("webhookUrl"),
            "_refunds": [], "_chargebacks": [], "_captures": [],
        }  # fmt: skip
        account.payments[payment_id] = payment
        return self.shown(payment)

    def shown(self, payment: dict[str, Any], embed: tuple[str, ...] = ()) -> dict[str, Any]:
        """The payment as the API shows it (internal lists as `_embedded` when asked for)."""
        shown = {key: value for key, value in payment.items() if not key.startswith("_")}
        base = f"{self.url}/v2/payments/{payment['id']}"
        docs = {"href": "https://docs.mollie.com/reference/get-payment", "type": "text/html"}
        shown["_links"] = {"self": {"href": base, "type": "application/hal+json"}, "documentation": docs}
        if payment["status"] == "open":
            shown["_links"]["checkout"] = {"href": f"{self.url}/checkout/{payment['id']}", "type": "text/html"}
        for name in ("refunds", "chargebacks"):
            if payment[f"_{name}"]:
                shown["_links"][name] = {"href": f"{base}/{name}", "type": "application/hal+json"}
        embedded = {name: [dict(item) for item in payment[f"_{name}"]] for name in embed if payment.get(f"_{name}")}
        if embedded:
            shown["_embedded"] = embedded
        return json.loads(json.dumps(shown))

    def _create_refund(self, payment: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        if payment["status"] != "paid":
            raise MollieError(422, "The payment cannot be refunded: it is not paid")
        wanted = value_of(body.get("amount"))
        remaining = Decimal(payment["amountRemaining"]["value"])
        if body["amount"]["currency"] != payment["amount"]["currency"] or wanted > remaining or wanted <= 0:
            raise MollieError(422, "The amount is higher than the amount that is refundable", field="amount")
        currency = payment["amount"]["currency"]
        refund = {
            "resource": "refund", "id": new_id("re_"), "amount": dict(body["amount"]),
            "status": self.account_of(payment["id"]).refund_status,
            "createdAt": now(), "description": body.get("description", ""), "metadata": body.get("metadata"),
            "paymentId": payment["id"],
        }  # fmt: skip
        payment["_refunds"].append(refund)
        payment["amountRemaining"] = amount(remaining - wanted, currency)
        refunded = Decimal(payment["amountRefunded"]["value"]) + wanted
        payment["amountRefunded"] = amount(refunded, currency)
        self._hint(payment)
        return dict(refund)

    def _capture(self, account: Account, payment: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        if payment["status"] != "authorized":
            raise MollieError(422, "The payment cannot be captured: it is not authorized")
        capture = {"resource": "capture", "id": new_id("cpt_"), "mode": payment["mode"], "paymentId": payment["id"],
                   "amount": dict(body.get("amount") or payment["amount"]), "status": account.capture_status,
                   "createdAt": now()}  # fmt: skip
        payment["_captures"].append(capture)
        if account.capture_status == "succeeded":
            self.set_status(payment["id"], "paid")
        return dict(capture)

    def _route(
        self, account: Account, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, Any]]:
        if (method, path) == ("POST", "/v2/payments"):
            return 201, self._create_payment(account, body or {})
        if (method, path) == ("GET", "/v2/methods"):
            methods = [{"resource": "method", "id": m, "description": m.title()} for m in account.methods]
            return 200, {"count": len(methods), "_embedded": {"methods": methods}, "_links": {}}
        match = re.fullmatch(r"/v2/payments/(?P<id>[^/]+)(?:/(?P<sub>refunds|chargebacks|captures))?", path)
        if match is None or match["id"] not in account.payments:
            raise MollieError(404, f"No payment exists with token {match['id'] if match else path}.")
        payment, sub = account.payments[match["id"]], match["sub"]
        if sub is None and method == "GET":
            embed = tuple(",".join(query.get("embed", [])).split(","))
            return 200, self.shown(payment, embed)
        if sub is None and method == "DELETE":
            if not payment["isCancelable"]:
                raise MollieError(422, "The payment cannot be canceled")
            self.set_status(payment["id"], "canceled")
            return 200, self.shown(payment)
        if sub == "refunds" and method == "POST":
            return 201, self._create_refund(payment, body or {})
        if sub == "captures" and method == "POST":
            return 201, self._capture(account, payment, body or {})
        if sub in ("refunds", "chargebacks", "captures") and method == "GET":
            items = [dict(item) for item in payment[f"_{sub}"]]
            return 200, {"count": len(items), "_embedded": {sub: items}, "_links": {}}
        raise MollieError(404, "The resource does not exist")

    # -- serving ---------------------------------------------------------------------------------

    def handle(self, request: Handler) -> None:
        parts = urlsplit(request.path)
        raw = read_body(request)
        if parts.path.startswith("/checkout/"):
            return self._checkout(request, parts.path.rsplit("/", 1)[-1], raw)
        method, query = request.command, parse_qs(parts.query)
        body = json.loads(raw) if raw.strip() else None
        key = request.headers.get("Idempotency-Key", "")
        entry = Logged(method, parts.path, query, body, key)
        with self.lock:
            self.requests.append(entry)
        fault = self.take_fault(method, parts.path)
        self.respond(fault, lambda: self._answer(request, entry), lambda answer: self._send(request, entry, answer))

    def _answer(self, request: Handler, entry: Logged) -> Answer:
        auth = request.headers.get("Authorization", "")
        account = next((a for a in self.accounts if auth == f"Bearer {a.api_key}"), None)
        if account is None:
            return 401, error_body(401, "Missing authentication, or failed to authenticate"), {}
        with self.lock:
            saved = f"{entry.method} {entry.idempotency_key}"
            fingerprint = json.dumps([entry.method, entry.path, entry.body], sort_keys=True)
            if entry.idempotency_key and saved in account.idempotency:
                first, status, answer = account.idempotency[saved]
                if first != fingerprint:
                    return 422, error_body(422, "The idempotency key was used before with other parameters"), {}
                entry.replayed = True
                return status, json.loads(json.dumps(answer)), {"Idempotent-Replayed": "true"}
            try:
                status, answer = self._route(account, entry.method, entry.path, entry.query, entry.body)
            except MollieError as exc:
                return exc.status, error_body(exc.status, exc.detail, exc.field), {}
            if entry.idempotency_key and entry.method in ("POST", "DELETE", "PATCH"):
                account.idempotency[saved] = (fingerprint, status, json.loads(json.dumps(answer)))
            return status, answer, {}

    @staticmethod
    def _send(request: Handler, entry: Logged, answer: Answer) -> None:
        status, body, headers = answer
        entry.status = status
        send_json(request, status, body, content_type="application/hal+json", headers=headers)

    def _checkout(self, request: Handler, payment_id: str, raw: bytes) -> None:
        """Mollie's hosted page in test mode: the payer picks the outcome; then back to the merchant."""
        with self.lock:
            account = next((a for a in self.accounts if payment_id in a.payments), None)
            payment = account.payments[payment_id] if account else None
        if payment is None:
            send_bytes(request, 404)
            return
        if request.command == "POST" and payment["status"] == "open":
            outcome = (parse_qs(raw.decode()).get("status") or ["paid"])[0]
            if outcome in ("paid", "failed", "canceled", "expired", "authorized", "pending"):
                self.set_status(payment_id, outcome)
            target = (
                payment["cancelUrl"] if outcome == "canceled" and payment.get("cancelUrl") else payment["redirectUrl"]
            )
            send_bytes(request, 303, headers={"Location": target})
            return
        buttons = "".join(
            f'<button name="status" value="{s}">{s.title()}</button>'
            for s in ("paid", "authorized", "failed", "canceled", "expired")
        )
        html = (f"<!doctype html><title>Mollie test payment</title><h1>Test payment {payment_id}</h1>"
                f"<p>{payment['amount']['value']} {payment['amount']['currency']}: {payment['description']}</p>"
                f'<form method="post">{buttons}</form>').encode()  # fmt: skip
        send_bytes(request, 200, html, content_type="text/html; charset=utf-8")
