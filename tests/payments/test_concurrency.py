"""Real threads against PostgreSQL: row locks and the unique constraint keep every count right."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings

from tests.payments.webhooks.sandbox_events import deliver, session_payload, signed
from trackify.payments.models import InvoicePayment, PaymentRefund, PaymentStatusChange, PaymentWebhookEvent
from trackify.payments.services import ledger
from trackify.payments.services.status import payment_refresh_status
from trackify.sandbox import provider

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(tasks: list[Callable[[], Any]], names: list[str] | None = None) -> list[Any]:
    """Start every task at the same instant on its own thread (and DB connection); return results."""
    barrier = threading.Barrier(len(tasks))
    results: list[Any] = [None] * len(tasks)

    def run(index: int, task: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = task()
        except Exception as exc:  # surfaced by the assertions below
            results[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, t), name=names[i] if names else None) for i, t in enumerate(tasks)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_twenty_concurrent_deliveries_of_one_event_apply_it_once(open_payment):
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded", event_id="evt_sbx_storm"))

    responses = run_together([lambda: deliver(Client(), open_payment, body, headers) for _ in range(20)])

    assert [r.status_code for r in responses] == [200] * 20, responses
    outcomes = Counter(r.json()["status"] for r in responses)
    assert outcomes == {"processed": 1, "duplicate": 19}
    assert PaymentWebhookEvent.objects.filter(gateway_event_id="evt_sbx_storm").count() == 1
    assert PaymentStatusChange.objects.filter(payment=open_payment, applied=True).count() == 1
    payment = InvoicePayment.objects.select_related("invoice").get(pk=open_payment.pk)
    assert payment.status == "succeeded"
    assert payment.invoice.amount_paid == payment.amount


@override_settings(TRACKIFY_STATUS_REFRESH_INTERVAL=0)
def test_webhook_racing_a_status_refresh_counts_the_payment_once(open_payment):
    # The payer finished at the provider; its webhook and the returning browser's status check race.
    event = provider.complete_session(open_payment.gateway_reference, "succeeded")
    body, headers = signed(open_payment, event)

    results = run_together([
        lambda: deliver(Client(), open_payment, body, headers),
        lambda: payment_refresh_status(payment=InvoicePayment.objects.select_related("config").get(pk=open_payment.pk)),
        lambda: payment_refresh_status(payment=InvoicePayment.objects.select_related("config").get(pk=open_payment.pk)),
    ])

    assert results[0].status_code == 200, results
    assert not any(isinstance(r, Exception) for r in results), results
    assert PaymentStatusChange.objects.filter(payment=open_payment, applied=True).count() == 1
    payment = InvoicePayment.objects.select_related("invoice").get(pk=open_payment.pk)
    assert payment.status == "succeeded"
    assert payment.invoice.amount_paid == payment.amount
    assert payment.invoice.status == "paid"


def test_two_clients_opening_sessions_for_one_invoice_at_once_get_one_session(invoice, sandbox_config):
    def open_session() -> Any:
        return Client().post(
            "/payment/create-session/",
            data={"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token},
            content_type="application/json",
        )

    responses = run_together([open_session for _ in range(5)])

    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201], responses
    assert len({r.json()["payment_id"] for r in responses}) == 1
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 1


def waiting_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def test_concurrent_refunds_never_exceed_the_amount_paid(api, open_payment, monkeypatch):
    """Two refunds of 60 out of 100, made to meet inside the reservation: the second must wait.

    Each request, once it has read what is already reserved, waits until the other one has read it
    too, or is seen waiting on a row lock in PostgreSQL. With the locks, the second is blocked and the
    first goes on; without them, both read "nothing reserved" and both reserve: every run, not by luck.
    """
    from tests.payments.webhooks.sandbox_events import send

    send(Client(), open_payment, "succeeded")
    provider.complete_session(open_payment.gateway_reference, "succeeded")
    token = api._credentials["HTTP_AUTHORIZATION"]
    pids: dict[str, int] = {}
    arrived = {"first": threading.Event(), "second": threading.Event()}
    real_reserved = ledger.refund_reserved_amount

    def reserved_then_meet(payment: Any) -> int:
        amount = real_reserved(payment)
        me = threading.current_thread().name
        other = "second" if me == "first" else "first"
        arrived[me].set()
        for _ in range(3000):  # a bound, never reached when the code is right or wrong: a guard against a hang
            if arrived[other].wait(0.01) or (other in pids and waiting_on_a_lock(pids[other])):
                break
        return amount

    monkeypatch.setattr(ledger, "refund_reserved_amount", reserved_then_meet)

    def refund_sixty() -> Any:
        connection.ensure_connection()
        pids[threading.current_thread().name] = connection.connection.info.backend_pid
        return Client().post(
            f"/payment/{open_payment.pk}/refund/", data={"amount": "60.00"},
            content_type="application/json", HTTP_AUTHORIZATION=token,
        )

    responses = run_together([refund_sixty, refund_sixty], names=["first", "second"])

    assert sorted(r.status_code for r in responses) == [201, 400], [r.content for r in responses]
    # The loser is refused by our own check on the locked payment, before any gateway call: not by
    # the sandbox (which refuses over-refunds too), and no failed refund row is left behind.
    [refused] = [r.json()["error"] for r in responses if r.status_code == 400]
    assert (refused["code"], refused["field"]) == ("invalid", "amount")
    assert refused["message"] == "The refund amount is more than what is left to refund."
    assert list(PaymentRefund.objects.filter(payment=open_payment).values_list("status", flat=True)) == ["succeeded"]
    payment = InvoicePayment.objects.select_related("invoice").get(pk=open_payment.pk)
    assert payment.refunded_amount == 6000
    assert payment.status == "partially_refunded"
    assert payment.invoice.amount_paid == payment.amount - 6000
