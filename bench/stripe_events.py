"""Seeded payments and the Stripe events a benchmark sends about them, with real-shaped bodies.

Bodies come from the test suite's Stripe object builders (`tests/fakes/stripe_objects.py`), which
carry every top-level field Stripe's own examples have, so the JSON parsed per delivery is as big
as Stripe's (about 3 KB).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tests.fakes import stripe_objects as so

AMOUNT = 12_500  # minor units
CURRENCY = "EUR"
SECRET_KEY = "sk_test_" + "B" * 24
PUBLISHABLE_KEY = "pk_test_" + "B" * 24
WEBHOOK_SECRET = "whsec_" + "benchSigningSecret0123456789"


@dataclass(frozen=True)
class SeededPayment:
    id: uuid.UUID
    invoice_id: uuid.UUID
    session_id: str
    intent_id: str


#: Events stored before a run starts, in each side's event table (`seed`). A payment system that takes
#: hundreds of events a second has a table of past events, with statistics, long before a burst; an
#: empty one is a different database: PostgreSQL then plans a query over it for an empty table, and a
#: connection keeps that plan until the table is next analyzed (docs/performance.md).
PAST_EVENTS = 50_000


def seed(count: int, *, past_events: int = PAST_EVENTS) -> tuple[str, list[SeededPayment]]:
    """An owner, a Stripe config, `count` open invoices each with a pending payment, and `past_events`
    events already processed (of other payments, long done), in both Trackify's tables and the
    baseline's; then ANALYZE. Returns the config id and the payments."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from bench.baseline.views import TABLES
    from trackify.invoices.models import Invoice
    from trackify.payments.models import InvoicePayment
    from trackify.payments.services.gateway_configs import gateway_config_create

    owner = get_user_model().objects.create_user(username=f"bench-{uuid.uuid4().hex[:8]}", password="bench-pw-1")
    config = gateway_config_create(
        owner=owner,
        gateway_name="stripe",
        credentials={"secret_key": SECRET_KEY, "publishable_key": PUBLISHABLE_KEY, "webhook_secret": WEBHOOK_SECRET},
        test_mode=True,
    )
    payments = [
        SeededPayment(uuid.uuid4(), uuid.uuid4(), so.new_id("cs_test_", 58), so.new_id("pi_")) for _ in range(count)
    ]
    Invoice.objects.bulk_create(
        [
            Invoice(id=p.invoice_id, owner=owner, number=f"B-{i:06d}", client_name="Bench client",
                    currency=CURRENCY, total=AMOUNT)
            for i, p in enumerate(payments)
        ],
        batch_size=2000,
    )
    InvoicePayment.objects.bulk_create(
        [
            InvoicePayment(id=p.id, invoice_id=p.invoice_id, config=config, gateway_name="stripe", amount=AMOUNT,
                           currency=CURRENCY, gateway_reference=p.session_id)
            for p in payments
        ],
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute(TABLES)
        cursor.executemany(
            "INSERT INTO baseline_invoice (id, total) VALUES (%s, %s)", [(p.invoice_id, AMOUNT) for p in payments]
        )
        cursor.executemany(
            "INSERT INTO baseline_payment (id, invoice_id, amount) VALUES (%s, %s, %s)",
            [(p.id, p.invoice_id, AMOUNT) for p in payments],
        )
        _store_past_events(cursor, str(config.id), payments[0], past_events)
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have, in production, long before
    return str(config.id), payments


def _store_past_events(cursor: Any, config_id: str, like: SeededPayment, count: int) -> None:
    """`count` processed events with a real-shaped body, received over the past days, in both event tables."""
    if count <= 0:
        return
    body = json.dumps(session_completed(like), separators=(",", ": "))
    cursor.execute(
        "INSERT INTO payments_paymentwebhookevent (gateway_name, config_id, gateway_event_id, event_type, payload, "
        "status, result, error, attempts, received_at, processed_at) "
        "SELECT 'stripe', %s, 'evt_past_' || i, 'checkout.session.completed', %s::jsonb, 'processed', "
        "'applied: succeeded', '', 1, now() - i * interval '5 seconds', now() - i * interval '5 seconds' "
        "FROM generate_series(1, %s) AS i",
        [config_id, body, count],
    )
    cursor.execute(
        "INSERT INTO baseline_event (config_id, event_id, event_type, payload, received_at) "
        "SELECT %s, 'evt_past_' || i, 'checkout.session.completed', %s::jsonb, now() - i * interval '5 seconds' "
        "FROM generate_series(1, %s) AS i",
        [config_id, body, count],
    )


def _metadata(p: SeededPayment) -> dict[str, str]:
    return {"trackify_payment_id": str(p.id), "trackify_invoice_id": str(p.invoice_id),
            "trackify_invoice_number": "B-000000"}


def session_completed(p: SeededPayment) -> dict[str, Any]:
    session = so.checkout_session(
        id=p.session_id, amount_subtotal=AMOUNT, amount_total=AMOUNT, currency=CURRENCY.lower(),
        client_reference_id=str(p.id), metadata=_metadata(p), payment_intent=p.intent_id, payment_status="paid",
        status="complete", success_url="https://trackify.example/pay/result/?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://trackify.example/pay/", customer_email="client@example.com",
    )
    return so.event("checkout.session.completed", session)


def intent_event(p: SeededPayment, event_type: str, status: str) -> dict[str, Any]:
    received = AMOUNT if status == "succeeded" else 0
    intent = so.payment_intent(
        id=p.intent_id, amount=AMOUNT, amount_received=received, currency=CURRENCY.lower(), status=status,
        metadata=_metadata(p), latest_charge=so.new_id("ch_") if received else None,
        payment_method=so.new_id("pm_"),
    )
    return so.event(event_type, intent)


def mixed_events(payments: Sequence[SeededPayment], *, seed: int = 8) -> list[dict[str, Any]]:
    """Four deliveries per payment, shuffled in windows so that they arrive out of order:
    the completed Checkout Session (new), payment_intent.succeeded (new, usually no change),
    a repeat of the first (duplicate), and a late payment_intent.processing (refused by the state
    machine when it comes after the success, applied when it overtakes it)."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    for p in payments:
        completed = session_completed(p)
        events += [completed, intent_event(p, "payment_intent.succeeded", "succeeded"), completed,
                   intent_event(p, "payment_intent.processing", "processing")]
    window = 64
    for start in range(0, len(events), window):
        chunk = events[start : start + window]
        rng.shuffle(chunk)
        events[start : start + window] = chunk
    return events


def requests_for(events: Sequence[dict[str, Any]], path: str) -> list[dict[str, Any]]:
    return [{"method": "POST", "path": path, "body": json.dumps(e, separators=(",", ": "))} for e in events]
