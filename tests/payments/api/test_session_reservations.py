"""POST /payment/create-session/ while its gateway is being asked: the payment is reserved first, it
counts against what is payable until the gateway's answer is recorded, a failed call releases it,
and a request that died half-way blocks the invoice only until the reservation's time is up.

The gateway is the sandbox, with its session call wrapped: what the wrapper does runs while the
reserving request waits for its gateway (on PostgreSQL, with no lock held: tests/payments/test_row_locks.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import post_json
from tests.payments.api.conftest import assert_error, create_session
from trackify.invoices.models import Invoice
from trackify.payments.gateways.errors import GatewayUnavailable
from trackify.payments.gateways.sandbox import SandboxGateway
from trackify.payments.models import InvoicePayment
from trackify.payments.services.catch_up import payments_catch_up
from trackify.payments.services.sessions import ABANDONED, NOT_OPENED, payment_session_create
from trackify.sandbox.models import SandboxSession

pytestmark = pytest.mark.django_db


def while_asking(monkeypatch: Any, during: Callable[[Any], Any]) -> None:
    """Run `during(request)` inside the sandbox's session call, before it answers."""
    real = SandboxGateway.create_payment_session

    def wrapped(gateway: SandboxGateway, request: Any) -> Any:
        during(request)
        return real(gateway, request)

    monkeypatch.setattr(SandboxGateway, "create_payment_session", wrapped)


