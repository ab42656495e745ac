"""A complete gateway in one file: "Acme Pay", a made-up provider with a typical REST API.

Install it by naming it in settings (PAYMENT_GATEWAYS["acme"] = "acme_gateway.AcmeGateway") or, from
a package of your own, with an entry point in the group `trackify.payment_gateways`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import requests
from django.conf import settings

from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.gateways.errors import (
    GatewayUnavailable,
    WebhookVerificationError,
    for_http_status,
)
from trackify.payments.gateways.types import (
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

API_BASE = "https://api.acme-pay.invalid/v1"


def api_base() -> str:
    """Settable (ACME_API_BASE), as STRIPE_API_BASE is: the conformance kit's fake is reached so."""
    return str(getattr(settings, "ACME_API_BASE", API_BASE))

STATUSES = {"open": PaymentStatus.PENDING, "paid": PaymentStatus.SUCCEEDED, "failed": PaymentStatus.FAILED,
            "canceled": PaymentStatus.CANCELLED, "expired": PaymentStatus.EXPIRED}


class AcmeGateway(PaymentGatewayBase):
    name = "acme"
    display_name = "Acme Pay"
    credential_fields = (
        CredentialField("api_key", "API key"),
        CredentialField("webhook_secret", "Webhook signing secret"),
    )
    capabilities = GatewayCapabilities(currencies=frozenset({"EUR", "USD"}))

    # -- calls to Acme -------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.context.credentials['api_key']}", **kwargs.pop("headers", {})}
        # One retry of a network error, a 429 or a 5xx: the Idempotency-Key makes a repeated POST safe.
        for retries_left in (1, 0):
            try:
                response = requests.request(method, f"{api_base()}{path}", timeout=15, headers=headers, **kwargs)
            except requests.RequestException as exc:
                if retries_left:
                    continue
                raise GatewayUnavailable(detail=type(exc).__name__) from exc
            if response.status_code == 429 or response.status_code >= 500:
                if retries_left:
                    continue
                raise GatewayUnavailable(detail=f"HTTP {response.status_code}")
            break
        if response.status_code >= 400:  # 401/403 the API key, 400/404/422 the request refused, and why
            is_json = "json" in response.headers.get("Content-Type", "")
            message = str(response.json().get("error", "")) if is_json else ""
            raise for_http_status(response.status_code, "Acme", credentials="the API key", refused=message)
        data: dict[str, Any] = response.json()
        return data

    def create_payment_session(self, request: SessionRequest) -> SessionResult:
        checkout = self._call(
            "POST", "/checkouts",
            headers={"Idempotency-Key": request.idempotency_key},
            json={"amount": request.amount, "currency": request.currency, "description": request.description,
                  "return_url": request.return_url, "metadata": {"payment_id": str(request.payment_id)}},
        )
        return SessionResult(gateway_reference=checkout["id"], redirect_url=checkout["url"])

    def get_payment_status(self, lookup: PaymentLookup) -> PaymentUpdate:
        checkout = self._call("GET", f"/checkouts/{lookup.gateway_reference}")
        return PaymentUpdate(status=STATUSES[checkout["status"]], amount=checkout["amount"],
                            currency=checkout["currency"].upper())

    def test_connection(self) -> str:
        account = self._call("GET", "/account")
        return f"Connected to Acme Pay account {account['id']}."

    # -- webhooks --------------------------------------------------------------------------------

    @classmethod
    def webhook_payment_hint(cls, request: WebhookRequest) -> UUID | None:
        try:
            return UUID(json.loads(request.body)["data"]["metadata"]["payment_id"])
        except (ValueError, KeyError, TypeError):
            return None

    def verify_webhook(self, request: WebhookRequest) -> Mapping[str, Any]:
        expected = hmac.new(self.context.credentials["webhook_secret"].encode(), request.body,
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.header("Acme-Signature")):
            raise WebhookVerificationError("Acme signature does not match.")
        try:
            payload: dict[str, Any] = json.loads(request.body)
        except ValueError as exc:
            raise WebhookVerificationError("The body is not JSON.") from exc
        return payload

    def normalize_event(self, payload: Mapping[str, Any]) -> WebhookEvent:
        checkout = payload.get("data", {})
        status = STATUSES.get(checkout.get("status", ""))
        return WebhookEvent(
            gateway_event_id=str(payload["id"]),
            event_type=str(payload.get("type", "")),
            payload=payload,
            gateway_reference=str(checkout.get("id", "")),
            payment_update=PaymentUpdate(status=status, amount=checkout.get("amount"),
                                         currency=str(checkout.get("currency", "")).upper() or None)
            if status else None,
        )
