"""The contract's three additions, proven with two made-up gateways whose "provider" is a dict:

- a gateway that captures (`capabilities.captures`): an authorized payment is captured once, under
  its lock, whichever signal reports the approval, with one idempotency key on every attempt;
- a gateway whose webhook is a hint (`webhooks_are_hints`): the fetch verifies, the news is named by
  what was fetched, an unknown id is answered 200 and counted apart, a failed fetch is kept;
- a verification that asks the provider: the provider down answers 503, never counted as forged.

PayPal and Mollie, on their fakes, run the same paths through the conformance kit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection

from tests.conftest import client_for, post_json
from trackify.common.untrusted import load_json
from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.gateways.errors import (
    GatewayUnavailable,
    WebhookSubjectUnknown,
    WebhookVerificationError,
)
from trackify.payments.gateways.types import (
    CredentialField,
    GatewayCapabilities,
    PaymentStatus,
    PaymentUpdate,
    SessionResult,
    WebhookEvent,
)
from trackify.payments.models import InvoicePayment, PaymentWebhookEvent
from trackify.payments.services.catch_up import webhook_events_reprocess
from trackify.payments.services.gateway_configs import gateway_config_create
from trackify.payments.services.health import webhook_health
from trackify.payments.services.webhooks import webhook_event_process

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Provider:
    """The made-up provider's books: an order per payment, with its status, and what was asked."""

    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    capture_keys: list[str] = field(default_factory=list)
    captured: set[str] = field(default_factory=set)
    capture_down: int = 0  # the next N captures find the provider down
    capture_declines: bool = False
    fetch_down: int = 0
    verify_down: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


PROVIDER = Provider()


class CapturingGateway(PaymentGatewayBase):
    name = "capturer"
    display_name = "Capture Pay"
    credential_fields = (CredentialField("api_key", "API key"),)
    capabilities = GatewayCapabilities(captures=True, currencies=frozenset({"EUR"}))

    def create_payment_session(self, request):
        PROVIDER.orders[f"ord_{request.payment_id}"] = {"status": "created", "payment_id": str(request.payment_id)}
        return SessionResult(gateway_reference=f"ord_{request.payment_id}", redirect_url="https://capture.invalid/")

    def verify_webhook(self, request):
        if PROVIDER.verify_down:  # the provider verifies deliveries itself, and cannot be reached
            raise GatewayUnavailable(detail="verification call timed out")
        if request.header("x-capture-signature") != "good":
            raise WebhookVerificationError("Verification failed.")
        return load_json(request.body)

    def normalize_event(self, payload):
        return WebhookEvent(
            gateway_event_id=payload["id"], event_type="order.approved", payload=payload,
            gateway_reference=payload["order"], payment_update=PaymentUpdate(status=PaymentStatus.AUTHORIZED),
        )

    def get_payment_status(self, lookup):
        status = PROVIDER.orders[lookup.gateway_reference]["status"]
        return PaymentUpdate(
            status={"created": PaymentStatus.PENDING, "approved": PaymentStatus.AUTHORIZED,
                    "completed": PaymentStatus.SUCCEEDED, "voided": PaymentStatus.EXPIRED}[status],
            gateway_payment_reference=PROVIDER.orders[lookup.gateway_reference].get("capture", ""),
        )

    def capture_payment(self, request):
        with PROVIDER.lock:
            PROVIDER.capture_keys.append(request.idempotency_key)
            if PROVIDER.capture_down:
                PROVIDER.capture_down -= 1
                raise GatewayUnavailable(detail="capture timed out")
            order = PROVIDER.orders[request.payment.gateway_reference]
            if PROVIDER.capture_declines:
                return PaymentUpdate(status=PaymentStatus.FAILED, failure_message="The card was declined.")
            if request.idempotency_key not in PROVIDER.captured:  # the key makes a retry answer the same
                PROVIDER.captured.add(request.idempotency_key)
            order["status"], order["capture"] = "completed", f"cap_{request.payment.payment_id}"
            return PaymentUpdate(
                status=PaymentStatus.SUCCEEDED, amount=request.amount, currency=request.currency,
                gateway_payment_reference=order["capture"],
            )


