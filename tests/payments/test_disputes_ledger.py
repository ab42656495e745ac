"""Disputes in the ledger: money follows the funds, and any order of the same reports ends the same.

A dispute's life is generated (an inquiry or not, a review or not, won or lost), each stage reported
as the provider does, a snapshot of the totals moved so far, and the reports delivered in a random
order with duplicates, mixed with the payment's own success. The books must end as the last stage
says, and exactly as if the reports had come in order.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trackify.common.errors import Conflict
from trackify.invoices.models import Invoice
from trackify.payments.gateways.sandbox import SandboxGateway
from trackify.payments.gateways.types import (
    DisputeStatus,
    DisputeUpdate,
    PaymentStatus,
    PaymentUpdate,
    RefundRequest,
    RefundResult,
    RefundStatus,
    RefundUpdate,
    WebhookEvent,
)
from trackify.payments.models import InvoicePayment, PaymentDispute, PaymentDisputeChange, PaymentWebhookEvent
from trackify.payments.services import ledger
from trackify.payments.services.refunds import invoice_refund_overpayment, payment_refund
from trackify.payments.services.webhooks import webhook_apply

D = DisputeStatus
TOTAL = 10_000
DEADLINE = datetime(2027, 1, 10, 23, 59, 59, tzinfo=UTC)


def _payment(invoice, config, amount=TOTAL) -> InvoicePayment:
    return InvoicePayment.objects.create(
        invoice=invoice, config=config, gateway_name="sandbox", amount=amount, currency=invoice.currency,
        gateway_reference=f"sess_{uuid.uuid4().hex[:8]}",
    )  # fmt: skip


def _event(payment, event_id: str, **updates) -> WebhookEvent:
    return WebhookEvent(gateway_event_id=event_id, event_type="test", payload={}, payment_id=payment.pk, **updates)


def _succeeded(payment) -> WebhookEvent:
    return _event(payment, f"evt_paid_{payment.pk}", payment_update=PaymentUpdate(
        status=PaymentStatus.SUCCEEDED, amount=payment.amount, currency="EUR"
    ))  # fmt: skip


def _report(payment, status: D, *, withdrawn=0, reinstated=0, inquiry=False, dispute_id="dp_1", amount=None):
    return DisputeUpdate(
        gateway_dispute_id=dispute_id, status=status, amount=payment.amount if amount is None else amount,
        currency="EUR", reason="fraudulent", evidence_due_by=DEADLINE, withdrawn=withdrawn, reinstated=reinstated,
        is_inquiry=inquiry,
    )  # fmt: skip


def _send(config, payment, update: DisputeUpdate, event_id: str | None = None):
    event = _event(payment, event_id or f"evt_{uuid.uuid4().hex}", dispute_updates=(update,))
    return webhook_apply(config=config, event=event)


@pytest.fixture(autouse=True)
def refunds_accepted(monkeypatch):
    """The sandbox provider refunds only sessions it opened; these payments are the ledger's own."""

    def refund(self, request: RefundRequest) -> RefundResult:
        return RefundResult(gateway_refund_id=f"re_{request.refund_id}", status=RefundStatus.SUCCEEDED,
                            amount=request.amount)  # fmt: skip

    monkeypatch.setattr(SandboxGateway, "refund_payment", refund)


@pytest.fixture
def paid(invoice, sandbox_config):
    payment = _payment(invoice, sandbox_config)
    webhook_apply(config=sandbox_config, event=_succeeded(payment))
    return payment


def _books(payment):
    payment.refresh_from_db()
    invoice = Invoice.objects.get(pk=payment.invoice_id)
    return invoice.amount_paid, invoice.status, payment.status, payment.disputed_amount


# -- money follows the funds ------------------------------------------------------------------------


