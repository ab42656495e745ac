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
    DisputeStatus,
    DisputeUpdate,
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

# The provider's dispute statuses: (ours, whether it is an inquiry, with no chargeback yet).
_DISPUTE_STATUS = {
    "inquiry": (DisputeStatus.INQUIRY, True),
    "inquiry_closed": (DisputeStatus.WON, True),
    "chargeback": (DisputeStatus.NEEDS_RESPONSE, False),
    "won": (DisputeStatus.WON, False),
    "lost": (DisputeStatus.LOST, False),
}

#: The sandbox test API's dispute actions, and what each asks of the provider.
DISPUTE_ACTIONS = ("open", "win", "lose")


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
        disputes=True,
        flows=(PaymentFlow.REDIRECT, PaymentFlow.IN_MODAL),
    )
    max_session_lifetime = timedelta(hours=24)
    PAYER_OUTCOMES = provider.OUTCOMES

    @classmethod
    def webhook_payment_hint(cls, request: WebhookRequest) -> UUID | None:
        try:
            data = load_json(request.body, parse_float=finite_float)["data"]
            return parse_uuid((data.get("session") or data["dispute"])["payment_id"])
        except (InputError, KeyError, TypeError, AttributeError):
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
        data = payload.get("data")
        data = data if isinstance(data, dict) else {}
        dispute = data.get("dispute")
        if event_type.startswith("dispute.") and isinstance(dispute, dict):
            update = _dispute_update_of(dispute)
            return WebhookEvent(
                gateway_event_id=event_id,
                event_type=event_type,
                payload=payload,
                payment_id=parse_uuid(dispute.get("payment_id")),
                gateway_reference=str(dispute.get("session", "")),
                dispute_updates=(update,) if update is not None else (),
            )
        session = data.get("session")
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

    def list_disputes(self, lookup: PaymentLookup) -> tuple[DisputeUpdate, ...]:
        try:
            disputes = provider.list_disputes(account_id=self.context.config_id, session_id=lookup.gateway_reference)
        except provider.SandboxError as exc:
            raise GatewayError(f"The sandbox could not list this payment's disputes: {exc}") from exc
        updates = (_dispute_update_of(dispute) for dispute in disputes)
        return tuple(update for update in updates if update is not None)

    def dispute_dashboard_url(self, gateway_dispute_id: str) -> str:
        return provider.dispute_url(gateway_dispute_id)  # the provider's read-only page of the dispute

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

    def dispute_as_bank(
        self, lookup: PaymentLookup, action: str, *, deliver: bool, inquiry: bool = False, amount: int | None = None
    ) -> dict[str, Any]:
        """The sandbox's test helper, not part of the gateway contract: the payer's bank opens a
        dispute of a paid payment ("open": a chargeback, or with `inquiry` an inquiry; "open" on an
        open inquiry makes it a chargeback), or decides the open one ("win", "lose"). The provider
        sends (or, with deliver=False, only signs) each event of the step to the webhook URL.

        Answers {"delivered": every event accepted, "webhook": the last event's signed request,
        "webhooks": all of them in the order sent, "dispute_id"}. Raises `Conflict` (code
        `dispute_not_allowed`) when the provider refuses.
        """
        account = self.context.config_id
        try:
            if action == "open":
                result = provider.open_dispute(
                    account_id=account, session_id=lookup.gateway_reference, amount=amount, inquiry=inquiry
                )
            elif action in ("win", "lose"):
                result = provider.close_dispute(
                    account_id=account,
                    dispute_id=self._open_dispute_id(lookup),
                    outcome="won" if action == "win" else "lost",
                )
            else:
                raise ValidationFailed(f"action must be one of {', '.join(DISPUTE_ACTIONS)}", field="action")
        except provider.SandboxError as exc:
            raise Conflict(f"The sandbox refused: {exc}.", code="dispute_not_allowed") from exc
        sent = [provider.notify(account, event, deliver=deliver) for event in result["events"]]
        return {
            "delivered": all(one["delivered"] for one in sent),
            "webhook": sent[-1]["webhook"],
            "webhooks": [one["webhook"] for one in sent],
            "dispute_id": result["dispute"]["id"],
        }

    def _open_dispute_id(self, lookup: PaymentLookup) -> str:
        disputes = provider.list_disputes(account_id=self.context.config_id, session_id=lookup.gateway_reference)
        open_ones = [d["id"] for d in disputes if d["status"] in provider.OPEN_DISPUTE_STATUSES]
        if not open_ones:
            raise provider.SandboxError("this payment has no open dispute", status=409)
        return str(open_ones[-1])


def _dispute_update_of(dispute: Mapping[str, Any]) -> DisputeUpdate | None:
    """The provider's dispute object as a `DisputeUpdate`; None when it is not one (a malformed body)."""
    known = _DISPUTE_STATUS.get(str(dispute.get("status")))
    amount, withdrawn, reinstated = (_count(dispute.get(key)) for key in ("amount", "withdrawn", "reinstated"))
    deadline = dispute.get("evidence_due_by")
    if (
        known is None
        or amount is None
        or withdrawn is None
        or reinstated is None
        or not isinstance(dispute.get("id"), str)
        or not isinstance(dispute.get("currency"), str)
        or not (deadline is None or _count(deadline, below=10**10) is not None)  # a Unix time, before 2286
    ):
        return None
    status, is_inquiry = known
    return DisputeUpdate(
        gateway_dispute_id=dispute["id"],
        status=status,
        amount=amount,
        currency=dispute["currency"],
        reason=str(dispute.get("reason", "")),
        evidence_due_by=datetime.fromtimestamp(deadline, tz=UTC) if deadline is not None else None,
        withdrawn=withdrawn,
        reinstated=reinstated,
        is_inquiry=is_inquiry,
    )


def _count(value: object, *, below: int = 10**15) -> int | None:
    """A whole number of minor units (or seconds) as the provider sends them; None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < below:
        return value
    return None
