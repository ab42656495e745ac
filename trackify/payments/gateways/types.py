"""Typed values that cross the gateway boundary, in both directions.

Gateways receive and return only these: never ORM objects, never request objects. Amounts are
integers in the ISO 4217 minor unit of `currency` (see `trackify.common.money`); a gateway whose
API counts differently (Stripe's zero-decimal list) converts at its own edge.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    # The payer approved; the money is held, not moved, until the core captures it through the
    # gateway's `capture_payment` (PayPal's approved order, Mollie's authorized payment).
    AUTHORIZED = "authorized"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class DisputeStatus(enum.StrEnum):
    """Where a dispute (a chargeback, or the inquiry that may precede one) stands at the provider."""

    INQUIRY = "inquiry"  # the bank asks questions; no money moved yet; it needs a response
    NEEDS_RESPONSE = "needs_response"  # a chargeback: evidence is due by the deadline
    UNDER_REVIEW = "under_review"  # evidence submitted; the bank decides
    WON = "won"  # closed in the merchant's favour (an inquiry closed without a chargeback too)
    LOST = "lost"  # closed in the payer's favour: the withdrawn money stays withdrawn


class PaymentFlow(enum.StrEnum):
    """How the person paying meets the gateway."""

    REDIRECT = "redirect"  # to a page hosted by the gateway, then back to us
    IN_MODAL = "in_modal"  # the gateway's own widget inside our page, fed by client_params


@dataclass(frozen=True)
class CredentialField:
    """One entry of a gateway's credential form."""

    name: str
    label: str
    secret: bool = True
    required: bool = True
    help_text: str = ""
    # Filled with a random value when left empty (e.g. the sandbox's webhook secret).
    generated: bool = False


@dataclass(frozen=True)
class GatewayCapabilities:
    refunds: bool = False
    partial_refunds: bool = False
    flows: tuple[PaymentFlow, ...] = (PaymentFlow.REDIRECT,)
    # None: every ISO 4217 currency. Otherwise the upper-case codes the gateway takes.
    currencies: frozenset[str] | None = None
    # The provider reports disputes (chargebacks) through `WebhookEvent.dispute_updates`, and
    # `list_disputes` refreshes them.
    disputes: bool = False
    # Payments stop at `authorized` until the core captures them with `capture_payment` (once,
    # under the payment's lock). Without it a gateway never reports `authorized`.
    captures: bool = False

    def supports_currency(self, currency: str) -> bool:
        return self.currencies is None or currency.upper() in self.currencies


@dataclass(frozen=True)
class GatewayContext:
    """What a gateway instance knows about the configuration it serves."""

    config_id: UUID
    credentials: Mapping[str, str]
    test_mode: bool = True
    flow: PaymentFlow = PaymentFlow.REDIRECT
    # Absolute base of this deployment ("https://pay.example.com"), for URLs the gateway builds.
    site_url: str = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class SessionRequest:
    payment_id: UUID
    invoice_id: UUID
    invoice_number: str
    amount: int
    currency: str
    description: str
    customer_name: str
    customer_email: str
    # Where the person paying returns to; may contain {PAYMENT_ID}.
    return_url: str
    cancel_url: str
    expires_at: datetime
    # Derived from our payment id, so the retries of one call (the SDK's own) open one session.
    idempotency_key: str


@dataclass(frozen=True)
class SessionResult:
    gateway_reference: str
    status: PaymentStatus = PaymentStatus.PENDING
    redirect_url: str | None = None
    client_params: Mapping[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None


@dataclass(frozen=True)
class PaymentLookup:
    """Enough for a gateway to find a payment at its end."""

    payment_id: UUID
    gateway_reference: str
    amount: int
    currency: str
    gateway_payment_reference: str = ""


@dataclass(frozen=True)
class CaptureRequest:
    """Capture an authorized payment: all of it (partial captures are not offered)."""

    payment: PaymentLookup
    amount: int
    currency: str
    # Derived from our payment id: every attempt at capturing one payment sends the same key, so a
    # retry after a timeout is answered with the first capture, never a second one.
    idempotency_key: str


@dataclass(frozen=True)
class RefundRequest:
    refund_id: UUID
    payment: PaymentLookup
    amount: int
    currency: str
    reason: str
    idempotency_key: str


@dataclass(frozen=True)
class RefundResult:
    gateway_refund_id: str
    status: RefundStatus
    amount: int


@dataclass(frozen=True)
class WebhookRequest:
    """A delivery exactly as received: the raw body is what signatures are computed over."""

    body: bytes
    headers: Mapping[str, str]  # lower-case names

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass(frozen=True)
class PaymentUpdate:
    """A gateway says: this payment is now in this state (in a webhook event, or when asked)."""

    status: PaymentStatus
    amount: int | None = None
    currency: str | None = None
    # The gateway's id of the money movement itself (e.g. Stripe's PaymentIntent), once known.
    gateway_payment_reference: str = ""
    failure_message: str = ""


@dataclass(frozen=True)
class RefundUpdate:
    """A gateway says: this refund (made by us or in its dashboard) is now in this state."""

    gateway_refund_id: str
    status: RefundStatus
    amount: int
    currency: str
    # Our own refund id, when the refund was made through us and the gateway echoes it.
    refund_id: UUID | None = None


@dataclass(frozen=True)
class DisputeUpdate:
    """A gateway says: this dispute of a payment stands so, and this much money moved because of it.

    `withdrawn` and `reinstated` are what the provider has taken back from the merchant and given
    back so far, in total (not this event's share), in minor units of `currency`: each report is a
    snapshot, so the ledger applies it the same whatever order the reports arrive in.
    """

    gateway_dispute_id: str
    status: DisputeStatus
    amount: int
    currency: str
    reason: str = ""
    evidence_due_by: datetime | None = None
    withdrawn: int = 0
    reinstated: int = 0
    # An inquiry (a "warning" at Stripe, a retrieval request elsewhere): no money moves unless it
    # becomes a chargeback.
    is_inquiry: bool = False


@dataclass(frozen=True)
class WebhookEvent:
    """A verified, normalised webhook event.

    The payment is named by our own id (`payment_id`, echoed back through metadata) or by the
    gateway's reference; at least one of them is set for events the service should apply. An
    event with neither, or with no update, is stored and ignored.
    """

    gateway_event_id: str
    event_type: str
    payload: Mapping[str, Any]
    payment_id: UUID | None = None
    gateway_reference: str = ""
    payment_update: PaymentUpdate | None = None
    refund_updates: tuple[RefundUpdate, ...] = ()
    dispute_updates: tuple[DisputeUpdate, ...] = ()
    livemode: bool | None = None
    # The provider's event leaves out something needed to apply it (Stripe's `charge.refunded`
    # lists no refunds since API version 2022-11-15; a hint-only webhook, Mollie's, carries nothing
    # but an id); the gateway's `complete_event` fetches it.
    incomplete: bool = False

    @property
    def is_actionable(self) -> bool:
        has_target = self.payment_id is not None or bool(self.gateway_reference)
        return has_target and (
            self.payment_update is not None or bool(self.refund_updates) or bool(self.dispute_updates)
        )
