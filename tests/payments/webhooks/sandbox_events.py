"""Building and delivering signed sandbox events in tests, exactly as the sandbox provider does."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from django.test import Client

from trackify.payments.models import InvoicePayment
from trackify.sandbox import provider


def session_payload(
    payment: InvoicePayment, status: str, *, event_id: str | None = None, amount: int | None = None,
    currency: str | None = None, event_type: str | None = None,
) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_sbx_{secrets.token_hex(8)}",
        "object": "event",
        "type": event_type or f"session.{status}",
        "created": int(time.time()),
        "data": {
            "session": {
                "id": payment.gateway_reference,
                "object": "sandbox.session",
                "payment_id": str(payment.pk),
                "amount": payment.amount if amount is None else amount,
                "currency": currency or payment.currency,
                "status": status,
            }
        },
    }


def signed(payment: InvoicePayment, payload: dict[str, Any], *, secret: str | None = None,
           timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    secret = secret or payment.config.credentials["webhook_secret"]
    return body, {"HTTP_TRACKIFY_SANDBOX_SIGNATURE": provider.sign(secret, body, timestamp)}


def deliver(client: Client, payment: InvoicePayment, body: bytes, headers: dict[str, str],
            *, shared_url: bool = False) -> Any:
    url = "/payment/webhook/sandbox/" if shared_url else f"/payment/webhook/sandbox/{payment.config_id}/"
    return client.post(url, data=body, content_type="application/json", **headers)


def send(client: Client, payment: InvoicePayment, status: str, **payload_options: Any) -> Any:
    body, headers = signed(payment, session_payload(payment, status, **payload_options))
    return deliver(client, payment, body, headers)
