"""The kit's own proof for the paths no shipped gateway of this branch takes: a made-up gateway that
captures (`capabilities.captures`) and whose webhook is a hint (`webhooks_are_hints`), Mollie-like,
on an in-memory provider. It runs every check of the conformance kit through the core's capture
service and hint path; PayPal and Mollie then run the same checks on their fakes."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.gateways.errors import (
    GatewayConfigurationError,
    GatewayUnavailable,
    InvalidGatewayRequest,
    WebhookSubjectUnknown,
    WebhookVerificationError,
)
from trackify.payments.gateways.testing import Delivery, FaultKind, GatewayAdapter, KitPayment, NotSupported
from trackify.payments.gateways.testing.suite import GatewayConformance
from trackify.payments.gateways.types import (
    CaptureRequest,
    CredentialField,
    GatewayCapabilities,
    PaymentLookup,
    PaymentStatus,
    PaymentUpdate,
    SessionRequest,
    SessionResult,
    WebhookEvent,
    WebhookRequest,
)

STATUSES = {"open": PaymentStatus.PENDING, "authorized": PaymentStatus.AUTHORIZED, "paid": PaymentStatus.SUCCEEDED,
            "failed": PaymentStatus.FAILED, "expired": PaymentStatus.EXPIRED}  # fmt: skip


class ToyFault(Exception):
    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


@dataclass
class ToyProvider:
    """The provider's books and its wire: every call may meet a queued fault."""

    api_key: str = "toy_key_0123456789abcdef"
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    captures: dict[str, list[str]] = field(default_factory=dict)  # order -> capture ids
    faults: list[list[Any]] = field(default_factory=list)  # [kind, remaining]
    hints: list[str] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def call(self, key: str, action: Any) -> Any:
        with self.lock:
            fault = next((f for f in self.faults if f[1] > 0), None)
            if fault is not None:
                fault[1] -= 1
                if fault[0] != "answer_lost":
                    raise ToyFault(fault[0])
            if key != self.api_key:
                raise ToyFault("unauthorized")
            result = action()
            if fault is not None:
                raise ToyFault("answer_lost")  # it took effect; the answer is lost
            return result

    def create(self, idempotency_key: str, request: SessionRequest) -> dict[str, Any]:
        if idempotency_key not in self.by_key:
            order_id = f"toy_{len(self.orders) + 1}"
            self.orders[order_id] = {"id": order_id, "status": "open", "amount": request.amount,
                                     "currency": request.currency, "payment_id": str(request.payment_id)}  # fmt: skip
            self.by_key[idempotency_key] = order_id
        return self.orders[self.by_key[idempotency_key]]

    def capture(self, order_id: str, idempotency_key: str) -> dict[str, Any]:
        order = self.orders[order_id]
        if order["status"] == "authorized":
            order["status"], order["capture"] = "paid", f"cap_{order_id}_{idempotency_key[-6:]}"
            self.captures.setdefault(order_id, []).append(order["capture"])
        return order


PROVIDER = ToyProvider()


