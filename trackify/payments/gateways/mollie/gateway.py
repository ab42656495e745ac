"""MollieGateway: Mollie's hosted checkout, whose webhooks are hints: an unsigned form POST `id=tr_…` that
`verify_webhook` checks the form of; `complete_event` fetches the payment with this config's key, and that
fetch is the verification. See docs/mollie.md."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from trackify.common.errors import ValidationFailed
from trackify.payments.gateways import errors
from trackify.payments.gateways import types as t
from trackify.payments.gateways.base import PaymentGatewayBase, refuse_live_mode_where_test_only
from trackify.payments.gateways.mollie import objects
from trackify.payments.gateways.mollie.api import NOT_FOUND, MollieApi

API_KEY = "api_key"
_API_KEY = re.compile(r"^(test|live)_[A-Za-z0-9]{20,100}$")
_PAYMENT_ID = re.compile(r"^tr_[A-Za-z0-9]{4,64}$")


def hinted_id(body: bytes) -> str:
    """The payment id of a delivery whose body is exactly `id=tr_…`; "" for anything else."""
    try:
        pairs = parse_qsl(body.decode("ascii"), strict_parsing=True, max_num_fields=2)
    except (UnicodeDecodeError, ValueError):
        return ""
    ok = len(pairs) == 1 and pairs[0][0] == "id" and _PAYMENT_ID.fullmatch(pairs[0][1])
    return pairs[0][1] if ok else ""


class MollieGateway(PaymentGatewayBase):
    name = "mollie"
    display_name = "Mollie"
    credential_fields = (t.CredentialField(API_KEY, "API key", help_text="test_… or live_…: Developers → API keys."),)
    capabilities = t.GatewayCapabilities(
        refunds=True, partial_refunds=True, currencies=objects.SUPPORTED, disputes=True, captures=True
    )
    webhooks_are_hints = True

    @classmethod
    def clean_credentials(cls, credentials: Mapping[str, str], *, test_mode: bool) -> dict[str, str]:
        cleaned = super().clean_credentials(credentials, test_mode=test_mode)
        match = _API_KEY.match(cleaned[API_KEY])
        if match is None:
            raise ValidationFailed("The API key must look like test_… or live_… (Mollie's dashboard).", field=API_KEY)
        mode = match.group(1)
        message = "This installation accepts Mollie test keys only (test_…)."
        refuse_live_mode_where_test_only(live=mode == "live", message=message, field=API_KEY)
        if (mode == "test") != test_mode:
            wanted = "test" if test_mode else "live"
            raise ValidationFailed(f"This is a {mode} key, but the configuration is in {wanted} mode.", field=API_KEY)
        return cleaned

    @classmethod
    def webhook_reference_hint(cls, request: t.WebhookRequest) -> str:
        return hinted_id(request.body)

    @cached_property
    def api(self) -> MollieApi:
        return MollieApi(self.context.credentials.get(API_KEY, ""))  # none: GatewayConfigurationError

    def create_payment_session(self, request: t.SessionRequest) -> t.SessionResult:
        if request.currency.upper() not in objects.SUPPORTED:
            message = f"Mollie does not accept payments in {request.currency.upper()}."
            raise errors.InvalidGatewayRequest(message, code="currency_not_supported")
        metadata = {objects.PAYMENT_ID_KEY: str(request.payment_id), objects.INVOICE_ID_KEY: str(request.invoice_id)}
        webhook_url = f"{self.context.site_url}/payment/webhook/{self.name}/{self.context.config_id}/"
        data = {"amount": objects.mollie_amount(request.amount, request.currency), "metadata": metadata,
                "description": request.description[:255], "redirectUrl": request.return_url,
                "cancelUrl": request.cancel_url, "webhookUrl": webhook_url}  # fmt: skip
        payment = self.api.create_payment(data, idempotency_key=request.idempotency_key)
        checkout = ((payment.get("_links") or {}).get("checkout") or {}).get("href")
        return t.SessionResult(
            gateway_reference=str(payment.get("id") or ""),
            status=objects.payment_update(payment).status,
            redirect_url=str(checkout) if checkout else None,
            expires_at=request.expires_at,
        )

    def verify_webhook(self, request: t.WebhookRequest) -> Mapping[str, Any]:
        payment_id = hinted_id(request.body)
        if not payment_id:
            raise errors.WebhookVerificationError("The body is not a Mollie webhook (id=tr_…).")
        return {"id": payment_id}

    def normalize_event(self, payload: Mapping[str, Any]) -> t.WebhookEvent:
        payment_id = str(payload.get("id") or "")
        return t.WebhookEvent(
            payment_id, "payment.changed", dict(payload), gateway_reference=payment_id, incomplete=True
        )

    def complete_event(self, event: t.WebhookEvent) -> t.WebhookEvent:
        """Fetch the payment (refunds and chargebacks embedded): the news, or WebhookSubjectUnknown."""
        if not event.incomplete:
            return event
        payment = self._fetch_ours(event.gateway_reference)
        return replace(
            event,
            gateway_event_id=objects.event_id(payment),
            payment_id=objects.uuid_in(payment, objects.PAYMENT_ID_KEY),
            payment_update=objects.payment_update(payment),
            refund_updates=objects.refund_updates(payment),
            dispute_updates=objects.dispute_updates(objects.embedded(payment, "chargebacks")),
            livemode=payment.get("mode") == "live",
            incomplete=False,
        )

    def _fetch_ours(self, payment_id: str) -> dict[str, Any]:
        unknown = errors.WebhookSubjectUnknown(f"Mollie has no payment {payment_id[:70]} of Trackify's for this key.")
        try:
            payment = self.api.get_payment(payment_id)
        except errors.InvalidGatewayRequest as exc:
            raise (unknown if exc.code == NOT_FOUND else exc) from exc
        if objects.uuid_in(payment, objects.PAYMENT_ID_KEY) is None:
            raise unknown  # made in Mollie's dashboard or by another system, not through Trackify
        return payment

    def get_payment_status(self, lookup: t.PaymentLookup) -> t.PaymentUpdate:
        return objects.payment_update(self.api.get_payment(lookup.gateway_reference))

    def expire_session(self, lookup: t.PaymentLookup) -> t.PaymentUpdate:
        """Cancel the payment if Mollie allows (`isCancelable`); one that it does not expires by itself."""
        payment = self.api.get_payment(lookup.gateway_reference)
        if payment.get("isCancelable"):
            try:
                key = f"trackify-expire-{lookup.payment_id}"
                payment = self.api.cancel_payment(lookup.gateway_reference, idempotency_key=key)
            except errors.InvalidGatewayRequest:  # paid or closed meanwhile
                payment = self.api.get_payment(lookup.gateway_reference)
        return objects.payment_update(payment)

    def refund_payment(self, request: t.RefundRequest) -> t.RefundResult:
        payment, key = request.payment, request.idempotency_key
        metadata = {objects.REFUND_ID_KEY: str(request.refund_id), objects.PAYMENT_ID_KEY: str(payment.payment_id)}
        data = {"amount": objects.mollie_amount(request.amount, request.currency),
                "description": (request.reason or "Refund")[:140], "metadata": metadata}  # fmt: skip
        refund = self.api.create_refund(payment.gateway_reference, data, idempotency_key=key)
        return objects.refund_result(refund, request.amount)

    def capture_payment(self, request: t.CaptureRequest) -> t.PaymentUpdate:
        """Capture the whole authorized amount; the capture's id becomes the payment reference. A refusal
        is read against the payment: expired, captured already, or else failed with Mollie's message."""
        reference = request.payment.gateway_reference
        data = {"amount": objects.mollie_amount(request.amount, request.currency)}
        try:
            capture = self.api.create_capture(reference, data, idempotency_key=request.idempotency_key)
        except errors.InvalidGatewayRequest as exc:
            now = objects.payment_update(self.api.get_payment(reference))
            if now.status in (t.PaymentStatus.EXPIRED, t.PaymentStatus.SUCCEEDED):
                return now
            return replace(now, status=t.PaymentStatus.FAILED, failure_message=exc.message)
        return objects.capture_update(capture)

    def list_disputes(self, lookup: t.PaymentLookup) -> tuple[t.DisputeUpdate, ...]:
        return objects.dispute_updates(self.api.list_chargebacks(lookup.gateway_reference))

    def test_connection(self) -> str:
        methods = ", ".join(str(method.get("id")) for method in self.api.list_methods()) or "none"
        mode = "test" if self.context.credentials.get(API_KEY, "").startswith("test_") else "live"
        return f"Connected to Mollie in {mode} mode. Payment methods enabled: {methods}."
