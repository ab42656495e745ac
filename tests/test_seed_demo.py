"""The demo command: everything a newcomer needs to pay an invoice, created once however often it runs."""

from __future__ import annotations

import io
import json

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from trackify.invoices.models import Invoice
from trackify.payments.models import PaymentGatewayConfig


def seed() -> dict:
    out = io.StringIO()
    call_command("seed_demo", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_seed_demo_prints_credentials_gateway_and_pay_links(db):
    result = seed()
    assert set(result) >= {"username", "password", "api_token", "gateway_config_id", "invoices"}
    assert len(result["invoices"]) == 2
    for invoice in result["invoices"]:
        assert set(invoice) >= {"id", "public_token", "pay_url"}
        assert invoice["pay_url"].endswith(f"/pay/{invoice['id']}/?token={invoice['public_token']}")
    config = PaymentGatewayConfig.objects.get(pk=result["gateway_config_id"])
    assert (config.gateway_name, config.is_default) == ("sandbox", True)
    assert Invoice.objects.filter(allow_partial_payment=True).count() == 1


def test_seed_demo_is_idempotent(db):
    first, second = seed(), seed()
    assert first == second
    assert get_user_model().objects.count() == 1
    assert PaymentGatewayConfig.objects.count() == 1
    assert Invoice.objects.count() == 2


def test_demo_user_can_log_in_and_use_the_api_token(db):
    result = seed()
    assert Client().login(username=result["username"], password=result["password"])
    response = Client().get("/invoices/", HTTP_AUTHORIZATION=f"Token {result['api_token']}")
    assert response.status_code == 200
    assert len(response.json()) == 2


def test_demo_invoice_is_payable_from_its_link(db):
    invoice = seed()["invoices"][0]
    response = Client().get(f"/payment/invoice/{invoice['id']}/gateway/", {"token": invoice["public_token"]})
    assert response.status_code == 200
    assert response.json()["payable"] is True


def test_stripe_test_keys_in_the_environment_add_a_default_stripe_config(db, monkeypatch):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_" + "a" * 24)
    monkeypatch.setenv("STRIPE_PUBLISHABLE_KEY", "pk_test_" + "b" * 24)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_" + "c" * 32)
    result = seed()
    stripe = PaymentGatewayConfig.objects.get(pk=result["stripe_gateway_config_id"])
    assert (stripe.gateway_name, stripe.is_default) == ("stripe", True)

    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET")  # a later run without it keeps the stored one
    assert seed()["stripe_gateway_config_id"] == str(stripe.pk)
    assert PaymentGatewayConfig.objects.get(pk=stripe.pk).credentials["webhook_secret"] == "whsec_" + "c" * 32
    assert PaymentGatewayConfig.objects.filter(gateway_name="stripe").count() == 1


def test_paypal_sandbox_credentials_in_the_environment_add_a_paypal_config(db, monkeypatch):
    monkeypatch.setenv("PAYPAL_CLIENT_ID", "A" + "b" * 40)
    monkeypatch.setenv("PAYPAL_CLIENT_SECRET", "E" + "c" * 40)
    monkeypatch.setenv("PAYPAL_WEBHOOK_ID", "1AB23456CD789012E")
    result = seed()
    paypal = PaymentGatewayConfig.objects.get(pk=result["paypal_gateway_config_id"])
    assert (paypal.gateway_name, paypal.test_mode, paypal.is_default) == ("paypal", True, False)
    monkeypatch.delenv("PAYPAL_WEBHOOK_ID")  # a later run without it keeps the stored one
    assert seed()["paypal_gateway_config_id"] == str(paypal.pk)
    assert PaymentGatewayConfig.objects.get(pk=paypal.pk).credentials["webhook_id"] == "1AB23456CD789012E"


def test_a_mollie_test_key_in_the_environment_adds_a_mollie_config_once(db, monkeypatch):
    monkeypatch.setenv("MOLLIE_API_KEY", "test_" + "m" * 30)
    result = seed()
    mollie = PaymentGatewayConfig.objects.get(pk=result["mollie_gateway_config_id"])
    assert (mollie.gateway_name, mollie.test_mode, mollie.is_default) == ("mollie", True, False)
    assert mollie.credentials["api_key"] == "test_" + "m" * 30
    assert seed()["mollie_gateway_config_id"] == str(mollie.pk)
    assert PaymentGatewayConfig.objects.filter(gateway_name="mollie").count() == 1
    monkeypatch.delenv("MOLLIE_API_KEY")
    assert "mollie_gateway_config_id" not in seed()