class ToyGateway(PaymentGatewayBase):
    name = "toy"
    display_name = "Toy Pay"
    credential_fields = (CredentialField("api_key", "API key"),)
    capabilities = GatewayCapabilities(captures=True, currencies=frozenset({"EUR", "USD", "JPY", "KWD"}))
    webhooks_are_hints = True

    def _call(self, action: Any) -> Any:
        for retries_left in (1, 0):  # the "SDK" retries once: a lost answer is asked again
            try:
                return PROVIDER.call(self.context.credentials["api_key"], action)
            except ToyFault as exc:
                if exc.kind == "unauthorized":
                    raise GatewayConfigurationError("Toy Pay refused the API key.") from exc
                if exc.kind == "bad_request":
                    raise InvalidGatewayRequest("Toy Pay refused the request: amount too small.") from exc
                if not retries_left:
                    raise GatewayUnavailable(detail=exc.kind) from exc
        raise AssertionError("unreachable")

    def create_payment_session(self, request: SessionRequest) -> SessionResult:
        order = self._call(lambda: PROVIDER.create(request.idempotency_key, request))
        return SessionResult(gateway_reference=order["id"], redirect_url=f"https://toy.invalid/{order['id']}")

    def verify_webhook(self, request: WebhookRequest) -> dict[str, Any]:
        body = request.body.decode("ascii", "replace")
        if not body.startswith("id=toy_"):
            raise WebhookVerificationError("Not a Toy Pay hint.")
        return {"id": body[3:]}

    def normalize_event(self, payload: Any) -> WebhookEvent:
        return WebhookEvent(gateway_event_id=payload["id"], event_type="hint", payload=payload,
                            gateway_reference=payload["id"], incomplete=True)  # fmt: skip

    def _update(self, order: dict[str, Any]) -> PaymentUpdate:
        return PaymentUpdate(status=STATUSES[order["status"]], amount=order["amount"], currency=order["currency"],
                             gateway_payment_reference=order.get("capture", ""))  # fmt: skip

    def complete_event(self, event: WebhookEvent) -> WebhookEvent:
        order = self._call(lambda: PROVIDER.orders.get(event.gateway_reference))
        if order is None:
            raise WebhookSubjectUnknown(f"Toy Pay has no payment {event.gateway_reference}.")
        return replace(event, incomplete=False, gateway_event_id=f"{order['id']}:{order['status']}",
                       payment_update=self._update(order))  # fmt: skip

    def get_payment_status(self, lookup: PaymentLookup) -> PaymentUpdate:
        return self._update(self._call(lambda: PROVIDER.orders[lookup.gateway_reference]))

    def capture_payment(self, request: CaptureRequest) -> PaymentUpdate:
        reference = request.payment.gateway_reference
        return self._update(self._call(lambda: PROVIDER.capture(reference, request.idempotency_key)))

    def test_connection(self) -> str:
        self._call(lambda: None)
        return "Connected to Toy Pay."


class ToyAdapter(GatewayAdapter):
    gateway_class = ToyGateway
    forged_status = 200  # a hint naming an id Toy Pay does not have: answered 200, counted apart

    def start(self, *, settings: Any, monkeypatch: Any) -> None:
        global PROVIDER
        PROVIDER = ToyProvider()
        settings.PAYMENT_GATEWAYS = {**settings.PAYMENT_GATEWAYS, "toy": f"{__name__}.ToyGateway"}

    def credentials(self) -> dict[str, str]:
        return {"api_key": PROVIDER.api_key}

    def bad_credentials(self) -> dict[str, str]:
        return {"api_key": "toy_key_revoked_000000"}

    def secrets(self) -> list[str]:
        return [PROVIDER.api_key]

    def _settle(self, payment: KitPayment, status: str) -> None:
        with PROVIDER.lock:
            PROVIDER.orders[payment.gateway_reference]["status"] = status
            PROVIDER.hints.append(payment.gateway_reference)

    def pay(self, payment: KitPayment) -> None:
        self._settle(payment, "authorized")  # the payer approved; the core captures

    def decline(self, payment: KitPayment) -> None:
        self._settle(payment, "failed")

    def expire(self, payment: KitPayment) -> None:
        self._settle(payment, "expired")

    def refund_at_provider(self, payment: KitPayment, amount: int) -> None:
        raise NotSupported("Toy Pay has no refunds")

    def tamper_amount(self, payment: KitPayment, amount: int, currency: str) -> None:
        PROVIDER.orders[payment.gateway_reference].update(amount=amount, currency=currency)

    def deliveries(self) -> list[Delivery]:
        with PROVIDER.lock:
            hints, PROVIDER.hints = PROVIDER.hints, []
        form = "application/x-www-form-urlencoded"
        return [Delivery(body=f"id={order_id}".encode(), headers={}, content_type=form) for order_id in hints]

    def forge(self, delivery: Delivery) -> Delivery:
        return replace(delivery, body=b"id=toy_999999")

    def fault(self, kind: FaultKind, times: int = 1) -> None:
        PROVIDER.faults.append([kind, times])

    def clear_faults(self) -> None:
        PROVIDER.faults.clear()

    def sessions_opened(self, payment: KitPayment) -> int:
        return sum(1 for order in PROVIDER.orders.values() if order["payment_id"] == payment.payment_id)

    def captures(self, payment: KitPayment) -> int:
        return len(PROVIDER.captures.get(payment.gateway_reference, []))


class TestToyConformance(GatewayConformance):
    adapter_class = ToyAdapter
