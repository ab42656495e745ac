"""The sandbox provider's disputes, the gateway's reading of them, and a refresh that closes a dispute
whose events were never delivered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import post_json
from tests.payments.api.conftest import pay
from trackify.invoices.models import Invoice
from trackify.payments.gateways.sandbox import SandboxGateway
from trackify.payments.gateways.types import DisputeStatus, DisputeUpdate, WebhookRequest
from trackify.payments.models import InvoicePayment, PaymentDispute
from trackify.payments.services import ledger
from trackify.payments.services.gateway_configs import gateway_for
from trackify.payments.services.lookups import lookup_for
from trackify.sandbox import provider
from trackify.sandbox.models import SandboxDispute, SandboxSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(api: Any, invoice: Invoice, sandbox_config: Any) -> InvoicePayment:
    return InvoicePayment.objects.select_related("config").get(pk=pay(api, invoice))


def session_of(payment: InvoicePayment) -> SandboxSession:
    return SandboxSession.objects.get(pk=payment.gateway_reference)


def open_at_provider(payment: InvoicePayment, **kwargs: Any) -> dict[str, Any]:
    return provider.open_dispute(account_id=payment.config_id, session_id=payment.gateway_reference, **kwargs)


def close_at_provider(payment: InvoicePayment, dispute_id: str, outcome: str) -> dict[str, Any]:
    return provider.close_dispute(account_id=payment.config_id, dispute_id=dispute_id, outcome=outcome)


# -- the provider ------------------------------------------------------------------------------------


def test_a_chargeback_withdraws_at_once_and_each_event_is_a_snapshot_of_its_step(paid):
    opened = open_at_provider(paid, reason="product_not_received")
    dispute = opened["dispute"]
    assert dispute["id"].startswith("sdp_")
    assert (dispute["status"], dispute["amount"], dispute["currency"], dispute["withdrawn"]) == (
        "chargeback", 10000, "EUR", 10000)
    assert (dispute["session"], dispute["payment_id"], dispute["reason"]) == (
        paid.gateway_reference, str(paid.pk), "product_not_received")
    deadline = datetime.fromtimestamp(dispute["evidence_due_by"], tz=UTC)
    assert timedelta(days=6, hours=23) < deadline - timezone.now() <= timedelta(days=7)
    steps = [(e["type"], e["data"]["dispute"]["status"], e["data"]["dispute"]["withdrawn"]) for e in opened["events"]]
    assert steps == [("dispute.created", "chargeback", 0), ("dispute.funds_withdrawn", "chargeback", 10000)]

    won = close_at_provider(paid, dispute["id"], "won")
    steps = [(e["type"], e["data"]["dispute"]["status"], e["data"]["dispute"]["reinstated"]) for e in won["events"]]
    assert steps == [("dispute.funds_reinstated", "chargeback", 10000), ("dispute.closed", "won", 10000)]
    row = SandboxDispute.objects.get()
    assert (row.status, row.withdrawn, row.reinstated, row.closed_at is not None) == ("won", 10000, 10000, True)


def test_a_lost_chargeback_keeps_the_funds_withdrawn(paid):
    dispute_id = open_at_provider(paid)["dispute"]["id"]
    lost = close_at_provider(paid, dispute_id, "lost")
    assert [e["type"] for e in lost["events"]] == ["dispute.closed"]
    assert (lost["dispute"]["status"], lost["dispute"]["withdrawn"], lost["dispute"]["reinstated"]) == (
        "lost", 10000, 0)


def test_an_inquiry_moves_nothing_until_it_becomes_a_chargeback(paid):
    inquiry = open_at_provider(paid, inquiry=True)
    assert [e["type"] for e in inquiry["events"]] == ["dispute.created"]
    assert (inquiry["dispute"]["status"], inquiry["dispute"]["withdrawn"]) == ("inquiry", 0)
    escalated = open_at_provider(paid)
    assert escalated["dispute"]["id"] == inquiry["dispute"]["id"]
    assert [e["type"] for e in escalated["events"]] == ["dispute.updated", "dispute.funds_withdrawn"]
    assert (escalated["dispute"]["status"], escalated["dispute"]["withdrawn"]) == ("chargeback", 10000)


def test_an_inquiry_won_closes_as_such(paid):
    dispute_id = open_at_provider(paid, inquiry=True)["dispute"]["id"]
    closed = close_at_provider(paid, dispute_id, "won")
    assert [e["type"] for e in closed["events"]] == ["dispute.closed"]
    assert (closed["dispute"]["status"], closed["dispute"]["withdrawn"]) == ("inquiry_closed", 0)


@pytest.mark.parametrize("status", ["open", "processing", "declined", "cancelled", "expired"])
def test_only_a_paid_session_can_be_disputed(paid, status):
    SandboxSession.objects.filter(pk=paid.gateway_reference).update(status=status)
    with pytest.raises(provider.SandboxError, match="only a paid one can be disputed"):
        open_at_provider(paid)
    assert not SandboxDispute.objects.exists()


def test_a_second_open_dispute_closing_a_closed_one_and_too_much_are_refused(paid):
    with pytest.raises(provider.SandboxError, match="between 1 and 10000"):
        open_at_provider(paid, amount=10001)
    with pytest.raises(provider.SandboxError, match="between 1 and 10000"):
        open_at_provider(paid, amount=0)
    dispute_id = open_at_provider(paid, amount=4000)["dispute"]["id"]
    with pytest.raises(provider.SandboxError, match="already has an open dispute"):
        open_at_provider(paid, amount=1000)
    close_at_provider(paid, dispute_id, "lost")
    with pytest.raises(provider.SandboxError, match="closed already"):
        close_at_provider(paid, dispute_id, "won")
    with pytest.raises(provider.SandboxError, match="between 1 and 6000"):  # what the lost one took is gone
        open_at_provider(paid, amount=6001)
    with pytest.raises(provider.SandboxError, match="outcome must be one of"):
        close_at_provider(paid, dispute_id, "draw")


def test_a_dispute_of_another_account_is_not_found(paid, make_user):
    from trackify.payments.services.gateway_configs import gateway_config_create

    other = gateway_config_create(owner=make_user("someone"), gateway_name="sandbox")
    with pytest.raises(provider.SandboxError, match="no such session"):
        provider.open_dispute(account_id=other.pk, session_id=paid.gateway_reference)
    dispute_id = open_at_provider(paid)["dispute"]["id"]
    with pytest.raises(provider.SandboxError, match="no such dispute"):
        provider.close_dispute(account_id=other.pk, dispute_id=dispute_id, outcome="won")


def test_the_provider_refuses_a_refund_while_a_dispute_is_open_and_of_what_a_lost_one_took(paid):
    def refund(amount: int, key: str) -> dict[str, Any]:
        return provider.create_refund(
            account_id=paid.config_id, session_id=paid.gateway_reference, amount=amount, idempotency_key=key
        )

    dispute_id = open_at_provider(paid, amount=4000)["dispute"]["id"]
    with pytest.raises(provider.SandboxError, match="disputed"):
        refund(1000, "r1")
    close_at_provider(paid, dispute_id, "lost")
    with pytest.raises(provider.SandboxError, match="between 1 and 6000"):
        refund(6001, "r2")
    assert refund(6000, "r3")["amount"] == 6000


# -- the gateway -------------------------------------------------------------------------------------


def gateway_of(payment: InvoicePayment) -> SandboxGateway:
    gateway = gateway_for(payment.config)
    assert isinstance(gateway, SandboxGateway)
    return gateway


def test_the_gateway_reports_disputes(paid):
    assert SandboxGateway.capabilities.disputes is True
    gateway = gateway_of(paid)
    assert gateway.list_disputes(lookup_for(paid)) == ()
    opened = open_at_provider(paid, amount=2500, reason="duplicate")
    event = gateway.normalize_event(opened["events"][-1])
    assert (event.payment_id, event.gateway_reference, event.payment_update) == (paid.pk, paid.gateway_reference, None)
    deadline = datetime.fromtimestamp(opened["dispute"]["evidence_due_by"], tz=UTC)
    expected = DisputeUpdate(
        gateway_dispute_id=opened["dispute"]["id"], status=DisputeStatus.NEEDS_RESPONSE, amount=2500, currency="EUR",
        reason="duplicate", evidence_due_by=deadline, withdrawn=2500, reinstated=0, is_inquiry=False,
    )
    assert event.dispute_updates == (expected,)
    assert event.is_actionable
    assert gateway.list_disputes(lookup_for(paid)) == (expected,)
    assert gateway.dispute_dashboard_url(opened["dispute"]["id"]) == opened["dispute"]["url"]


def test_the_dispute_page_shows_the_dispute_and_changes_nothing(paid, anon):
    dispute_id = open_at_provider(paid, amount=2500)["dispute"]["id"]
    url = gateway_of(paid).dispute_dashboard_url(dispute_id)
    assert url == f"http://127.0.0.1:8000/sandbox/disputes/{dispute_id}/"
    page = anon.get(url.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert b'data-testid="status">chargeback<' in page.content
    assert b"25.00 EUR" in page.content
    assert anon.post(f"/sandbox/disputes/{dispute_id}/").status_code == 405
    assert anon.get("/sandbox/disputes/sdp_unknown/").status_code == 404
    assert SandboxDispute.objects.get().status == "chargeback"


@pytest.mark.parametrize(
    ("provider_status", "status", "is_inquiry"),
    [("inquiry", "inquiry", True), ("inquiry_closed", "won", True), ("chargeback", "needs_response", False),
     ("won", "won", False), ("lost", "lost", False)],
)
def test_each_provider_status_maps_to_ours(paid, provider_status, status, is_inquiry):
    event = open_at_provider(paid)["events"][0]
    event["data"]["dispute"]["status"] = provider_status
    (update,) = gateway_of(paid).normalize_event(event).dispute_updates
    assert (update.status, update.is_inquiry) == (status, is_inquiry)


@pytest.mark.parametrize(
    "change",
    [{"status": "pending"}, {"amount": "10000"}, {"amount": -1}, {"withdrawn": True}, {"reinstated": 1.5},
     {"id": 7}, {"currency": None}, {"evidence_due_by": 10**12}, {"evidence_due_by": "soon"}],
)
def test_a_malformed_dispute_is_no_update(paid, change):
    event = open_at_provider(paid)["events"][0]
    event["data"]["dispute"].update(change)
    normalized = gateway_of(paid).normalize_event(event)
    assert normalized.dispute_updates == ()
    assert not normalized.is_actionable


def test_the_payment_hint_reads_a_dispute_event(paid):
    event = open_at_provider(paid)["events"][0]
    request = WebhookRequest(body=json.dumps(event).encode(), headers={})
    assert SandboxGateway.webhook_payment_hint(request) == paid.pk


# -- a refresh from the provider closes what the webhooks never said ---------------------------------


def refresh(payment: InvoicePayment) -> tuple[Any, ...]:
    updates = gateway_of(payment).list_disputes(lookup_for(payment))
    return ledger.payment_apply(payment_id=payment.pk, dispute_updates=updates, source="catch_up")


def invoice_figures(invoice: Invoice) -> tuple[str, int]:
    invoice = Invoice.objects.get(pk=invoice.pk)
    return invoice.status, invoice.amount_paid


def test_a_refresh_applies_a_dispute_whose_events_were_not_delivered(api, invoice, paid):
    url = f"/payment/sandbox/{paid.pk}/dispute/"
    assert post_json(api, url, {"action": "open", "deliver": False}).json()["delivered"] is False
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == 10000  # nothing told us yet
    refresh(paid)
    assert invoice_figures(invoice) == ("open", 0)

    assert post_json(api, url, {"action": "win", "deliver": False}).status_code == 200
    assert PaymentDispute.objects.get().status == "needs_response"
    assert [r.outcome for r in refresh(paid)] == [ledger.Outcome.APPLIED]
    row = PaymentDispute.objects.get()
    assert (row.status, row.withdrawn_amount, row.reinstated_amount, row.closed_at is not None) == (
        "won", 10000, 10000, True)
    assert row.changes.last().source == "catch_up"
    assert invoice_figures(invoice) == ("paid", 10000)
    assert [r.outcome for r in refresh(paid)] == [ledger.Outcome.UNCHANGED]  # a second refresh changes nothing


def test_a_refresh_closes_a_lost_dispute_whose_webhooks_were_lost(api, invoice, paid):
    url = f"/payment/sandbox/{paid.pk}/dispute/"
    post_json(api, url, {"action": "open"})  # delivered
    post_json(api, url, {"action": "lose", "deliver": False})  # never told
    assert PaymentDispute.objects.get().status == "needs_response"
    refresh(paid)
    assert PaymentDispute.objects.get().status == "lost"
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == 0