def test_funds_withdrawn_reopen_the_invoice_with_the_amount_due(paid, sandbox_config):
    outcome = _send(sandbox_config, paid, _report(paid, D.NEEDS_RESPONSE, withdrawn=TOTAL))
    assert outcome.status == "processed"
    assert _books(paid) == (0, "open", "succeeded", TOTAL)  # the payment keeps its own status
    assert Invoice.objects.get(pk=paid.invoice_id).amount_due == TOTAL
    dispute = PaymentDispute.objects.get(payment=paid)
    assert (dispute.status, dispute.withdrawn_amount, dispute.reinstated_amount) == ("needs_response", TOTAL, 0)
    assert dispute.evidence_due_by == DEADLINE
    change = dispute.changes.get()
    assert (change.from_status, change.to_status, change.applied, change.source) == ("", "needs_response", True,
                                                                                     "webhook")
    assert change.webhook_event_id == PaymentWebhookEvent.objects.get(pk=outcome.event_id).pk


def test_a_part_withdrawn_leaves_the_invoice_partly_paid(paid, sandbox_config):
    _send(sandbox_config, paid, _report(paid, D.NEEDS_RESPONSE, withdrawn=2_500, amount=2_500))
    assert _books(paid) == (TOTAL - 2_500, "partially_paid", "succeeded", 2_500)


def test_won_reinstates_the_funds_and_lost_leaves_them_withdrawn(invoice, sandbox_config, user):
    won = _payment(invoice, sandbox_config, amount=4_000)
    lost = _payment(invoice, sandbox_config, amount=6_000)
    for payment in (won, lost):
        webhook_apply(config=sandbox_config, event=_succeeded(payment))
        update = _report(payment, D.NEEDS_RESPONSE, withdrawn=payment.amount, dispute_id=f"dp_{payment.amount}")
        _send(sandbox_config, payment, update)
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == 0
    _send(sandbox_config, won, _report(won, D.WON, withdrawn=4_000, reinstated=4_000, dispute_id="dp_4000"))
    _send(sandbox_config, lost, _report(lost, D.LOST, withdrawn=6_000, dispute_id="dp_6000"))
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.status, invoice.amount_due) == (4_000, "partially_paid", 6_000)
    assert PaymentDispute.objects.get(payment=won).closed_at is not None


def test_an_inquiry_moves_no_money_until_it_becomes_a_chargeback(paid, sandbox_config):
    _send(sandbox_config, paid, _report(paid, D.INQUIRY, inquiry=True))
    assert _books(paid) == (TOTAL, "paid", "succeeded", 0)
    _send(sandbox_config, paid, _report(paid, D.NEEDS_RESPONSE, withdrawn=TOTAL))
    assert _books(paid)[0] == 0
    dispute = PaymentDispute.objects.get(payment=paid)
    assert (dispute.status, dispute.is_inquiry) == ("needs_response", False)
    assert [c.to_status for c in dispute.changes.all()] == ["inquiry", "needs_response"]


def test_lost_delivered_before_created_ends_as_the_right_order(paid, sandbox_config):
    _send(sandbox_config, paid, _report(paid, D.LOST, withdrawn=TOTAL))
    _send(sandbox_config, paid, _report(paid, D.NEEDS_RESPONSE, withdrawn=TOTAL))
    outcome = _send(sandbox_config, paid, _report(paid, D.NEEDS_RESPONSE))  # "created", before the withdrawal
    assert "is lost, not needs_response" in outcome.detail
    assert _books(paid) == (0, "open", "succeeded", TOTAL)
    dispute = PaymentDispute.objects.get(payment=paid)
    assert (dispute.status, dispute.withdrawn_amount) == ("lost", TOTAL)
    assert dispute.changes.filter(applied=False).count() == 2  # the stale reports, recorded and refused


def test_a_repeated_delivery_is_a_duplicate_and_moves_nothing(paid, sandbox_config):
    update = _report(paid, D.NEEDS_RESPONSE, withdrawn=TOTAL)
    _send(sandbox_config, paid, update, "evt_same")
    assert _send(sandbox_config, paid, update, "evt_same").status == "duplicate"
    again = _send(sandbox_config, paid, update)  # the same news in another event: unchanged
    assert "already needs_response" in again.detail
    assert _books(paid) == (0, "open", "succeeded", TOTAL)
    assert PaymentDisputeChange.objects.filter(dispute__payment=paid).count() == 1


