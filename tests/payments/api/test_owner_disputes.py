"""GET /payment/disputes/: the owner's disputes, for the payments page's "needs a response" list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import post_json
from tests.payments.api.conftest import assert_error, assert_refused_to_anonymous, pay
from tests.payments.disputes import report_dispute
from trackify.invoices.models import Invoice
from trackify.payments import crypto
from trackify.payments.gateways.types import DisputeStatus, PaymentStatus, PaymentUpdate
from trackify.payments.models import InvoicePayment
from trackify.payments.services import ledger
from trackify.payments.services.gateway_configs import gateway_config_create, gateway_for

pytestmark = pytest.mark.django_db

LIST = "/payment/disputes/"
D = DisputeStatus


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["gateway_dispute_id"] for row in response.json()["results"]]


def test_the_owner_sees_their_disputes_newest_first_with_what_the_page_shows(api, make_invoice, sandbox_config):
    payment_id = pay(api, make_invoice(number="INV-D1", client_name="Alpha Ltd", total="80.00"))
    due = timezone.now() + timedelta(days=7)
    older = report_dispute(payment_id, gateway_dispute_id="dp_old", status=D.INQUIRY, is_inquiry=True,
                           amount=3000, evidence_due_by=due)  # fmt: skip
    newer = report_dispute(payment_id, gateway_dispute_id="dp_new", amount=5000, withdrawn=5000, reason="duplicate")
    body = api.get(LIST).json()
    assert body["count"] == 2
    assert [row["dispute_id"] for row in body["results"]] == [str(newer.pk), str(older.pk)]
    assert body["results"][0] == {
        "dispute_id": str(newer.pk),
        "payment_id": payment_id,
        "invoice_id": str(newer.payment.invoice_id),
        "invoice_number": "INV-D1",
        "client_name": "Alpha Ltd",
        "gateway": "sandbox",
        "gateway_display_name": "Sandbox",
        "gateway_dispute_id": "dp_new",
        "amount": "50.00",
        "currency": "EUR",
        "reason": "duplicate",
        "status": "needs_response",
        "is_inquiry": False,
        "needs_response": True,
        "evidence_due_by": None,
        "days_left": None,
        "withdrawn_amount": "50.00",
        "reinstated_amount": "0.00",
        "held_amount": "50.00",
        "dashboard_url": gateway_for(sandbox_config).dispute_dashboard_url("dp_new"),
        "created_at": body["results"][0]["created_at"],
        "closed_at": None,
    }
    inquiry = body["results"][1]
    assert (inquiry["status"], inquiry["is_inquiry"], inquiry["needs_response"]) == ("inquiry", True, True)
    assert (inquiry["held_amount"], inquiry["days_left"]) == ("0.00", 7)
    assert inquiry["evidence_due_by"].startswith(due.date().isoformat())
    assert "changes" not in inquiry  # the history is the timeline's


def test_open_ones_come_nearest_deadline_first_and_those_without_one_last(api, make_invoice, sandbox_config):
    now = timezone.now()
    payments = [pay(api, make_invoice()) for _ in range(5)]
    report_dispute(payments[0], gateway_dispute_id="dp_far", evidence_due_by=now + timedelta(days=20))
    report_dispute(payments[1], gateway_dispute_id="dp_none", status=D.UNDER_REVIEW)
    report_dispute(payments[2], gateway_dispute_id="dp_near", evidence_due_by=now + timedelta(days=2))
    report_dispute(payments[3], gateway_dispute_id="dp_lost", status=D.LOST, evidence_due_by=now + timedelta(days=1))
    report_dispute(payments[4], gateway_dispute_id="dp_won", status=D.WON, withdrawn=0)
    assert ids(api.get(LIST, {"open": "true"})) == ["dp_near", "dp_far", "dp_none"]
    assert ids(api.get(LIST, {"open": "false"})) == ["dp_won", "dp_lost"]
    assert ids(api.get(LIST)) == ["dp_won", "dp_lost", "dp_near", "dp_none", "dp_far"]
    assert ids(api.get(LIST, {"open": ""})) == ids(api.get(LIST))  # a blank value is no filter


def test_needs_response_lists_only_those_waiting_for_an_answer(api, make_invoice, sandbox_config):
    now = timezone.now()
    payments = [pay(api, make_invoice()) for _ in range(4)]
    report_dispute(payments[0], gateway_dispute_id="dp_chargeback", evidence_due_by=now + timedelta(days=9))
    report_dispute(payments[1], gateway_dispute_id="dp_inquiry", status=D.INQUIRY, is_inquiry=True,
                   evidence_due_by=now + timedelta(days=3))  # fmt: skip
    report_dispute(payments[2], gateway_dispute_id="dp_review", status=D.UNDER_REVIEW)
    report_dispute(payments[3], gateway_dispute_id="dp_lost", status=D.LOST)
    assert ids(api.get(LIST, {"needs_response": "true"})) == ["dp_inquiry", "dp_chargeback"]
    assert ids(api.get(LIST, {"needs_response": "false"})) == ["dp_lost", "dp_review"]
    assert ids(api.get(LIST, {"open": "true", "needs_response": "false"})) == ["dp_review"]


def test_days_left_is_0_on_the_last_day_and_negative_once_past(api, make_invoice, sandbox_config):
    now = timezone.now()
    report_dispute(pay(api, make_invoice()), gateway_dispute_id="dp_today", evidence_due_by=now)
    report_dispute(pay(api, make_invoice()), gateway_dispute_id="dp_past", evidence_due_by=now - timedelta(days=2))
    rows = {row["gateway_dispute_id"]: row for row in api.get(LIST).json()["results"]}
    assert (rows["dp_today"]["days_left"], rows["dp_past"]["days_left"]) == (0, -2)


def test_the_list_is_paged(api, make_invoice, sandbox_config):
    for n in range(3):
        report_dispute(pay(api, make_invoice()), gateway_dispute_id=f"dp_{n}")
    first = api.get(LIST, {"page_size": 2}).json()
    second = api.get(LIST, {"page_size": 2, "page": 2}).json()
    assert (first["count"], len(first["results"]), second["next"]) == (3, 2, None)
    assert [r["gateway_dispute_id"] for r in first["results"] + second["results"]] == ["dp_2", "dp_1", "dp_0"]
    assert_error(api.get(LIST, {"page_size": "two"}), 400)


def test_a_filter_other_than_true_or_false_is_a_400(api):
    assert assert_error(api.get(LIST, {"open": "maybe"}), 400)["field"] == "open"
    assert assert_error(api.get(LIST, {"open": "yes"}), 400)["field"] == "open"  # the schema's two words only
    assert assert_error(api.get(LIST, {"needs_response": "1"}), 400)["field"] == "needs_response"


def test_another_owners_disputes_are_not_listed(api, other_api, other_user, make_invoice, sandbox_config):
    gateway_config_create(owner=other_user, gateway_name="sandbox", display_name="Theirs", is_default=True)
    report_dispute(pay(other_api, make_invoice(owner=other_user)), gateway_dispute_id="dp_theirs")
    report_dispute(pay(api, make_invoice()), gateway_dispute_id="dp_mine")
    assert ids(api.get(LIST)) == ["dp_mine"]
    assert ids(other_api.get(LIST)) == ["dp_theirs"]
    assert ids(other_api.get(LIST, {"open": "true"})) == ["dp_theirs"]


def test_anonymous_callers_are_refused(anon):
    assert_refused_to_anonymous(anon.get(LIST))


def test_the_list_costs_the_same_few_queries_for_many_disputes(
    api, make_invoice, sandbox_config, django_assert_max_num_queries
):
    for n in range(5):
        report_dispute(pay(api, make_invoice()), gateway_dispute_id=f"dp_{n}")
    # The token, the count and one page with its payments, invoices and configs joined in.
    with django_assert_max_num_queries(3):
        assert len(api.get(LIST, {"open": "true"}).json()["results"]) == 5


def test_a_sandbox_dispute_shows_from_its_opening_to_its_close(api, invoice, paid_payment_id):
    """End to end: the sandbox's provider disputes the payment and sends its signed events."""
    opened = post_json(api, f"/payment/sandbox/{paid_payment_id}/dispute/", {"action": "open"})
    assert opened.status_code == 200, opened.content
    [row] = api.get(LIST, {"needs_response": "true"}).json()["results"]
    assert (row["payment_id"], row["status"], row["withdrawn_amount"], row["days_left"]) == (
        paid_payment_id, "needs_response", "100.00", 7
    )  # fmt: skip
    assert row["gateway_dispute_id"] == opened.json()["dispute_id"]
    assert row["dashboard_url"].endswith(f"/sandbox/disputes/{row['gateway_dispute_id']}/")
    assert post_json(api, f"/payment/sandbox/{paid_payment_id}/dispute/", {"action": "win"}).status_code == 200
    assert api.get(LIST, {"open": "true"}).json()["count"] == 0
    timeline = api.get(f"/payment/payments/{paid_payment_id}/").json()
    [shown] = timeline["disputes"]
    assert (shown["status"], shown["held_amount"], timeline["refundable"]) == ("won", "0.00", "100.00")
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == 10000


