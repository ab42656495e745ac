"""POST /payment/create-session/: who may open a payment, for how much, and when one is reused."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from tests.conftest import post_json
from tests.payments.api.conftest import assert_error, complete, create_session, pay
from trackify.invoices.models import Invoice, InvoiceStatus
from trackify.payments.models import InvoicePayment
from trackify.payments.services.gateway_configs import gateway_config_create

pytestmark = pytest.mark.django_db

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


# -- who may open a session ---------------------------------------------------------------------


def test_owner_opens_a_session_for_the_amount_due(api, invoice, sandbox_config):
    response = create_session(api, invoice)
    assert response.status_code == 201, response.content
    body = response.json()
    payment = InvoicePayment.objects.get(pk=body["payment_id"])
    assert body == {
        "payment_id": str(payment.pk),
        "status": "pending",
        "amount": "100.00",
        "currency": "EUR",
        "gateway": "sandbox",
        "redirect_url": payment.redirect_url,
        "client_params": payment.client_params,
        "expires_at": body["expires_at"],
    }
    assert body["redirect_url"].startswith("http://127.0.0.1:8000/sandbox/checkout/")
    assert body["client_params"]["session_id"] == payment.gateway_reference
    lifetime = payment.expires_at - payment.created_at
    assert timedelta(minutes=59) < lifetime <= timedelta(minutes=60)  # TRACKIFY_SESSION_LIFETIME_MINUTES
    assert (payment.amount, payment.config_id, payment.invoice_id) == (10000, sandbox_config.pk, invoice.pk)


def test_the_gateway_gets_an_idempotency_key_derived_from_our_payment_id(api, invoice, sandbox_config):
    from trackify.sandbox.models import SandboxSession

    payment_id = create_session(api, invoice).json()["payment_id"]
    session = SandboxSession.objects.get(payment_id=payment_id)
    assert session.idempotency_key == f"trackify-payment-{payment_id}"


def test_client_opens_a_session_with_the_token_in_the_body(anon, invoice, sandbox_config):
    response = create_session(anon, invoice, token=invoice.public_token)
    assert response.status_code == 201, response.content


def test_client_opens_a_session_with_the_token_in_the_header(anon, invoice, sandbox_config):
    response = post_json(
        anon, "/payment/create-session/", {"invoice_id": str(invoice.pk)}, HTTP_X_INVOICE_TOKEN=invoice.public_token
    )
    assert response.status_code == 201, response.content


def test_another_user_holding_the_token_pays_as_a_client(other_api, invoice, sandbox_config):
    assert create_session(other_api, invoice, token=invoice.public_token).status_code == 201


@pytest.mark.parametrize("token", ["wrong-token", "x" * 43])
def test_a_wrong_token_is_not_found(anon, invoice, sandbox_config, token):
    assert_error(create_session(anon, invoice, token=token), 404, "not_found")
    assert not InvoicePayment.objects.exists()


def test_a_wrong_token_in_the_header_is_not_found(anon, invoice, sandbox_config):
    response = post_json(anon, "/payment/create-session/", {"invoice_id": str(invoice.pk)}, HTTP_X_INVOICE_TOKEN="nope")
    assert_error(response, 404, "not_found")


def test_the_token_of_another_invoice_is_not_found(anon, invoice, make_invoice, sandbox_config):
    other_invoice = make_invoice()
    assert_error(create_session(anon, invoice, token=other_invoice.public_token), 404, "not_found")


def test_anonymous_without_token_is_not_found(anon, invoice, sandbox_config):
    assert_error(create_session(anon, invoice), 404, "not_found")


def test_another_user_without_token_is_not_found(other_api, invoice, sandbox_config):
    assert_error(create_session(other_api, invoice), 404, "not_found")
    assert not InvoicePayment.objects.exists()


def test_an_unknown_invoice_is_not_found(api, sandbox_config):
    response = post_json(api, "/payment/create-session/", {"invoice_id": UNKNOWN_ID})
    assert_error(response, 404, "not_found")


def test_a_wrong_api_token_is_refused_even_with_the_invoice_token(anon, invoice, sandbox_config):
    anon.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = create_session(anon, invoice, token=invoice.public_token)
    assert response.status_code in (401, 403)
    assert_error(response, response.status_code, "authentication_failed")


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "invoice_id"), ({"invoice_id": "not-a-uuid"}, "invoice_id"), ({"invoice_id": [1]}, "invoice_id")],
)
def test_a_missing_or_malformed_invoice_id_is_a_400(api, body, field):
    error = assert_error(post_json(api, "/payment/create-session/", body), 400, "invalid")
    assert field in error["fields"]


def test_a_body_that_is_not_an_object_is_a_400(api):
    response = api.post("/payment/create-session/", data=json.dumps([1, 2]), content_type="application/json")
    assert_error(response, 400, "invalid")


def test_malformed_json_is_a_400(api):
    response = api.post("/payment/create-session/", data='{"invoice_id": ', content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_get_is_not_allowed(api):
    assert_error(api.get("/payment/create-session/"), 405, "method_not_allowed")


# -- amounts ------------------------------------------------------------------------------------


@pytest.fixture
def partial_invoice(make_invoice):
    return make_invoice(allow_partial_payment=True)


@pytest.mark.parametrize(
    ("amount", "minor", "text"),
    [("40.00", 4000, "40.00"), ("40", 4000, "40.00"), ("0.01", 1, "0.01"), ("100.00", 10000, "100.00")],
)
def test_amount_as_a_decimal_string(api, partial_invoice, sandbox_config, amount, minor, text):
    response = create_session(api, partial_invoice, amount=amount)
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == text
    assert InvoicePayment.objects.get(pk=response.json()["payment_id"]).amount == minor


def test_amount_as_a_json_integer(api, partial_invoice, sandbox_config):
    response = create_session(api, partial_invoice, amount=40)
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "40.00"


def test_amount_as_a_json_fraction_is_read_as_a_decimal_not_a_float(api, partial_invoice, sandbox_config):
    # 40.1 as a float is 40.10000000000000142...; read as Decimal it is exact.
    response = api.post(
        "/payment/create-session/",
        data=f'{{"invoice_id": "{partial_invoice.pk}", "amount": 40.10}}',
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "40.10"
    assert InvoicePayment.objects.get(pk=response.json()["payment_id"]).amount == 4010


def test_amounts_in_a_zero_decimal_currency(api, make_invoice, sandbox_config):
    yen = make_invoice(currency="JPY", total="5000", allow_partial_payment=True)
    response = create_session(api, yen, amount="1200")
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "1200"
    assert InvoicePayment.objects.get(pk=response.json()["payment_id"]).amount == 1200
    assert_error(create_session(api, yen, amount="1200.5"), 400, "invalid")


def test_amounts_in_a_three_decimal_currency(api, make_invoice, sandbox_config):
    dinar = make_invoice(currency="KWD", total="10.000", allow_partial_payment=True)
    response = create_session(api, dinar, amount="1.255")
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "1.255"
    assert InvoicePayment.objects.get(pk=response.json()["payment_id"]).amount == 1255


def test_a_partial_amount_is_refused_when_the_invoice_must_be_paid_in_full(api, invoice, sandbox_config):
    error = assert_error(create_session(api, invoice, amount="40.00"), 400, "invalid")
    assert error["field"] == "amount"
    assert not InvoicePayment.objects.exists()


def test_partial_payments_add_up_to_a_paid_invoice(api, partial_invoice, sandbox_config):
    pay(api, partial_invoice, amount="40.00")
    partial_invoice.refresh_from_db()
    assert (partial_invoice.status, partial_invoice.amount_paid) == (InvoiceStatus.PARTIALLY_PAID, 4000)
    assert_error(create_session(api, partial_invoice, amount="60.01"), 400, "invalid")
    default = create_session(api, partial_invoice)
    assert default.json()["amount"] == "60.00"
    complete(api, default.json()["payment_id"])
    partial_invoice.refresh_from_db()
    assert (partial_invoice.status, partial_invoice.amount_paid) == (InvoiceStatus.PAID, 10000)


@pytest.mark.parametrize("amount", ["100.01", "1000", "99999999999999999999", "1e30"])
def test_more_than_the_amount_due_is_a_400(api, partial_invoice, sandbox_config, amount):
    error = assert_error(create_session(api, partial_invoice, amount=amount), 400, "invalid")
    assert error["field"] == "amount"


@pytest.mark.parametrize("amount", ["0", "0.00", "-1.00", 0, -5])
def test_zero_or_negative_is_a_400(api, partial_invoice, sandbox_config, amount):
    error = assert_error(create_session(api, partial_invoice, amount=amount), 400, "invalid")
    assert error["field"] == "amount"


@pytest.mark.parametrize("amount", ["10.001", "0.005"])
def test_more_decimals_than_the_currency_has_is_a_400(api, partial_invoice, sandbox_config, amount):
    error = assert_error(create_session(api, partial_invoice, amount=amount), 400, "invalid")
    assert "decimal places" in error["message"]


@pytest.mark.parametrize("amount", ["abc", "", "NaN", "Infinity", True, [10], {"value": 10}, None])
def test_an_amount_that_is_not_a_number_is_a_400(api, partial_invoice, sandbox_config, amount):
    assert_error(create_session(api, partial_invoice, amount=amount), 400, "invalid")
    assert not InvoicePayment.objects.exists()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "100000000000000000000000000000"])
def test_json_number_literals_that_are_not_amounts_are_a_400(api, partial_invoice, sandbox_config, literal):
    data = f'{{"invoice_id": "{partial_invoice.pk}", "amount": {literal}}}'
    response = api.post("/payment/create-session/", data=data, content_type="application/json")
    assert_error(response, 400)
    assert not InvoicePayment.objects.exists()


def test_no_float_reaches_the_amount(api, partial_invoice, sandbox_config):
    # Through the JSON parser, 10.5 is a Decimal; the service never sees a float.
    response = api.post(
        "/payment/create-session/",
        data=json.dumps({"invoice_id": str(partial_invoice.pk), "amount": 10.5}),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert InvoicePayment.objects.get().amount == 1050
    assert Decimal(response.json()["amount"]) == Decimal("10.50")


# -- the invoice's state ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [InvoiceStatus.VOID, InvoiceStatus.DRAFT])
def test_a_void_or_draft_invoice_cannot_be_paid(api, invoice, sandbox_config, status):
    Invoice.objects.filter(pk=invoice.pk).update(status=status)
    assert_error(create_session(api, invoice), 409, "invoice_not_payable")
    assert_error(create_session(api, invoice, amount="100.00"), 409, "invoice_not_payable")


def test_a_draft_invoice_created_through_the_api_cannot_be_paid(api, make_invoice, sandbox_config):
    draft = make_invoice(status="draft")
    assert_error(create_session(api, draft, token=draft.public_token), 409, "invoice_not_payable")


def test_a_paid_invoice_cannot_be_paid_again(api, anon, invoice, sandbox_config):
    pay(api, invoice)
    assert_error(create_session(api, invoice), 409, "invoice_not_payable")
    assert_error(create_session(anon, invoice, token=invoice.public_token), 409, "invoice_not_payable")


# -- the gateway config -------------------------------------------------------------------------


def test_no_gateway_config_is_a_404(api, invoice):
    assert_error(create_session(api, invoice), 404, "no_gateway")


def test_an_inactive_default_config_is_no_gateway(api, invoice, sandbox_config):
    sandbox_config.is_active = False
    sandbox_config.save()
    assert_error(create_session(api, invoice), 404, "no_gateway")


def test_a_named_config_of_the_owner_is_used(api, user, invoice, sandbox_config):
    second = gateway_config_create(owner=user, gateway_name="sandbox", display_name="Second")
    response = create_session(api, invoice, gateway_config_id=str(second.pk))
    assert response.status_code == 201
    assert InvoicePayment.objects.get(pk=response.json()["payment_id"]).config == second


def test_the_config_of_another_user_is_not_found(api, other_user, invoice, sandbox_config):
    theirs = gateway_config_create(owner=other_user, gateway_name="sandbox")
    assert_error(create_session(api, invoice, gateway_config_id=str(theirs.pk)), 404, "no_gateway")
    assert not InvoicePayment.objects.exists()


def test_an_unknown_config_is_not_found(api, invoice, sandbox_config):
    assert_error(create_session(api, invoice, gateway_config_id=UNKNOWN_ID), 404, "no_gateway")


def test_a_malformed_config_id_is_a_400(api, invoice, sandbox_config):
    assert_error(create_session(api, invoice, gateway_config_id="nope"), 400, "invalid")


# -- reuse and idempotency ----------------------------------------------------------------------


def test_an_open_session_for_the_same_amount_is_reused_with_200(api, anon, invoice, sandbox_config):
    first = create_session(api, invoice)
    again = create_session(anon, invoice, token=invoice.public_token)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["payment_id"] == first.json()["payment_id"]
    assert again.json()["redirect_url"] == first.json()["redirect_url"]
    assert InvoicePayment.objects.count() == 1


def test_a_different_amount_opens_a_new_session(api, partial_invoice, sandbox_config):
    first = create_session(api, partial_invoice, amount="40.00")
    second = create_session(api, partial_invoice, amount="50.00")
    assert second.status_code == 201
    assert second.json()["payment_id"] != first.json()["payment_id"]


def test_a_finished_session_is_not_reused(api, partial_invoice, sandbox_config):
    first = create_session(api, partial_invoice, amount="40.00").json()["payment_id"]
    complete(api, first, "declined")
    second = create_session(api, partial_invoice, amount="40.00")
    assert second.status_code == 201
    assert second.json()["payment_id"] != first


def test_an_idempotency_key_replay_answers_the_same_payment(api, partial_invoice, sandbox_config):
    key = {"HTTP_IDEMPOTENCY_KEY": "order-42"}
    body = {"invoice_id": str(partial_invoice.pk), "amount": "40.00"}
    first = post_json(api, "/payment/create-session/", body, **key)
    replay = post_json(api, "/payment/create-session/", body, **key)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json()["payment_id"] == first.json()["payment_id"]
    assert InvoicePayment.objects.get().client_idempotency_key == "order-42"


def test_an_idempotency_key_replay_still_answers_after_the_payment_succeeded(api, invoice, sandbox_config):
    key = {"HTTP_IDEMPOTENCY_KEY": "order-43"}
    first = post_json(api, "/payment/create-session/", {"invoice_id": str(invoice.pk)}, **key).json()
    complete(api, first["payment_id"])
    replay = post_json(api, "/payment/create-session/", {"invoice_id": str(invoice.pk)}, **key)
    assert replay.status_code == 200
    assert replay.json()["payment_id"] == first["payment_id"]
    assert replay.json()["status"] == "succeeded"


def test_an_idempotency_key_reused_for_another_amount_is_a_409(api, partial_invoice, sandbox_config):
    key = {"HTTP_IDEMPOTENCY_KEY": "order-44"}
    post_json(api, "/payment/create-session/", {"invoice_id": str(partial_invoice.pk), "amount": "40.00"}, **key)
    response = post_json(
        api, "/payment/create-session/", {"invoice_id": str(partial_invoice.pk), "amount": "50.00"}, **key
    )
    assert_error(response, 409, "idempotency_key_reused")
    assert InvoicePayment.objects.count() == 1


def test_an_idempotency_key_over_255_characters_is_a_400(api, invoice, sandbox_config):
    response = post_json(
        api, "/payment/create-session/", {"invoice_id": str(invoice.pk)}, HTTP_IDEMPOTENCY_KEY="k" * 256
    )
    assert_error(response, 400, "invalid")


# -- return_url ---------------------------------------------------------------------------------


def test_a_return_url_on_this_site_is_kept(api, invoice, sandbox_config):
    response = create_session(api, invoice, return_url="http://127.0.0.1:8000/thanks/")
    assert response.status_code == 201, response.content
    assert InvoicePayment.objects.get().return_url == "http://127.0.0.1:8000/thanks/"


def test_a_return_url_may_name_the_payment_with_a_placeholder(api, invoice, sandbox_config):
    response = create_session(api, invoice, return_url="http://127.0.0.1:8000/pay/result/?payment={PAYMENT_ID}")
    assert response.status_code == 201, response.content
    payment = InvoicePayment.objects.get()
    assert payment.return_url == f"http://127.0.0.1:8000/pay/result/?payment={payment.pk}"


def test_without_a_return_url_the_client_comes_back_to_the_result_page(api, invoice, sandbox_config):
    response = create_session(api, invoice)
    payment = InvoicePayment.objects.get(pk=response.json()["payment_id"])
    assert payment.return_url == (
        f"http://127.0.0.1:8000/pay/{invoice.pk}/result/?token={invoice.public_token}&payment={payment.pk}"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/steal",
        "http://127.0.0.1:8000.evil.example.com/",
        "//evil.example.com/",
        "/relative/path/",
        "javascript:alert(1)",
        "ftp://127.0.0.1:8000/file",
        "not a url",
    ],
)
def test_a_return_url_off_this_site_is_a_400(api, invoice, sandbox_config, url):
    error = assert_error(create_session(api, invoice, return_url=url), 400, "invalid")
    assert "return_url" in json.dumps(error)
    assert not InvoicePayment.objects.exists()


@override_settings(TRACKIFY_SITE_URL="https://pay.example.com")
def test_a_return_url_on_the_configured_site_url_is_allowed(api, invoice, sandbox_config):
    response = create_session(api, invoice, return_url="https://pay.example.com/done/")
    assert response.status_code == 201, response.content