class HintingGateway(PaymentGatewayBase):
    """Its webhook is `id=<order>` and nothing else; fetching the order with the config's key verifies."""

    name = "hinter"
    display_name = "Hint Pay"
    credential_fields = (CredentialField("api_key", "API key"),)
    capabilities = GatewayCapabilities(currencies=frozenset({"EUR"}))
    webhooks_are_hints = True

    def create_payment_session(self, request):
        PROVIDER.orders[f"tr_{request.payment_id}"] = {"status": "open", "payment_id": str(request.payment_id)}
        return SessionResult(gateway_reference=f"tr_{request.payment_id}", redirect_url="https://hint.invalid/")

    def verify_webhook(self, request):
        body = request.body.decode("ascii", "replace")
        if not body.startswith("id=tr_"):
            raise WebhookVerificationError("Not a hint.")
        return {"id": body[3:]}

    def normalize_event(self, payload):
        return WebhookEvent(
            gateway_event_id=payload["id"], event_type="hint", payload=payload,
            gateway_reference=payload["id"], incomplete=True,
        )

    def complete_event(self, event):
        if PROVIDER.fetch_down:
            PROVIDER.fetch_down -= 1
            raise GatewayUnavailable(detail="fetch timed out")
        order = PROVIDER.orders.get(event.gateway_reference)
        if order is None:
            raise WebhookSubjectUnknown(f"No payment {event.gateway_reference} at Hint Pay.")
        status = {"open": PaymentStatus.PENDING, "paid": PaymentStatus.SUCCEEDED,
                  "failed": PaymentStatus.FAILED}[order["status"]]
        return replace(
            event, gateway_event_id=f"{event.gateway_reference}:{order['status']}", incomplete=False,
            payment_update=PaymentUpdate(status=status),
        )

    def get_payment_status(self, lookup):
        return PaymentUpdate(status=PaymentStatus.PENDING)


@pytest.fixture(autouse=True)
def _gateways(settings):
    global PROVIDER
    PROVIDER = Provider()
    settings.PAYMENT_GATEWAYS = {
        **settings.PAYMENT_GATEWAYS,
        "capturer": f"{__name__}.CapturingGateway",
        "hinter": f"{__name__}.HintingGateway",
    }
    settings.TRACKIFY_STATUS_REFRESH_INTERVAL = 0


def _open(user, make_invoice, gateway_name):
    config = gateway_config_create(owner=user, gateway_name=gateway_name, credentials={"api_key": "k_1"},
                                   is_default=True)
    invoice = make_invoice()
    answer = post_json(client_for(user), "/payment/create-session/", {"invoice_id": str(invoice.pk)})
    assert answer.status_code == 201, answer.content
    payment = InvoicePayment.objects.get(pk=answer.json()["payment_id"])
    return config, invoice, payment


def _approve(payment):
    PROVIDER.orders[payment.gateway_reference]["status"] = "approved"


def _status(client, payment, *, check=False):
    url = f"/payment/status/{payment.pk}/" + ("check/" if check else "")
    answer = client.post(url) if check else client.get(url)
    assert answer.status_code == 200, answer.content
    return answer.json()["status"]


# -- capture ----------------------------------------------------------------------------------


def test_an_approval_learnt_from_a_status_check_is_captured_and_pays_the_invoice(user, make_invoice):
    _, invoice, payment = _open(user, make_invoice, "capturer")
    _approve(payment)

    assert _status(client_for(user), payment, check=True) == "succeeded"

    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.gateway_payment_reference == f"cap_{payment.pk}"
    assert invoice.amount_paid == payment.amount
    assert PROVIDER.capture_keys == [f"trackify-payment-{payment.pk}-capture"]
    steps = list(payment.status_changes.order_by("created_at").values_list("to_status", "source"))
    assert ("authorized", "status_check") in steps and ("succeeded", "capture") in steps


