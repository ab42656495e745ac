"""A client choosing among the owner's gateways: GET /payment/invoice/<id>/gateway/ lists every one
the invoice can be paid through (default first, then the oldest), create-session takes the one chosen
by its `gateway_config_id` and refuses any other, and opening a session on one gateway closes the
invoice's open sessions on the others."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import post_json
from tests.fakes import stripe_fixtures
from tests.fakes.fake_stripe import Account
from tests.payments.api.conftest import assert_error
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig
from trackify.payments.services.gateway_configs import gateway_config_create
from trackify.sandbox import provider
from trackify.sandbox.provider import SandboxError

pytestmark = pytest.mark.django_db

fake_stripe = stripe_fixtures.fake_stripe
stripe_account = stripe_fixtures.stripe_account


def choices(client: Any, invoice: Invoice) -> list[dict[str, Any]]:
    response = client.get(f"/payment/invoice/{invoice.pk}/gateway/", {"token": invoice.public_token})
    assert response.status_code == 200, response.content
    return list(response.json()["gateways"])


def open_on(client: Any, invoice: Invoice, config_id: Any, **body: Any) -> Any:
    data = {"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token, "gateway_config_id": str(config_id)}
    return post_json(client, "/payment/create-session/", {**data, **body})


def sandbox(user: Any, name: str, **fields: Any) -> PaymentGatewayConfig:
    return gateway_config_create(owner=user, gateway_name="sandbox", display_name=name, **fields)


def stripe(user: Any, account: Account, **fields: Any) -> PaymentGatewayConfig:
    credentials = {
        "secret_key": account.secret_key,
        "publishable_key": account.publishable_key,
        "webhook_secret": account.webhook_secret,
    }
    return gateway_config_create(owner=user, gateway_name="stripe", credentials=credentials, **fields)


# -- what is offered ----------------------------------------------------------------------------


def test_every_usable_config_is_offered_default_first_then_oldest(anon, user, invoice):
    oldest = sandbox(user, "Oldest")
    newer = sandbox(user, "Newer", flow="in_modal")
    default = sandbox(user, "Default", is_default=True)
    offered = choices(anon, invoice)
    assert [c["config_id"] for c in offered] == [str(default.pk), str(oldest.pk), str(newer.pk)]
    assert offered[2] == {
        "config_id": str(newer.pk), "name": "sandbox", "display_name": "Newer", "public_config": {"flow": "in_modal"},
    }  # fmt: skip
    body = anon.get(f"/payment/invoice/{invoice.pk}/gateway/", {"token": invoice.public_token}).json()
    assert body["gateway"]["display_name"] == "Default"  # unchanged for clients that read only `gateway`


def test_inactive_archived_and_other_owners_configs_are_not_offered(anon, user, other_user, invoice):
    offered_one = sandbox(user, "Offered")
    PaymentGatewayConfig.objects.filter(pk=sandbox(user, "Off").pk).update(is_active=False)
    PaymentGatewayConfig.objects.filter(pk=sandbox(user, "Gone").pk).update(archived_at=timezone.now())
    sandbox(other_user, "Someone else's")
    assert [c["config_id"] for c in choices(anon, invoice)] == [str(offered_one.pk)]


def test_a_gateway_that_does_not_take_the_invoices_currency_is_not_offered(
    anon, user, make_invoice, stripe_account: Account
):
    on_sandbox = sandbox(user, "Sandbox")
    stripe(user, stripe_account, is_default=True)
    invoice = make_invoice(currency="IQD")  # Stripe takes no Iraqi dinars; the sandbox takes any currency
    assert [c["config_id"] for c in choices(anon, invoice)] == [str(on_sandbox.pk)]


def test_a_gateway_not_enabled_on_this_deployment_is_not_offered(anon, user, invoice, settings):
    sandbox(user, "Sandbox")
    settings.PAYMENT_GATEWAYS = {}
    assert choices(anon, invoice) == []


def test_only_public_facts_of_each_gateway_are_offered(anon, user, invoice, stripe_account: Account):
    sandbox(user, "Sandbox", credentials={"webhook_secret": "whsec_sandboxsecretneverpublic99"})
    stripe(user, stripe_account)
    offered = choices(anon, invoice)
    assert [c["public_config"] for c in offered] == [
        {"flow": "redirect"},
        {"flow": "redirect", "publishable_key": stripe_account.publishable_key},
    ]
    body = json.dumps(offered)
    for leak in (stripe_account.secret_key, stripe_account.webhook_secret, "whsec_", "sk_", "secret"):
        assert leak not in body, leak


# -- what create-session takes -------------------------------------------------------------------


def test_the_client_pays_through_the_config_chosen(anon, user, invoice):
    sandbox(user, "Default")
    chosen = sandbox(user, "Chosen")
    response = open_on(anon, invoice, choices(anon, invoice)[1]["config_id"])
    assert response.status_code == 201, response.content
    assert InvoicePayment.objects.get(pk=response.json()["payment_id"]).config == chosen


@pytest.mark.parametrize("why", ["inactive", "archived", "another owner's"])
def test_a_config_that_is_not_offered_is_refused_clearly_and_opens_nothing(anon, user, other_user, invoice, why):
    sandbox(user, "Usable")
    refused = sandbox(other_user if why == "another owner's" else user, "Refused")
    if why == "inactive":
        PaymentGatewayConfig.objects.filter(pk=refused.pk).update(is_active=False)
    elif why == "archived":
        PaymentGatewayConfig.objects.filter(pk=refused.pk).update(archived_at=timezone.now())
    error = assert_error(open_on(anon, invoice, refused.pk), 404, "no_gateway")
    assert error["message"] == "This payment gateway is not available for this invoice; choose another one."
    assert not InvoicePayment.objects.exists()


# -- the cross-gateway guard ---------------------------------------------------------------------


def test_opening_a_session_on_one_gateway_closes_the_open_session_on_the_other(
    anon, user, invoice, stripe_account: Account
):
    on_sandbox, on_stripe = sandbox(user, "Sandbox", is_default=True), stripe(user, stripe_account)
    first = open_on(anon, invoice, on_sandbox.pk)
    assert first.status_code == 201, first.content
    second = open_on(anon, invoice, on_stripe.pk)  # the client changed their mind
    assert second.status_code == 201, second.content

    closed = InvoicePayment.objects.get(pk=first.json()["payment_id"])
    assert closed.status == "expired"
    with pytest.raises(SandboxError):  # the sandbox's hosted page takes no money any more
        provider.complete_session(closed.gateway_reference, "succeeded")
    opened = InvoicePayment.objects.get(pk=second.json()["payment_id"])
    assert (opened.config, opened.status) == (on_stripe, "pending")
    assert stripe_account.sessions[opened.gateway_reference]["status"] == "open"

    back = open_on(anon, invoice, on_sandbox.pk)  # and back again: the Stripe session is closed
    assert back.status_code == 201, back.content
    assert stripe_account.sessions[opened.gateway_reference]["status"] == "expired"
    assert InvoicePayment.objects.filter(invoice=invoice, status="pending").count() == 1
