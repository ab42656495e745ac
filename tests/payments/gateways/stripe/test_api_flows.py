"""Both Stripe flows end to end over our HTTP API, with the fake Stripe server behind the SDK.

The person paying opens a session with the invoice's token, pays "at Stripe" (the fake), Stripe's
signed events reach our webhook URL, and the invoice reads paid.
"""

from __future__ import annotations

import pytest

from tests.conftest import post_json
from tests.fakes.fake_stripe import Account, FakeStripe
from tests.payments.api.conftest import assert_error
from tests.payments.gateways.stripe.conftest import credentials_of
from tests.payments.gateways.stripe.stripe_api import (
    deliver,
    only,
    opened,
    outcomes_of,
    payment,
    reference_of,
    status_of,
)
from trackify.payments.models import PaymentWebhookEvent
from trackify.payments.services.ledger import Outcome

pytestmark = pytest.mark.django_db


# -- configuring Stripe ----------------------------------------------------------------------------


def test_a_user_adds_stripe_with_checked_keys_and_gets_the_webhook_url(api, stripe_account: Account) -> None:
    response = post_json(
        api, "/payment/gateways/", {"gateway_name": "stripe", "credentials": credentials_of(stripe_account)}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["webhook_url"] == f"http://127.0.0.1:8000/payment/webhook/stripe/{body['id']}/"
    assert body["credentials"]["publishable_key"] == stripe_account.publishable_key
    assert body["credentials"]["secret_key"] == f"sk_test_…{stripe_account.secret_key[-4:]}"
    assert stripe_account.secret_key not in response.content.decode()
    assert stripe_account.webhook_secret not in response.content.decode()


def test_keys_of_the_wrong_form_are_refused_by_field(api, stripe_account: Account) -> None:
    wrong = {**credentials_of(stripe_account), "publishable_key": stripe_account.secret_key}
    response = post_json(api, "/payment/gateways/", {"gateway_name": "stripe", "credentials": wrong})
    error = assert_error(response, 400, "invalid")
    assert error["field"] == "publishable_key"
    assert stripe_account.secret_key not in response.content.decode()


def test_live_keys_are_refused_when_the_installation_is_test_only(api, fake_stripe, settings) -> None:
    settings.TRACKIFY_TEST_MODE_ONLY = True
    live = fake_stripe.add_account(livemode=True)
    response = post_json(
        api, "/payment/gateways/", {"gateway_name": "stripe", "credentials": credentials_of(live), "test_mode": False}
    )
    assert_error(response, 400, "invalid")


def test_test_connection_calls_stripe_once_and_reports(api, stripe_config, fake_stripe: FakeStripe) -> None:
    response = post_json(api, f"/payment/gateways/{stripe_config['id']}/test-connection/")
    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True, "message": "Connected to Stripe in test mode. Available balance: 0.00 EUR."}
    assert [(r.method, r.path) for r in fake_stripe.requests] == [("GET", "/v1/balance")]


def test_test_connection_with_a_revoked_key_is_a_clear_502(api, stripe_config, fake_stripe, stripe_account) -> None:
    fake_stripe.accounts.remove(stripe_account)  # the key no longer exists at Stripe
    response = post_json(api, f"/payment/gateways/{stripe_config['id']}/test-connection/")
    error = assert_error(response, 502, "gateway_misconfigured")
    assert "secret key" in error["message"]
    assert stripe_account.secret_key[8:] not in response.content.decode()


# -- redirect: Stripe Checkout ------------------------------------------------------------------


def test_redirect_flow_from_session_to_paid_invoice(anon, invoice, stripe_config, stripe_account, fake_stripe):
    session = opened(anon, invoice)
    assert session["gateway"] == "stripe"
    assert session["status"] == "pending"
    assert (session["amount"], session["currency"]) == ("100.00", "EUR")
    reference = reference_of(session["payment_id"])
    assert session["redirect_url"] == f"{fake_stripe.url}/checkout/pay/{reference}"
    [call] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert call.idempotency_key == f"trackify-payment-{session['payment_id']}"
    assert call.params["success_url"].endswith("&session_id={CHECKOUT_SESSION_ID}")
    assert call.params["metadata"]["trackify_invoice_id"] == str(invoice.pk)

    answers = deliver(stripe_account, stripe_account.pay_checkout(reference), stripe_config["id"])

    assert [a["status"] for a in answers] == ["ignored", "ignored", "processed", "processed"]
    status = status_of(anon, invoice, session["payment_id"])
    assert status["status"] == "succeeded"
    assert status["invoice"]["status"] == "paid"
    assert status["invoice"]["amount_paid"] == "100.00"
    paid = payment(session["payment_id"])
    assert paid.gateway_payment_reference == stripe_account.sessions[reference]["payment_intent"]
    assert PaymentWebhookEvent.objects.filter(config_id=stripe_config["id"]).count() == 4


def test_a_payer_back_before_the_webhook_sees_the_truth_from_stripe(anon, invoice, stripe_config, stripe_account):
    session = opened(anon, invoice)
    events = stripe_account.pay_checkout(reference_of(session["payment_id"]))  # not delivered yet

    status = status_of(anon, invoice, session["payment_id"])
    assert status["status"] == "succeeded"
    assert status["invoice"]["status"] == "paid"

    answers = deliver(stripe_account, only(events, "checkout.session.completed"), stripe_config["id"])
    assert outcomes_of(answers[0]) == [Outcome.UNCHANGED]
    assert status_of(anon, invoice, session["payment_id"])["invoice"]["amount_paid"] == "100.00"


