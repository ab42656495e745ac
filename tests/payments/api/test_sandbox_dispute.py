"""POST /payment/sandbox/<payment_id>/dispute/: the payer's bank disputes a sandbox payment, and the books follow."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import post_json
from tests.payments.api.conftest import assert_error, pay
from tests.payments.api.test_sandbox_complete import deliver
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment, PaymentDispute, PaymentWebhookEvent

pytestmark = pytest.mark.django_db


def dispute(client: Any, payment_id: str, action: str = "open", **body: Any) -> Any:
    return post_json(client, f"/payment/sandbox/{payment_id}/dispute/", {"action": action, **body})


def books(invoice: Invoice, payment_id: str) -> tuple[Any, ...]:
    """What a dispute may change: the invoice's figures, the payment's, and the dispute's row."""
    invoice = Invoice.objects.get(pk=invoice.pk)
    payment = InvoicePayment.objects.get(pk=payment_id)
    rows = tuple(
        (d.gateway_dispute_id, d.status, d.is_inquiry, d.amount, d.withdrawn_amount, d.reinstated_amount)
        for d in PaymentDispute.objects.filter(payment_id=payment_id)
    )
    return invoice.status, invoice.amount_paid, invoice.amount_due, payment.status, payment.disputed_amount, rows


def test_open_withdraws_the_funds_and_the_invoice_is_open_again(api, invoice, paid_payment_id):
    response = dispute(api, paid_payment_id)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["delivered"] is True
    assert body["dispute_id"].startswith("sdp_")
    assert [json.loads(w["body"])["type"] for w in body["webhooks"]] == ["dispute.created", "dispute.funds_withdrawn"]
    assert body["webhook"] == body["webhooks"][-1]
    row = PaymentDispute.objects.get()
    assert (row.gateway_dispute_id, row.status, row.withdrawn_amount, row.reinstated_amount) == (
        body["dispute_id"], "needs_response", 10000, 0)
    assert row.evidence_due_by is not None
    assert books(invoice, paid_payment_id)[:5] == ("open", 0, 10000, "succeeded", 10000)


def test_open_a_part_leaves_the_invoice_partially_paid_with_the_amount_due(api, invoice, paid_payment_id):
    assert dispute(api, paid_payment_id, amount="40.00").status_code == 200
    assert books(invoice, paid_payment_id)[:5] == ("partially_paid", 6000, 4000, "succeeded", 4000)


def test_won_restores_the_amount_paid(api, invoice, paid_payment_id):
    dispute(api, paid_payment_id)
    response = dispute(api, paid_payment_id, "win")
    assert response.status_code == 200, response.content
    assert [json.loads(w["body"])["type"] for w in response.json()["webhooks"]] == [
        "dispute.funds_reinstated", "dispute.closed"]
    status, paid, due, payment_status, disputed, rows = books(invoice, paid_payment_id)
    assert (status, paid, due, payment_status, disputed) == ("paid", 10000, 0, "succeeded", 0)
    assert rows[0][1:] == ("won", False, 10000, 10000, 10000)


def test_lost_leaves_the_funds_withdrawn(api, invoice, paid_payment_id):
    dispute(api, paid_payment_id)
    assert dispute(api, paid_payment_id, "lose").status_code == 200
    status, paid, due, payment_status, disputed, rows = books(invoice, paid_payment_id)
    assert (status, paid, due, payment_status, disputed) == ("open", 0, 10000, "succeeded", 10000)
    assert rows[0][1:] == ("lost", False, 10000, 10000, 0)


def test_an_inquiry_moves_no_money_and_can_become_a_chargeback(api, invoice, paid_payment_id):
    assert dispute(api, paid_payment_id, inquiry=True).status_code == 200
    assert books(invoice, paid_payment_id)[:5] == ("paid", 10000, 0, "succeeded", 0)
    assert PaymentDispute.objects.get().status == "inquiry"
    assert PaymentDispute.objects.get().is_inquiry is True

    escalated = dispute(api, paid_payment_id)  # "open" on an open inquiry: the same dispute, now a chargeback
    assert escalated.status_code == 200, escalated.content
    row = PaymentDispute.objects.get()
    assert (row.gateway_dispute_id, row.status, row.is_inquiry) == (escalated.json()["dispute_id"], "needs_response",
                                                                    False)
    assert books(invoice, paid_payment_id)[:5] == ("open", 0, 10000, "succeeded", 10000)


def test_an_inquiry_won_closes_with_no_money_moved(api, invoice, paid_payment_id):
    dispute(api, paid_payment_id, inquiry=True)
    assert dispute(api, paid_payment_id, "win").status_code == 200
    assert books(invoice, paid_payment_id)[:5] == ("paid", 10000, 0, "succeeded", 0)
    row = PaymentDispute.objects.get()
    assert (row.status, row.is_inquiry, row.withdrawn_amount) == ("won", True, 0)


