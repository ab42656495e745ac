"""The webhook storm: Stripe's worst day, against a live server (gunicorn on PostgreSQL) over HTTP.

- ≥500 Checkout payments over four Stripe accounts (four owners, four webhook endpoints); most
  paid by card, some by a bank debit that settles or fails later, some abandoned until they expire;
- half the paid ones refunded twice in Stripe's dashboard (`refund.created` + `charge.refunded`,
  on an API version whose `charge.refunded` lists no refunds);
- two of the endpoints subscribe to `charge.refunded` only, never to `refund.*`;
- a share of the paid ones not refunded disputed by the payer's bank: some first as an inquiry that
  becomes a chargeback, every chargeback's funds withdrawn, some answered with evidence, then won
  (funds reinstated) or lost (`charge.dispute.*`);
- every event delivered at least once, 30% twice, all in one shuffled order, by 8 concurrent
  senders, each delivery signed when it is sent;
- some deliveries fail as Stripe sees it (the sender gives up before the answer, as on a timeout)
  and are delivered again later, as Stripe retries.

Afterwards every invoice's amount paid equals its succeeded payments minus refunds minus what
disputes hold, as Stripe knows them; every Stripe refund is recorded once by its id, every dispute
once with Stripe's outcome; and no request got a 5xx. The figures
are printed. `STORM_PAYMENTS` changes the size (default 720, which makes over 5,000 deliveries),
`STORM_SEED` the random world (default 1; 0 for a new one each run).
"""

from __future__ import annotations

import collections
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.fakes.fake_stripe import Account, FakeStripe
from tests.harness.live_server import LiveServer
from tests.payments.notifications.conftest import Inbox, free_port
from trackify.invoices.models import Invoice
from trackify.invoices.services import invoice_create
from trackify.payments.models import (
    InvoicePayment,
    PaymentDispute,
    PaymentGatewayConfig,
    PaymentRefund,
    PaymentWebhookEvent,
)
from trackify.payments.services.gateway_configs import gateway_config_create
from trackify.payments.services.notifications.sender import deliver_due
from trackify.payments.services.sessions import payment_session_create
from trackify.payments.state import PAID_STATUSES

pytestmark = [pytest.mark.postgres, pytest.mark.harness, pytest.mark.django_db(transaction=True)]

DEFAULT_PAYMENTS = 720
PAYMENTS = int(os.environ.get("STORM_PAYMENTS", str(DEFAULT_PAYMENTS)))
SENDERS = 8
DUPLICATE_SHARE = 0.30
REFUNDED_SHARE = 0.5
ABANDONED_SHARE = 0.03  # deliveries whose answer the sender does not wait for
REFUND_TYPES = ("refund.created", "refund.updated", "refund.failed")
DISPUTED_SHARE = 0.2  # of the paid payments not refunded
# Stripe's dispute statuses as our books name them (written out: the test does not trust the mapping).
OUR_DISPUTE_STATUS = {"warning_closed": "won", "won": "won", "lost": "lost"}


@dataclass
class Endpoint:
    account: Account
    config: PaymentGatewayConfig
    refunds_by_charge_only: bool

    def subscribes(self, event_type: str) -> bool:
        return not (self.refunds_by_charge_only and event_type in REFUND_TYPES)


@dataclass
class Delivery:
    endpoint: Endpoint
    event: dict[str, Any]
    attempt: int = 0
    abandon: bool = False


@dataclass
class Figures:
    deliveries: int = 0
    unique_events: int = 0
    duplicates: int = 0
    abandoned: int = 0
    retried: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


# -- the world before the storm ----------------------------------------------------------------------


def make_endpoints(fake: FakeStripe, make_user: Any) -> list[Endpoint]:
    endpoints = []
    for n in range(4):
        account = fake.add_account()
        account.charge_refunds_in_events = False  # API versions since 2022-11-15
        config = gateway_config_create(
            owner=make_user(f"storm-owner-{n}"),
            gateway_name="stripe",
            credentials={
                "secret_key": account.secret_key,
                "publishable_key": account.publishable_key,
                "webhook_secret": account.webhook_secret,
            },
            is_default=True,
        )
        endpoints.append(Endpoint(account, config, refunds_by_charge_only=n >= 2))
    return endpoints