def test_an_approval_by_webhook_is_captured_once_and_later_signals_capture_nothing(user, make_invoice):
    config, invoice, payment = _open(user, make_invoice, "capturer")
    _approve(payment)
    body = {"id": "evt_1", "order": payment.gateway_reference}
    url = f"/payment/webhook/capturer/{config.pk}/"
    answer = post_json(client_for(user), url, body, HTTP_X_CAPTURE_SIGNATURE="good")
    assert answer.status_code == 200, answer.content

    assert _status(client_for(user), payment, check=True) == "succeeded"
    assert post_json(client_for(user), url, {**body, "id": "evt_2"}, HTTP_X_CAPTURE_SIGNATURE="good").status_code == 200
    assert len(PROVIDER.capture_keys) == 1
    invoice.refresh_from_db()
    assert invoice.amount_paid == payment.amount


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks across threads need PostgreSQL")
def test_signals_arriving_together_capture_once(user, make_invoice):
    config, invoice, payment = _open(user, make_invoice, "capturer")
    _approve(payment)
    url = f"/payment/webhook/capturer/{config.pk}/"
    start = threading.Barrier(4)
    answers: list[int] = []

    def signal(n):
        start.wait()
        try:
            if n % 2:
                answers.append(client_for(user).post(f"/payment/status/{payment.pk}/check/").status_code)
            else:
                body = {"id": f"evt_{n}", "order": payment.gateway_reference}
                answers.append(post_json(client_for(user), url, body, HTTP_X_CAPTURE_SIGNATURE="good").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=signal, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [200] * 4
    assert len(PROVIDER.capture_keys) == 1
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.status == "succeeded" and invoice.amount_paid == payment.amount


def test_a_capture_the_provider_cannot_answer_stays_authorized_and_is_retried_with_the_same_key(
    user, make_invoice
):
    _, invoice, payment = _open(user, make_invoice, "capturer")
    _approve(payment)
    PROVIDER.capture_down = 1

    assert _status(client_for(user), payment, check=True) == "authorized"
    # Held against the invoice meanwhile: a second client cannot pay the same money.
    second = post_json(client_for(user), "/payment/create-session/", {"invoice_id": str(invoice.pk)})
    assert second.status_code == 409, second.content
    assert _status(client_for(user), payment, check=True) == "succeeded"
    assert PROVIDER.capture_keys == [f"trackify-payment-{payment.pk}-capture"] * 2


def test_a_refused_capture_fails_the_payment_and_the_invoice_can_be_paid_again(user, make_invoice):
    _, invoice, payment = _open(user, make_invoice, "capturer")
    _approve(payment)
    PROVIDER.capture_declines = True

    assert _status(client_for(user), payment, check=True) == "failed"
    payment.refresh_from_db()
    assert payment.failure_message == "The card was declined."
    again = post_json(client_for(user), "/payment/create-session/", {"invoice_id": str(invoice.pk)})
    assert again.status_code == 201, again.content


def test_an_authorization_never_captured_expires_as_the_provider_says(user, make_invoice):
    _, invoice, payment = _open(user, make_invoice, "capturer")
    _approve(payment)
    PROVIDER.capture_down = 1
    assert _status(client_for(user), payment, check=True) == "authorized"

    PROVIDER.orders[payment.gateway_reference]["status"] = "voided"
    assert _status(client_for(user), payment) == "expired"
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0


# -- verification that asks the provider ------------------------------------------------------


def test_a_verification_the_provider_cannot_answer_is_503_and_not_counted_as_forged(user, make_invoice):
    config, _, payment = _open(user, make_invoice, "capturer")
    PROVIDER.verify_down = True
    url = f"/payment/webhook/capturer/{config.pk}/"

    answer = post_json(client_for(user), url, {"id": "evt_1", "order": payment.gateway_reference},
                       HTTP_X_CAPTURE_SIGNATURE="good")

    assert answer.status_code == 503, answer.content
    assert answer.json()["error"]["code"] == "gateway_unavailable"
    assert answer["Retry-After"]
    health = webhook_health(config=config)
    assert health.rejected == 0 and health.verified == 0
    PROVIDER.verify_down = False
    forged = post_json(client_for(user), url, {"id": "evt_1", "order": "x"}, HTTP_X_CAPTURE_SIGNATURE="bad")
    assert forged.status_code == 400
    assert webhook_health(config=config).rejected == 1


# -- hint-only webhooks -----------------------------------------------------------------------


def _hint(client, config, reference):
    return client.post(
        f"/payment/webhook/hinter/{config.pk}/", data=f"id={reference}",
        content_type="application/x-www-form-urlencoded",
    )


def test_a_hint_is_fetched_and_each_status_is_applied_once(user, make_invoice):
    config, invoice, payment = _open(user, make_invoice, "hinter")
    client = client_for(user)

    assert _hint(client, config, payment.gateway_reference).json()["status"] == "processed"  # open: no change
    PROVIDER.orders[payment.gateway_reference]["status"] = "paid"
    assert _hint(client, config, payment.gateway_reference).json()["status"] == "processed"
    assert _hint(client, config, payment.gateway_reference).json()["status"] == "duplicate"

    invoice.refresh_from_db()
    assert invoice.amount_paid == payment.amount
    keys = set(PaymentWebhookEvent.objects.filter(config=config).values_list("gateway_event_id", flat=True))
    assert keys == {f"{payment.gateway_reference}:open", f"{payment.gateway_reference}:paid"}


def test_a_hint_about_an_unknown_object_is_200_changes_nothing_and_is_counted_apart(user, make_invoice):
    config, _, _ = _open(user, make_invoice, "hinter")

    answer = _hint(client_for(user), config, "tr_madeup")

    assert answer.status_code == 200 and answer.json()["status"] == "unmatched"
    assert not PaymentWebhookEvent.objects.filter(config=config).exists()
    health = webhook_health(config=config)
    assert (health.unmatched, health.rejected) == (1, 0)
    health_api = client_for(user).get(f"/payment/gateways/{config.pk}/webhook-health/").json()
    assert health_api["unmatched"] == 1


def test_a_hint_the_provider_cannot_show_now_is_kept_answered_503_and_fetched_again(user, make_invoice):
    config, invoice, payment = _open(user, make_invoice, "hinter")
    PROVIDER.orders[payment.gateway_reference]["status"] = "paid"
    PROVIDER.fetch_down = 1

    answer = _hint(client_for(user), config, payment.gateway_reference)

    assert answer.status_code == 503, answer.content
    kept = PaymentWebhookEvent.objects.get(config=config)
    assert kept.status == "failed" and kept.gateway_event_id.startswith(f"hint:{payment.gateway_reference}:")
    assert webhook_health(config=config).rejected == 0
    webhook_events_reprocess(older_than=timedelta(0))
    kept.refresh_from_db()
    invoice.refresh_from_db()
    assert kept.status == "processed" and invoice.amount_paid == payment.amount


def test_in_async_mode_the_request_stores_the_hint_and_the_worker_fetches(user, make_invoice, settings):
    settings.TRACKIFY_WEBHOOK_MODE = "async"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    config, invoice, payment = _open(user, make_invoice, "hinter")
    PROVIDER.orders[payment.gateway_reference]["status"] = "paid"
    fetches_before = dict(PROVIDER.orders)

    with mock.patch("trackify.payments.api.webhooks.webhook_event_apply.delay") as queued:
        answers = [_hint(client_for(user), config, payment.gateway_reference) for _ in range(2)]
    assert [a.json()["status"] for a in answers] == ["queued", "queued"]
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0 and fetches_before == PROVIDER.orders

    outcomes = [webhook_event_process(event_pk=call.args[0]).status for call in queued.call_args_list]
    assert outcomes == ["processed", "duplicate"]
    invoice.refresh_from_db()
    assert invoice.amount_paid == payment.amount
    assert set(PaymentWebhookEvent.objects.filter(config=config).values_list("status", flat=True)) == {"processed"}
