"""The hot path's shortcuts give what the ORM gives: model instances from the locking read, values
bound to its statements, the cursor kept per connection (trackify/payments/services/payment_locks.py,
trackify/common/statements.py)."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import connection, transaction
from django.db.models.signals import post_init
from django.utils import timezone

from trackify.common import statements
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment, PaymentStatusChange, PaymentWebhookEvent
from trackify.payments.services import payment_locks


def _state(instance):
    return {k: v for k, v in vars(instance).items() if k != "_state"}, instance._state.adding, instance._state.db


def _fresh_compiled(monkeypatch):
    monkeypatch.setattr(payment_locks, "_compiled", type(payment_locks._compiled)())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("event", [None, ("sandbox", uuid.uuid4(), "evt_1")])
def test_the_locking_read_builds_the_instances_the_orm_builds(open_payment, monkeypatch, event):
    _fresh_compiled(monkeypatch)
    with transaction.atomic():
        direct = payment_locks.locked_payment(open_payment.pk, event=event)
        orm = payment_locks.locked_payments(with_config=event is None)
        if event:  # the webhook's read loads the ledger's columns only
            orm = orm.only(*payment_locks.WEBHOOK_PAYMENT_FIELDS,
                           *(f"invoice__{name}" for name in payment_locks.WEBHOOK_INVOICE_FIELDS))
        by_orm = orm.get(pk=open_payment.pk)
    assert getattr(payment_locks._compiled, "lock_event" if event else "lock").direct
    direct_fields, adding, db = _state(direct)
    orm_fields, orm_adding, orm_db = _state(by_orm)
    assert (adding, db) == (orm_adding, orm_db) == (False, "default")
    for name, value in orm_fields.items():
        if name in ("other_sessions_open", "config_updated_at"):
            continue
        assert direct_fields[name] == value, name
    assert _state(direct.invoice)[0] == _state(by_orm.invoice)[0]
    assert direct.get_deferred_fields() == by_orm.get_deferred_fields()
    assert direct.invoice.get_deferred_fields() == by_orm.invoice.get_deferred_fields()
    assert bool(direct.get_deferred_fields()) == bool(event)
    assert direct.invoice.pk == direct.invoice_id
    assert set(direct._state.fields_cache) == set(by_orm._state.fields_cache)  # the config: not on a webhook's
    # A saved instance behaves as one the ORM loaded: an update writes the row.
    direct.failure_message = "checked"
    direct.save(update_fields=["failure_message"])
    assert InvoicePayment.objects.get(pk=open_payment.pk).failure_message == "checked"
    assert direct.return_url == open_payment.return_url  # a deferred field: loaded when read


@pytest.mark.django_db(transaction=True)
def test_with_a_listener_of_the_init_signals_the_orm_builds_them(open_payment, monkeypatch):
    _fresh_compiled(monkeypatch)
    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(type(instance))

    post_init.connect(listener, sender=Invoice)
    try:
        with transaction.atomic():
            payment = payment_locks.locked_payment(open_payment.pk)
        assert not payment_locks._compiled.lock.direct
    finally:
        post_init.disconnect(listener, sender=Invoice)
    assert seen == [Invoice] and payment.invoice.pk == open_payment.invoice_id


@pytest.mark.django_db
def test_db_values_are_what_the_fields_prepare(open_payment):
    fields = {f.attname: f for f in PaymentWebhookEvent._meta.concrete_fields}
    aware = timezone.now()
    naive = datetime.datetime(2026, 1, 2, 3, 4, 5)
    cases = [
        ("gateway_name", "stripe"),
        ("config_id", open_payment.config_id),
        ("config_id", str(open_payment.config_id)),  # not a UUID: the field's way
        ("attempts", 3),
        ("received_at", aware),
        ("processed_at", None),
        ("payload", {"a": [1, "b"]}),  # JSON: always the field's way
        ("status", PaymentWebhookEvent.Status.PROCESSED),  # an enum member: the field's way
    ]
    for name, value in cases:
        [prepared] = statements.db_values([fields[name]], [value], connection)
        expected = fields[name].get_db_prep_save(value, connection)
        if name == "payload":
            assert type(prepared) is type(expected)
        else:
            assert prepared == expected and type(prepared) is type(expected), name
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        [prepared] = statements.db_values([fields["received_at"]], [naive], connection)
    assert prepared is not naive


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_cursor_per_statement_and_connection_and_new_ones_after_reconnecting(open_payment, settings):
    settings.TRACKIFY_PREPARED_STATEMENTS = True
    one, two = "SELECT 1", "SELECT %s::int"
    assert statements.fetchone(one, []) == (1,)
    kept = connection._trackify_cursors.by_sql[one]
    assert statements.fetchone(two, [2]) == (2,)
    assert statements.fetchone(one, []) == (1,)
    assert connection._trackify_cursors.by_sql[one] is kept  # the same statement: the same cursor
    assert connection._trackify_cursors.by_sql[two] is not kept
    connection.close()
    assert statements.fetchone(one, []) == (1,)
    assert connection._trackify_cursors.by_sql[one] is not kept
    PaymentStatusChange.objects.count()  # the ORM's own cursors are unaffected


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_kept_cursors_are_bounded(settings):
    settings.TRACKIFY_PREPARED_STATEMENTS = True
    for n in range(statements._KeptCursors.LIMIT + 5):
        assert statements.fetchone(f"SELECT {n}", []) == (n,)
    assert 0 < len(connection._trackify_cursors.by_sql) <= statements._KeptCursors.LIMIT


@pytest.mark.django_db(transaction=True)
def test_the_event_and_its_history_are_stored_together_and_not_at_all_for_a_done_event(open_payment):
    from trackify.payments.gateways.types import WebhookEvent
    from trackify.payments.services.webhook_events import event_claim

    def history(note):
        return [
            PaymentStatusChange(payment=open_payment, from_status="pending", to_status="succeeded", applied=True,
                                source="webhook", note=note),
            PaymentStatusChange(payment=open_payment, from_status="pending", to_status="failed", applied=False,
                                source="webhook", note=note),
        ]

    event = WebhookEvent(gateway_event_id="evt_linked", event_type="session.succeeded", payload={"id": "evt_linked"})
    with transaction.atomic():
        first = event_claim(config=open_payment.config, event=event, status="processed", payment_id=open_payment.pk,
                            history=history("first"))
    assert first is not None
    stored = PaymentStatusChange.objects.filter(webhook_event_id=first).order_by("id")
    assert [(c.to_status, c.applied, c.note, c.payment_id) for c in stored] == [
        ("succeeded", True, "first", open_payment.pk), ("failed", False, "first", open_payment.pk)]
    assert all(c.created_at is not None for c in stored)
    with transaction.atomic():
        again = event_claim(config=open_payment.config, event=event, status="processed", payment_id=open_payment.pk,
                            history=history("again"))
    assert again is None  # done already: nothing stored
    assert not PaymentStatusChange.objects.filter(note="again").exists()


@pytest.mark.django_db(transaction=True)
def test_a_payload_parsed_from_the_delivery_is_stored_as_delivered(sandbox_config):
    """The claim stores a gateway's `JsonObject` payload by its own text on PostgreSQL (no second
    encoding), and what is read back is the same object either way."""
    from trackify.common.untrusted import JsonObject, finite_float, load_json
    from trackify.payments.gateways.types import WebhookEvent
    from trackify.payments.services.webhook_events import event_claim

    text = '{"id": "evt_text", "type": "x", "data": {"amount": 1.10, "note": "caf\\u00e9"}}'
    payload = load_json(text, parse_float=finite_float, keep_text=True)  # as the gateways parse a delivery
    assert isinstance(payload, JsonObject) and payload.text == text
    assert payload == {"id": "evt_text", "type": "x", "data": {"amount": 1.1, "note": "café"}}
    assert not isinstance(load_json("[1]", keep_text=True), JsonObject)
    event = WebhookEvent(gateway_event_id="evt_text", event_type="x", payload=payload)
    with transaction.atomic():
        pk = event_claim(config=sandbox_config, event=event, status=PaymentWebhookEvent.Status.PROCESSED)
    assert PaymentWebhookEvent.objects.get(pk=pk).payload == {"id": "evt_text", "type": "x",
                                                              "data": {"amount": 1.1, "note": "café"}}
    if connection.vendor == "postgresql":  # the text itself: 1.10 keeps its digits (encoded again: 1.1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT payload -> 'data' ->> 'amount' FROM payments_paymentwebhookevent WHERE id = %s",
                           [pk])
            assert cursor.fetchone() == ("1.10",)