def test_a_delayed_bank_debit_settles_later(anon, invoice, stripe_config, stripe_account) -> None:
    session = opened(anon, invoice)
    reference = reference_of(session["payment_id"])
    deliver(stripe_account, stripe_account.pay_checkout(reference, "processing"), stripe_config["id"])
    assert payment(session["payment_id"]).status == "processing"
    assert payment(session["payment_id"]).invoice.status == "open"

    deliver(stripe_account, stripe_account.settle_checkout(reference), stripe_config["id"])
    assert payment(session["payment_id"]).status == "succeeded"
    assert payment(session["payment_id"]).invoice.status == "paid"


def test_a_delayed_bank_debit_that_fails(anon, invoice, stripe_config, stripe_account) -> None:
    session = opened(anon, invoice)
    reference = reference_of(session["payment_id"])
    deliver(stripe_account, stripe_account.pay_checkout(reference, "processing"), stripe_config["id"])
    deliver(stripe_account, stripe_account.settle_checkout(reference, succeeded=False), stripe_config["id"])
    failed = payment(session["payment_id"])
    assert failed.status == "failed"
    assert failed.failure_message  # what Stripe said, for the person paying
    assert failed.invoice.status == "open"


def test_a_declined_card_then_a_good_one_on_the_same_checkout_page(anon, invoice, stripe_config, stripe_account):
    session = opened(anon, invoice)
    reference = reference_of(session["payment_id"])
    deliver(stripe_account, stripe_account.decline_checkout_attempt(reference), stripe_config["id"])
    assert payment(session["payment_id"]).status == "failed"
    deliver(stripe_account, stripe_account.pay_checkout(reference), stripe_config["id"])
    assert payment(session["payment_id"]).status == "succeeded"
    assert payment(session["payment_id"]).invoice.status == "paid"


def test_an_abandoned_checkout_expires(anon, invoice, stripe_config, stripe_account) -> None:
    session = opened(anon, invoice)
    deliver(stripe_account, stripe_account.expire_checkout(reference_of(session["payment_id"])), stripe_config["id"])
    assert payment(session["payment_id"]).status == "expired"
    assert payment(session["payment_id"]).invoice.status == "open"
    assert opened(anon, invoice)["payment_id"] != session["payment_id"]  # a new session can be opened


# -- in-modal: a PaymentIntent for Stripe Elements ----------------------------------------------------


def test_in_modal_flow_from_client_secret_to_paid_invoice(anon, invoice, modal_config, stripe_account) -> None:
    public = anon.get(f"/payment/invoice/{invoice.pk}/gateway/", {"token": invoice.public_token}).json()
    assert public["gateway"]["public_config"] == {
        "flow": "in_modal",
        "publishable_key": stripe_account.publishable_key,
    }

    session = opened(anon, invoice)
    intent_id = reference_of(session["payment_id"])
    assert session["redirect_url"] == ""
    assert session["client_params"] == {
        "client_secret": stripe_account.intents[intent_id]["client_secret"],
        "publishable_key": stripe_account.publishable_key,
    }

    answers = deliver(stripe_account, stripe_account.confirm_intent(intent_id, "succeeded"), modal_config["id"])
    assert [a["status"] for a in answers] == ["ignored", "processed"]  # charge.succeeded, payment_intent.succeeded
    status = status_of(anon, invoice, session["payment_id"])
    assert (status["status"], status["invoice"]["status"]) == ("succeeded", "paid")


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [("processing", "processing"), ("declined", "failed"), ("cancel", "cancelled")],
)
def test_in_modal_payment_intent_states(anon, invoice, modal_config, stripe_account, outcome, expected) -> None:
    session = opened(anon, invoice)
    intent_id = reference_of(session["payment_id"])
    events = (
        stripe_account.cancel_intent(intent_id)
        if outcome == "cancel"
        else stripe_account.confirm_intent(intent_id, outcome)
    )
    deliver(stripe_account, events, modal_config["id"])
    assert payment(session["payment_id"]).status == expected


def test_an_open_session_is_reused_not_opened_twice(anon, invoice, stripe_config, fake_stripe) -> None:
    first = opened(anon, invoice)
    response = post_json(
        anon, "/payment/create-session/", {"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token}
    )
    assert response.status_code == 200
    assert response.json()["payment_id"] == first["payment_id"]
    assert len(fake_stripe.requests_to("POST", "/v1/checkout/sessions")) == 1


def test_events_nobody_acts_on_are_stored_and_ignored(anon, invoice, modal_config, stripe_account) -> None:
    session = opened(anon, invoice)
    [created] = stripe_account.take_events("payment_intent.created")
    [answer] = deliver(stripe_account, [created], modal_config["id"])
    assert answer["status"] == "ignored"
    assert PaymentWebhookEvent.objects.get(gateway_event_id=created["id"]).status == "ignored"
    assert payment(session["payment_id"]).status == "pending"


