"""The contract every payment gateway plugin fulfils.

A gateway is a translator between our typed values (`types.py`) and one provider's API. It owns
the calls to that provider and nothing else: it never reads or writes the database, never moves
our state, never decides what an event means for an invoice. `PaymentService` does all of that.

To add a gateway, subclass `PaymentGatewayBase` in one module, give it the class-level facts and
the four methods below, and name it in `settings.PAYMENT_GATEWAYS` or in the entry-point group
`trackify.payment_gateways` of your own package. See docs/adding-a-gateway.md.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar
from uuid import UUID

from django.conf import settings

from trackify.common.errors import ValidationFailed
from trackify.payments.gateways.errors import GatewayError
from trackify.payments.gateways.types import (
    CaptureRequest,
    CredentialField,
    DisputeUpdate,
    GatewayCapabilities,
    GatewayContext,
    PaymentLookup,
    PaymentUpdate,
    RefundRequest,
    RefundResult,
    SessionRequest,
    SessionResult,
    WebhookEvent,
    WebhookRequest,
)


def refuse_live_mode_where_test_only(*, live: bool, message: str, field: str) -> None:
    """The one test-mode-only rule: with TRACKIFY_TEST_MODE_ONLY on, nothing live is accepted.

    The config service asks it about the config's `test_mode`; a gateway whose credentials carry
    a mode of their own (Stripe's sk_live_…) asks it about them, so each refusal names its field.
    """
    if live and settings.TRACKIFY_TEST_MODE_ONLY:
        raise ValidationFailed(message, field=field)


class PaymentGatewayBase(abc.ABC):
    #: Registry key, URL segment of the webhook endpoint, and stored on every config.
    name: ClassVar[str]
    #: What a person sees ("Stripe", "Sandbox").
    display_name: ClassVar[str]
    #: The credential form. Secret fields are write-only in the API and masked everywhere else.
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()
    capabilities: ClassVar[GatewayCapabilities] = GatewayCapabilities()
    #: The longest a payment session may stay open at this gateway.
    max_session_lifetime: ClassVar[timedelta] = timedelta(hours=24)
    #: The provider's webhook is only a hint: it names an object and carries no signature (Mollie
    #: POSTs `id=tr_…`). `verify_webhook` then checks the delivery's form only; `normalize_event`
    #: returns an `incomplete` event naming the object; `complete_event` fetches the object with the
    #: config's credentials (that fetch is the verification) and returns the event with
    #: `gateway_event_id` set to what identifies the news (the object's id and the status fetched),
    #: so a second hint about a status already applied is a duplicate and a new status is new. In
    #: async mode the request stores the hint and the worker fetches.
    webhooks_are_hints: ClassVar[bool] = False

    def __init__(self, context: GatewayContext):
        self.context = context

    # -- class-level hooks: no instance, no credentials needed ---------------------------------

    @classmethod
    def clean_credentials(cls, credentials: Mapping[str, str], *, test_mode: bool) -> dict[str, str]:
        """Check a complete credential set before it is stored; return it normalised.

        Raise `ValidationFailed` (with `field` set) for a value of the wrong form. Must not call
        the provider: that is `test_connection`'s job. The default checks required fields.
        """
        cleaned = {key: str(value).strip() for key, value in credentials.items()}
        for spec in cls.credential_fields:
            if spec.required and not spec.generated and not cleaned.get(spec.name):
                raise ValidationFailed(f"{spec.label} is required.", field=spec.name)
        known = {spec.name for spec in cls.credential_fields}
        unknown = sorted(set(cleaned) - known)
        if unknown:
            raise ValidationFailed(
                f"Unknown credential field(s) for {cls.display_name}: {', '.join(unknown)}.",
                field=unknown[0],
            )
        return cleaned

    @classmethod
    def webhook_payment_hint(cls, request: WebhookRequest) -> UUID | None:
        """Our payment id as the *unverified* delivery claims it, or None.

        Used only on the shared webhook URL (`/payment/webhook/<name>/`) to choose which config's
        secret verifies the delivery. Nothing else may be trusted before `handle_webhook` passes.
        """
        return None

    @classmethod
    def webhook_reference_hint(cls, request: WebhookRequest) -> str:
        """The gateway's own id of the payment as the *unverified* delivery claims it, or "".

        Asked on the shared URL when `webhook_payment_hint` finds none of our ids: events about
        objects made outside our calls (a refund made in the provider's dashboard) still name the
        payment the provider knows. Same rules: it only picks the config whose secret verifies.
        """
        return ""

    @classmethod
    def webhook_event_id_hint(cls, request: WebhookRequest) -> str:
        """The provider's event id as the *unverified* delivery claims it, or "".

        The service uses it only to learn, in the same query that reads the config, whether that
        event is done already; it trusts the answer only once `handle_webhook` has verified the
        delivery and the verified event has the same id. "" (the default) is always correct: a
        repeated delivery then costs a locking read and a claim more, and is still applied once.
        """
        return ""

    # -- instance methods: bound to one config's credentials -------------------------------------

    def public_config(self) -> dict[str, Any]:
        """What the browser of the person paying may know (a publishable key, the flow).

        Never a secret: this is served to anyone holding an invoice link.
        """
        return {"flow": self.context.flow.value}

    @abc.abstractmethod
    def create_payment_session(self, request: SessionRequest) -> SessionResult:
        """Open a payment at the provider for `request.amount` in `request.currency`.

        Must send `request.idempotency_key` so that a retry opens no second session. Returns a
        `redirect_url`, `client_params` for an in-page widget, or both, and the session's reference.
        Must not capture money by itself. Raises `GatewayError` subclasses only.

        Called with no transaction open and no lock held, once the payment is reserved: an answer
        slower than `TRACKIFY_SESSION_RESERVATION_SECONDS` is not recorded (the session is closed
        again with `expire_session`), and an error releases the reservation.
        """

    def handle_webhook(self, request: WebhookRequest) -> WebhookEvent:
        """Verify a delivery with this config's secret, then normalise it.

        Nothing in the delivery is read before `verify_webhook` passes.
        """
        return self.normalize_event(self.verify_webhook(request))

    @abc.abstractmethod
    def verify_webhook(self, request: WebhookRequest) -> Mapping[str, Any]:
        """Prove the delivery came from the provider; return its parsed payload.

        Raise `WebhookVerificationError` for a bad or missing signature, a stale timestamp, or a
        body that does not parse. Check with this config's secret where the provider signs (no I/O:
        Stripe, the sandbox). A provider that verifies deliveries itself may be asked (PayPal's
        `verify-webhook-signature`): that costs one call to the provider per delivery, duplicates
        included, made before anything is locked or stored; say so in the gateway's docstring. If
        the provider cannot be reached, raise `GatewayUnavailable`: the delivery is answered 503 (the
        provider delivers it again) and never counted as a rejected signature. A hint-only gateway
        (`webhooks_are_hints`) checks the delivery's form here; its fetch verifies.
        """

    @abc.abstractmethod
    def normalize_event(self, payload: Mapping[str, Any]) -> WebhookEvent:
        """Turn a verified payload into a `WebhookEvent`.

        Pure: no I/O. Also used to replay a stored event (admin "process again"). Event types the
        gateway does not act on come back with no update; they are stored and ignored. The
        gateway reports what the provider says; it does not decide what that means for us.
        """

    def complete_event(self, event: WebhookEvent) -> WebhookEvent:
        """Fill in what an `incomplete` event leaves out by asking the provider (read-only there).

        Called by the service, outside any database transaction, only for events marked
        `incomplete`. Returns the event with its updates filled in and `incomplete` false. Raise
        `GatewayError` when the provider cannot answer; the event is then kept and tried again.
        A hint-only gateway (`webhooks_are_hints`) fetches the object here, sets `gateway_event_id`
        to the news's identity, and raises `WebhookSubjectUnknown` when the provider has no such
        object for these credentials.
        """
        return event

    def resolve_payment(self, event: WebhookEvent) -> UUID | None:
        """Ask the provider whose payment an event's object belongs to, when we cannot match it.

        Returns our payment id as the provider's object carries it (its metadata), or None when
        the provider's object is provably not ours (made outside Trackify). Raise `GatewayError`
        when the provider cannot tell right now: the event is then kept as deferred, never dropped.
        The default cannot ask, and says so.
        """
        raise GatewayError(
            f"{self.display_name} cannot look up the payment of an event.", code="lookup_unsupported"
        )

    @abc.abstractmethod
    def get_payment_status(self, lookup: PaymentLookup) -> PaymentUpdate:
        """Ask the provider where a payment stands now. Read-only at the provider."""

    def expire_session(self, lookup: PaymentLookup) -> PaymentUpdate:
        """Close an open payment session so that it can no longer be paid; return where it stands.

        A session paid meanwhile stays paid: the answer then says succeeded (or processing), and
        the caller applies that instead. The default closes nothing: it reports the status, which
        is right for gateways whose sessions expire by themselves at `expires_at`.
        """
        return self.get_payment_status(lookup)

    def refund_payment(self, request: RefundRequest) -> RefundResult:
        """Return `request.amount` of a succeeded payment to the payer.

        Only called when `capabilities.refunds` is true (and, for less than the whole amount,
        `partial_refunds`). Must send `request.idempotency_key`.
        """
        raise GatewayError(f"{self.display_name} does not support refunds.", code="refunds_unsupported")

    def capture_payment(self, request: CaptureRequest) -> PaymentUpdate:
        """Capture an authorized payment (the money moves now); return where it stands after.

        Only called when `capabilities.captures` is true, by the service, exactly once per payment
        while it holds the payment's lock and the payment is `authorized`, whichever signal brought
        the authorization first (the payer's return, an in-page approval, a webhook, a status
        refresh). Must send `request.idempotency_key`: a call that timed out is retried with the
        same key. Returns `succeeded` (or `processing`) with `gateway_payment_reference` set to the
        capture's id, which refunds then name; `failed` with the provider's message when it refused
        (the payer may pay again); `expired` when the authorization lapsed. Raise `GatewayError`
        when the provider cannot answer: the payment stays authorized, and the next signal or
        `payments_catch_up` tries again with the same key.
        """
        raise GatewayError(f"{self.display_name} does not capture payments.", code="captures_unsupported")

    def list_disputes(self, lookup: PaymentLookup) -> tuple[DisputeUpdate, ...]:
        """Every dispute the provider holds against a payment, as it stands now. Read-only there.

        Only called when `capabilities.disputes` is true: the catch-up (`payments_catch_up`)
        refreshes the payments whose disputes are still open with it, so that a dispute whose
        events were lost still closes in our books. Raise `GatewayError` when the provider cannot
        answer; the dispute is then tried again on the next run.
        """
        return ()

    def dispute_dashboard_url(self, gateway_dispute_id: str) -> str:
        """Where the merchant answers a dispute at the provider (submits evidence); "" if nowhere.

        No I/O, and no credentials: it is asked for every dispute listed, on an instance whose context
        carries the config's id and `test_mode` but empty `credentials`, so no secret is decrypted.
        """
        return ""

    def test_connection(self) -> str:
        """Make one harmless call with these credentials; return a short report for the merchant.

        Raise `GatewayConfigurationError` when the credentials do not work.
        """
        return f"{self.display_name} needs no remote account; nothing to check."
