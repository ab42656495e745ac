"""Mollie end to end over our HTTP API, the fake Mollie behind the SDK: a config as a user adds it, a
session, the payer at Mollie's page, the hint `id=tr_…` POSTed to the config's webhook URL."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client

from tests.conftest import post_json
from tests.fakes.fake_mollie import Account, FakeMollie
from tests.payments.api.conftest import assert_error
from tests.payments.gateways.mollie.conftest import pay_at_checkout
from trackify.payments.models import InvoicePayment, PaymentWebhookEvent

pytestmark = pytest.mark.django_db


def hint(config_id: str, body: bytes) -> object:
    """POST as Mollie does: form-encoded, no session, no CSRF token, no signature."""
    url = f"/payment/webhook/mollie/{config_id}/"
    return Client(enforce_csrf_checks=True).post(url, data=body, content_type="application/x-www-form-urlencoded")


@pytest.fixture
def mollie_config(api, mollie_account: Account) -> dict:
    response = post_json(
        api,
        "/payment/gateways/",
        {"gateway_name": "mollie", "credentials": {"api_key": mollie_account.api_key}, "is_default": True},
    )
    assert response.status_code == 201, response.content
    assert mollie_account.api_key not in response.content.decode()
    return dict(response.json())


def open_and_pay(anon, invoice, outcome: str = "paid") -> InvoicePayment:
    opened = post_json(
        anon, "/payment/create-session/", {"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token}
    )
    assert opened.status_code == 201, opened.content
    pay_at_checkout(opened.json()["redirect_url"], outcome)
    return InvoicePayment.objects.get(pk=opened.json()["payment_id"])


def test_a_hint_after_paying_pays_the_invoice_once(anon, invoice, mollie_config, mollie_account) -> None:
    payment = open_and_pay(anon, invoice)
    [sent] = mollie_account.hints
    assert sent.url == f"http://127.0.0.1:8000/payment/webhook/mollie/{mollie_config['id']}/"
    answers = [hint(mollie_config["id"], sent.body) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[1].json()["status"] == "duplicate"
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.status) == (invoice.total, "paid")
    assert PaymentWebhookEvent.objects.get(config_id=mollie_config["id"]).gateway_event_id == (
        f"{payment.gateway_reference}:paid")  # fmt: skip


def test_unknown_ids_are_answered_200_and_counted_apart(api, anon, invoice, mollie_config, fake_mollie) -> None:
    outside = fake_mollie.create_outside(fake_mollie.accounts[0])
    for body in (b"id=tr_unknown0000", f"id={outside['id']}".encode()):
        assert hint(mollie_config["id"], body).status_code == 200
    health = api.get(f"/payment/gateways/{mollie_config['id']}/webhook-health/").json()
    assert health["unmatched"] == 2
    assert health["rejected"] == 0
    assert hint(mollie_config["id"], b'{"id": "tr_x"}').status_code == 400


def test_mollie_down_answers_the_hint_5xx_and_a_redelivery_applies(
    anon, invoice, mollie_config, mollie_account, fake_mollie
) -> None:
    open_and_pay(anon, invoice)
    [sent] = mollie_account.hints
    fake_mollie.fail_next(5, status=503)
    assert hint(mollie_config["id"], sent.body).status_code >= 500
    fake_mollie.faults.clear()
    assert hint(mollie_config["id"], sent.body).status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_in_async_mode_the_request_stores_the_hint_and_the_worker_fetches(
    anon, invoice, mollie_config, mollie_account, fake_mollie, settings
) -> None:
    from trackify.payments.services.webhooks import webhook_event_process

    settings.TRACKIFY_WEBHOOK_MODE = "async"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    open_and_pay(anon, invoice)
    [sent] = mollie_account.hints
    gets_before = len(fake_mollie.requests_to("GET", "/v2/payments/"))
    with mock.patch("trackify.payments.api.webhooks.webhook_event_apply.delay") as queued:
        assert hint(mollie_config["id"], sent.body).json()["status"] == "queued"
    assert len(fake_mollie.requests_to("GET", "/v2/payments/")) == gets_before  # the request fetched nothing
    [call] = queued.call_args_list
    assert webhook_event_process(event_pk=call.args[0]).status == "processed"
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_refund_over_the_api_and_its_hint(
    api, anon, invoice, mollie_config, mollie_account, fake_mollie: FakeMollie
) -> None:
    payment = open_and_pay(anon, invoice)
    hint(mollie_config["id"], mollie_account.hints.pop().body)
    response = post_json(api, f"/payment/{payment.pk}/refund/", {"amount": "10.00", "reason": "goodwill"})
    assert response.status_code in (200, 201), response.content
    [sent] = fake_mollie.requests_to("POST", f"/v2/payments/{payment.gateway_reference}/refunds")
    assert sent.body["amount"] == {"currency": invoice.currency, "value": "10.00"}
    assert sent.idempotency_key.startswith("trackify-refund-")
    refund_id = fake_mollie.payment(payment.gateway_reference)["_refunds"][0]["id"]
    fake_mollie.set_refund_status(refund_id, "refunded")
    assert hint(mollie_config["id"], mollie_account.hints[-1].body).status_code == 200
    payment.refresh_from_db()
    assert payment.refunded_amount == 1000


def test_a_malformed_key_is_refused_on_its_field(api) -> None:
    response = post_json(
        api, "/payment/gateways/", {"gateway_name": "mollie", "credentials": {"api_key": "sk_test_123"}}
    )
    assert assert_error(response, 400, "invalid")["field"] == "api_key"
