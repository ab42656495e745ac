"""What one webhook delivery costs the database: pinned, so that the fast path stays fast.

Measured with Django's CaptureQueriesContext in real transactions (`transaction=True`): what a
production request runs, with no test savepoint around it. The config is in the process's cache,
as it is for every delivery but a process's first one.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.payments.webhooks.sandbox_events import deliver, session_payload, signed
from trackify.payments.models import InvoicePayment, PaymentStatusChange
from trackify.payments.services.sessions import payment_session_create

pytestmark = pytest.mark.django_db(transaction=True)

# The event and its history rows are one statement on PostgreSQL (a WITH clause), two elsewhere.
NEW_EVENT_QUERIES = 4 if connection.vendor == "postgresql" else 5
DUPLICATE_QUERIES = 1


@pytest.fixture
def two_payments(make_invoice, sandbox_config):
    """Two open payments; a delivery for the first has put the config in this process's cache."""
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


def test_a_new_event_that_pays_the_invoice_runs_four_queries_on_postgresql(two_payments):
    _, payment = two_payments
    status, sql = measured(payment, "succeeded", event_id="evt_sbx_new")
    assert status == "processed"
    # lock payment + invoice, update payment, recompute invoice, claim the event with its history
    assert len(sql) == NEW_EVENT_QUERIES, sql
    if connection.vendor == "postgresql":
        assert "payments_paymentstatuschange" in sql[-1] and "payments_paymentwebhookevent" in sql[-1]
    payment = InvoicePayment.objects.select_related("invoice").get(pk=payment.pk)
    assert (payment.status, payment.invoice.status, payment.invoice.amount_paid) == ("succeeded", "paid", 10000)
    assert PaymentStatusChange.objects.filter(payment=payment, applied=True, webhook_event__isnull=False).count() == 1


def test_a_duplicate_runs_one_query_and_changes_nothing(two_payments):
    _, payment = two_payments
    send(payment, "succeeded", event_id="evt_sbx_twice")
    status, sql = measured(payment, "succeeded", event_id="evt_sbx_twice")
    assert status == "duplicate"
    assert len(sql) == DUPLICATE_QUERIES, sql  # the lock, which reads along that the event is done
    assert "payments_paymentwebhookevent" in sql[0]
    assert PaymentStatusChange.objects.filter(payment=payment).count() == 1


def test_an_ignored_event_delivered_again_is_a_duplicate(two_payments):
    _, payment = two_payments
    body, headers = signed(payment, session_payload(payment, "succeeded", event_type="account.updated"))
    first = deliver(Client(), payment, body, headers)
    again = deliver(Client(), payment, body, headers)
    assert (first.json()["status"], again.json()["status"]) == ("ignored", "duplicate")


@pytest.mark.postgres
def test_the_hot_statements_stay_prepared_on_the_connection(two_payments):
    """Prepared once per connection (trackify/common/statements.py); a duplicate, answered without
    a rollback, keeps them (psycopg forgets every prepared statement of a connection on ROLLBACK)."""
    first, second = two_payments
    send(second, "succeeded", event_id="evt_sbx_prep")
    send(second, "succeeded", event_id="evt_sbx_prep")  # duplicate
    send(first, "succeeded")
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    for table in ("payments_invoicepayment", "invoices_invoice", "payments_paymentwebhookevent",
                  "payments_paymentstatuschange"):
        assert any(table in statement for statement in prepared), (table, prepared)


def test_a_new_event_that_changes_nothing_writes_nothing_but_the_event(two_payments):
    _, payment = two_payments
    send(payment, "succeeded")
    status, sql = measured(payment, "succeeded")
    assert status == "processed"
    assert len(sql) == 2, sql  # lock, claim: no payment, invoice or history write


def test_a_step_that_changes_no_total_does_not_recompute_the_invoice(two_payments):
    first, _ = two_payments
    status, sql = measured(first, "succeeded")  # processing -> succeeded moves money: recomputed
    assert len(sql) == NEW_EVENT_QUERIES, sql
    _, second = two_payments
    status, sql = measured(second, "processing")  # pending -> processing: no invoice write
    assert status == "processed"
    assert len(sql) == NEW_EVENT_QUERIES - 1, sql


def test_the_shared_url_costs_one_query_more_to_find_the_config(two_payments):
    _, payment = two_payments
    status, sql = measured(payment, "succeeded", shared_url=True)
    assert status == "processed"
    assert len(sql) == NEW_EVENT_QUERIES + 1, sql
