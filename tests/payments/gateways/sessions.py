"""The session request the gateways' tests start from (Stripe's and Mollie's ask for the same one)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from trackify.payments.gateways.types import SessionRequest


def session_request(**overrides: Any) -> SessionRequest:
    payment_id = overrides.pop("payment_id", None) or uuid.uuid4()
    fields: dict[str, Any] = {
        "payment_id": payment_id,
        "invoice_id": uuid.uuid4(),
        "invoice_number": "INV-0042",
        "amount": 12345,
        "currency": "EUR",
        "description": "Invoice INV-0042",
        "customer_name": "Client Ltd",
        "customer_email": "client@example.com",
        "return_url": f"http://127.0.0.1:8000/pay/result/?payment={payment_id}",
        "cancel_url": f"http://127.0.0.1:8000/pay/result/?payment={payment_id}",
        "expires_at": datetime.now(tz=UTC) + timedelta(hours=1),
        "idempotency_key": f"trackify-payment-{payment_id}",
    }
    fields.update(overrides)
    return SessionRequest(**fields)