def test_a_dispute_reported_before_its_payment_succeeded_counts_once_it_does(invoice, sandbox_config):
    payment = _payment(invoice, sandbox_config)
    _send(sandbox_config, payment, _report(payment, D.NEEDS_RESPONSE, withdrawn=TOTAL))
    assert _books(payment) == (0, "open", "pending", TOTAL)
    webhook_apply(config=sandbox_config, event=_succeeded(payment))
    assert _books(payment) == (0, "open", "succeeded", TOTAL)


def test_a_dispute_in_another_currency_is_flagged_not_applied(paid, sandbox_config):
    update = DisputeUpdate(gateway_dispute_id="dp_x", status=D.NEEDS_RESPONSE, amount=TOTAL, currency="USD",
                           withdrawn=TOTAL)  # fmt: skip
    assert "does not match" in _send(sandbox_config, paid, update).detail
    assert _books(paid) == (TOTAL, "paid", "succeeded", 0)
    assert "dispute currency USD" in InvoicePayment.objects.get(pk=paid.pk).attention_reason


def test_disputes_and_refunds_never_take_back_more_than_was_paid(paid, sandbox_config):
    refund = RefundUpdate(gateway_refund_id="re_1", status=RefundStatus.SUCCEEDED, amount=4_000, currency="EUR")
    webhook_apply(config=sandbox_config, event=_event(paid, "evt_refund", refund_updates=(refund,)))
    _send(sandbox_config, paid, _report(paid, D.NEEDS_RESPONSE, withdrawn=TOTAL))
    paid.refresh_from_db()
    assert (paid.refunded_amount, paid.disputed_amount) == (4_000, 6_000)
    assert "more than the payment" in paid.attention_reason
    assert Invoice.objects.get(pk=paid.invoice_id).amount_paid == 0


# -- refunds of disputed payments --------------------------------------------------------------------


@pytest.mark.parametrize(("status", "withdrawn", "reinstated"), [
    (D.INQUIRY, 0, 0), (D.NEEDS_RESPONSE, TOTAL, 0), (D.UNDER_REVIEW, TOTAL, 0), (D.LOST, TOTAL, 0),
])  # fmt: skip
def test_a_refund_of_a_disputed_payment_is_refused(paid, sandbox_config, user, status, withdrawn, reinstated):
    _send(sandbox_config, paid, _report(paid, status, withdrawn=withdrawn, reinstated=reinstated))
    with pytest.raises(Conflict) as refused:
        payment_refund(payment_id=paid.pk, amount=100, created_by=user)
    assert refused.value.code == "payment_disputed"
    assert not paid.refunds.exists()


def test_a_payment_whose_dispute_was_won_can_be_refunded(paid, sandbox_config, user):
    _send(sandbox_config, paid, _report(paid, D.WON, withdrawn=TOTAL, reinstated=TOTAL))
    refund = payment_refund(payment_id=paid.pk, amount=1_000, created_by=user)
    assert refund.status == "succeeded"
    assert _books(paid)[0] == TOTAL - 1_000


def test_an_overpayment_is_refunded_from_a_payment_that_is_not_disputed(invoice, sandbox_config, user):
    first, second = _payment(invoice, sandbox_config), _payment(invoice, sandbox_config, amount=3_000)
    for payment in (first, second):
        webhook_apply(config=sandbox_config, event=_succeeded(payment))
    assert Invoice.objects.get(pk=invoice.pk).amount_overpaid == 3_000
    _send(sandbox_config, second, _report(second, D.INQUIRY, inquiry=True))  # the newest one, disputed
    (refund,) = invoice_refund_overpayment(invoice_id=invoice.pk, created_by=user)
    assert (refund.payment_id, refund.amount) == (first.pk, 3_000)


def test_overpayment_detection_uses_the_net_figures(invoice, sandbox_config):
    first, second = _payment(invoice, sandbox_config), _payment(invoice, sandbox_config, amount=3_000)
    webhook_apply(config=sandbox_config, event=_succeeded(first))
    _send(sandbox_config, first, _report(first, D.LOST, withdrawn=TOTAL))
    webhook_apply(config=sandbox_config, event=_succeeded(second))
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.amount_overpaid, invoice.status) == (3_000, 0, "partially_paid")
    assert "overpayment" not in InvoicePayment.objects.get(pk=second.pk).attention_reason