def test_an_inquiry_lost_becomes_a_lost_chargeback(api, invoice, paid_payment_id):
    dispute(api, paid_payment_id, inquiry=True)
    assert dispute(api, paid_payment_id, "lose").status_code == 200
    assert books(invoice, paid_payment_id)[:5] == ("open", 0, 10000, "succeeded", 10000)
    assert PaymentDispute.objects.get().status == "lost"


def test_after_a_lost_dispute_a_new_one_finds_nothing_left(api, paid_payment_id):
    dispute(api, paid_payment_id, amount="30.00")
    dispute(api, paid_payment_id, "lose")
    assert dispute(api, paid_payment_id, amount="70.00").status_code == 200  # the rest may be disputed
    dispute(api, paid_payment_id, "lose")
    error = assert_error(dispute(api, paid_payment_id), 409, "dispute_not_allowed")
    assert "nothing is left" in error["message"]


# -- who may dispute ---------------------------------------------------------------------------------


def test_the_invoice_token_holder_is_not_found(anon, invoice, paid_payment_id):
    in_header = anon.post(
        f"/payment/sandbox/{paid_payment_id}/dispute/", data=json.dumps({"action": "open"}),
        content_type="application/json", HTTP_X_INVOICE_TOKEN=invoice.public_token,
    )
    assert_error(in_header, 404, "not_found")
    assert_error(dispute(anon, paid_payment_id, invoice_token=invoice.public_token), 404, "not_found")
    assert_error(dispute(anon, paid_payment_id), 404, "not_found")
    assert not PaymentDispute.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def test_another_user_is_not_found(other_api, paid_payment_id):
    assert_error(dispute(other_api, paid_payment_id), 404, "not_found")
    assert not PaymentDispute.objects.exists()


def test_an_unknown_payment_is_not_found(api):
    assert_error(dispute(api, "00000000-0000-4000-8000-000000000000"), 404, "not_found")


def test_a_payment_of_another_gateway_is_not_found(api, paid_payment_id):
    InvoicePayment.objects.filter(pk=paid_payment_id).update(gateway_name="stripe")
    assert_error(dispute(api, paid_payment_id), 404, "not_found")


# -- what the provider refuses, and bad input --------------------------------------------------------


def test_an_unpaid_payment_cannot_be_disputed(api, pending_payment_id):
    error = assert_error(dispute(api, pending_payment_id), 409, "dispute_not_allowed")
    assert "only a paid one" in error["message"]


def test_a_second_open_dispute_is_refused(api, paid_payment_id):
    dispute(api, paid_payment_id)
    error = assert_error(dispute(api, paid_payment_id), 409, "dispute_not_allowed")
    assert "already has an open dispute" in error["message"]
    assert_error(dispute(api, paid_payment_id, inquiry=True), 409, "dispute_not_allowed")


def test_deciding_with_no_open_dispute_is_refused(api, invoice, paid_payment_id):
    assert_error(dispute(api, paid_payment_id, "win"), 409, "dispute_not_allowed")
    dispute(api, paid_payment_id)
    dispute(api, paid_payment_id, "win")
    error = assert_error(dispute(api, paid_payment_id, "lose"), 409, "dispute_not_allowed")
    assert "no open dispute" in error["message"]
    assert PaymentDispute.objects.get().status == "won"
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def test_an_amount_over_what_is_left_is_refused(api, paid_payment_id):
    error = assert_error(dispute(api, paid_payment_id, amount="100.01"), 409, "dispute_not_allowed")
    assert "between 1 and 10000" in error["message"]
    assert not PaymentDispute.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{"action": "refund"}, {"action": ""}, {}, {"action": "open", "amount": "1.001"},
     {"action": "open", "inquiry": 1},
     {"action": "open", "deliver": "maybe"}],
)
def test_bad_input_is_a_400(api, paid_payment_id, body):
    response = post_json(api, f"/payment/sandbox/{paid_payment_id}/dispute/", body)
    assert_error(response, 400)
    assert not PaymentDispute.objects.exists()


# -- refunds of a disputed payment -------------------------------------------------------------------


def test_a_disputed_payment_cannot_be_refunded_until_the_dispute_is_won(api, invoice, paid_payment_id):
    dispute(api, paid_payment_id, amount="40.00")
    assert_error(post_json(api, f"/payment/{paid_payment_id}/refund/", {"amount": "10.00"}), 409, "payment_disputed")
    dispute(api, paid_payment_id, "win")
    refunded = post_json(api, f"/payment/{paid_payment_id}/refund/", {"amount": "10.00"})
    assert refunded.status_code == 201, refunded.content
    assert books(invoice, paid_payment_id)[:4] == ("partially_paid", 9000, 1000, "partially_refunded")


def test_a_lost_dispute_keeps_the_payment_unrefundable(api, paid_payment_id):
    dispute(api, paid_payment_id, amount="40.00")
    dispute(api, paid_payment_id, "lose")
    assert_error(post_json(api, f"/payment/{paid_payment_id}/refund/", {}), 409, "payment_disputed")


