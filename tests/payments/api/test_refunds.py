"""POST /payment/<payment_id>/refund/: the owner gives money back, in full or in parts."""

from __future__ import annotations

import pytest

from tests.conftest import post_json
from tests.payments.api.conftest import assert_error, assert_refused_to_anonymous, complete, create_session, pay
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment, PaymentRefund
from trackify.sandbox.models import SandboxRefund

pytestmark = pytest.mark.django_db


def refund(client, payment_id: str, **body) -> object:
    return post_json(client, f"/payment/{payment_id}/refund/", body)


def test_a_full_refund_refunds_the_payment_and_reopens_the_invoice(api, invoice, paid_payment_id):
    response = refund(api, paid_payment_id)
    assert response.status_code == 201, response.content
    body = response.json()
    stored = PaymentRefund.objects.get()
    assert body == {
        "refund_id": str(stored.pk),
        "payment_id": paid_payment_id,
        "amount": "100.00",
        "currency": "EUR",
        "status": "succeeded",
        "gateway_refund_id": stored.gateway_refund_id,
        "payment_status": "refunded",
        "payment_refunded_amount": "100.00",
    }
    assert stored.gateway_refund_id.startswith("sbx_re_")
    assert SandboxRefund.objects.get(pk=stored.gateway_refund_id).amount == 10000  # the provider paid it back
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.status) == (0, "open")
    status = api.get(f"/payment/status/{paid_payment_id}/").json()
    assert (status["status"], status["refunded_amount"], status["invoice"]["amount_paid"]) == (
        "refunded", "100.00", "0.00"
    )  # fmt: skip


def test_a_partial_refund_leaves_the_invoice_partially_paid(api, invoice, paid_payment_id):
    response = refund(api, paid_payment_id, amount="30.00", reason="One hour less")
    assert response.status_code == 201, response.content
    assert (response.json()["amount"], response.json()["payment_status"]) == ("30.00", "partially_refunded")
    assert response.json()["payment_refunded_amount"] == "30.00"
    assert PaymentRefund.objects.get().reason == "One hour less"
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.status) == (7000, "partially_paid")


def test_several_partial_refunds_add_up_to_the_amount(api, invoice, paid_payment_id):
    for amount, refunded, status in (
        ("30.00", 3000, "partially_refunded"),
        (50, 8000, "partially_refunded"),
        ("20.00", 10000, "refunded"),
    ):
        response = refund(api, paid_payment_id, amount=amount)
        assert response.status_code == 201, response.content
        payment = InvoicePayment.objects.get(pk=paid_payment_id)
        assert (payment.refunded_amount, payment.status) == (refunded, status)
    assert PaymentRefund.objects.filter(status="succeeded").count() == 3
    assert len({r.gateway_refund_id for r in PaymentRefund.objects.all()}) == 3
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.status) == (0, "open")


def test_without_an_amount_the_rest_is_refunded(api, paid_payment_id):
    refund(api, paid_payment_id, amount="25.00")
    response = refund(api, paid_payment_id)
    assert response.json()["amount"] == "75.00"
    assert response.json()["payment_status"] == "refunded"


def test_refunding_more_than_was_paid_is_a_400(api, paid_payment_id):
    error = assert_error(refund(api, paid_payment_id, amount="100.01"), 400, "invalid")
    assert error["field"] == "amount"
    assert not PaymentRefund.objects.exists()


def test_refunding_more_than_is_left_is_a_400(api, paid_payment_id):
    refund(api, paid_payment_id, amount="60.00")
    assert_error(refund(api, paid_payment_id, amount="40.01"), 400, "invalid")
    assert InvoicePayment.objects.get(pk=paid_payment_id).refunded_amount == 6000


def test_refunding_a_fully_refunded_payment_is_a_409(api, paid_payment_id):
    refund(api, paid_payment_id)
    assert_error(refund(api, paid_payment_id), 409, "not_refundable")
    assert_error(refund(api, paid_payment_id, amount="1.00"), 409, "not_refundable")


@pytest.mark.parametrize("amount", ["0", "-5.00", "0.001", "abc", True, "1e30"])
def test_an_invalid_refund_amount_is_a_400(api, paid_payment_id, amount):
    assert_error(refund(api, paid_payment_id, amount=amount), 400, "invalid")
    assert not PaymentRefund.objects.exists()


def test_a_reason_over_500_characters_is_a_400(api, paid_payment_id):
    assert_error(refund(api, paid_payment_id, reason="x" * 501), 400, "invalid")


def test_an_unpaid_payment_cannot_be_refunded(api, pending_payment_id):
    assert_error(refund(api, pending_payment_id), 409, "not_refundable")
    assert_error(refund(api, pending_payment_id, amount="10.00"), 409, "not_refundable")


def test_a_declined_payment_cannot_be_refunded(api, pending_payment_id):
    complete(api, pending_payment_id, "declined")
    assert_error(refund(api, pending_payment_id), 409, "not_refundable")


def test_another_user_cannot_refund(other_api, paid_payment_id):
    assert_error(refund(other_api, paid_payment_id), 404, "not_found")
    assert InvoicePayment.objects.get(pk=paid_payment_id).status == "succeeded"


def test_anonymous_cannot_refund(anon, paid_payment_id):
    assert_refused_to_anonymous(refund(anon, paid_payment_id))
    assert not PaymentRefund.objects.exists()


def test_the_invoice_token_holder_cannot_refund(anon, invoice, paid_payment_id):
    response = post_json(anon, f"/payment/{paid_payment_id}/refund/", {"invoice_token": invoice.public_token})
    assert_refused_to_anonymous(response)
    response = post_json(anon, f"/payment/{paid_payment_id}/refund/", {}, HTTP_X_INVOICE_TOKEN=invoice.public_token)
    assert_refused_to_anonymous(response)
    assert not PaymentRefund.objects.exists()


def test_another_user_holding_the_invoice_token_cannot_refund(other_api, invoice, paid_payment_id):
    url = f"/payment/{paid_payment_id}/refund/"
    response = post_json(other_api, url, {}, HTTP_X_INVOICE_TOKEN=invoice.public_token)
    assert_error(response, 404, "not_found")


def test_an_unknown_payment_is_not_found(api):
    assert_error(refund(api, "00000000-0000-4000-8000-000000000000"), 404, "not_found")


def test_refunds_of_one_payment_leave_the_others_counted(api, make_invoice, sandbox_config):
    invoice = make_invoice(allow_partial_payment=True)
    first = pay(api, invoice, amount="40.00")
    pay(api, invoice, amount="60.00")
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    refund(api, first)
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.status) == (6000, "partially_paid")


def test_after_a_full_refund_the_invoice_can_be_paid_again(api, invoice, paid_payment_id):
    refund(api, paid_payment_id)
    response = create_session(api, invoice)
    assert response.status_code == 201
    assert response.json()["payment_id"] != paid_payment_id
