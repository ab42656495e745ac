"""A delivery that finds the database unreachable answers 503, which gateways retry, and leaves nothing
half-written: the delivery after the outage applies the event once."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from tests.payments.webhooks.sandbox_events import deliver, session_payload, signed
from trackify.payments.models import InvoicePayment, PaymentStatusChange, PaymentWebhookEvent
from trackify.payments.services import webhooks

GONE = "terminating connection due to administrator command"


def gone(*args: Any, **kwargs: Any) -> Any:
    raise OperationalError(GONE)


def written_then_gone(original: Any) -> Any:
    """The event row is written in the delivery's transaction; then the connection dies before the commit."""

    def claim(**kwargs: Any) -> Any:
        original(**kwargs)
        raise OperationalError(GONE)

    return claim


def reload(payment: InvoicePayment) -> InvoicePayment:
    return InvoicePayment.objects.select_related("invoice").get(pk=payment.pk)


@pytest.mark.parametrize("where", ["reading the config", "storing the event"])
def test_a_delivery_during_an_outage_answers_503_and_writes_nothing(open_payment, monkeypatch, caplog, where):
    body, headers = signed(open_payment, session_payload(open_payment, "succeeded", event_id="evt_sbx_outage"))
    if where == "reading the config":
        monkeypatch.setattr(webhooks, "_webhook_config", gone)
    else:
        monkeypatch.setattr(webhooks, "event_claim", written_then_gone(webhooks.event_claim))

    response = deliver(Client(), open_payment, body, headers)

    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "database_unavailable"
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.exc_info is None and f"OperationalError: {GONE}" in record.getMessage()
    assert not PaymentWebhookEvent.objects.filter(gateway_event_id="evt_sbx_outage").exists()
    assert not PaymentStatusChange.objects.filter(payment=open_payment).exists()
    payment = reload(open_payment)
    assert (payment.status, payment.invoice.amount_paid) == ("pending", 0)

    monkeypatch.undo()  # the database is back: the gateway's retry applies the event, once
    retry = deliver(Client(), open_payment, body, headers)
    assert (retry.status_code, retry.json()["status"]) == (200, "processed")
    assert deliver(Client(), open_payment, body, headers).json()["status"] == "duplicate"
    payment = reload(open_payment)
    assert (payment.status, payment.invoice.amount_paid) == ("succeeded", payment.amount)
    assert PaymentWebhookEvent.objects.filter(gateway_event_id="evt_sbx_outage").count() == 1
    assert PaymentStatusChange.objects.filter(payment=open_payment, applied=True).count() == 1
