"""CSRF: on for every browser request (logged in or not), off only for the webhook endpoints."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.payments.api.conftest import assert_error, complete, create_session, pay
from tests.payments.api.test_sandbox_complete import deliver
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig

pytestmark = pytest.mark.django_db

CSRF_SECRET = "a" * 32  # a well-formed token: 32 characters of the allowed alphabet


@pytest.fixture
def browser() -> APIClient:
    """A client that enforces CSRF, as a browser's requests are checked."""
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def logged_in(browser: APIClient, user: Any) -> APIClient:
    assert browser.login(username=user.username, password="pw-for-tests-only")
    return browser


def post(client: APIClient, url: str, data: Any, **extra: Any) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json", **extra)


def with_csrf(client: APIClient) -> dict[str, str]:
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    return {"HTTP_X_CSRFTOKEN": CSRF_SECRET}


# -- session-authenticated ----------------------------------------------------------------------


def test_a_logged_in_post_without_csrf_token_is_refused(logged_in):
    response = post(logged_in, "/payment/gateways/", {"gateway_name": "sandbox"})
    error = assert_error(response, 403, "permission_denied")
    assert "CSRF" in error["message"]
    assert not PaymentGatewayConfig.objects.exists()


def test_a_logged_in_post_with_a_wrong_csrf_token_is_refused(logged_in):
    logged_in.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    response = post(logged_in, "/payment/gateways/", {"gateway_name": "sandbox"}, HTTP_X_CSRFTOKEN="b" * 32)
    assert_error(response, 403)
    assert not PaymentGatewayConfig.objects.exists()


def test_a_logged_in_post_with_the_csrf_token_is_accepted(logged_in):
    response = post(logged_in, "/payment/gateways/", {"gateway_name": "sandbox"}, **with_csrf(logged_in))
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/invoices/", {"number": "X-1", "client_name": "C", "currency": "EUR", "total": "1.00"}),
        ("/payment/create-session/", {}),
    ],
)
def test_other_logged_in_posts_without_csrf_token_are_refused(logged_in, invoice, url, body):
    body = body or {"invoice_id": str(invoice.pk)}
    assert_error(post(logged_in, url, body), 403)
    assert Invoice.objects.count() == 1
    assert not InvoicePayment.objects.exists()


def test_a_logged_in_delete_without_csrf_token_is_refused(logged_in, sandbox_config):
    assert_error(logged_in.delete(f"/payment/gateways/{sandbox_config.pk}/"), 403)
    assert PaymentGatewayConfig.objects.filter(pk=sandbox_config.pk).exists()


def test_a_logged_in_refund_without_csrf_token_is_refused(logged_in, api, invoice, sandbox_config):
    payment_id = pay(api, invoice)
    assert_error(post(logged_in, f"/payment/{payment_id}/refund/", {}), 403)
    assert InvoicePayment.objects.get(pk=payment_id).status == "succeeded"


def test_a_logged_in_get_needs_no_csrf_token(logged_in, sandbox_config):
    assert logged_in.get("/payment/gateways/").status_code == 200


# -- anonymous ------------------------------------------------------------------------------------


def test_an_anonymous_post_without_csrf_token_is_refused(browser, invoice, sandbox_config):
    body = {"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token}
    error = assert_error(post(browser, "/payment/create-session/", body), 403, "permission_denied")
    assert "CSRF" in error["message"]
    assert not InvoicePayment.objects.exists()


def test_an_anonymous_sandbox_completion_without_csrf_token_is_refused(browser, anon, invoice, sandbox_config):
    payment_id = create_session(anon, invoice, token=invoice.public_token).json()["payment_id"]
    body = {"outcome": "succeeded", "invoice_token": invoice.public_token}
    assert_error(post(browser, f"/payment/sandbox/{payment_id}/complete/", body), 403)
    assert InvoicePayment.objects.get(pk=payment_id).status == "pending"


def test_an_anonymous_post_with_the_csrf_token_is_accepted(browser, invoice, sandbox_config):
    body = {"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token}
    response = post(browser, "/payment/create-session/", body, **with_csrf(browser))
    assert response.status_code == 201, response.content


# -- token-authenticated scripts and webhooks ---------------------------------------------------------


def test_an_api_token_post_needs_no_csrf_token(browser, user):
    token, _ = Token.objects.get_or_create(user=user)
    response = post(browser, "/payment/gateways/", {"gateway_name": "sandbox"}, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 201, response.content


def test_the_webhook_endpoint_accepts_a_post_without_csrf_token(browser, api, invoice, sandbox_config):
    payment_id = create_session(api, invoice).json()["payment_id"]
    webhook = complete(api, payment_id, deliver=False).json()["webhook"]
    response = deliver(browser, webhook)
    assert response.status_code == 200, response.content
    assert InvoicePayment.objects.get(pk=payment_id).status == "succeeded"


def test_the_webhook_endpoint_ignores_a_browser_session_and_needs_no_csrf(logged_in, api, invoice, sandbox_config):
    payment_id = create_session(api, invoice).json()["payment_id"]
    webhook = complete(api, payment_id, deliver=False).json()["webhook"]
    assert deliver(logged_in, webhook).status_code == 200
    assert InvoicePayment.objects.get(pk=payment_id).status == "succeeded"
