"""Real threads against PostgreSQL: row locks and the unique constraint keep every count right."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings

from tests.payments.webhooks.sandbox_events import deliver, send, session_payload, signed
from trackify.payments.gateways.sandbox import SandboxGateway
from trackify.payments.models import InvoicePayment, PaymentRefund, PaymentStatusChange, PaymentWebhookEvent
from trackify.payments.services import ledger, sessions
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


# -- two clients opening sessions for one invoice ----------------------------------------------------


def open_session_over_http(invoice: Any) -> Any:
    return Client().post(
        "/payment/create-session/",
        data={"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token},
        content_type="application/json",
    )


def test_two_clients_opening_sessions_for_one_invoice_at_once_get_one_session(invoice, sandbox_config, monkeypatch):
    """Both ask for the whole invoice, made to meet inside the reservation (as the refunds above): each,
    once it has read what is payable, waits until the other has read it too, or is seen waiting on the
    invoice's lock. With the lock, the second reads after the first's reservation and is refused while
    the first's gateway call is held open (until the second has its answer); without it, both read
    "all payable" and both reserve: every run, not by luck."""
    pids: dict[str, int] = {}
    arrived = {"first": threading.Event(), "second": threading.Event()}
    answered = {"first": threading.Event(), "second": threading.Event()}
    real_payable = sessions.amount_payable_now
    real_gateway = SandboxGateway.create_payment_session

    def other_than_me() -> str:
        return "second" if threading.current_thread().name == "first" else "first"

    def payable_then_meet(invoice: Any) -> int:
        amount = real_payable(invoice)
        me, other = threading.current_thread().name, other_than_me()
        if not arrived[me].is_set():
            arrived[me].set()
            for _ in range(3000):  # a bound, never reached when the code is right or wrong
                if arrived[other].wait(0.01) or (other in pids and waiting_on_a_lock(pids[other])):
                    break
        return amount

    def held_until_the_other_is_answered(gateway: Any, request: Any) -> Any:
        answered[other_than_me()].wait(10)  # a bound: both in here means both reserved
        return real_gateway(gateway, request)

    monkeypatch.setattr(sessions, "amount_payable_now", payable_then_meet)
    monkeypatch.setattr(SandboxGateway, "create_payment_session", held_until_the_other_is_answered)

    def open_one() -> Any:
        connection.ensure_connection()
        pids[threading.current_thread().name] = connection.connection.info.backend_pid
        try:
            return open_session_over_http(invoice)
        finally:
            answered[threading.current_thread().name].set()

    responses = run_together([open_one, open_one], names=["first", "second"])

    assert sorted(r.status_code for r in responses) == [201, 409], [r.content for r in responses]
    [refused] = [r.json()["error"] for r in responses if r.status_code == 409]
    assert refused["code"] == "payment_in_progress"
    assert "being opened" in refused["message"]
    [payment] = InvoicePayment.objects.filter(invoice=invoice)
    assert (payment.status, payment.amount) == ("pending", invoice.total)
    monkeypatch.undo()
    again = open_session_over_http(invoice)  # once recorded, the session is reused
    assert (again.status_code, again.json()["payment_id"]) == (200, str(payment.pk))


def test_five_clients_opening_sessions_for_one_invoice_at_once_get_one_session(invoice, sandbox_config):
    responses = run_together([lambda: open_session_over_http(invoice) for _ in range(5)])

    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1 and set(codes) <= {200, 201, 409}, [r.content for r in responses]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} <= {"payment_in_progress"}
    assert len({r.json()["payment_id"] for r in responses if r.status_code < 300}) == 1
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 1


def test_a_webhook_of_the_invoice_is_applied_while_a_gateway_is_asked_for_a_session(make_invoice, sandbox_config,
                                                                                   monkeypatch):
    """The gateway's answer is held (up to 3 s) while a webhook about another payment of the same invoice
    arrives: the webhook does not wait for it. Had the session held the invoice's lock through the
    call, the webhook would finish only after the gateway answered."""
    from trackify.payments.services.sessions import payment_session_create

    invoice = make_invoice(allow_partial_payment=True)
    settling = payment_session_create(invoice_id=invoice.pk, amount=4000).payment
    assert send(Client(), settling, "processing").json()["status"] == "processed"
    in_gateway, release = threading.Event(), threading.Event()
    order: list[str] = []
    real = SandboxGateway.create_payment_session

    def held(gateway: Any, request: Any) -> Any:
        in_gateway.set()
        release.wait(3)
        order.append("gateway answered")
        return real(gateway, request)

    monkeypatch.setattr(SandboxGateway, "create_payment_session", held)
    results: dict[str, Any] = {}

    def in_thread(name: str, task: Callable[[], Any]) -> threading.Thread:
        def run() -> None:
            try:
                results[name] = task()
            finally:
                connection.close()
                order.append(f"{name} done")

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    opening = in_thread("session", lambda: payment_session_create(invoice_id=invoice.pk, amount=6000))
    assert in_gateway.wait(10)
    webhook = in_thread("webhook", lambda: send(Client(), settling, "succeeded"))
    webhook.join(10)
    release.set()
    opening.join(10)

    assert order == ["webhook done", "gateway answered", "session done"]
    assert results["webhook"].json()["status"] == "processed"
    assert results["session"].created
    opened = InvoicePayment.objects.select_related("invoice").get(pk=results["session"].payment.pk)
    assert (opened.status, opened.amount, bool(opened.gateway_reference)) == ("pending", 6000, True)
    assert InvoicePayment.objects.get(pk=settling.pk).status == "succeeded"
    assert (opened.invoice.amount_paid, opened.invoice.status) == (4000, "partially_paid")
