"""A user sets up Stripe in the browser; a client pays through Stripe's Payment Element (Stripe.js
answered by a local stub, the API at the fake Stripe server, the result after the signed webhook)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests

from tests.e2e.conftest import shoot
from tests.e2e.helpers import open_modal, wait_for_result
from tests.fakes.fake_stripe import Account, FakeStripe
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig
from trackify.payments.services.gateway_configs import gateway_config_create

STUB = (Path(__file__).parent / "stripe_stub.js").read_text()


def sign_in(page: Any, site: str, user: Any) -> None:
    page.goto(f"{site}/settings/gateways/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw-for-tests-only")
    shoot(page, "login")
    page.get_by_role("button", name="Sign in").click()


def test_a_user_adds_stripe_makes_it_default_and_sees_the_masked_key_and_webhook_url(
    page: Any, site: str, user: Any, sandbox_config: PaymentGatewayConfig, stripe_account: Account
):
    sign_in(page, site, user)
    page.get_by_role("article", name="Sandbox").wait_for()
    page.get_by_role("button", name="Add a gateway").click()
    page.get_by_label("Gateway", exact=True).select_option("stripe")
    page.get_by_label("Name shown to you and your clients").fill("Stripe payments")
    page.get_by_label("Publishable key", exact=True).fill("not-a-key")
    page.get_by_label("Secret key", exact=True).fill(stripe_account.secret_key)
    page.get_by_role("button", name="Save gateway").click()
    page.locator(".field-error").first.wait_for()  # the API's error shows on its field
    shoot(page, "settings-field-error")

    page.get_by_label("Publishable key", exact=True).fill(stripe_account.publishable_key)
    page.get_by_label("Webhook signing secret (optional)").fill(stripe_account.webhook_secret)
    page.get_by_role("button", name="Save gateway").click()
    card = page.get_by_role("article", name="Stripe payments")
    card.wait_for()
    card.get_by_role("button", name="Make default").click()
    card.get_by_text("This is now your default gateway.").wait_for()
    card.get_by_role("button", name="Test connection").click()
    card.locator(".notice.success").last.wait_for()

    config = PaymentGatewayConfig.objects.get(display_name="Stripe payments")
    assert config.is_default and config.gateway_name == "stripe"
    assert config.credentials["secret_key"] == stripe_account.secret_key
    text = card.inner_text()
    assert stripe_account.secret_key not in page.content()
    assert "sk_test_…" + stripe_account.secret_key[-4:] in text
    assert card.get_by_label("Webhook URL", exact=True).input_value() == f"{site}/payment/webhook/stripe/{config.pk}/"
    shoot(page, "settings")


def test_a_client_pays_with_the_stripe_payment_element(
    page: Any, site: str, user: Any, invoice: Any, fake_stripe: FakeStripe, stripe_account: Account
):
    gateway_config_create(
        owner=user,
        gateway_name="stripe",
        display_name="Stripe",
        flow="in_modal",
        is_default=True,
        credentials={
            "secret_key": stripe_account.secret_key,
            "publishable_key": stripe_account.publishable_key,
            "webhook_secret": stripe_account.webhook_secret,
        },
    )
    stripe_js_requests: list[str] = []

    def stripe_js(route: Any) -> None:
        url = route.request.url
        stripe_js_requests.append(url)
        if url.endswith("/_stub/confirm"):
            confirm(route)
        else:
            route.fulfill(status=200, content_type="application/javascript", body=STUB)

    def confirm(route: Any) -> None:
        """Stripe confirms the PaymentIntent, then delivers its signed events to our webhook."""
        intent_id = json.loads(route.request.post_data)["client_secret"].split("_secret_")[0]
        config = PaymentGatewayConfig.objects.get(gateway_name="stripe")
        for event in stripe_account.confirm_intent(intent_id, "succeeded"):
            delivery = fake_stripe.delivery(event, stripe_account.webhook_secret)
            answer = requests.post(
                f"{site}/payment/webhook/stripe/{config.pk}/", data=delivery.body, headers=delivery.headers, timeout=10
            )
            assert answer.status_code == 200, answer.text
        route.fulfill(
            status=200,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
            body=json.dumps({"id": intent_id, "status": "succeeded"}),
        )

    page.route("https://js.stripe.com/**", stripe_js)
    page.goto(site + "/")  # nothing of Stripe is loaded before the client chooses to pay
    dialog = open_modal(page, site, invoice)
    assert not stripe_js_requests
    dialog.get_by_label("Card number (Stripe test stub)").wait_for()
    assert page.evaluate("window.__stripeStub.publishableKey") == stripe_account.publishable_key
    shoot(page, "payment-modal-stripe")
    dialog.get_by_role("button", name="Pay €100.00").click()

    wait_for_result(page, "Payment received")
    payment = InvoicePayment.objects.get(invoice=invoice)
    assert payment.status == "succeeded"
    assert f"payment={payment.pk}" in page.url
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    shoot(page, "result-paid-stripe")


def test_a_user_renames_a_stripe_config_and_replaces_its_secret_key_keeping_the_others(
    page: Any, site: str, user: Any, stripe_account: Account
):
    keys = {
        "secret_key": stripe_account.secret_key,
        "publishable_key": stripe_account.publishable_key,
        "webhook_secret": stripe_account.webhook_secret,
    }
    config = gateway_config_create(owner=user, gateway_name="stripe", display_name="Stripe", credentials=keys)
    new_key = "sk_test_" + "R3placed" * 3
    sign_in(page, site, user)
    card = page.get_by_role("article", name="Stripe")
    card.get_by_role("button", name="Edit").click()
    secret = card.get_by_label("Secret key", exact=True)
    assert secret.get_attribute("type") == "password" and secret.input_value() == ""
    assert "sk_test_…" + stripe_account.secret_key[-4:] in card.inner_text()  # the saved one, masked
    assert stripe_account.secret_key not in page.content()
    secret.fill(stripe_account.publishable_key)  # pasted into the wrong field
    card.get_by_role("button", name="Save changes").click()
    secret.and_(page.locator("[aria-invalid=true]")).wait_for()  # the API's error, on its field
    shoot(page, "settings-edit-error")

    card.get_by_label("Name shown to you and your clients").fill("Stripe EU")
    secret.fill(new_key)
    card.get_by_role("button", name="Save changes").click()
    renamed = page.get_by_role("article", name="Stripe EU")
    renamed.get_by_text("Saved. Replaced: Secret key.").wait_for()
    config.refresh_from_db()
    assert config.display_name == "Stripe EU"
    assert config.credentials == {**keys, "secret_key": new_key}  # the secrets left empty were kept
    assert "sk_test_…" + new_key[-4:] in renamed.inner_text()
    assert new_key not in page.content()
