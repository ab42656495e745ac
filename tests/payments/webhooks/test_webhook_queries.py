"""What one webhook delivery costs the database: pinned, so that the fast path stays fast.

Measured with Django's CaptureQueriesContext in real transactions (`transaction=True`): what a
production request runs, with no test savepoint around it. Every delivery reads its config.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.payments.webhooks.sandbox_events import deliver, session_payload, signed
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment, NotificationEvent, PaymentStatusChange
from trackify.payments.services.sessions import payment_session_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_sending_in_the_request(settings):
    """The delivery's own work is pinned here; what sending its notifications after the commit costs
    is pinned apart (`test_sending_after_the_commit_…`)."""
    settings.TRACKIFY_NOTIFY_INLINE_SECONDS = 0

# The event and its history rows are one statement on PostgreSQL (a WITH clause), two elsewhere.
NEW_EVENT_QUERIES = 5 if connection.vendor == "postgresql" else 6
DUPLICATE_QUERIES = 1


@pytest.fixture
def two_payments(make_invoice, sandbox_config):
    """Two open payments, the first one processing."""
    first, second = (payment_session_create(invoice_id=make_invoice().pk).payment for _ in range(2))
    assert send(first, "processing").status_code == 200
    return first, second


def send(payment, status, *, event_id=None, shared_url=False):
    body, headers = signed(payment, session_payload(payment, status, event_id=event_id))
    return deliver(Client(), payment, body, headers, shared_url=shared_url)


def measured(payment, status, **options):
    with CaptureQueriesContext(connection) as queries:
        response = send(payment, status, **options)
    assert response.status_code == 200, response.content
    # BEGIN and COMMIT are transaction control, which some backends log as statements: not queries here.
    sql = [q["sql"] for q in queries.captured_queries if q["sql"].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert not [s for s in sql if s.upper().startswith(("SAVEPOINT", "RELEASE"))], sql  # no needless savepoint
    return response.json()["status"], sql


def test_a_new_event_that_pays_the_invoice_runs_five_queries_on_postgresql(two_payments):
    _, payment = two_payments
    status, sql = measured(payment, "succeeded", event_id="evt_sbx_new")
    assert status == "processed"
    # the config, lock payment + invoice, update payment, update invoice, claim the event with its history
    # and the outbox's events (payment.succeeded, invoice.paid): one statement on PostgreSQL
    assert len(sql) == NEW_EVENT_QUERIES + (0 if connection.vendor == "postgresql" else 1), sql
    if connection.vendor == "postgresql":
        assert "payments_paymentstatuschange" in sql[-1] and "payments_paymentwebhookevent" in sql[-1]
        assert "payments_notificationevent" in sql[-1]
    assert set(NotificationEvent.objects.values_list("type", flat=True)) == {"payment.succeeded", "invoice.paid"}
    payment = InvoicePayment.objects.select_related("invoice").get(pk=payment.pk)
    assert (payment.status, payment.invoice.status, payment.invoice.amount_paid) == ("succeeded", "paid", 10000)
    assert PaymentStatusChange.objects.filter(payment=payment, applied=True, webhook_event__isnull=False).count() == 1


def test_a_duplicate_runs_one_query_and_changes_nothing(two_payments):
    _, payment = two_payments
    send(payment, "succeeded", event_id="evt_sbx_twice")
    status, sql = measured(payment, "succeeded", event_id="evt_sbx_twice")
    assert status == "duplicate"
    assert len(sql) == DUPLICATE_QUERIES, sql  # the config, read along with whether the event is done
    assert "payments_paymentwebhookevent" in sql[0]
    assert PaymentStatusChange.objects.filter(payment=payment).count() == 1


def test_an_ignored_event_delivered_again_is_a_duplicate(two_payments):
    _, payment = two_payments
    body, headers = signed(payment, session_payload(payment, "succeeded", event_type="account.updated"))
    first = deliver(Client(), payment, body, headers)
    again = deliver(Client(), payment, body, headers)
    assert (first.json()["status"], again.json()["status"]) == ("ignored", "duplicate")


def test_a_new_event_that_changes_nothing_writes_nothing_but_the_event(two_payments):
    _, payment = two_payments
    send(payment, "succeeded")
    status, sql = measured(payment, "succeeded")
    assert status == "processed"
    assert len(sql) == 3, sql  # config, lock, claim: no payment, invoice or history write


def test_a_step_that_changes_no_total_does_not_recompute_the_invoice(two_payments):
    first, _ = two_payments
    status, sql = measured(first, "succeeded")  # processing -> succeeded moves money: recomputed
    assert len(sql) == NEW_EVENT_QUERIES + (0 if connection.vendor == "postgresql" else 1), sql
    _, second = two_payments
    status, sql = measured(second, "processing")  # pending -> processing: no invoice write
    assert status == "processed"
    assert len(sql) == NEW_EVENT_QUERIES - 1, sql


def test_the_shared_url_finds_the_config_through_the_payment_in_one_query(two_payments):
    _, payment = two_payments
    status, sql = measured(payment, "succeeded", shared_url=True)
    assert status == "processed"
    assert len(sql) == NEW_EVENT_QUERIES + (0 if connection.vendor == "postgresql" else 1), sql


def test_sending_after_the_commit_costs_a_fixed_few_queries_and_only_when_there_is_news(two_payments, settings):
    """Inline mode sends in the request once its transaction has committed: fan the new events out
    (take them; the e-mail channel reads the owner with their settings once per event and the invoice's
    client address, the webhook channel the owner's endpoints once per batch; write their deliveries,
    mark them fanned out, find no more), then take due deliveries (none here: no e-mail address, no
    endpoint). An event with no news for anyone sends nothing."""
    settings.TRACKIFY_NOTIFY_INLINE_SECONDS = 2
    _, payment = two_payments
    Invoice.objects.filter(pk=payment.invoice_id).update(client_email="")  # no e-mail address
    status, sql = measured(payment, "succeeded")
    assert status == "processed"
    in_transaction = NEW_EVENT_QUERIES + (0 if connection.vendor == "postgresql" else 1)
    after_commit = sql[in_transaction:]
    assert len(after_commit) <= 9, after_commit
    # The outbox's tables, and what the channels read to address their messages.
    allowed = ("notification", '"invoices_invoice"', '"auth_user"', "webhookendpoint")
    assert all(any(name in s for name in allowed) for s in after_commit), after_commit
    _, sql = measured(payment, "succeeded")  # changes nothing: no event, no sending
    assert len(sql) == 3, sql


def test_a_post_save_receiver_sees_the_webhooks_payment_update(two_payments):
    """The ledger saves through the ORM, so model signals fire for webhook updates as for any save."""
    _, payment = two_payments
    seen: list[tuple[str, frozenset[str] | None]] = []

    def receiver(sender, instance, update_fields, **kwargs):
        seen.append((instance.status, update_fields))

    post_save.connect(receiver, sender=InvoicePayment)
    try:
        assert send(payment, "succeeded").status_code == 200
    finally:
        post_save.disconnect(receiver, sender=InvoicePayment)
    assert seen and seen[0][0] == "succeeded"
    assert "status" in (seen[0][1] or ())
