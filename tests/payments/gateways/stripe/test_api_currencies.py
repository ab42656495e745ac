"""Currencies without cents and with thousandths, end to end: JPY and KWD (and MGA, which ISO
and Stripe count differently), from the invoice's total to Stripe's amounts and back."""

from __future__ import annotations

import pytest

from tests.conftest import post_json
from tests.fakes.fake_stripe import Account, FakeStripe
from tests.payments.api.conftest import assert_error
from tests.payments.gateways.stripe.stripe_api import (
    assert_nothing_reserved,
    deliver,
    open_session,
    opened,
    payment,
    reference_of,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("currency", "total", "stripe_amount", "minor"),
    [("JPY", "5000", "5000", 5000), ("KWD", "12.340", "12340", 12340), ("MGA", "25000.00", "25000", 2500000)],
)
def test_an_invoice_is_paid_in_full_in_stripes_units(
    anon, make_invoice, stripe_config, stripe_account: Account, fake_stripe: FakeStripe, currency, total,
    stripe_amount, minor,
) -> None:
    invoice = make_invoice(currency=currency, total=total)
    session = opened(anon, invoice)
    assert (session["amount"], session["currency"]) == (total, currency)
    [call] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    price = call.params["line_items"][0]["price_data"]
    assert (price["currency"], price["unit_amount"]) == (currency.lower(), stripe_amount)

    deliver(stripe_account, stripe_account.pay_checkout(reference_of(session["payment_id"])), stripe_config["id"])

    paid = payment(session["payment_id"])
    assert (paid.status, paid.amount) == ("succeeded", minor)
    assert (paid.invoice.status, paid.invoice.amount_paid) == ("paid", minor)
    status = anon.get(f"/payment/status/{paid.pk}/", {"token": invoice.public_token}).json()
    assert status["invoice"]["amount_paid"] == total


def test_a_partial_jpy_payment_and_refund(api, anon, make_invoice, stripe_config, stripe_account, fake_stripe) -> None:
    invoice = make_invoice(currency="JPY", total="10000", allow_partial_payment=True)
    session = opened(anon, invoice, amount="3000")
    deliver(stripe_account, stripe_account.pay_checkout(reference_of(session["payment_id"])), stripe_config["id"])
    assert payment(session["payment_id"]).invoice.amount_paid == 3000

    response = post_json(api, f"/payment/{session['payment_id']}/refund/", {"amount": "1000"})
    assert response.status_code == 201, response.content
    assert fake_stripe.requests_to("POST", "/v1/refunds")[0].params["amount"] == "1000"
    status = anon.get(f"/payment/status/{session['payment_id']}/", {"token": invoice.public_token}).json()
    assert (status["refunded_amount"], status["invoice"]["amount_paid"]) == ("1000", "2000")


def test_kwd_refunds_in_thousandths_and_the_last_digit_rule(api, anon, make_invoice, stripe_config, stripe_account):
    invoice = make_invoice(currency="KWD", total="12.340")
    session = opened(anon, invoice)
    deliver(stripe_account, stripe_account.pay_checkout(reference_of(session["payment_id"])), stripe_config["id"])

    refused = post_json(api, f"/payment/{session['payment_id']}/refund/", {"amount": "1.255"})
    error = assert_error(refused, 400, "amount_not_representable")
    assert "end in 0" in error["message"]

    done = post_json(api, f"/payment/{session['payment_id']}/refund/", {"amount": "1.250"})
    assert done.status_code == 201, done.content
    assert (done.json()["amount"], done.json()["payment_refunded_amount"]) == ("1.250", "1.250")
    intent = stripe_account.intents[stripe_account.sessions[reference_of(session["payment_id"])]["payment_intent"]]
    assert stripe_account.charges[intent["latest_charge"]]["amount_refunded"] == 1250


@pytest.mark.parametrize(("currency", "total"), [("KWD", "12.345"), ("MGA", "1234.50")])
def test_an_amount_stripe_cannot_express_is_refused_before_any_call(
    anon, make_invoice, stripe_config, fake_stripe, currency, total
) -> None:
    invoice = make_invoice(currency=currency, total=total)
    error = assert_error(open_session(anon, invoice), 400, "amount_not_representable")
    assert currency in error["message"]
    assert fake_stripe.requests == []
    assert_nothing_reserved(invoice, error)
