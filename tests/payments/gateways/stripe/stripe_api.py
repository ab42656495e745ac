"""Helpers for the Stripe tests that go through our HTTP API: configs, sessions, deliveries."""

from __future__ import annotations

from typing import Any

from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import post_json
from tests.fakes.fake_stripe import Account, Delivery, FakeStripe
from tests.payments.gateways.stripe.conftest import credentials_of
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment
from trackify.payments.services.ledger import Outcome


def create_stripe_config(api: APIClient, account: Account, *, flow: str = "redirect", **body: Any) -> dict[str, Any]:
    """A Stripe config made through the API, as a user does; returns its JSON."""
    response = post_json(
        api,
        "/payment/gateways/",
        {"gateway_name": "stripe", "credentials": credentials_of(account), "flow": flow, **body},
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def open_session(client: APIClient, invoice: Invoice, **body: Any) -> Any:
    """The invoice's client opens a payment session with the invoice's token."""
    return post_json(
        client,
        "/payment/create-session/",
        {"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token, **body},
    )


def opened(client: APIClient, invoice: Invoice, **body: Any) -> dict[str, Any]:
    response = open_session(client, invoice, **body)
    assert response.status_code == 201, response.content
    return dict(response.json())


def assert_nothing_reserved(invoice: Invoice, error: dict[str, Any]) -> None:
    """A session that could not be opened leaves its payment failed, with the error the client got,
    and reserves nothing: the whole invoice is payable again."""
    from trackify.payments.services.sessions import amount_payable_now

    [attempt] = InvoicePayment.objects.filter(invoice=invoice)
    assert (attempt.status, attempt.failure_message, attempt.client_idempotency_key) == ("failed", error["message"], "")
    invoice.refresh_from_db()
    assert amount_payable_now(invoice) == invoice.amount_due == invoice.total


def status_of(client: APIClient, invoice: Invoice, payment_id: str) -> dict[str, Any]:
    response = client.get(f"/payment/status/{payment_id}/", {"token": invoice.public_token})
    assert response.status_code == 200, response.content
    return dict(response.json())


def payment(payment_id: str) -> InvoicePayment:
    return InvoicePayment.objects.select_related("invoice", "config").get(pk=payment_id)


def reference_of(payment_id: str) -> str:
    return payment(payment_id).gateway_reference


def post_delivery(delivery: Delivery, config_id: str | None = None) -> Any:
    """POST a signed delivery to our webhook endpoint, as Stripe does (no session, no CSRF token)."""
    url = f"/payment/webhook/stripe/{config_id}/" if config_id else "/payment/webhook/stripe/"
    client = Client(enforce_csrf_checks=True)
    headers = {k: v for k, v in delivery.django_headers().items() if k != "HTTP_CONTENT_TYPE"}
    return client.post(url, data=delivery.body, content_type="application/json", **headers)


def deliver(
    account: Account, events: list[dict[str, Any]], config_id: str | None = None, **signing: Any
) -> list[dict[str, Any]]:
    """Deliver events signed with the account's secret; every answer must be 200. Returns the answers."""
    answers = []
    for event in events:
        response = post_delivery(FakeStripe.delivery(event, account.webhook_secret, **signing), config_id)
        assert response.status_code == 200, (event["type"], response.content)
        answers.append(dict(response.json()))
    return answers


def only(events: list[dict[str, Any]], *types: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] in types]


def outcomes_of(answer: dict[str, Any]) -> list[Outcome]:
    """The ledger's typed outcomes in a webhook answer's detail ("applied: ...; not applied: ...")."""
    return [Outcome(part.split(":", 1)[0]) for part in answer["detail"].split("; ")]