# -- any order, any duplicates -----------------------------------------------------------------------


@st.composite
def dispute_lives(draw):
    """The stages of one dispute, each the snapshot its provider would send, in the order they happen."""
    amount = draw(st.sampled_from([TOTAL, 2_500]))
    stages = []
    if draw(st.booleans()):
        stages.append((D.INQUIRY, 0, 0, True))
        if draw(st.booleans()):
            stages.append((D.UNDER_REVIEW, 0, 0, True))
        if draw(st.booleans()):  # the inquiry closes with no chargeback
            stages.append((D.WON, 0, 0, True))
            return amount, stages
    stages.append((D.NEEDS_RESPONSE, 0, 0, False))  # "created": the withdrawal follows in its own event
    stages.append((D.NEEDS_RESPONSE, amount, 0, False))  # "funds_withdrawn"
    if draw(st.booleans()):
        stages.append((D.UNDER_REVIEW, amount, 0, False))
    if draw(st.booleans()):
        stages.append((D.LOST, amount, 0, False))
    else:
        stages.append((D.WON, amount, 0, False))  # "closed" (won) ...
        stages.append((D.WON, amount, amount, False))  # ... and "funds_reinstated", in either order
    return amount, stages


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(life=dispute_lives(), data=st.data())
def test_any_order_of_a_disputes_reports_with_duplicates_ends_in_the_last_stage(invoice, sandbox_config, life, data):
    amount, stages = life
    with transaction.atomic():
        payment = _payment(invoice, sandbox_config)
        events = [_succeeded(payment)] + [
            _event(payment, f"evt_{n}_{payment.pk}", dispute_updates=(
                _report(payment, status, withdrawn=withdrawn, reinstated=reinstated, inquiry=inquiry, amount=amount),
            ))
            for n, (status, withdrawn, reinstated, inquiry) in enumerate(stages)
        ]  # fmt: skip
        deliveries = data.draw(st.permutations(events + data.draw(st.lists(st.sampled_from(events), max_size=4))))
        for event in deliveries:
            assert webhook_apply(config=sandbox_config, event=event).status in ("processed", "duplicate")

        status, withdrawn, reinstated, inquiry = stages[-1]
        dispute = PaymentDispute.objects.get(payment=payment)
        assert (dispute.status, dispute.withdrawn_amount, dispute.reinstated_amount, dispute.is_inquiry) == (
            status, withdrawn, reinstated, inquiry
        )
        held = withdrawn - reinstated
        payment.refresh_from_db()
        assert (payment.status, payment.disputed_amount) == ("succeeded", held)
        assert Invoice.objects.get(pk=invoice.pk).amount_paid == TOTAL - held
        assert not payment.attention_reason
        transaction.set_rollback(True)  # the next example starts from the same invoice


def test_disputes_are_unique_per_config_and_belong_to_one_payment(invoice, sandbox_config, paid):
    other = _payment(invoice, sandbox_config, amount=1_000)
    webhook_apply(config=sandbox_config, event=_succeeded(other))
    _send(sandbox_config, paid, _report(paid, D.NEEDS_RESPONSE, withdrawn=TOTAL, dispute_id="dp_one"))
    outcome = _send(sandbox_config, other, _report(other, D.LOST, withdrawn=1_000, dispute_id="dp_one"))
    assert "belongs to payment" in outcome.detail
    assert PaymentDispute.objects.get(gateway_dispute_id="dp_one").payment_id == paid.pk


def test_the_ledger_applies_dispute_updates_outside_webhooks_with_history_at_once(paid):
    (result,) = ledger.payment_apply(
        payment_id=paid.pk, dispute_updates=[_report(paid, D.UNDER_REVIEW, withdrawn=TOTAL)], source="catch_up"
    )
    assert result.outcome == "applied"
    change = PaymentDisputeChange.objects.get(dispute__payment=paid)
    assert (change.source, change.webhook_event_id) == ("catch_up", None)
    assert PaymentDispute.objects.get(payment=paid).evidence_due_by == DEADLINE