def open_payments(
    endpoints: list[Endpoint], rng: random.Random, count: int = PAYMENTS
) -> list[tuple[Endpoint, InvoicePayment]]:
    opened = []
    for n in range(count):
        endpoint = endpoints[n % len(endpoints)]
        invoice = invoice_create(
            owner=endpoint.config.owner,
            number=f"STORM-{n:05d}",
            client_name="Storm client",
            client_email="client@example.com",
            currency="EUR",
            total=f"{rng.randint(5, 900)}.{rng.randint(0, 99):02d}",
        )
        opened.append((endpoint, payment_session_create(invoice_id=invoice.pk).payment))
    return opened


def happen_at_stripe(opened: list[tuple[Endpoint, InvoicePayment]], rng: random.Random) -> None:
    """Payers pay (or not), debits settle, owners refund in the dashboard; Stripe queues the events."""
    for endpoint, payment in opened:
        account, reference = endpoint.account, payment.gateway_reference
        roll = rng.random()
        if roll < 0.05:
            account.expire_checkout(reference)
            continue
        if roll < 0.15:
            account.pay_checkout(reference, "processing")
            account.settle_checkout(reference, succeeded=roll < 0.12)
        else:
            account.pay_checkout(reference)
        intent = account.intents[account.sessions[reference]["payment_intent"]]
        if intent["status"] != "succeeded":
            continue
        if rng.random() < REFUNDED_SHARE:
            first = rng.randint(1, intent["amount"] - 1)
            account.dashboard_refund(intent["id"], first)
            account.dashboard_refund(intent["id"], rng.randint(1, intent["amount"] - first))
        elif rng.random() < DISPUTED_SHARE:
            dispute_at_stripe(account, intent["id"], rng)


def dispute_at_stripe(account: Account, intent_id: str, rng: random.Random) -> None:
    """The payer's bank disputes the whole charge or part of it, and decides."""
    amount = account.intents[intent_id]["amount_received"]
    part = amount if rng.random() < 0.7 else rng.randint(1, amount)
    if rng.random() < 0.25:  # an inquiry first, which becomes a chargeback
        events = account.open_dispute(intent_id, inquiry=True, amount=part)
        events = account.escalate_inquiry(events[0]["data"]["object"]["id"])
        dispute_id = events[-1]["data"]["object"]["id"]
    else:
        dispute_id = account.open_dispute(intent_id, amount=part)[0]["data"]["object"]["id"]
    if rng.random() < 0.6:
        account.submit_dispute_evidence(dispute_id)
    account.close_dispute(dispute_id, "won" if rng.random() < 0.5 else "lost")


def plan_deliveries(endpoints: list[Endpoint], rng: random.Random, figures: Figures) -> list[Delivery]:
    unique = [
        Delivery(endpoint, event)
        for endpoint in endpoints
        for event in endpoint.account.take_events()
        if endpoint.subscribes(event["type"])
    ]
    duplicates = [Delivery(d.endpoint, d.event) for d in rng.sample(unique, int(len(unique) * DUPLICATE_SHARE))]
    planned = unique + duplicates
    rng.shuffle(planned)
    for delivery in rng.sample(planned, int(len(planned) * ABANDONED_SHARE)):
        delivery.abandon = True
    figures.unique_events, figures.duplicates = len(unique), len(duplicates)
    return planned


# -- the storm -------------------------------------------------------------------------------------------


def run_senders(sender: Callable[[], None]) -> float:
    """`SENDERS` threads running `sender` until each returns; the seconds it took."""
    started = time.monotonic()
    threads = [threading.Thread(target=sender, name=f"sender-{n}") for n in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


class Storm:
    """8 senders draining one shared queue; a failed delivery goes to the back, as a later retry."""

    def __init__(self, server_url: str, planned: list[Delivery], figures: Figures):
        self.server_url, self.figures = server_url, figures
        self.queue: collections.deque[Delivery] = collections.deque(planned)
        self.lock = threading.Lock()

    def run(self) -> None:
        self.figures.seconds = run_senders(self._sender)

    def _next(self) -> Delivery | None:
        with self.lock:
            return self.queue.popleft() if self.queue else None

    def _sender(self) -> None:
        session = requests.Session()
        while (delivery := self._next()) is not None:
            delivery.attempt += 1
            with self.lock:
                self.figures.deliveries += 1
                if delivery.attempt > 1:
                    self.figures.retried += 1
            if not self._send(session, delivery):
                if delivery.attempt >= 8:
                    with self.lock:
                        self.figures.errors.append(f"gave up on {delivery.event['id']}")
                    continue
                with self.lock:
                    self.queue.append(delivery)  # Stripe delivers it again later

    def _send(self, session: requests.Session, delivery: Delivery) -> bool:
        signed = FakeStripe.delivery(delivery.event, delivery.endpoint.account.webhook_secret)
        url = f"{self.server_url}/payment/webhook/stripe/{delivery.endpoint.config.id}/"
        if delivery.abandon and delivery.attempt == 1:
            self._send_and_hang_up(url, signed.body, signed.headers)
            with self.lock:
                self.figures.abandoned += 1
            return False
        try:
            response = session.post(url, data=signed.body, headers=signed.headers, timeout=60)
        except requests.RequestException as exc:
            with self.lock:
                self.figures.errors.append(f"{type(exc).__name__} on {delivery.event['id']}")
            return False
        with self.lock:
            self.figures.statuses[response.status_code] += 1
            if response.ok:
                self.figures.outcomes[response.json().get("status", "?")] += 1
        return response.ok

    @staticmethod
    def _send_and_hang_up(url: str, body: bytes, headers: dict[str, str]) -> None:
        """Send the whole request, then close without reading the answer (Stripe's time-out)."""
        parts = urlsplit(url)
        head = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)


