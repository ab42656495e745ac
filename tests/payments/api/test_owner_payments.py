"""GET /payment/payments/ and /payment/payments/<id>/: the owner's payments page and a payment's timeline."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import post_json
from tests.payments.api.conftest import assert_error, assert_refused_to_anonymous, create_session, pay
from tests.payments.disputes import report_dispute
from trackify.invoices.models import Invoice
from trackify.payments.gateways.types import DisputeStatus
from trackify.payments.models import InvoicePayment, PaymentRefund
from trackify.payments.services.gateway_configs import gateway_config_create

pytestmark = pytest.mark.django_db

LIST = "/payment/payments/"


def detail(payment_id: str) -> str:
    return f"/payment/payments/{payment_id}/"


def test_the_owner_sees_their_payments_newest_first_with_what_the_page_shows(api, make_invoice, sandbox_config):
    older = pay(api, make_invoice(number="INV-A", client_name="Alpha Ltd"))
    newer = pay(api, make_invoice(number="INV-B", client_name="Beta Ltd", total="20.50"))
    post_json(api, f"/payment/{newer}/refund/", {"amount": "5.00"})
    body = api.get(LIST).json()
    assert body["count"] == 2
    assert [row["payment_id"] for row in body["results"]] == [newer, older]
    row = body["results"][0]
    payment = InvoicePayment.objects.get(pk=newer)
    assert row == {
        "payment_id": newer,
        "invoice_id": str(payment.invoice_id),
        "invoice_number": "INV-B",
        "client_name": "Beta Ltd",
        "gateway": "sandbox",
        "gateway_display_name": "Sandbox",
        "amount": "20.50",
        "refunded_amount": "5.00",
        "disputed_amount": "0.00",
        "open_disputes": 0,
        "currency": "EUR",
        "status": "partially_refunded",
        "needs_attention": False,
        "created_at": row["created_at"],
        "succeeded_at": row["succeeded_at"],
    }
    assert row["created_at"] and row["succeeded_at"]


def test_another_owners_payments_are_not_listed(api, other_api, other_user, make_invoice, sandbox_config):
    gateway_config_create(owner=other_user, gateway_name="sandbox", display_name="Theirs", is_default=True)
    pay(other_api, make_invoice(owner=other_user, number="THEIRS-1"))
    mine = pay(api, make_invoice(number="MINE-1"))
    assert [row["payment_id"] for row in api.get(LIST).json()["results"]] == [mine]
    assert [row["invoice_number"] for row in other_api.get(LIST).json()["results"]] == ["THEIRS-1"]


def test_the_list_is_paged(api, make_invoice, sandbox_config):
    ids = [pay(api, make_invoice()) for _ in range(3)]
    first = api.get(LIST, {"page_size": 2}).json()
    assert (first["count"], len(first["results"]), first["previous"]) == (3, 2, None)
    assert first["next"]
    second = api.get(LIST, {"page_size": 2, "page": 2}).json()
    assert [row["payment_id"] for row in first["results"] + second["results"]] == ids[::-1]
    assert second["next"] is None
    assert_error(api.get(LIST, {"page": 9}), 404)


def test_the_list_filters_by_status(api, make_invoice, sandbox_config):
    paid = pay(api, make_invoice())
    pending = create_session(api, make_invoice()).json()["payment_id"]
    assert [r["payment_id"] for r in api.get(LIST, {"status": "succeeded"}).json()["results"]] == [paid]
    assert [r["payment_id"] for r in api.get(LIST, {"status": "pending"}).json()["results"]] == [pending]
    assert api.get(LIST, {"status": "refunded"}).json()["count"] == 0


def test_an_unknown_status_is_a_400(api):
    error = assert_error(api.get(LIST, {"status": "lost"}), 400)
    assert error["field"] == "status"


def test_the_list_searches_by_invoice_number(api, make_invoice, sandbox_config):
    found = pay(api, make_invoice(number="2026-0042"))
    pay(api, make_invoice(number="2026-0100"))
    assert [r["payment_id"] for r in api.get(LIST, {"q": "0042"}).json()["results"]] == [found]
    assert api.get(LIST, {"q": "nothing"}).json()["count"] == 0


def test_a_reservation_without_a_session_is_not_listed(api, invoice, sandbox_config):
    InvoicePayment.objects.create(invoice=invoice, config=sandbox_config, gateway_name="sandbox", amount=100,
                                  currency="EUR")  # fmt: skip
    assert api.get(LIST).json()["count"] == 0


def test_a_row_shows_what_its_disputes_hold_and_how_many_are_open(api, make_invoice, sandbox_config):
    disputed = pay(api, make_invoice(total="100.00"))
    report_dispute(disputed, gateway_dispute_id="dp_open", amount=2500)
    report_dispute(disputed, gateway_dispute_id="dp_inquiry", status=DisputeStatus.INQUIRY, is_inquiry=True)
    report_dispute(disputed, gateway_dispute_id="dp_won", amount=1000)
    report_dispute(disputed, gateway_dispute_id="dp_won", amount=1000, status=DisputeStatus.WON, reinstated=1000)
    untouched = pay(api, make_invoice())
    rows = {row["payment_id"]: row for row in api.get(LIST).json()["results"]}
    assert (rows[disputed]["disputed_amount"], rows[disputed]["open_disputes"]) == ("25.00", 2)
    assert (rows[untouched]["disputed_amount"], rows[untouched]["open_disputes"]) == ("0.00", 0)


def test_the_list_costs_the_same_few_queries_for_many_payments(
    api, make_invoice, sandbox_config, django_assert_max_num_queries
):
    for n in range(5):
        report_dispute(pay(api, make_invoice()), gateway_dispute_id=f"dp_{n}")
    # The token, the count and one page with its invoices and configs joined in (open disputes
    # counted by a subquery of the same query).
    with django_assert_max_num_queries(3):
        assert len(api.get(LIST).json()["results"]) == 5


def test_anonymous_callers_are_refused(anon, paid_payment_id):
    assert_refused_to_anonymous(anon.get(LIST))
    assert_refused_to_anonymous(anon.get(detail(paid_payment_id)))


def test_the_timeline_shows_status_changes_refunds_and_what_is_refundable(api, invoice, paid_payment_id):
    refund = post_json(api, f"/payment/{paid_payment_id}/refund/", {"amount": "30.00", "reason": "One hour less"})
    assert refund.status_code == 201
    body = api.get(detail(paid_payment_id)).json()
    payment = InvoicePayment.objects.get(pk=paid_payment_id)
    assert body["payment"]["payment_id"] == paid_payment_id
    assert body["payment"]["status"] == "partially_refunded"
    assert body["gateway_reference"] == payment.gateway_reference != ""
    assert body["gateway_payment_reference"] == payment.gateway_payment_reference
    changes = [(c["from_status"], c["to_status"], c["applied"]) for c in body["status_changes"]]
    assert ("pending", "succeeded", True) in changes or ("processing", "succeeded", True) in changes
    assert changes[-1] == ("succeeded", "partially_refunded", True)
    assert {c["source"] for c in body["status_changes"]} <= {"webhook", "status_check", "refund", "api"}
    [shown] = body["refunds"]
    assert (shown["amount"], shown["status"], shown["reason"], shown["source"]) == (
        "30.00", "succeeded", "One hour less", "api"
    )  # fmt: skip
    assert shown["refund_id"] == refund.json()["refund_id"]
    assert (body["refundable"], body["refunds_supported"], body["partial_refunds_supported"]) == ("70.00", True, True)
    assert (body["refund_blocked_reason"], body["disputes"]) == ("", [])
    assert (body["invoice_overpaid"], body["overpayment_refundable"], body["attention_reason"]) == ("0.00", "0.00", "")


def test_an_unpaid_payment_has_nothing_refundable(api, pending_payment_id):
    body = api.get(detail(pending_payment_id)).json()
    assert (body["payment"]["status"], body["refundable"], body["refunds"]) == ("pending", "0.00", [])
    assert "pending" in body["refund_blocked_reason"]


def test_the_timeline_shows_an_overpayment_and_refunding_the_excess_clears_it(api, invoice, paid_payment_id):
    # The invoice's total lowered after it was paid in full: it now holds more than it asks for.
    Invoice.objects.filter(pk=invoice.pk).update(total=6000)
    body = api.get(detail(paid_payment_id)).json()
    assert (body["invoice_overpaid"], body["overpayment_refundable"]) == ("40.00", "40.00")
    response = post_json(api, f"/payment/invoice/{invoice.pk}/refund-overpayment/")
    assert response.status_code == 201, response.content
    body = api.get(detail(paid_payment_id)).json()
    assert (body["invoice_overpaid"], body["overpayment_refundable"], body["refundable"]) == ("0.00", "0.00", "60.00")


def test_a_foreign_user_gets_404_for_a_payment_not_theirs(other_api, paid_payment_id):
    assert_error(other_api.get(detail(paid_payment_id)), 404, "not_found")
    assert_error(other_api.get(detail(str(uuid.uuid4()))), 404, "not_found")


def test_the_timeline_costs_a_bounded_number_of_queries(
    api, invoice, paid_payment_id, django_assert_max_num_queries
):
    post_json(api, f"/payment/{paid_payment_id}/refund/", {"amount": "10.00"})
    post_json(api, f"/payment/{paid_payment_id}/refund/", {"amount": "10.00"})
    for n in range(2):
        report_dispute(paid_payment_id, gateway_dispute_id=f"dp_{n}", amount=1000)
        report_dispute(paid_payment_id, gateway_dispute_id=f"dp_{n}", amount=1000, status=DisputeStatus.WON,
                       reinstated=1000)  # fmt: skip
    Invoice.objects.filter(pk=invoice.pk).update(total=5000)  # overpaid: the costliest timeline
    # The token, the payment with its invoice and config (and its open disputes counted), its refunds,
    # its status changes, its disputes with their configs, their changes, and what the invoice's paid
    # payments can give back of the overpayment (none when not overpaid). The two disputes' queries are
    # the only ones disputes add; the same for any number of refunds, disputes and changes.
    with django_assert_max_num_queries(7):
        body = api.get(detail(paid_payment_id)).json()
    assert (len(body["refunds"]), len(body["disputes"])) == (2, 2)
    assert [len(d["changes"]) for d in body["disputes"]] == [2, 2]
    assert (body["invoice_overpaid"], body["overpayment_refundable"]) == ("30.00", "30.00")


# -- disputes on the timeline ------------------------------------------------------------------


def test_the_timeline_shows_each_dispute_with_its_history(api, paid_payment_id):
    due = timezone.now() + timedelta(days=5)
    dispute = report_dispute(paid_payment_id, gateway_dispute_id="dp_1", amount=4000, evidence_due_by=due)
    report_dispute(paid_payment_id, gateway_dispute_id="dp_1", amount=4000, status=DisputeStatus.UNDER_REVIEW)
    body = api.get(detail(paid_payment_id)).json()
    assert (body["payment"]["disputed_amount"], body["payment"]["open_disputes"]) == ("40.00", 1)
    [shown] = body["disputes"]
    assert shown["dispute_id"] == str(dispute.pk)
    assert (shown["gateway_dispute_id"], shown["status"], shown["needs_response"], shown["days_left"]) == (
        "dp_1", "under_review", False, 5
    )  # fmt: skip
    assert (shown["amount"], shown["withdrawn_amount"], shown["held_amount"]) == ("40.00", "40.00", "40.00")
    assert [(c["from_status"], c["to_status"], c["applied"], c["source"]) for c in shown["changes"]] == [
        ("", "needs_response", True, "webhook"),
        ("needs_response", "under_review", True, "webhook"),
    ]
    assert (shown["changes"][0]["withdrawn_amount"], shown["changes"][0]["reinstated_amount"]) == ("40.00", "0.00")
    assert set(shown["changes"][0]) == {
        "from_status", "to_status", "withdrawn_amount", "reinstated_amount", "applied", "source", "note", "created_at"
    }  # fmt: skip


def test_a_stale_report_shows_as_refused_in_the_history(api, paid_payment_id):
    report_dispute(paid_payment_id, gateway_dispute_id="dp_1", status=DisputeStatus.LOST)
    report_dispute(paid_payment_id, gateway_dispute_id="dp_1", status=DisputeStatus.NEEDS_RESPONSE)
    [shown] = api.get(detail(paid_payment_id)).json()["disputes"]
    assert shown["status"] == "lost" and shown["closed_at"]
    assert [(c["to_status"], c["applied"]) for c in shown["changes"]] == [("lost", True), ("needs_response", False)]
    assert shown["changes"][1]["note"]


@pytest.mark.parametrize(
    ("status", "word"), [(DisputeStatus.NEEDS_RESPONSE, "open"), (DisputeStatus.INQUIRY, "open"),
                         (DisputeStatus.UNDER_REVIEW, "open"), (DisputeStatus.LOST, "lost")],
)  # fmt: skip
def test_nothing_is_refundable_while_a_dispute_is_open_or_lost_and_the_refund_is_refused(
    api, paid_payment_id, status, word
):
    report_dispute(paid_payment_id, amount=2000, status=status, is_inquiry=status == DisputeStatus.INQUIRY)
    body = api.get(detail(paid_payment_id)).json()
    assert body["refundable"] == "0.00"
    assert word in body["refund_blocked_reason"]
    # What the page says matches what the refund answers.
    assert_error(post_json(api, f"/payment/{paid_payment_id}/refund/", {"amount": "1.00"}), 409, "payment_disputed")


def test_once_won_the_refundable_amount_leaves_out_what_the_dispute_still_holds(api, paid_payment_id):
    post_json(api, f"/payment/{paid_payment_id}/refund/", {"amount": "10.00"})
    report_dispute(paid_payment_id, amount=5000)
    # Won, with 30.00 of the 50.00 withdrawn given back: the dispute still holds 20.00.
    report_dispute(paid_payment_id, amount=5000, status=DisputeStatus.WON, reinstated=3000)
    body = api.get(detail(paid_payment_id)).json()
    assert (body["payment"]["disputed_amount"], body["refundable"], body["refund_blocked_reason"]) == (
        "20.00", "70.00", ""
    )  # fmt: skip
    assert_error(post_json(api, f"/payment/{paid_payment_id}/refund/", {"amount": "70.01"}), 400)
    assert post_json(api, f"/payment/{paid_payment_id}/refund/", {"amount": "70.00"}).status_code == 201
    body = api.get(detail(paid_payment_id)).json()
    assert (body["refundable"], body["refund_blocked_reason"]) == ("0.00", body["refund_blocked_reason"])
    assert "refunded in full" in body["refund_blocked_reason"]


def test_a_disputed_payment_gives_nothing_of_an_overpayment(api, invoice, paid_payment_id):
    report_dispute(paid_payment_id, amount=1000)  # open: the paid 100.00 counts 90.00
    Invoice.objects.filter(pk=invoice.pk).update(total=6000)
    body = api.get(detail(paid_payment_id)).json()
    # Overpaid by 30.00, but "refund the excess" would skip the one payment: its refund is refused.
    assert (body["invoice_overpaid"], body["overpayment_refundable"]) == ("30.00", "0.00")
    post_json(api, f"/payment/invoice/{invoice.pk}/refund-overpayment/")
    assert not PaymentRefund.objects.exists()


def test_the_overpayment_comes_from_the_payments_not_disputed(api, make_invoice, sandbox_config):
    invoice = make_invoice(total="100.00", allow_partial_payment=True)
    disputed = pay(api, invoice, amount="70.00")
    clean = pay(api, invoice, amount="30.00")
    report_dispute(disputed, amount=500)  # open: the invoice's paid 100.00 counts 95.00
    Invoice.objects.filter(pk=invoice.pk).update(total=5000)  # overpaid by 45.00; `clean` can give 30.00
    body = api.get(detail(clean)).json()
    assert (body["invoice_overpaid"], body["overpayment_refundable"]) == ("45.00", "30.00")
    response = post_json(api, f"/payment/invoice/{invoice.pk}/refund-overpayment/")
    assert response.status_code == 201, response.content
    assert [(r["payment_id"], r["amount"]) for r in response.json()] == [(clean, "30.00")]


def test_a_foreign_user_sees_no_dispute_of_a_payment_not_theirs(other_api, paid_payment_id):
    report_dispute(paid_payment_id)
    assert_error(other_api.get(detail(paid_payment_id)), 404, "not_found")
    assert other_api.get("/payment/disputes/").json()["count"] == 0
