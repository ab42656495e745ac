"""`payments_catch_up` refreshes the disputes still open from Stripe (through the fake server), so a
dispute whose events were lost still moves, and closes, in our books."""

from __future__ import annotations

from dataclasses import replace
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tests.conftest import client_for
from tests.fakes.fake_stripe import Account, FakeStripe
from tests.payments.gateways.stripe.stripe_api import create_stripe_config, deliver, opened, payment, reference_of
from trackify.payments.gateways.sandbox import SandboxGateway
from trackify.payments.gateways.types import DisputeStatus, DisputeUpdate
from trackify.payments.models import PaymentDispute, PaymentDisputeChange
from trackify.payments.services import ledger
from trackify.payments.services.catch_up import payments_catch_up, payments_with_open_disputes

pytestmark = pytest.mark.django_db


@pytest.fixture
def config(user, stripe_account: Account) -> dict[str, Any]:
    return create_stripe_config(client_for(user), stripe_account, is_default=True)


@pytest.fixture
def pay(anon, make_invoice, config, stripe_account: Account) -> Any:
    def paid(total: str = "100.00") -> str:
        """A Checkout payment of a whole invoice, its events delivered; returns the payment id."""
        payment_id = str(opened(anon, make_invoice(total=total))["payment_id"])
        deliver(stripe_account, stripe_account.pay_checkout(reference_of(payment_id)), config["id"])
        return payment_id

    return paid


def disputed(pay: Any, stripe_account: Account, config: dict[str, Any], **dispute: Any) -> tuple[str, str]:
    """A paid payment with a chargeback whose opening events were delivered: (payment id, dispute id)."""
    payment_id = pay()
    events = stripe_account.open_dispute(payment(payment_id).gateway_payment_reference, **dispute)
    deliver(stripe_account, events, config["id"])
    return payment_id, str(events[0]["data"]["object"]["id"])


def state_of(payment_id: str) -> tuple[Any, ...]:
    done = payment(payment_id)
    [dispute] = PaymentDispute.objects.filter(payment=done)
    return dispute.status, dispute.withdrawn_amount, dispute.reinstated_amount, done.invoice.amount_paid


def test_a_dispute_whose_closing_events_were_lost_is_closed_by_the_catch_up(
    pay, config, stripe_account: Account, fake_stripe: FakeStripe
) -> None:
    won, won_id = disputed(pay, stripe_account, config)
    lost, lost_id = disputed(pay, stripe_account, config, amount=4000)
    assert state_of(won) == ("needs_response", 10000, 0, 0)
    stripe_account.close_dispute(won_id, "won")  # the events of both never arrive
    stripe_account.close_dispute(lost_id, "lost")
    stripe_account.take_events()

    summary = payments_catch_up(workers=1)

    assert state_of(won) == ("won", 10000, 10000, 10000)
    assert state_of(lost) == ("lost", 4000, 0, 6000)
    assert (summary.disputed, summary.disputes_refreshed, summary.disputes_changed) == (2, 2, 2)
    assert summary.dispute_errors == 0
    [change] = PaymentDisputeChange.objects.filter(dispute__gateway_dispute_id=won_id, source="catch_up")
    assert (change.from_status, change.to_status, change.webhook_event_id) == ("needs_response", "won", None)
    calls = fake_stripe.requests_to("GET", "/v1/disputes")
    assert sorted(c.params["payment_intent"] for c in calls) == sorted(
        payment(p).gateway_payment_reference for p in (won, lost)
    )
    # Closed now: the next run asks nothing more about them.
    assert not payments_with_open_disputes().exists()
    again = payments_catch_up(workers=1)
    assert (again.disputed, len(fake_stripe.requests_to("GET", "/v1/disputes"))) == (0, 2)


def test_an_open_dispute_that_has_not_moved_is_left_as_it_is(pay, config, stripe_account: Account) -> None:
    payment_id, _ = disputed(pay, stripe_account, config)
    summary = payments_catch_up(workers=1)
    assert (summary.disputes_refreshed, summary.disputes_changed) == (1, 0)
    assert state_of(payment_id) == ("needs_response", 10000, 0, 0)
    assert not PaymentDisputeChange.objects.filter(source="catch_up").exists()


def test_a_gateway_error_leaves_the_dispute_for_the_next_run(
    pay, config, stripe_account: Account, fake_stripe: FakeStripe
) -> None:
    payment_id, dispute_id = disputed(pay, stripe_account, config)
    stripe_account.close_dispute(dispute_id, "won")
    stripe_account.take_events()
    fake_stripe.fail_next(10, path="/v1/disputes")

    summary = payments_catch_up(workers=1)
    assert (summary.disputes_refreshed, summary.dispute_errors) == (1, 1)
    assert state_of(payment_id)[0] == "needs_response"

    fake_stripe.faults.clear()
    summary = payments_catch_up(workers=1)
    assert (summary.dispute_errors, state_of(payment_id)) == (0, ("won", 10000, 10000, 10000))


def test_the_command_counts_the_disputes_in_its_progress_and_its_summary(
    pay, config, stripe_account: Account
) -> None:
    _, dispute_id = disputed(pay, stripe_account, config)
    disputed(pay, stripe_account, config)
    stripe_account.close_dispute(dispute_id, "lost")
    out, err = StringIO(), StringIO()
    call_command("payments_catch_up", "--workers", "1", stdout=out, stderr=err)
    assert "[##############################] 2/2" in err.getvalue()
    assert "open disputes refreshed: 2 of 2 (1 changed), gateway errors: 0" in out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_threads_refresh_every_open_dispute(pay, config, stripe_account: Account) -> None:
    cases = [disputed(pay, stripe_account, config, amount=1000) for _ in range(6)]
    for _, dispute_id in cases[::2]:
        stripe_account.close_dispute(dispute_id, "won")
    summary = payments_catch_up(workers=3, batch_size=2)
    assert (summary.disputes_refreshed, summary.disputes_changed, summary.dispute_errors) == (6, 3, 0)
    assert [state_of(payment_id)[0] for payment_id, _ in cases] == ["won", "needs_response"] * 3


def test_a_dispute_at_a_gateway_that_does_not_report_disputes_is_not_asked_about(
    open_payment, monkeypatch
) -> None:
    monkeypatch.setattr(SandboxGateway, "capabilities", replace(SandboxGateway.capabilities, disputes=False))
    monkeypatch.setattr(SandboxGateway, "list_disputes", lambda self, lookup: pytest.fail("asked"))
    report = DisputeUpdate("dp_sandbox_1", DisputeStatus.INQUIRY, open_payment.amount, open_payment.currency)
    ledger.payment_apply(payment_id=open_payment.pk, dispute_updates=[report], source="sandbox")
    assert PaymentDispute.objects.filter(payment=open_payment, status="inquiry").exists()
    summary = payments_catch_up(workers=1)
    assert (summary.disputed, summary.disputes_refreshed) == (0, 0)