# -- what must hold afterwards ------------------------------------------------------------------------------


def stripe_truth(endpoint: Endpoint, payment: InvoicePayment) -> tuple[int, dict[str, int]]:
    """(amount paid, {refund id: amount}) of one payment as Stripe's books say."""
    account = endpoint.account
    intent_id = account.sessions[payment.gateway_reference]["payment_intent"]
    intent = account.intents.get(intent_id or "")
    if intent is None or intent["status"] != "succeeded":
        return 0, {}
    refunds = {r["id"]: r["amount"] for r in account.refunds.values() if r["payment_intent"] == intent_id}
    return intent["amount_received"], refunds


def stripe_disputes(endpoint: Endpoint, payment: InvoicePayment) -> dict[str, tuple[str, int, int]]:
    """{dispute id: (our status, withdrawn, reinstated)} of one payment, from Stripe's balance transactions."""
    account = endpoint.account
    intent_id = account.sessions[payment.gateway_reference]["payment_intent"]
    found = {}
    for dispute in account.disputes.values():
        if dispute["payment_intent"] == intent_id:
            moved = [t["amount"] for t in dispute["balance_transactions"]]
            withdrawn, reinstated = -sum(a for a in moved if a < 0), sum(a for a in moved if a > 0)
            found[dispute["id"]] = (OUR_DISPUTE_STATUS[dispute["status"]], withdrawn, reinstated)
    return found


def wrong_invoices(opened: list[tuple[Endpoint, InvoicePayment]]) -> list[str]:
    wrong = []
    invoices = Invoice.objects.in_bulk([p.invoice_id for _, p in opened])
    recorded: dict[Any, dict[str, int]] = collections.defaultdict(dict)
    counts: collections.Counter[tuple[Any, str]] = collections.Counter()
    for refund in PaymentRefund.objects.filter(status="succeeded"):
        recorded[refund.payment_id][refund.gateway_refund_id] = refund.amount
        counts[(refund.payment_id, refund.gateway_refund_id)] += 1
    disputes: dict[Any, dict[str, tuple[str, int, int]]] = collections.defaultdict(dict)
    for dispute in PaymentDispute.objects.all():
        disputes[dispute.payment_id][dispute.gateway_dispute_id] = (
            dispute.status, dispute.withdrawn_amount, dispute.reinstated_amount
        )
    for endpoint, payment in opened:
        paid, refunds = stripe_truth(endpoint, payment)
        at_stripe = stripe_disputes(endpoint, payment)
        held = sum(withdrawn - reinstated for _, withdrawn, reinstated in at_stripe.values())
        expected = paid - sum(refunds.values()) - held
        invoice = invoices[payment.invoice_id]
        if invoice.amount_paid != expected or recorded[payment.pk] != refunds or disputes[payment.pk] != at_stripe:
            wrong.append(
                f"{invoice.number}: amount paid {invoice.amount_paid}, Stripe says {expected}; "
                f"refunds {recorded[payment.pk]} vs {refunds}; disputes {disputes[payment.pk]} vs {at_stripe}"
            )
    wrong += [f"refund {ref} recorded {n} times" for (_, ref), n in counts.items() if n > 1]
    return wrong


@pytest.fixture
def storm_fake() -> Iterator[FakeStripe]:
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.fixture
def storm_smtp(settings: Any) -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server the live server's workers (and this process) send receipts to."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    yield inbox, controller.port
    controller.stop()


