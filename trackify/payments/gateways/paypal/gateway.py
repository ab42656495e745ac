"""PayPalGateway: an Orders v2 order (intent CAPTURE) paid at PayPal's page (redirect) or buttons (in-modal); the
core captures it once approved. `verify_webhook` asks PayPal, once per delivery. See docs/paypal.md."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any
from uuid import UUID

from django.conf import settings

from trackify.common.untrusted import InputError, finite_float, load_json, top_level_string
from trackify.payments.gateways import errors
from trackify.payments.gateways import types as t
from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.gateways.paypal import events
from trackify.payments.gateways.paypal.api import PayPalApi, api_for

# verify-webhook-signature's fields; the delivery's header `paypal-transmission-id` carries transmission_id, etc.
_TRANSMISSION = ("transmission_id", "transmission_time", "transmission_sig", "cert_url", "auth_algo")


class PayPalGateway(PaymentGatewayBase):
    name = "paypal"
    display_name = "PayPal"
    credential_fields = (
        t.CredentialField("client_id", "Client ID", secret=False, help_text="Of your PayPal REST app."),
        t.CredentialField("client_secret", "Secret", help_text="Of your PayPal REST app."),
        t.CredentialField("webhook_id", "Webhook ID", secret=False, required=False, help_text="Verifies deliveries."),
    )
    flows = (t.PaymentFlow.REDIRECT, t.PaymentFlow.IN_MODAL)
    capabilities = t.GatewayCapabilities(True, True, flows, events.SUPPORTED, disputes=True, captures=True)

    @classmethod
    def webhook_payment_hint(cls, request: t.WebhookRequest) -> UUID | None:
        try:
            return events.payment_id_of(load_json(request.body, parse_float=finite_float).get("resource"))
        except (InputError, AttributeError):
            return None

    @classmethod
    def webhook_event_id_hint(cls, request: t.WebhookRequest) -> str:
        return top_level_string(request.body, "id")

    @cached_property
    def api(self) -> PayPalApi:  # required fields (`clean_credentials`); a config without them, PayPal refuses
        client_id, secret = (self.context.credentials.get(name, "") for name in ("client_id", "client_secret"))
        test_mode, base_url = self.context.test_mode, settings.PAYPAL_API_BASE
        return api_for(client_id=client_id, client_secret=secret, test_mode=test_mode, base_url=base_url)

    def create_payment_session(self, request: t.SessionRequest) -> t.SessionResult:
        amount = events.paypal_amount(request.amount, request.currency)
        pid = str(request.payment_id)
        # invoice_id: PayPal refuses one it has seen paid, so it is this attempt's id, not the invoice's number.
        unit = {"reference_id": pid, "custom_id": pid, "invoice_id": pid, "description": request.description[:127]}
        experience = {"return_url": request.return_url.replace("{PAYMENT_ID}", pid), "user_action": "PAY_NOW"}
        experience["cancel_url"] = request.cancel_url.replace("{PAYMENT_ID}", pid)
        source = {"paypal": {"experience_context": experience}}
        body = {"intent": "CAPTURE", "purchase_units": [{**unit, "amount": amount}], "payment_source": source}
        order = self.api.create_order(body, request_id=request.idempotency_key)
        # What PayPal's JS SDK needs to show the buttons for this order (client ids are public).
        browser = {"client_id": self.context.credentials.get("client_id", ""), "sdk_url": settings.PAYPAL_JS_SDK_URL}
        links = [link for link in order.get("links") or [] if link.get("rel") in ("payer-action", "approve")]
        approve = str(links[0].get("href")) if links else None
        return t.SessionResult(
            gateway_reference=str(order["id"]),
            status=events.order_update(order).status,
            redirect_url=approve,
            client_params={"order_id": order["id"], "currency": amount["currency_code"], **browser},
            expires_at=request.expires_at,
        )

    def verify_webhook(self, request: t.WebhookRequest) -> Mapping[str, Any]:
        try:
            payload = load_json(request.body, parse_float=finite_float, keep_text=True)
        except InputError as exc:
            raise errors.WebhookVerificationError(f"The body is not a PayPal event: {exc}") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
            raise errors.WebhookVerificationError("The body is not a PayPal event.")
        headers = {field: request.header(f"paypal-{field.replace('_', '-')}") for field in _TRANSMISSION}
        webhook_id = self.context.credentials.get("webhook_id", "")
        if not all(headers.values()) or not webhook_id:
            raise errors.WebhookVerificationError("The delivery lacks PayPal's headers, or no webhook id is set.")
        body = {**headers, "webhook_id": webhook_id, "webhook_event": payload}
        if self.api.verify_webhook_signature(body) != "SUCCESS":
            raise errors.WebhookVerificationError("PayPal did not confirm this delivery's signature.")
        return payload

    def normalize_event(self, payload: Mapping[str, Any]) -> t.WebhookEvent:
        return events.normalize(payload)

    def get_payment_status(self, lookup: t.PaymentLookup) -> t.PaymentUpdate:
        if not lookup.gateway_reference:
            raise errors.InvalidGatewayRequest("This payment has no PayPal order to look up.")
        return events.order_update(self.api.get_order(lookup.gateway_reference))

    def capture_payment(self, request: t.CaptureRequest) -> t.PaymentUpdate:
        order_id = request.payment.gateway_reference
        try:
            order = self.api.capture_order(order_id, request_id=request.idempotency_key)
        except errors.PaymentDeclined as exc:
            return t.PaymentUpdate(status=t.PaymentStatus.FAILED, failure_message=exc.message)
        except errors.InvalidGatewayRequest as exc:
            if "issue=ORDER_EXPIRED" in exc.detail:
                return t.PaymentUpdate(status=t.PaymentStatus.EXPIRED)
            if "issue=ORDER_ALREADY_CAPTURED" not in exc.detail:
                raise
            order = self.api.get_order(order_id)  # captured by an attempt whose answer was lost: read it
        return events.order_update(order)

    def refund_payment(self, request: t.RefundRequest) -> t.RefundResult:
        capture_id = request.payment.gateway_payment_reference
        if not capture_id:
            raise errors.InvalidGatewayRequest("PayPal holds no capture for this payment, so nothing can be refunded.")
        amount = events.paypal_amount(request.amount, request.currency)
        body = {"amount": amount, "custom_id": str(request.payment.payment_id)}
        refund = self.api.refund_capture(capture_id, body, request_id=request.idempotency_key)
        update = events.refund_update(refund)
        status = update.status if update else t.RefundStatus.PENDING
        return t.RefundResult(str(refund.get("id") or ""), status, update.amount if update else request.amount)

    def test_connection(self) -> str:
        self.api.access_token()
        mode = "sandbox" if self.context.test_mode else "live"
        return f"Connected to PayPal ({mode}): the client id and secret give an access token."