# -- deliver: false, and events in any order ---------------------------------------------------------


def signed_steps(api: Any, payment_id: str, *actions: str) -> list[dict[str, Any]]:
    """Every signed webhook of the steps, in the order the provider sent them; none delivered."""
    webhooks: list[dict[str, Any]] = []
    for action in actions:
        response = dispute(api, payment_id, action, deliver=False)
        assert response.status_code == 200, response.content
        assert response.json()["delivered"] is False
        webhooks += response.json()["webhooks"]
    return webhooks


def post_all(anon: Any, webhooks: list[dict[str, Any]]) -> list[str]:
    statuses = []
    for webhook in webhooks:
        response = deliver(anon, webhook)
        assert response.status_code == 200, response.content
        statuses.append(response.json()["status"])
    return statuses


@pytest.mark.parametrize("outcome", ["win", "lose"])
def test_events_in_any_order_and_twice_end_in_the_same_books(api, anon, make_invoice, sandbox_config, outcome):
    in_order, reversed_twice = make_invoice(), make_invoice()
    first, second = pay(api, in_order), pay(api, reversed_twice)

    webhooks = signed_steps(api, first, "open", outcome)
    assert not PaymentDispute.objects.exists()  # nothing delivered: nothing changed
    assert post_all(anon, webhooks) == ["processed"] * len(webhooks)
    expected = books(in_order, first)

    webhooks = signed_steps(api, second, "open", outcome)
    post_all(anon, webhooks[::-1])
    assert post_all(anon, webhooks[::-1] + webhooks) == ["duplicate"] * 2 * len(webhooks)
    dispute_id = books(reversed_twice, second)[5][0][0]
    assert books(reversed_twice, second)[:5] == expected[:5]
    assert books(reversed_twice, second)[5] == ((dispute_id, *expected[5][0][1:]),)
    assert PaymentWebhookEvent.objects.filter(payment_id=second).count() == 1 + len(webhooks)  # each stored once


def test_a_dispute_event_also_lands_on_the_shared_url(api, anon, invoice, paid_payment_id):
    (created, withdrawn) = signed_steps(api, paid_payment_id, "open")
    for webhook in (created, withdrawn):
        shared = {**webhook, "url": "http://127.0.0.1:8000/payment/webhook/sandbox/"}
        assert deliver(anon, shared).json()["status"] == "processed"
    assert books(invoice, paid_payment_id)[:3] == ("open", 0, 10000)


# -- as the payments page calls it, and throttled like the other sandbox endpoint --------------------


def test_the_page_s_call_with_the_session_cookie_needs_the_csrf_token(user, invoice, paid_payment_id):
    from django.conf import settings
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    assert browser.login(username=user.username, password="pw-for-tests-only")
    url = f"/payment/sandbox/{paid_payment_id}/dispute/"
    assert_error(post_json(browser, url, {"action": "open"}), 403)
    assert not PaymentDispute.objects.exists()
    browser.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
    response = post_json(browser, url, {"action": "open"}, HTTP_X_CSRFTOKEN="a" * 32)
    assert response.status_code == 200, response.content
    assert books(invoice, paid_payment_id)[:3] == ("open", 0, 10000)


@pytest.fixture
def rates(settings: Any) -> Any:
    def set_rate(scope: str, rate: str) -> None:
        settings.TRACKIFY_THROTTLE_RATES = {**settings.TRACKIFY_THROTTLE_RATES, scope: rate}

    return set_rate


def test_a_signed_in_user_past_the_user_rate_is_throttled(other_api, paid_payment_id, rates):
    rates("user", "3/min")
    for _ in range(3):
        assert_error(dispute(other_api, paid_payment_id), 404)
    assert_error(dispute(other_api, paid_payment_id), 429, "throttled")
    assert not PaymentDispute.objects.exists()


def test_anonymous_callers_are_throttled_per_address_and_by_their_misses(anon, invoice, paid_payment_id, rates):
    rates("public_miss", "3/min")
    token = {"HTTP_X_INVOICE_TOKEN": invoice.public_token}
    for _ in range(3):
        assert_error(dispute(anon, paid_payment_id, **token), 404)
    assert_error(dispute(anon, paid_payment_id, **token), 429, "throttled")


def test_the_schema_documents_the_endpoint(anon):
    schema = anon.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/payment/sandbox/{payment_id}/dispute/"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    body = schema["components"]["schemas"][ref]
    assert body["required"] == ["action"]
    assert set(body["properties"]) == {"action", "deliver", "inquiry", "amount"}
    (action,) = body["properties"]["action"]["allOf"]
    assert schema["components"]["schemas"][action["$ref"].rsplit("/", 1)[-1]]["enum"] == ["open", "win", "lose"]
    assert "dispute_not_allowed" in operation["responses"]["409"]["description"]
    assert {"200", "400", "404", "409", "429"} <= set(operation["responses"])