def receipts_by_payment(inbox: Inbox) -> collections.Counter[str]:
    """How many receipts each payment got: the payment id is in the receipt link."""
    counts: collections.Counter[str] = collections.Counter()
    for message in inbox.messages:
        if str(message["Subject"]).startswith("Receipt for invoice"):
            body = message.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            counts[text.split("/receipt/", 1)[1].split("/", 1)[0]] += 1
    return counts


def test_webhook_storm(
    storm_fake: FakeStripe, storm_smtp: tuple[Inbox, int], make_user: Any, settings: Any, tmp_path: Path, capsys: Any
) -> None:
    settings.STRIPE_API_BASE = storm_fake.url
    rng = random.Random(int(os.environ.get("STORM_SEED", "1")) or None)
    figures = Figures()
    endpoints = make_endpoints(storm_fake, make_user)
    opened = open_payments(endpoints, rng)
    happen_at_stripe(opened, rng)
    planned = plan_deliveries(endpoints, rng, figures)

    inbox, smtp_port = storm_smtp
    env = {"STRIPE_API_BASE": storm_fake.url, "STRIPE_MAX_NETWORK_RETRIES": "2",
           "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}"}
    with LiveServer(workers=4, env=env, log=tmp_path / "gunicorn.log") as server:
        Storm(server.url, planned, figures).run()
    # What the requests' own sending (bounded by TRACKIFY_NOTIFY_INLINE_SECONDS) left is sent here,
    # as the beat or cron would.
    deliver_due()
    receipts = receipts_by_payment(inbox)
    paid = {str(pk) for pk in InvoicePayment.objects.filter(status__in=PAID_STATUSES).values_list("pk", flat=True)}

    wrong = wrong_invoices(opened)
    refunds = sum(len(stripe_truth(e, p)[1]) for e, p in opened)
    at_stripe = [d for e, p in opened for d in stripe_disputes(e, p).values()]
    outcomes = collections.Counter(status for status, withdrawn, _ in at_stripe if withdrawn)
    inquiries = sum(1 for status, withdrawn, _ in at_stripe if not withdrawn)
    stored = collections.Counter(PaymentWebhookEvent.objects.values_list("status", "event_type"))
    ignored = {event_type: n for (status, event_type), n in sorted(stored.items()) if status == "ignored"}
    server_errors = sum(n for status, n in figures.statuses.items() if status >= 500)
    with capsys.disabled():
        print(
            f"\n[storm] {PAYMENTS} payments, {refunds} dashboard refunds, {len(at_stripe) - inquiries} chargebacks "
            f"({outcomes['won']} won, {outcomes['lost']} lost; {inquiries} inquiries before them), "
            f"{figures.deliveries} deliveries "
            f"({figures.unique_events} events, {figures.duplicates} duplicates, {figures.abandoned} abandoned "
            f"and {figures.retried} redelivered) by {SENDERS} senders in {figures.seconds:.1f} s "
            f"({figures.deliveries / figures.seconds:.0f}/s); answers {dict(sorted(figures.statuses.items()))}, "
            f"outcomes {dict(sorted(figures.outcomes.items()))}; Stripe look-ups "
            f"{len(storm_fake.requests_to('GET', '/v1/refunds'))} refund lists, "
            f"{len(storm_fake.requests_to('GET', '/v1/payment_intents'))} payment intents; "
            f"5xx: {server_errors}; errors: {len(figures.errors)}; wrong invoices: {len(wrong)}; "
            f"events stored as ignored, by type: {ignored}; "
            f"receipts e-mailed {sum(receipts.values())} for {len(paid)} payments that succeeded "
            f"({len(inbox.messages)} e-mails in all)"
        )
    assert figures.deliveries >= 5000 or PAYMENTS < DEFAULT_PAYMENTS
    assert server_errors == 0, figures.statuses
    assert not figures.errors, figures.errors[:10]
    assert set(figures.statuses) == {200}, figures.statuses
    assert not wrong, wrong[:10]
    # Only the types we do not act on are ignored: every dispute, refund and payment event was applied.
    assert set(ignored) <= {"charge.succeeded", "payment_intent.created"}, ignored
    assert not any(status in ("deferred", "failed", "received") for status, _ in stored), stored
    assert InvoicePayment.objects.filter(attention_reason__gt="").count() == 0
    # One receipt for each payment that succeeded, whatever the provider's webhooks did.
    assert set(receipts) == paid and set(receipts.values()) <= {1}, receipts.most_common(3)
