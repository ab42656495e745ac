"""PostgreSQL: the rows each writer promises to lock are locked while it writes, every time.

A race test can pass by luck when a lock is missing (the other thread simply came second). These
tests do not race: at the moment a writer is inside its critical section (a hook on the ledger or
the gateway), a second connection asks for the same rows with NOWAIT. Locked rows refuse at once;
a missing lock shows as a row handed over. No timing, no sleeps. The same probe shows the opposite
where it matters: while a gateway is asked for a session, or to close one, nothing is locked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Model
from django.test import Client

from tests.payments.webhooks.sandbox_events import deliver, send, session_payload, signed
from trackify.invoices.models import Invoice
from trackify.payments.gateways.sandbox import SandboxGateway
from trackify.payments.models import InvoicePayment, PaymentWebhookEvent
from trackify.payments.services import ledger
from trackify.payments.services.refunds import payment_refund
from trackify.payments.services.sessions import payment_session_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def locked_elsewhere(model: type[Model], pk: Any) -> bool:
    """Whether another connection finds the row locked (True) or could lock it itself (False)."""
    answer: list[bool] = []

    def probe() -> None:
        try:
            with transaction.atomic():
                model._default_manager.select_for_update(nowait=True).get(pk=pk)  # type: ignore[attr-defined]
            answer.append(False)
        except DatabaseError:  # "could not obtain lock on row": someone holds it
            answer.append(True)
        finally:
            connection.close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return answer[0]


def probing(real: Callable[..., Any], rows: Callable[[], list[tuple[type[Model], Any]]], seen: list[bool]) -> Any:
    """Wrap `real` so that, each time it is entered, the rows are probed from another connection."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seen.extend(locked_elsewhere(model, pk) for model, pk in rows())
        return real(*args, **kwargs)

    return wrapper


def test_a_webhook_update_is_applied_with_the_invoice_and_the_payment_locked(open_payment, monkeypatch):
    seen: list[bool] = []
    rows = lambda: [(Invoice, open_payment.invoice_id), (InvoicePayment, open_payment.pk)]  # noqa: E731
    monkeypatch.setattr(ledger, "apply_payment_update", probing(ledger.apply_payment_update, rows, seen))

    assert send(Client(), open_payment, "succeeded").status_code == 200

    assert seen == [True, True]
    assert InvoicePayment.objects.get(pk=open_payment.pk).status == "succeeded"


def test_a_refund_is_reserved_with_the_invoice_and_the_payment_locked(open_payment, monkeypatch):
    send(Client(), open_payment, "succeeded")
    from trackify.sandbox import provider

    provider.complete_session(open_payment.gateway_reference, "succeeded")
    seen: list[bool] = []
    rows = lambda: [(Invoice, open_payment.invoice_id), (InvoicePayment, open_payment.pk)]  # noqa: E731
    monkeypatch.setattr(ledger, "refund_reserve", probing(ledger.refund_reserve, rows, seen))

    refund = payment_refund(payment_id=open_payment.pk, amount=1000)

    assert seen == [True, True]
    assert refund.status == "succeeded"


def test_a_session_is_reserved_with_the_invoice_locked(invoice, sandbox_config, monkeypatch):
    seen: list[bool] = []
    rows = lambda: [(Invoice, invoice.pk)]  # noqa: E731
    monkeypatch.setattr(ledger, "payment_reserve", probing(ledger.payment_reserve, rows, seen))

    outcome = payment_session_create(invoice_id=invoice.pk)

    assert seen == [True]
    assert outcome.created


def probing_outside(real: Callable[..., Any], rows: Callable[[], list[tuple[type[Model], Any]]],
                    seen: list[tuple[bool, ...]]) -> Any:
    """Wrap `real` so that, each time it is entered, it records whether a transaction is open on this
    connection, then whether another connection finds each row locked."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seen.append((connection.in_atomic_block, *(locked_elsewhere(model, pk) for model, pk in rows())))
        return real(*args, **kwargs)

    return wrapper


def test_the_gateway_is_asked_for_a_session_with_no_lock_held_and_no_transaction_open(
    invoice, sandbox_config, monkeypatch
):
    seen: list[tuple[bool, ...]] = []
    rows = lambda: [(Invoice, invoice.pk)]  # noqa: E731
    real = SandboxGateway.create_payment_session
    monkeypatch.setattr(SandboxGateway, "create_payment_session", probing_outside(real, rows, seen))

    outcome = payment_session_create(invoice_id=invoice.pk)

    assert seen == [(False, False)]  # not in a transaction; the invoice can be locked FOR UPDATE NOWAIT
    assert outcome.created
    assert InvoicePayment.objects.get(pk=outcome.payment.pk).gateway_reference


def test_the_other_sessions_are_closed_with_no_lock_held_and_no_transaction_open(
    make_invoice, sandbox_config, monkeypatch
):
    invoice = make_invoice(allow_partial_payment=True)
    first = payment_session_create(invoice_id=invoice.pk, amount=4000).payment
    seen: list[tuple[bool, ...]] = []
    rows = lambda: [(Invoice, invoice.pk), (InvoicePayment, first.pk)]  # noqa: E731
    monkeypatch.setattr(SandboxGateway, "expire_session", probing_outside(SandboxGateway.expire_session, rows, seen))

    second = payment_session_create(invoice_id=invoice.pk, amount=5000)

    assert seen == [(False, False, False)]
    assert second.created
    assert InvoicePayment.objects.get(pk=first.pk).status == "expired"


def test_a_stored_event_delivered_again_is_processed_with_its_row_locked(open_payment, monkeypatch):
    """Concurrent redeliveries of a failed event queue on the payment's row lock (the event row is
    written, by one INSERT … ON CONFLICT, only once the ledger is done): it must be locked."""
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded", event_id="evt_sbx_locked"))
    real = ledger.apply_payment_update

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(ledger, "apply_payment_update", fail)
    assert deliver(Client(), open_payment, body, headers).status_code == 500
    stored = PaymentWebhookEvent.objects.get(gateway_event_id="evt_sbx_locked")
    assert stored.status == "failed"

    seen: list[bool] = []
    payment_row = [(InvoicePayment, open_payment.pk)]
    monkeypatch.setattr(ledger, "apply_payment_update", probing(real, lambda: payment_row, seen))
    answer = deliver(Client(), open_payment, body, headers)

    assert answer.status_code == 200
    assert answer.json()["status"] == "processed"
    assert seen == [True]


def test_a_repeated_delivery_locks_nothing(open_payment, monkeypatch):
    """A done event is answered from the config's read, once the signature verifies: the locking
    read never runs, so nothing is locked and nothing written."""
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded", event_id="evt_sbx_nolock"))
    assert deliver(Client(), open_payment, body, headers).json()["status"] == "processed"
    locking_reads: list[Any] = []
    real = ledger.lock_payment_named

    def probed(*args: Any, **kwargs: Any) -> Any:
        locking_reads.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(ledger, "lock_payment_named", probed)
    assert deliver(Client(), open_payment, body, headers).json()["status"] == "duplicate"
    assert locking_reads == []
