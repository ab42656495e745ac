"""The plans PostgreSQL keeps for a webhook delivery's statements find their rows by key, however many
events a config has.

The hot statements are prepared once per connection (trackify/common/statements.py), so PostgreSQL
runs one generic plan for every delivery on that connection, made without the values. The locking
read checks whether the delivery's event is done; with the unique index on (gateway, config, event id)
that is one index probe. A plan that looked the event up by its config alone (the index on config and
received_at, which also starts with the config) would read every event of the config on every
delivery: it did in the webhook benchmark, whose event table was empty when the plan was made
(docs/performance.md).
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection, transaction

from trackify.payments.gateways.types import WebhookEvent
from trackify.payments.models import PaymentWebhookEvent
from trackify.payments.services import payment_locks
from trackify.payments.services.webhook_events import event_claim

pytestmark = [pytest.mark.postgres(reason="its query plans"), pytest.mark.django_db(transaction=True)]

PAST_EVENTS = 2_000


def _past_events(config, count: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payments_paymentwebhookevent (gateway_name, config_id, gateway_event_id, event_type, "
            "payload, status, result, error, attempts, received_at, processed_at) "
            "SELECT %s, %s, 'evt_past_' || i, 'payment.succeeded', '{}'::jsonb, 'processed', '', '', 1, "
            "now() - i * interval '1 minute', now() - i * interval '1 minute' FROM generate_series(1, %s) AS i",
            [config.gateway_name, config.pk, count],
        )
        cursor.execute("ANALYZE payments_paymentwebhookevent")


def _generic_plan(sql: str, params: list) -> str:
    """EXPLAIN of the plan PostgreSQL keeps for `sql` once prepared (the generic one, made without values)."""
    numbered, count = sql, 0
    while "%s" in numbered:
        count += 1
        numbered = numbered.replace("%s", f"${count}", 1)
    arguments = connection.ops.compose_sql(", ".join(["%s"] * count), params)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE trackify_plan_check AS {numbered}")
        try:
            cursor.execute(f"EXPLAIN EXECUTE trackify_plan_check({arguments})")
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE trackify_plan_check")


def test_the_done_check_is_one_probe_of_the_unique_index(open_payment, monkeypatch):
    monkeypatch.setattr(payment_locks, "_compiled", type(payment_locks._compiled)())
    config = open_payment.config
    _past_events(config, PAST_EVENTS)
    event = (config.gateway_name, config.pk, "evt_new")
    with transaction.atomic():
        payment_locks.locked_payment(open_payment.pk, event=event)  # compiles the statement
        compiled = payment_locks._compiled.lock_event
        values = [open_payment.pk, *payment_locks._event_values(event)]
        params = [p if slot is None else values[slot] for p, slot in zip(compiled.params, compiled.slots, strict=True)]
        plan = _generic_plan(compiled.sql, params)
    events = [line for line in plan.splitlines() if "payments_paymentwebhookevent" in line]
    assert len(events) == 2, plan  # the done check, in both parts of the read
    assert all("webhook_event_unique_per_gateway_and_config" in line for line in events), plan
    assert "Seq Scan" not in plan, plan


def test_the_claim_of_an_event_of_a_busy_config_finds_it_by_its_key(open_payment):
    """The claim's conflict is found through the unique index whatever the plan; this checks that the
    done check and the claim agree on a config with many events: a repeated delivery is a duplicate."""
    config = open_payment.config
    _past_events(config, PAST_EVENTS)
    event = WebhookEvent(gateway_event_id="evt_past_7", event_type="payment.succeeded", payload={})
    with transaction.atomic():
        assert event_claim(config=config, event=event, status=PaymentWebhookEvent.Status.PROCESSED) is None
    with transaction.atomic(), pytest.raises(payment_locks.EventDone):
        payment_locks.locked_payment(open_payment.pk, event=(config.gateway_name, config.pk, "evt_past_7"))
    fresh = (config.gateway_name, config.pk, f"evt_{uuid.uuid4().hex}")
    with transaction.atomic():
        assert payment_locks.locked_payment(open_payment.pk, event=fresh).pk == open_payment.pk
