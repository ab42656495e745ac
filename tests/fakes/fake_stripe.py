"""A fake Stripe API: a real HTTP server on 127.0.0.1 that the official SDK talks to unchanged.

What it does, as Stripe does:
- form-encoded requests with nested keys (`line_items[0][price_data][currency]=eur`), as the SDK
  sends them; JSON objects shaped like Stripe's (see `stripe_objects`); Stripe error bodies;
- `Authorization: Bearer <secret key>` picks the account; an unknown key answers 401;
- `Idempotency-Key` on a POST: the same key with the same parameters replays the first answer
  (header `Idempotent-Replayed: true`); with other parameters it answers 400 idempotency_error;
- a request log (`requests`) for assertions.

And what tests need on top: faults for the next N matching requests (an error status such as
500 or 429, a hang, a dropped connection; before or after the request took effect), several
accounts (one per Stripe account of our users), and webhook deliveries signed with the SDK's
own `stripe.WebhookSignature.generate_signature_header`.

This is the test suite's only import of `stripe`: the SDK signs the events, as the issue asks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

from tests.fakes import stripe_objects as so
from tests.fakes.http import Answer, FakeServer, Fault, Handler, read_body, send_json
from tests.fakes.stripe_state import Account, StripeApiError, invalid
from tests.fakes.stripe_wire import Delivery, LoggedRequest, parse_form

__all__ = ["Account", "Delivery", "FakeStripe", "Fault", "LoggedRequest", "fast_sdk_retries", "parse_form"]


class FakeStripe(FakeServer):
    """The server, its lifecycle (`url`, `start`, `stop`) and `hang_next`/`drop_next` are `FakeServer`'s."""

    def __init__(self) -> None:
        super().__init__()
        self.accounts: list[Account] = []
        self.requests: list[LoggedRequest] = []

    # -- accounts ------------------------------------------------------------------------------

    def add_account(self, *, livemode: bool = False, restricted: bool = False) -> Account:
        mode = "live" if livemode else "test"
        suffix = so.new_id("", 24)
        account = Account(
            id=f"acct_{suffix[:16]}",
            secret_key=f"{'rk' if restricted else 'sk'}_{mode}_{suffix}{so.new_id('', 75)}",
            publishable_key=f"pk_{mode}_{suffix}{so.new_id('', 75)}",
            webhook_secret=f"whsec_{so.new_id('', 32)}",
            base_url=self.url,
            lock=self.lock,
            livemode=livemode,
        )
        self.accounts.append(account)
        return account

    # -- faults and the log ----------------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 500,
        error_type: str = "api_error",
        message: str = "An unknown error occurred",
        code: str | None = None,
        should_retry: bool | None = None,
        **where: Any,
    ) -> Fault:
        """Answer the next `n` matching requests with a Stripe error (500 by default)."""
        headers = {} if should_retry is None else {"Stripe-Should-Retry": str(should_retry).lower()}
        body = so.error_body(error_type, message, code=code)
        return self.inject(Fault("error", n, status=status, body=body, headers=headers, **where))

    def rate_limit_next(
        self, n: int = 1, *, should_retry: bool | None = None, retry_after: int | None = None, **where: Any
    ) -> Fault:
        """429 as Stripe sends it; Stripe adds `Stripe-Should-Retry: true` to a lock timeout.

        `retry_after` adds a `Retry-After` header (seconds), as rate limiters in front of an API do.
        """
        fault = self.fail_next(
            n,
            status=429,
            error_type="invalid_request_error",
            code="lock_timeout" if should_retry else "rate_limit",
            message="Too many requests hit the API too quickly.",
            should_retry=should_retry,
            **where,
        )
        if retry_after is not None:
            fault.headers["Retry-After"] = str(retry_after)
        return fault

    def slow_next(self, n: int = 1, *, seconds: float, **where: Any) -> Fault:
        """Answer the next `n` matching requests normally, but only after `seconds`."""
        return self.hang_next(n, seconds=seconds, **where)

    def requests_to(self, method: str, path: str = "") -> list[LoggedRequest]:
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path.startswith(path)]

    # -- webhooks ------------------------------------------------------------------------------

    @staticmethod
    def delivery(
        event: dict[str, Any], secret: str, *, timestamp: int | None = None, body: bytes | None = None
    ) -> Delivery:
        """Sign an event with the SDK's own helper, as Stripe signs its deliveries."""
        raw = body if body is not None else json.dumps(event, separators=(",", ": ")).encode()
        header = stripe.WebhookSignature.generate_signature_header(raw.decode(), secret, timestamp=timestamp)
        return Delivery(body=raw, headers={"Stripe-Signature": header, "Content-Type": "application/json"}, event=event)

    # -- serving ---------------------------------------------------------------------------------

    def handle(self, request: Handler) -> None:
        parts = urlsplit(request.path)
        method, path = request.command, parts.path
        raw = read_body(request).decode()
        params = parse_form(parse_qsl(raw if method == "POST" else parts.query, keep_blank_values=True))
        auth = request.headers.get("Authorization", "")
        key = auth[7:] if auth.startswith("Bearer ") else ""
        account = next((a for a in self.accounts if a.secret_key == key), None)
        entry = LoggedRequest(
            method=method,
            path=path,
            params=params,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            account_id=account.id if account else "",
            stripe_version=request.headers.get("Stripe-Version", ""),
        )
        with self.lock:
            self.requests.append(entry)
        fault = self.take_fault(method, path)
        if fault is not None:
            entry.fault = fault.kind

        def act() -> Answer:
            answer = self._answer(method, path, params, account, key, entry)
            entry.processed.set()
            return answer

        self.respond(fault, act, lambda answer: self._send(request, entry, answer))

    def _send(self, request: Handler, entry: LoggedRequest, answer: Answer) -> None:
        status, body, headers = answer
        entry.status = status
        request_id = so.new_id("req_", 14)
        if "error" in body:
            body["error"].setdefault("request_log_url", f"https://dashboard.stripe.com/test/logs/{request_id}")
        stripe_headers = {"Request-Id": request_id, "Stripe-Version": entry.stripe_version or so.API_VERSION}
        if entry.idempotency_key:
            stripe_headers["Idempotency-Key"] = entry.idempotency_key
        send_json(request, status, body, headers={**stripe_headers, **headers})

    def _answer(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        account: Account | None,
        key: str,
        entry: LoggedRequest,
    ) -> Answer:
        if account is None:
            shown = f"{key[:8]}{'*' * max(len(key) - 12, 0)}{key[-4:]}" if key else ""
            message = (
                f"Invalid API Key provided: {shown}" if key else "You did not provide an API key."
            )
            return 401, so.error_body("invalid_request_error", message), {}
        with self.lock:
            saved_key = f"{method} {entry.idempotency_key}"
            fingerprint = json.dumps([method, path, params], sort_keys=True)
            if method == "POST" and entry.idempotency_key and saved_key in account.idempotency:
                first_fingerprint, status, body = account.idempotency[saved_key]
                if first_fingerprint != fingerprint:
                    message = (
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{entry.idempotency_key}' if you meant to execute "
                        "a different request."
                    )
                    return 400, so.error_body("idempotency_error", message), {}
                entry.replayed = True
                return status, json.loads(json.dumps(body)), {"Idempotent-Replayed": "true"}
            try:
                status, body = 200, self._route(account, method, path, params)
                saved = True
            except StripeApiError as exc:
                status = exc.status
                body = so.error_body(exc.error_type, exc.message, code=exc.code, param=exc.param, **exc.extra)
                saved = exc.saved
            body = json.loads(json.dumps(body))  # a snapshot: later changes do not alter this answer
            if method == "POST" and entry.idempotency_key and saved:
                account.idempotency[saved_key] = (fingerprint, status, body)
            return status, body, {}

    _ROUTES: tuple[tuple[str, str, str], ...] = (
        ("POST", r"/v1/checkout/sessions", "checkout_session_create"),
        ("GET", r"/v1/checkout/sessions/(?P<id>[^/]+)", "checkout_session_retrieve"),
        ("POST", r"/v1/checkout/sessions/(?P<id>[^/]+)/expire", "checkout_session_expire"),
        ("POST", r"/v1/payment_intents", "payment_intent_create"),
        ("GET", r"/v1/payment_intents/(?P<id>[^/]+)", "payment_intent_retrieve"),
        ("POST", r"/v1/payment_intents/(?P<id>[^/]+)/cancel", "payment_intent_cancel"),
        ("POST", r"/v1/refunds", "refund_create"),
        ("GET", r"/v1/refunds", "refund_list"),
        ("GET", r"/v1/refunds/(?P<id>[^/]+)", "refund_retrieve"),
        ("GET", r"/v1/charges/(?P<id>[^/]+)", "charge_retrieve"),
        ("GET", r"/v1/disputes", "dispute_list"),
        ("GET", r"/v1/disputes/(?P<id>[^/]+)", "dispute_retrieve"),
        ("GET", r"/v1/balance", "balance_retrieve"),
    )

    def _route(self, account: Account, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        for route_method, pattern, operation in self._ROUTES:
            match = re.fullmatch(pattern, path)
            if route_method != method or match is None:
                continue
            if operation in account.forbidden:
                raise StripeApiError(
                    403,
                    "invalid_request_error",
                    f"The provided key does not have the required permissions for this endpoint ({operation}).",
                )
            return _OPERATIONS[operation](account, match.groupdict().get("id", ""), params)
        raise invalid(f"Unrecognized request URL ({method}: {path}).", status=404)

    # -- conveniences for tests ------------------------------------------------------------------

    def events(self) -> Iterator[dict[str, Any]]:
        for account in self.accounts:
            yield from account.outbox


_OPERATIONS: dict[str, Any] = {
    "checkout_session_create": lambda account, _id, params: account.create_checkout_session(params),
    "checkout_session_retrieve": lambda account, id_, params: account.retrieve_checkout_session(id_, params),
    "checkout_session_expire": lambda account, id_, _params: account.expire_checkout_session(id_),
    "payment_intent_create": lambda account, _id, params: account.create_payment_intent(params),
    "payment_intent_retrieve": lambda account, id_, _params: account.retrieve_payment_intent(id_),
    "payment_intent_cancel": lambda account, id_, params: account.cancel_payment_intent(id_, params),
    "refund_create": lambda account, _id, params: account.create_refund(params),
    "refund_list": lambda account, _id, params: account.list_refunds(params),
    "refund_retrieve": lambda account, id_, _params: account.retrieve_refund(id_),
    "charge_retrieve": lambda account, id_, _params: account.retrieve_charge(id_),
    "dispute_list": lambda account, _id, params: account.list_disputes(params),
    "dispute_retrieve": lambda account, id_, _params: account.retrieve_dispute(id_),
    "balance_retrieve": lambda account, _id, _params: account.retrieve_balance(),
}


def fast_sdk_retries(monkeypatch: Any, seconds: float = 0.01) -> None:
    """Shorten the SDK's back-off between retries (0.5 s doubling) so fault tests run fast.

    Only the sleep changes: which responses are retried, and with which idempotency key, stays
    the SDK's own decision.
    """
    monkeypatch.setattr(stripe._http_client.HTTPClient, "_sleep_time_seconds", lambda self, num_retries: seconds)
