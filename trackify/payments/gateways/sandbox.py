"""The built-in sandbox gateway: the whole payment flow without an account anywhere.

Its "provider" is `trackify.sandbox` (a hosted checkout page and its own books), reached only
through `trackify.sandbox.provider`, the way a real gateway module reaches its SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from django.views.decorators.debug import sensitive_variables

from trackify.common.errors import Conflict, ValidationFailed
from trackify.common.parsing import parse_uuid
from trackify.common.untrusted import InputError, finite_float, load_json, top_level_string
from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.gateways.errors import (
    GatewayError,
    InvalidGatewayRequest,
    WebhookVerificationError,
)
from trackify.payments.gateways.types import (
    CredentialField,
    GatewayCapabilities,
    PaymentFlow,
    PaymentLookup,
    PaymentStatus,
    PaymentUpdate,
    RefundRequest,
    RefundResult,
    RefundStatus,
    SessionRequest,
    SessionResult,
    WebhookEvent,
    WebhookRequest,
)
from trackify.sandbox import provider

DECLINED_MESSAGE = "The card was declined (sandbox)."

_STATUS = {
    "open": PaymentStatus.PENDING,
    "processing": PaymentStatus.PROCESSING,
    "succeeded": PaymentStatus.SUCCEEDED,
    "declined": PaymentStatus.FAILED,
    "cancelled": PaymentStatus.CANCELLED,
    "expired": PaymentStatus.EXPIRED,
}


class SandboxGateway(PaymentGatewayBase):
    name = "sandbox"
    display_name = "Sandbox (test payments)"
    credential_fields = (
        CredentialField(
            name="webhook_secret",
            label="Webhook signing secret",
            required=False,
            generated=True,
            help_text="Left empty, a random secret is generated.",
        ),
    )
    capabilities = GatewayCapabilities(
        refunds=True,
        partial_refunds=True,
        flows=(PaymentFlow.REDIRECT, PaymentFlow.IN_MODAL),
    )
    max_session_lifetime = timedelta(hours=24)
    PAYER_OUTCOMES = provider.OUTCOMES

    @classmethod
    def webhook_payment_hint(cls, request: WebhookRequest) -> UUID | None:
        try:
            return parse_uuid(load_json(request.body, parse_float=finite_float)["data"]["session"]["payment_id"])
        except (InputError, KeyError, TypeError):
            return None

    @classmethod
    def webhook_event_id_hint(cls, request: WebhookRequest) -> str:
        return top_level_string(request.body, "id")

    def create_payment_session(self, request: SessionRequest) -> SessionResult:
        try:
            session = provider.create_session(
                account_id=self.context.config_id,
                idempotency_key=request.idempotency_key,
                payment_id=request.payment_id,
                amount=request.amount,
                currency=request.currency,
                description=request.description,
                return_url=request.return_url,
                cancel_url=request.cancel_url,
                expires_at=request.expires_at,
            )
        except provider.SandboxError as exc:
            raise InvalidGatewayRequest(f"The sandbox refused the payment: {exc}") from exc
        return SessionResult(
            gateway_reference=session["id"],
            status=_STATUS[session["status"]],
            redirect_url=session["url"],
            client_params={"session_id": session["id"], "checkout_url": session["url"]},
            expires_at=datetime.fromtimestamp(session["expires_at"], tz=UTC),
        )

    @sensitive_variables()
    def verify_webhook(self, request: WebhookRequest) -> Mapping[str, Any]:
        header = request.header(provider.SIGNATURE_HEADER)
        if not header:
            raise WebhookVerificationError(f"Missing {provider.SIGNATURE_HEADER} header.")
        try:
            provider.verify(self.context.credentials["webhook_secret"], request.body, header)
        except provider.SignatureError as exc:
            raise WebhookVerificationError(f"Signature verification failed: {exc}.") from exc
        try:
            payload = load_json(request.body, parse_float=finite_float, keep_text=True)  # stored as delivered
        except InputError as exc:
            raise WebhookVerificationError(f"The body is not acceptable JSON: {exc}") from exc
        well_formed = isinstance(payload, dict) and all(isinstance(payload.get(k), str) for k in ("id", "type"))
        if not well_formed:
            raise WebhookVerificationError("The body is not a sandbox event.")
        return payload

    def normalize_event(self, payload: Mapping[str, Any]) -> WebhookEvent:
        event_type = str(payload["type"])
        event_id = str(payload["id"])
        session = payload.get("data", {}).get("session")
        if not event_type.startswith("session.") or not isinstance(session, dict):
            return WebhookEvent(gateway_event_id=event_id, event_type=event_type, payload=payload)
        status = _STATUS.get(str(session.get("status")))
        return WebhookEvent(
            gateway_event_id=event_id,
            event_type=event_type,
            payload=payload,
            payment_id=parse_uuid(session.get("payment_id")),
            gateway_reference=str(session.get("id", "")),
            payment_update=PaymentUpdate(
                status=status,
                amount=session.get("amount"),
                currency=session.get("currency"),
                gateway_payment_reference=str(session.get("id", "")),
                failure_message=DECLINED_MESSAGE if status == PaymentStatus.FAILED else "",
            )
            if status
            else None,
        )

    def get_payment_status(self, lookup: PaymentLookup) -> PaymentUpdate:
        try:
            session = provider.retrieve_session(account_id=self.context.config_id, session_id=lookup.gateway_reference)
        except provider.SandboxError as exc:
            raise GatewayError(f"The sandbox does not know this payment: {exc}") from exc
        return self._update_of(session)

    def expire_session(self, lookup: PaymentLookup) -> PaymentUpdate:
        try:
            session = provider.expire_session(account_id=self.context.config_id, session_id=lookup.gateway_reference)
        except provider.SandboxError as exc:
            raise GatewayError(f"The sandbox could not close this session: {exc}") from exc
        return self._update_of(session)

    def resolve_payment(self, event: WebhookEvent) -> UUID | None:
        """The sandbox's own books say whose session it is; a session it does not know is not ours."""
        try:
            session = provider.retrieve_session(account_id=self.context.config_id, session_id=event.gateway_reference)
        except provider.SandboxError as exc:
            if exc.status == 404:
                return None
            raise GatewayError(f"The sandbox could not look up this session: {exc}") from exc
        return parse_uuid(session.get("payment_id"))

    @staticmethod
    def _update_of(session: Mapping[str, Any]) -> PaymentUpdate:
        status = _STATUS[session["status"]]
        return PaymentUpdate(
            status=status,
            amount=session["amount"],
            currency=session["currency"],
            gateway_payment_reference=session["id"],
            failure_message=DECLINED_MESSAGE if status == PaymentStatus.FAILED else "",
        )

    def refund_payment(self, request: RefundRequest) -> RefundResult:
        try:
            refund = provider.create_refund(
                account_id=self.context.config_id,
                session_id=request.payment.gateway_reference,
                amount=request.amount,
                idempotency_key=request.idempotency_key,
            )
        except provider.SandboxError as exc:
            raise InvalidGatewayRequest(f"The sandbox refused the refund: {exc}") from exc
        return RefundResult(gateway_refund_id=refund["id"], status=RefundStatus.SUCCEEDED, amount=refund["amount"])

    def complete_as_payer(self, lookup: PaymentLookup, outcome: str, *, deliver: bool) -> dict[str, Any]:
        """The sandbox's test helper, not part of the gateway contract: the payer picks an outcome,
        and the provider sends (or, with deliver=False, only signs) its event to the webhook URL.

        Answers {"delivered": bool, "webhook": {"url", "headers", "body"}}.
        """
        try:
            event = provider.complete_session(lookup.gateway_reference, outcome)
        except provider.SandboxError as exc:
            raise (Conflict if exc.status == 409 else ValidationFailed)(str(exc)) from exc
        return provider.notify(self.context.config_id, event, deliver=deliver)