def open_with_key(client: Any, invoice: Invoice, key: str) -> Any:
    body = {"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token}
    return post_json(client, "/payment/create-session/", body, HTTP_IDEMPOTENCY_KEY=key)


def payable_shown(client: Any, invoice: Invoice) -> tuple[bool, str]:
    info = client.get(f"/payment/invoice/{invoice.pk}/gateway/", {"token": invoice.public_token}).json()
    return info["payable"], info["amount_payable"]


class Died(BaseException):
    """The process opening the session dies in the gateway call: nothing of ours runs after it."""


def died_while_asking(monkeypatch: Any, client: Any, invoice: Invoice, key: str) -> InvoicePayment:
    def die(request: Any) -> None:
        raise Died

    while_asking(monkeypatch, die)
    with pytest.raises(Died):
        open_with_key(client, invoice, key)
    monkeypatch.undo()
    return InvoicePayment.objects.get(invoice=invoice)


def lapse(payment: InvoicePayment) -> None:
    InvoicePayment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


# -- while the gateway is asked --------------------------------------------------------------------


def test_the_reservation_counts_against_what_is_payable_while_the_gateway_is_asked(
    anon, invoice, sandbox_config, monkeypatch
):
    seen: dict[str, Any] = {}

    def meanwhile(request: Any) -> None:
        reserved = InvoicePayment.objects.get(pk=request.payment_id)
        seen["reserved"] = (reserved.is_reservation, reserved.amount, reserved.expires_at - timezone.now())
        seen["other client"] = create_session(anon, invoice, token=invoice.public_token)
        seen["same request"] = open_with_key(anon, invoice, "modal-1")
        seen["pay page"] = payable_shown(anon, invoice)

    while_asking(monkeypatch, meanwhile)
    response = open_with_key(anon, invoice, "modal-1")

    assert response.status_code == 201, response.content
    is_reservation, amount, reserved_for = seen["reserved"]
    assert (is_reservation, amount) == (True, invoice.total)
    assert timedelta(seconds=110) < reserved_for <= timedelta(seconds=120)  # TRACKIFY_SESSION_RESERVATION_SECONDS
    error = assert_error(seen["other client"], 409, "payment_in_progress")
    assert "being opened" in error["message"]
    error = assert_error(seen["same request"], 409, "session_opening")
    assert "try again" in error["message"]
    assert seen["pay page"] == (False, "0.00")

    [payment] = InvoicePayment.objects.all()
    assert not payment.is_reservation
    assert payment.gateway_reference == SandboxSession.objects.get(payment_id=payment.pk).pk
    assert timedelta(minutes=59) < payment.expires_at - timezone.now() <= timedelta(minutes=60)
    assert payable_shown(anon, invoice) == (True, "100.00")  # an open session is closed by the next one
    assert open_with_key(anon, invoice, "modal-1").json()["payment_id"] == str(payment.pk)


def test_a_partial_reservation_leaves_the_rest_payable(anon, make_invoice, sandbox_config, monkeypatch):
    invoice = make_invoice(allow_partial_payment=True)
    seen: dict[str, Any] = {}

    def meanwhile(request: Any) -> None:
        if request.amount == 4000:
            seen["too much"] = create_session(anon, invoice, token=invoice.public_token, amount="60.01")
            seen["the rest"] = create_session(anon, invoice, token=invoice.public_token)

    while_asking(monkeypatch, meanwhile)
    assert create_session(anon, invoice, token=invoice.public_token, amount="40.00").status_code == 201

    error = assert_error(seen["too much"], 400, "invalid")
    assert "being processed or opened" in error["message"]
    assert seen["the rest"].status_code == 201, seen["the rest"].content
    assert seen["the rest"].json()["amount"] == "60.00"
    assert sorted(InvoicePayment.objects.values_list("amount", "status")) == [(4000, "pending"), (6000, "pending")]


# -- a call that fails -----------------------------------------------------------------------------


def test_a_gateway_error_releases_the_reservation_and_answers_as_before(anon, invoice, sandbox_config, monkeypatch):
    def unreachable(request: Any) -> None:
        raise GatewayUnavailable(detail="connection reset")

    while_asking(monkeypatch, unreachable)
    error = assert_error(create_session(anon, invoice, token=invoice.public_token), 502, "gateway_unavailable")

    [payment] = InvoicePayment.objects.all()
    assert (payment.status, payment.failure_message) == ("failed", error["message"])
    [change] = payment.status_changes.all()
    assert (change.from_status, change.to_status, change.applied, change.source) == (
        "pending", "failed", True, "session_open",
    )  # fmt: skip
    assert payable_shown(anon, invoice) == (True, "100.00")


def test_an_unexpected_error_in_the_call_releases_the_reservation_too(invoice, sandbox_config, monkeypatch):
    def broken(request: Any) -> None:
        raise RuntimeError("a bug in a gateway plugin")

    while_asking(monkeypatch, broken)
    with pytest.raises(RuntimeError, match="a bug in a gateway plugin"):
        payment_session_create(invoice_id=invoice.pk)

    [payment] = InvoicePayment.objects.all()
    assert (payment.status, payment.failure_message) == ("failed", NOT_OPENED)


# -- a request that died between reserving and recording ----------------------------------------------


def test_a_reservation_whose_request_died_blocks_the_invoice_only_until_its_time_is_up(
    anon, invoice, sandbox_config, monkeypatch
):
    dead = died_while_asking(monkeypatch, anon, invoice, "modal-1")
    assert dead.is_reservation
    assert_error(create_session(anon, invoice, token=invoice.public_token), 409, "payment_in_progress")

    lapse(dead)

    assert payable_shown(anon, invoice) == (True, "100.00")
    assert create_session(anon, invoice, token=invoice.public_token).status_code == 201


def test_the_same_request_repeated_after_its_reservation_lapsed_opens_the_session_afresh(
    anon, invoice, sandbox_config, monkeypatch
):
    dead = died_while_asking(monkeypatch, anon, invoice, "modal-1")
    assert_error(open_with_key(anon, invoice, "modal-1"), 409, "session_opening")

    lapse(dead)
    response = open_with_key(anon, invoice, "modal-1")

    assert response.status_code == 201, response.content
    dead.refresh_from_db()
    assert (dead.status, dead.failure_message, dead.client_idempotency_key) == ("failed", ABANDONED, "")
    opened = InvoicePayment.objects.get(pk=response.json()["payment_id"])
    assert (opened.client_idempotency_key, opened.is_reservation) == ("modal-1", False)


def test_the_catch_up_marks_lapsed_reservations_failed(anon, invoice, make_invoice, sandbox_config, monkeypatch):
    dead = died_while_asking(monkeypatch, anon, invoice, "modal-1")
    live = died_while_asking(monkeypatch, anon, make_invoice(), "modal-2")
    lapse(dead)

    summary = payments_catch_up(workers=1)

    assert summary.released == 1
    assert "sessions never opened (their request stopped half-way) released: 1" in summary.lines()
    dead.refresh_from_db()
    assert (dead.status, dead.failure_message) == ("failed", ABANDONED)
    live.refresh_from_db()
    assert live.is_reservation  # still within its time: its request may yet record the answer


def test_an_answer_that_comes_after_the_reservation_lapsed_is_not_recorded_and_its_session_is_closed(
    anon, invoice, sandbox_config, monkeypatch
):
    """A gateway slower than the reservation's time: the reservation stopped counting, so another
    session may have taken its amount; the session the gateway opened must not be paid."""

    def slower_than_the_reservation(request: Any) -> None:
        lapse(InvoicePayment.objects.get(pk=request.payment_id))

    while_asking(monkeypatch, slower_than_the_reservation)
    error = assert_error(create_session(anon, invoice, token=invoice.public_token), 409, "session_opening")

    assert "took too long" in error["message"]
    [payment] = InvoicePayment.objects.all()
    assert (payment.status, payment.gateway_reference, payment.failure_message) == ("failed", "", ABANDONED)
    assert SandboxSession.objects.get(payment_id=payment.pk).status == "expired"