@pytest.mark.parametrize(("test_mode", "url"), [
    (True, "https://dashboard.stripe.com/test/disputes/du_1"),
    (False, "https://dashboard.stripe.com/disputes/du_1"),
])  # fmt: skip
def test_a_stripe_dispute_links_to_its_page_in_stripes_dashboard_without_a_decryption(
    api, user, make_invoice, monkeypatch, settings, test_mode, url
):
    settings.TRACKIFY_TEST_MODE_ONLY = False
    mode = "test" if test_mode else "live"
    config = gateway_config_create(
        owner=user, gateway_name="stripe", test_mode=test_mode, credentials={
            "secret_key": f"sk_{mode}_{'a' * 24}", "publishable_key": f"pk_{mode}_{'b' * 24}",
            "webhook_secret": f"whsec_{'c' * 24}",
        },
    )  # fmt: skip
    invoice = make_invoice()
    payment = InvoicePayment.objects.create(
        invoice=invoice, config=config, gateway_name="stripe", amount=10000, currency="EUR", gateway_reference="cs_1"
    )
    ledger.payment_apply(payment_id=payment.pk, payment_update=PaymentUpdate(status=PaymentStatus.SUCCEEDED),
                         source="webhook")  # fmt: skip
    report_dispute(payment.pk, gateway_dispute_id="du_1")
    decrypted = []
    real_decrypt = crypto.decrypt_json
    monkeypatch.setattr(crypto, "decrypt_json", lambda *a, **k: decrypted.append(1) or real_decrypt(*a, **k))
    [row] = api.get(LIST).json()["results"]
    assert (row["gateway"], row["dashboard_url"]) == ("stripe", url)
    assert decrypted == []
