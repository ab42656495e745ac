"""StripeGateway: Stripe Checkout (redirect) or a PaymentIntent for Stripe Elements (in-modal).

All calls go through `api` (the one module that imports the SDK); events are normalised by
`events`; amounts cross `currencies` at this edge, so the rest of Trackify counts in ISO 4217
minor units only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

from django.views.decorators.debug import sensitive_variables

from trackify.common.money import format_amount
from trackify.common.untrusted import InputError, finite_float, load_json, top_level_string
from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.gateways.errors import (
    GatewayConfigurationError,
    InvalidGatewayRequest,
    WebhookVerificationError,
)
from trackify.payments.gateways.stripe import currencies, events, objects
from trackify.payments.gateways.stripe.api import StripeApi, construct_event
from trackify.payments.gateways.stripe.credentials import (
    CREDENTIAL_FIELDS,
    PUBLISHABLE_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    check_credentials,
    key_mode,
)
from trackify.payments.gateways.types import (
    DisputeUpdate,
    GatewayCapabilities,
    PaymentFlow,
    PaymentLookup,
    PaymentStatus,
    PaymentUpdate,
    RefundRequest,
    RefundResult,
    SessionRequest,
    SessionResult,
    WebhookEvent,
    WebhookRequest,
)

SIGNATURE_HEADER = "Stripe-Signature"
# Stripe accepts a Checkout Session's expires_at from 30 minutes to 24 hours ahead.
_CHECKOUT_MIN_LIFETIME = timedelta(minutes=31)
_CHECKOUT_MAX_LIFETIME = timedelta(hours=24) - timedelta(minutes=1)


def _success_url(return_url: str) -> str:
    """The return URL with Stripe's `{CHECKOUT_SESSION_ID}` template as a query parameter.

    Built by hand: URL-encoding would hide the braces from Stripe's substitution.
    """
    parts = urlsplit(return_url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=f"{query}session_id={{CHECKOUT_SESSION_ID}}"))


class StripeGateway(PaymentGatewayBase):
    name = "stripe"
    display_name = "Stripe"
    credential_fields = CREDENTIAL_FIELDS
    capabilities = GatewayCapabilities(
        refunds=True,
        partial_refunds=True,
        flows=(PaymentFlow.REDIRECT, PaymentFlow.IN_MODAL),
        currencies=currencies.SUPPORTED,
        disputes=True,
    )
    max_session_lifetime = timedelta(hours=24)

    # -- class-level hooks ---------------------------------------------------------------------

    @classmethod
    def clean_credentials(cls, credentials: Mapping[str, str], *, test_mode: bool) -> dict[str, str]:
        cleaned = super().clean_credentials(credentials, test_mode=test_mode)
        return check_credentials(cleaned, test_mode=test_mode)

    @classmethod
    def webhook_payment_hint(cls, request: WebhookRequest) -> UUID | None:
        """Our payment id from the unverified event's object (metadata or client_reference_id)."""
        try:
            obj = load_json(request.body, parse_float=finite_float)["data"]["object"]
        except (InputError, KeyError, TypeError):
            return None
        return objects.payment_id_of(obj) if isinstance(obj, dict) else None

    @classmethod
    def webhook_event_id_hint(cls, request: WebhookRequest) -> str:
        """The unverified event's id (evt_…)."""
        return top_level_string(request.body, "id")

    @classmethod
    def webhook_reference_hint(cls, request: WebhookRequest) -> str:
        """The PaymentIntent the unverified event is about (refunds, charges and disputes name theirs)."""
        try:
            obj = load_json(request.body, parse_float=finite_float)["data"]["object"]
        except (InputError, KeyError, TypeError):
            return ""
        if not isinstance(obj, dict):
            return ""
        if obj.get("object") == "payment_intent":
            return str(obj.get("id") or "")
        return objects.expandable_id(obj.get("payment_intent"))

    # -- bound to one config -------------------------------------------------------------------

    @cached_property
    def api(self) -> StripeApi:
        secret_key = self.context.credentials.get(SECRET_KEY, "")
        if not secret_key:
            raise GatewayConfigurationError("This Stripe configuration has no secret key.")
        return StripeApi(secret_key)

    def public_config(self) -> dict[str, Any]:
        return {**super().public_config(), "publishable_key": self.context.credentials.get(PUBLISHABLE_KEY, "")}

    def create_payment_session(self, request: SessionRequest) -> SessionResult:
        # Both refuse before any call: a currency Stripe lacks, an amount it cannot express.
        currency = currencies.check_supported(request.currency)
        amount = currencies.to_stripe_amount(request.amount, request.currency)
        metadata = {
            objects.PAYMENT_ID_KEY: str(request.payment_id),
            objects.INVOICE_ID_KEY: str(request.invoice_id),
            objects.INVOICE_NUMBER_KEY: request.invoice_number,
        }
        if self.context.flow == PaymentFlow.IN_MODAL:
            return self._create_payment_intent(request, amount, currency, metadata)
        return self._create_checkout_session(request, amount, currency, metadata)

    def _create_checkout_session(
        self, request: SessionRequest, amount: int, currency: str, metadata: dict[str, str]
    ) -> SessionResult:
        now = datetime.now(tz=UTC)
        expires_at = min(max(request.expires_at, now + _CHECKOUT_MIN_LIFETIME), now + _CHECKOUT_MAX_LIFETIME)
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency,
                        "unit_amount": amount,
                        "product_data": {"name": f"Invoice {request.invoice_number}"},
                    },
                }
            ],
            "client_reference_id": str(request.payment_id),
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata, "description": request.description},
            "success_url": _success_url(request.return_url),
            "cancel_url": request.cancel_url,
            "expires_at": int(expires_at.timestamp()),
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        session = self.api.create_checkout_session(params, idempotency_key=request.idempotency_key)
        return SessionResult(
            gateway_reference=str(session["id"]),
            status=objects.checkout_session_status(session),
            redirect_url=str(session.get("url") or ""),
            client_params={"session_id": session["id"], "checkout_url": session.get("url")},
            expires_at=datetime.fromtimestamp(int(session["expires_at"]), tz=UTC),
        )

    def _create_payment_intent(
        self, request: SessionRequest, amount: int, currency: str, metadata: dict[str, str]
    ) -> SessionResult:
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency,
            "automatic_payment_methods": {"enabled": True},
            "description": request.description,
            "metadata": metadata,
        }
        if request.customer_email:
            params["receipt_email"] = request.customer_email
        intent = self.api.create_payment_intent(params, idempotency_key=request.idempotency_key)
        return SessionResult(
            gateway_reference=str(intent["id"]),
            status=objects.payment_intent_status(intent),
            client_params={
                "client_secret": intent["client_secret"],
                "publishable_key": self.context.credentials.get(PUBLISHABLE_KEY, ""),
            },
            # A PaymentIntent does not expire at Stripe; this is how long we offer it.
            expires_at=request.expires_at,
        )

    @sensitive_variables()
    def verify_webhook(self, request: WebhookRequest) -> Mapping[str, Any]:
        header = request.header(SIGNATURE_HEADER)
        if not header:
            raise WebhookVerificationError(f"Missing {SIGNATURE_HEADER} header.")
        payload = construct_event(request.body, header, self.context.credentials.get(WEBHOOK_SECRET, ""))
        data = payload.get("data")
        if (
            payload.get("object") != "event"
            or not isinstance(payload.get("id"), str)
            or not isinstance(payload.get("type"), str)
            or not isinstance(data, dict)
            or not isinstance(data.get("object"), dict)
        ):
            raise WebhookVerificationError("The body is not a Stripe event.")
        return payload

    def normalize_event(self, payload: Mapping[str, Any]) -> WebhookEvent:
        return events.normalize(payload)

    def complete_event(self, event: WebhookEvent) -> WebhookEvent:
        """A `charge.refunded` that lists no refunds: list the charge's refunds at Stripe. A dispute
        that names only its charge: read the charge's PaymentIntent (the one reference we link)."""
        charge_id = events.charge_id_of(event)
        if not event.incomplete or not charge_id:
            return event
        if event.event_type == "charge.refunded":
            return events.with_refunds(event, self.api.list_refunds(charge_id=charge_id))
        if event.dispute_updates:
            return events.with_charge(event, self.api.retrieve_charge(charge_id))
        return event

    def resolve_payment(self, event: WebhookEvent) -> UUID | None:
        """Our payment id from the metadata of the PaymentIntent (else the charge, else the Checkout
        Session) behind the event; None when that object carries none of ours."""
        obj = events.event_object(event.payload)
        reference = event.gateway_reference
        intent_id = reference if reference.startswith("pi_") else objects.expandable_id(obj.get("payment_intent"))
        if intent_id:
            return objects.payment_id_of(self.api.retrieve_payment_intent(intent_id))
        charge_id = events.charge_id_of(event)
        if charge_id:
            charge = self.api.retrieve_charge(charge_id)
            found = objects.payment_id_of(charge)
            charge_intent = objects.expandable_id(charge.get("payment_intent"))
            if found is None and charge_intent:
                found = objects.payment_id_of(self.api.retrieve_payment_intent(charge_intent))
            return found
        if reference.startswith("cs_"):
            return objects.payment_id_of(self.api.retrieve_checkout_session(reference))
        return None  # the event names no Stripe object a payment of ours could stand behind

    def get_payment_status(self, lookup: PaymentLookup) -> PaymentUpdate:
        reference = lookup.gateway_reference
        if reference.startswith("cs_"):
            session = self.api.retrieve_checkout_session(reference, expand=("payment_intent",))
            status = objects.checkout_session_status(session)
            intent = session.get("payment_intent")
            amount, currency = objects.iso_amount(session, "amount_total")
            failure = ""
            if status == PaymentStatus.FAILED:
                failure = (isinstance(intent, Mapping) and objects.payment_failure_message(intent)) or (
                    events.ASYNC_FAILURE_MESSAGE
                )
            return PaymentUpdate(
                status=status,
                amount=amount,
                currency=currency,
                gateway_payment_reference=objects.expandable_id(intent),
                failure_message=failure,
            )
        if reference.startswith("pi_"):
            intent = self.api.retrieve_payment_intent(reference)
            status = objects.payment_intent_status(intent)
            field = "amount_received" if status == PaymentStatus.SUCCEEDED else "amount"
            amount, currency = objects.iso_amount(intent, field)
            return PaymentUpdate(
                status=status,
                amount=amount,
                currency=currency,
                gateway_payment_reference=reference,
                failure_message=objects.payment_failure_message(intent) if status == PaymentStatus.FAILED else "",
            )
        raise InvalidGatewayRequest("This payment has no Stripe reference to look up.")

    def expire_session(self, lookup: PaymentLookup) -> PaymentUpdate:
        """Expire the Checkout Session (or cancel the in-modal PaymentIntent) unless it was paid.

        Stripe refuses to close what is complete or already closed; the status then says why.
        """
        reference = lookup.gateway_reference
        key = f"trackify-expire-{lookup.payment_id}"
        try:
            if reference.startswith("cs_"):
                self.api.expire_checkout_session(reference, idempotency_key=key)
            elif reference.startswith("pi_"):
                self.api.cancel_payment_intent(reference, idempotency_key=key)
        except InvalidGatewayRequest:
            pass  # paid, processing or closed already: the status below tells which
        return self.get_payment_status(lookup)

    def refund_payment(self, request: RefundRequest) -> RefundResult:
        amount = currencies.to_stripe_amount(request.amount, request.currency)
        payment_intent_id = self._payment_intent_of(request.payment)
        metadata = {
            objects.REFUND_ID_KEY: str(request.refund_id),
            objects.PAYMENT_ID_KEY: str(request.payment.payment_id),
        }
        refund = self.api.create_refund(
            {"payment_intent": payment_intent_id, "amount": amount, "metadata": metadata},
            idempotency_key=request.idempotency_key,
        )
        refunded, _currency = objects.iso_amount(refund)
        return RefundResult(
            gateway_refund_id=str(refund["id"]),
            status=objects.refund_status(refund),
            amount=request.amount if refunded is None else refunded,
        )

    def _payment_intent_of(self, lookup: PaymentLookup) -> str:
        payment_intent_id = self._find_payment_intent(lookup)
        if not payment_intent_id:
            raise InvalidGatewayRequest(
                "Stripe holds no completed payment for this session, so nothing can be refunded."
            )
        return payment_intent_id

    def _find_payment_intent(self, lookup: PaymentLookup) -> str:
        """The PaymentIntent behind a payment: known already, or read from its Checkout Session ("" if none)."""
        for reference in (lookup.gateway_payment_reference, lookup.gateway_reference):
            if reference.startswith("pi_"):
                return reference
        if lookup.gateway_reference.startswith("cs_"):
            session = self.api.retrieve_checkout_session(lookup.gateway_reference)
            return objects.expandable_id(session.get("payment_intent"))
        return ""

    def list_disputes(self, lookup: PaymentLookup) -> tuple[DisputeUpdate, ...]:
        """The disputes of the payment's PaymentIntent, as Stripe holds them now (none without one)."""
        payment_intent_id = self._find_payment_intent(lookup)
        if not payment_intent_id:
            return ()
        return events.dispute_updates(self.api.list_disputes(payment_intent_id=payment_intent_id))

    def dispute_dashboard_url(self, gateway_dispute_id: str) -> str:
        """Where the merchant answers a dispute: its page in Stripe's dashboard (test or live data)."""
        mode = "test/" if self.context.test_mode else ""
        return f"https://dashboard.stripe.com/{mode}disputes/{gateway_dispute_id}"

    def test_connection(self) -> str:
        balance = self.api.retrieve_balance()
        mode = key_mode(self.context.credentials.get(SECRET_KEY, "")) or "unknown"
        available = []
        for entry in balance.get("available") or []:
            amount, currency = objects.iso_amount(entry)
            if amount is not None and currency and currency != objects.NO_CURRENCY:
                available.append(f"{format_amount(amount, currency)} {currency}")
        report = f"Connected to Stripe in {mode} mode. Available balance: {', '.join(available) or 'none'}."
        if not self.context.credentials.get(WEBHOOK_SECRET):
            report += " No webhook signing secret is set yet: payments are confirmed only once it is."
        return report
