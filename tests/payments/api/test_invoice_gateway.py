"""GET /payment/invoice/<invoice_id>/gateway/: what the paying client may know, and nothing more."""

from __future__ import annotations

import json

import pytest

from tests.payments.api.conftest import assert_error, pay
from trackify.invoices.models import Invoice
from trackify.payments.models import PaymentGatewayConfig
from trackify.payments.services.gateway_configs import gateway_config_create

pytestmark = pytest.mark.django_db

SECRET = "whsec_clientmustneverseethis1234"


def gateway_url(invoice: Invoice) -> str:
    return f"/payment/invoice/{invoice.pk}/gateway/"


@pytest.fixture
def secret_config(user):
    return gateway_config_create(
        owner=user, gateway_name="sandbox", display_name="Acme payments", credentials={"webhook_secret": SECRET}
    )


def test_token_holder_learns_how_to_pay(anon, invoice, secret_config):
    response = anon.get(gateway_url(invoice), {"token": invoice.public_token})
    assert response.status_code == 200
    assert response.json() == {
        "invoice_id": str(invoice.pk),
        "invoice_number": invoice.number,
        "invoice_status": "open",
        "payable": True,
        "currency": "EUR",
        "total": "100.00",
        "amount_due": "100.00",
        "amount_payable": "100.00",
        "allow_partial_payment": False,
        "gateway": {"name": "sandbox", "display_name": "Acme payments", "public_config": {"flow": "redirect"}},
        "gateways": [
            {
                "config_id": str(secret_config.pk),
                "name": "sandbox",
                "display_name": "Acme payments",
                "public_config": {"flow": "redirect"},
            }
        ],
        "issuer_name": "",
        "client_name": "Client Ltd",
        "issued_on": invoice.issued_on.isoformat(),
        "due_on": None,
        "amount_paid": "0.00",
        "amount_in_flight": "0.00",
    }


def test_the_public_answer_reveals_nothing_about_the_owner_or_the_credentials(anon, user, invoice, secret_config):
    user.email = "owner-private@example.com"
    user.first_name = "Ownerfirstname"
    user.save()
    response = anon.get(gateway_url(invoice), HTTP_X_INVOICE_TOKEN=invoice.public_token)
    body = json.dumps(response.json(), ensure_ascii=False)
    masked = "whsec_…1234"
    for leak in (SECRET, masked, "whsec", "…", user.username, user.email, user.first_name):
        assert leak not in body, leak
    # The config's id is given (the client names its choice with it); it grants nothing by itself.
    for word in ("owner", "credentials", "secret", "webhook", invoice.public_token):
        assert word not in body, word


def test_the_in_modal_flow_is_told_to_the_browser(anon, invoice, secret_config):
    secret_config.flow = "in_modal"
    secret_config.save()
    body = anon.get(gateway_url(invoice), {"token": invoice.public_token}).json()
    assert body["gateway"]["public_config"] == {"flow": "in_modal"}


def test_a_partial_payment_invoice_says_so(anon, make_invoice, secret_config):
    invoice = make_invoice(allow_partial_payment=True)
    assert anon.get(gateway_url(invoice), {"token": invoice.public_token}).json()["allow_partial_payment"] is True


def test_the_amount_due_follows_payments(api, anon, make_invoice, secret_config):
    invoice = make_invoice(allow_partial_payment=True)
    pay(api, invoice, amount="30.00")
    body = anon.get(gateway_url(invoice), {"token": invoice.public_token}).json()
    assert (body["invoice_status"], body["amount_due"], body["payable"]) == ("partially_paid", "70.00", True)


def test_a_paid_invoice_is_not_payable(api, anon, invoice, secret_config):
    pay(api, invoice)
    body = anon.get(gateway_url(invoice), {"token": invoice.public_token}).json()
    assert (body["invoice_status"], body["amount_due"], body["payable"]) == ("paid", "0.00", False)


@pytest.mark.parametrize("status", ["void", "draft"])
def test_a_void_or_draft_invoice_is_not_payable(anon, invoice, secret_config, status):
    Invoice.objects.filter(pk=invoice.pk).update(status=status)
    body = anon.get(gateway_url(invoice), {"token": invoice.public_token}).json()
    assert body["payable"] is False


def test_without_a_gateway_config_the_invoice_is_not_payable(anon, invoice):
    body = anon.get(gateway_url(invoice), {"token": invoice.public_token}).json()
    assert (body["payable"], body["gateway"]) == (False, None)


def test_an_inactive_config_is_not_offered(anon, invoice, secret_config):
    PaymentGatewayConfig.objects.filter(pk=secret_config.pk).update(is_active=False)
    body = anon.get(gateway_url(invoice), {"token": invoice.public_token}).json()
    assert (body["payable"], body["gateway"], body["gateways"]) == (False, None, [])


def test_the_owner_may_look_without_the_token(api, invoice, secret_config):
    assert api.get(gateway_url(invoice)).status_code == 200


def test_anonymous_without_token_is_not_found(anon, invoice, secret_config):
    assert_error(anon.get(gateway_url(invoice)), 404, "not_found")


def test_a_wrong_token_is_not_found(anon, invoice, secret_config):
    assert_error(anon.get(gateway_url(invoice), {"token": "guess"}), 404, "not_found")
    assert_error(anon.get(gateway_url(invoice), HTTP_X_INVOICE_TOKEN="guess"), 404, "not_found")


def test_the_token_of_another_invoice_is_not_found(anon, invoice, make_invoice, secret_config):
    other = make_invoice()
    assert_error(anon.get(gateway_url(invoice), {"token": other.public_token}), 404, "not_found")


def test_another_user_without_token_is_not_found(other_api, invoice, secret_config):
    assert_error(other_api.get(gateway_url(invoice)), 404, "not_found")


def test_an_unknown_invoice_is_not_found(anon):
    response = anon.get("/payment/invoice/00000000-0000-4000-8000-000000000000/gateway/", {"token": "x"})
    assert_error(response, 404, "not_found")


def test_a_gateway_not_enabled_on_this_deployment_is_not_offered(anon, invoice, secret_config, settings):
    settings.PAYMENT_GATEWAYS = {}  # e.g. the owner's sandbox config on a production site
    response = anon.get(gateway_url(invoice), {"token": invoice.public_token})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["payable"], body["gateway"], body["gateways"]) == (False, None, [])
