"""What a gateway supplies to run the conformance kit: an adapter over its fake provider.

The kit (`suite.py`) drives our whole system over HTTP, as a payer, a merchant and a provider
would. It never knows how a provider works: whenever something must happen *at the provider*
(the payer pays, the merchant refunds in the dashboard, the provider is down, a webhook is sent),
it asks the adapter. One adapter instance serves one test: `start()` before, `stop()` after.

Rules for an adapter:
- It talks to its fake provider only (a server on 127.0.0.1, or in-process); never the network.
- Actions at the provider (`pay`, `decline`, `expire`, `refund_at_provider`, `dispute`,
  `tamper_amount`) only change the provider's state and queue the webhook deliveries the provider
  would send; they never call our API. The kit posts what `deliveries()` hands back (and
  duplicates, reorders or delays them) to `/payment/webhook/<name>/<config_id>/`.
- A method the provider cannot do raises `NotSupported("why")`: the kit then skips that check with
  the reason, so nothing passes silently.

Stable interface: the PayPal and Mollie kits build on it. Add methods with defaults only.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from trackify.payments.gateways.base import PaymentGatewayBase

#: The provider errors the kit injects (`GatewayAdapter.fault`), and what our API must answer:
#: - "down": the provider cannot be reached (connection refused or dropped) → 502/503 `gateway_unavailable`
#: - "error_5xx": the provider answers 500/503 → 502/503 `gateway_unavailable`
#: - "rate_limited": the provider answers 429 → 502/503 `gateway_unavailable`
#: - "bad_request": the provider rejects the request's values (400/422) → 400 `gateway_rejected_request`
#: - "unauthorized": the credentials are refused (401/403) → 502 `gateway_misconfigured`
#: - "answer_lost": the request takes effect at the provider but its answer is lost (a dropped
#:   connection after processing); only used once, to check the retry opens no second session.
FaultKind = Literal["down", "error_5xx", "rate_limited", "bad_request", "unauthorized", "answer_lost"]
FAULT_KINDS: tuple[FaultKind, ...] = ("down", "error_5xx", "rate_limited", "bad_request", "unauthorized")


class NotSupported(Exception):
    """The provider (or its fake) cannot do this; the kit skips the check with this message."""


@dataclass(frozen=True)
class KitPayment:
    """One of our payments, as the kit knows it when it asks the adapter to act on it.

    Re-read from our books before every adapter call, so the references are current (e.g.
    `gateway_payment_reference` is set once the provider reported its money movement / capture).
    """

    payment_id: str  # our InvoicePayment id (UUID as a string)
    config_id: str  # our PaymentGatewayConfig id: the webhook URL is /payment/webhook/<name>/<config_id>/
    invoice_id: str
    gateway_reference: str  # the session / order / payment id the gateway returned
    gateway_payment_reference: str  # the money movement's id (charge, capture), once known; else ""
    amount: int  # minor units
    currency: str  # upper-case ISO 4217
    status: str  # our status now ("pending", "authorized", "succeeded", ...)
    redirect_url: str | None = None  # from POST /payment/create-session/
    client_params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    """A webhook delivery exactly as the provider would POST it."""

    body: bytes
    headers: dict[str, str]  # as sent, e.g. {"Stripe-Signature": "t=...,v1=..."} (no Content-Type)
    content_type: str = "application/json"  # Mollie: "application/x-www-form-urlencoded"
    # Free text for failure messages ("payment_intent.succeeded"); never read by the kit.
    label: str = ""


class GatewayAdapter(abc.ABC):
    """Drive one gateway's fake provider for the conformance kit. Subclass and fill in.

    Class attributes:
    - `gateway_class`: the gateway under test; it must be registered (settings.PAYMENT_GATEWAYS
      or the entry point), so that POST /payment/gateways/ accepts `gateway_class.name`.
    - `forged_status`: what our webhook endpoint answers a forged or tampered delivery: 400 for a
      signed webhook; 200 for hint-only gateways (`webhooks_are_hints`), whose forged id the
      provider does not know (`WebhookSubjectUnknown`).
    - `config_options`: extra fields for POST /payment/gateways/ (e.g. {"flow": "redirect"}).
    """

    gateway_class: ClassVar[type[PaymentGatewayBase]]
    forged_status: ClassVar[int] = 400
    config_options: ClassVar[dict[str, Any]] = {}

    # -- lifecycle -------------------------------------------------------------------------------

    @abc.abstractmethod
    def start(self, *, settings: Any, monkeypatch: Any) -> None:
        """Start the fake provider and point the gateway at it.

        `settings` is pytest-django's `settings` fixture (overrides are undone after the test, e.g.
        `settings.STRIPE_API_BASE = fake.url`); `monkeypatch` is pytest's (e.g. to shorten SDK
        retry sleeps). Called once per test, before anything else.
        """

    def config_created(self, config_id: str) -> None:
        """The kit made a config with `credentials()` (POST /payment/gateways/); its id, for an adapter
        whose provider needs it (the sandbox's account is the config; a generated webhook secret)."""
        return None

    def stop(self) -> None:
        """Stop the fake provider (called after the test, also when it failed)."""
        return None  # an in-process provider has nothing to stop

    # -- credentials and secrets ---------------------------------------------------------------

    @abc.abstractmethod
    def credentials(self) -> dict[str, str]:
        """A working credential set for POST /payment/gateways/ (as a user types it in)."""

    @abc.abstractmethod
    def bad_credentials(self) -> dict[str, str]:
        """Well-formed credentials (they pass `clean_credentials`) that the provider refuses:
        test-connection must fail with them."""

    @abc.abstractmethod
    def secrets(self) -> list[str]:
        """Every secret value in play (API keys, client secrets, webhook secrets, OAuth tokens the
        fake issued): the kit checks that none appears in a response body or a log record."""

    # -- the payer and the merchant at the provider ---------------------------------------------

    @abc.abstractmethod
    def pay(self, payment: KitPayment) -> None:
        """The payer completes the session at the provider (for PayPal: approves the order).

        Queue the deliveries the provider sends about it. A gateway that captures stops at
        approval: the capture is the core's (through the gateway's `capture_payment`)."""

    @abc.abstractmethod
    def decline(self, payment: KitPayment) -> None:
        """The payer's attempt is refused (a declined card). The session may stay payable (Stripe)
        or end failed; either way the kit expects no money, and a retry (same session, or a new
        one) to be payable."""

    @abc.abstractmethod
    def expire(self, payment: KitPayment) -> None:
        """The session lapses at the provider unpaid (as if its lifetime passed); queue the event."""

    @abc.abstractmethod
    def refund_at_provider(self, payment: KitPayment, amount: int) -> None:
        """The merchant refunds `amount` (minor units) in the provider's dashboard, outside our API;
        queue the deliveries about it."""

    def dispute(self, payment: KitPayment) -> None:
        """The payer's bank opens a chargeback for the whole payment (only asked when
        `capabilities.disputes`); queue the deliveries."""
        raise NotSupported(f"{self.gateway_class.name}'s adapter opens no disputes")

    def tamper_amount(self, payment: KitPayment, amount: int, currency: str) -> None:
        """From now on the provider reports this payment with `amount`/`currency` (instead of ours),
        in its deliveries and when asked. Called before `pay`; the kit checks that the mismatch is
        flagged (`attention_reason`) and never paid."""
        raise NotSupported(f"{self.gateway_class.name}'s adapter cannot change a payment's amount")

    # -- webhook deliveries ------------------------------------------------------------------

    @abc.abstractmethod
    def deliveries(self) -> list[Delivery]:
        """The webhook deliveries the provider made since the last call, oldest first (and forget
        them). Each is signed/formed as the provider would send it to the config's webhook URL."""

    @abc.abstractmethod
    def forge(self, delivery: Delivery) -> Delivery:
        """A delivery that must not be believed, made from a genuine one: a tampered body or a bad
        signature (signed gateways), or a hint naming an id the provider does not know (hint-only
        gateways). Our endpoint must answer `forged_status` and change nothing."""

    # -- faults --------------------------------------------------------------------------------

    @abc.abstractmethod
    def fault(self, kind: FaultKind, times: int = 1) -> None:
        """Make the next `times` calls from the gateway to the provider meet fault `kind` (see
        `FaultKind`). `times` counts HTTP requests, so an SDK that retries consumes several; the
        kit uses a large `times` for "stays down" and calls `clear_faults()` afterwards. Raise
        `NotSupported` for a kind the fake cannot make."""

    @abc.abstractmethod
    def clear_faults(self) -> None:
        """Forget every fault not yet consumed: the provider answers normally again."""

    # -- counters at the provider -------------------------------------------------------------

    @abc.abstractmethod
    def sessions_opened(self, payment: KitPayment) -> int:
        """How many sessions / orders / payments the provider holds for our payment (by its
        metadata or reference): 1 after a retried create-session."""

    def captures(self, payment: KitPayment) -> int:
        """How many money captures the provider made for our payment (gateways that capture)."""
        raise NotSupported(f"{self.gateway_class.name} does not capture")
