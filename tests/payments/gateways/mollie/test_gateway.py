"""Each Mollie hook against the fake Mollie server (real HTTP, the official SDK unchanged)."""

from __future__ import annotations

import pytest

from tests.fakes.fake_mollie import Account, FakeMollie
from tests.payments.gateways.mollie.conftest import lookup_of, pay_at_checkout, session_request
from trackify.common.errors import ValidationFailed
from trackify.payments.gateways.errors import (
    GatewayConfigurationError,
    GatewayUnavailable,
    InvalidGatewayRequest,
    WebhookSubjectUnknown,
    WebhookVerificationError,
)
from trackify.payments.gateways.mollie import MollieGateway
from trackify.payments.gateways.types import (
    CaptureRequest,
    DisputeStatus,
    PaymentStatus,
    RefundRequest,
    RefundStatus,
    WebhookEvent,
    WebhookRequest,
)


def hint_event(gateway: MollieGateway, body: bytes) -> WebhookEvent:
    return gateway.complete_event(gateway.handle_webhook(WebhookRequest(body=body, headers={})))


def test_a_session_is_a_mollie_payment_with_our_ids_webhook_and_idempotency_key(gateway, fake_mollie) -> None:
    request = session_request()
    result = gateway.create_payment_session(request)
    [sent] = fake_mollie.requests_to("POST", "/v2/payments")
    assert sent.body["amount"] == {"currency": "EUR", "value": "123.45"}
    assert sent.body["metadata"] == {"payment_id": str(request.payment_id), "invoice_id": str(request.invoice_id)}
    assert sent.body["webhookUrl"] == f"http://127.0.0.1:8000/payment/webhook/mollie/{gateway.context.config_id}/"
    assert sent.body["redirectUrl"] == request.return_url
    assert sent.idempotency_key == request.idempotency_key
    assert result.gateway_reference.startswith("tr_")
    assert result.status == PaymentStatus.PENDING
    assert result.redirect_url == f"{fake_mollie.url}/checkout/{result.gateway_reference}"
    # a retry with the same key opens no second payment
    assert gateway.create_payment_session(request).gateway_reference == result.gateway_reference


def test_zero_decimal_amounts_and_unsupported_currencies(gateway, fake_mollie) -> None:
    gateway.create_payment_session(session_request(amount=1000, currency="JPY"))
    assert fake_mollie.requests_to("POST", "/v2/payments")[0].body["amount"] == {"currency": "JPY", "value": "1000"}
    with pytest.raises(InvalidGatewayRequest):
        gateway.create_payment_session(session_request(amount=1250, currency="KWD"))
    assert len(fake_mollie.requests_to("POST", "/v2/payments")) == 1


def test_paying_at_checkout_then_the_hint_reports_succeeded(gateway, mollie_account: Account) -> None:
    request = session_request()
    result = gateway.create_payment_session(request)
    back = pay_at_checkout(result.redirect_url or "")
    assert (back.status_code, back.headers["Location"]) == (303, request.return_url)
    [hint] = mollie_account.hints
    assert hint.body == f"id={result.gateway_reference}".encode()
    event = hint_event(gateway, hint.body)
    assert not event.incomplete
    assert event.gateway_event_id == f"{result.gateway_reference}:paid"
    assert event.payment_id == request.payment_id
    assert event.payment_update is not None
    assert (event.payment_update.status, event.payment_update.amount, event.payment_update.currency) == (
        PaymentStatus.SUCCEEDED, 12345, "EUR")  # fmt: skip
    assert gateway.get_payment_status(lookup_of(request, result.gateway_reference)).status == PaymentStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("failed", PaymentStatus.FAILED), ("canceled", PaymentStatus.CANCELLED), ("expired", PaymentStatus.EXPIRED),
     ("authorized", PaymentStatus.AUTHORIZED)],
)  # fmt: skip
def test_every_outcome_maps(gateway, outcome: str, status: PaymentStatus) -> None:
    result = gateway.create_payment_session(session_request())
    pay_at_checkout(result.redirect_url or "", outcome)
    event = hint_event(gateway, f"id={result.gateway_reference}".encode())
    assert event.payment_update is not None and event.payment_update.status == status
    assert event.gateway_event_id == f"{result.gateway_reference}:{outcome}"
    if status == PaymentStatus.FAILED:
        assert event.payment_update.failure_message


def test_the_webhook_form_is_checked_before_anything_is_fetched(gateway, fake_mollie) -> None:
    for body in (b"", b"id=", b"id=re_abc123", b"id=tr_x y", b"id=tr_abc&id=tr_def", b'{"id": "tr_abc"}', b"\xff"):
        with pytest.raises(WebhookVerificationError):
            gateway.verify_webhook(WebhookRequest(body=body, headers={}))
    assert fake_mollie.requests == []
    assert MollieGateway.webhook_reference_hint(WebhookRequest(body=b"id=tr_abcd1234", headers={})) == "tr_abcd1234"


def test_a_hint_about_an_unknown_or_foreign_payment_is_subject_unknown(gateway, fake_mollie, mollie_account) -> None:
    with pytest.raises(WebhookSubjectUnknown):
        hint_event(gateway, b"id=tr_doesnotexist")
    outside = fake_mollie.create_outside(mollie_account)
    with pytest.raises(WebhookSubjectUnknown):
        hint_event(gateway, f"id={outside['id']}".encode())
    other = fake_mollie.add_account()
    theirs = MollieGateway(gateway.context.__class__(gateway.context.config_id, {"api_key": other.api_key}))
    result = theirs.create_payment_session(session_request())
    with pytest.raises(WebhookSubjectUnknown):
        hint_event(gateway, f"id={result.gateway_reference}".encode())


def test_refunds_carry_our_key_and_change_the_news(gateway, fake_mollie) -> None:
    request = session_request()
    result = gateway.create_payment_session(request)
    pay_at_checkout(result.redirect_url or "")
    refund_request = RefundRequest(
        refund_id=request.payment_id, payment=lookup_of(request, result.gateway_reference), amount=2345,
        currency="EUR", reason="goodwill", idempotency_key="trackify-refund-1",
    )  # fmt: skip
    refund = gateway.refund_payment(refund_request)
    assert (refund.status, refund.amount) == (RefundStatus.PENDING, 2345)
    assert gateway.refund_payment(refund_request).gateway_refund_id == refund.gateway_refund_id  # replayed
    [sent, _again] = fake_mollie.requests_to("POST", f"/v2/payments/{result.gateway_reference}/refunds")
    assert (sent.body["amount"], sent.idempotency_key) == ({"currency": "EUR", "value": "23.45"}, "trackify-refund-1")
    pending = hint_event(gateway, f"id={result.gateway_reference}".encode())
    fake_mollie.set_refund_status(refund.gateway_refund_id, "refunded")
    done = hint_event(gateway, f"id={result.gateway_reference}".encode())
    assert pending.gateway_event_id.startswith(f"{result.gateway_reference}:paid:rc=")
    assert pending.gateway_event_id != done.gateway_event_id
    [update] = done.refund_updates
    assert (update.status, update.amount, update.refund_id) == (RefundStatus.SUCCEEDED, 2345, request.payment_id)
    dashboard = fake_mollie.refund_at_dashboard(result.gateway_reference, "1.00")
    refunds = hint_event(gateway, f"id={result.gateway_reference}".encode()).refund_updates
    assert {r.gateway_refund_id: r.refund_id for r in refunds}[dashboard["id"]] is None


def test_a_chargeback_is_lost_at_once_and_won_when_reversed(gateway, fake_mollie) -> None:
    request = session_request()
    result = gateway.create_payment_session(request)
    pay_at_checkout(result.redirect_url or "")
    chargeback = fake_mollie.chargeback(result.gateway_reference, "100.00")
    [lost] = hint_event(gateway, f"id={result.gateway_reference}".encode()).dispute_updates
    assert (lost.status, lost.withdrawn, lost.reinstated, lost.reason) == (
        DisputeStatus.LOST, 10000, 0, "Unauthorised transaction")  # fmt: skip
    fake_mollie.reverse_chargeback(chargeback["id"])
    [won] = gateway.list_disputes(lookup_of(request, result.gateway_reference))
    assert (won.status, won.withdrawn, won.reinstated) == (DisputeStatus.WON, 10000, 10000)


def test_capturing_an_authorized_payment(gateway, fake_mollie, mollie_account) -> None:
    request = session_request()
    result = gateway.create_payment_session(request)
    pay_at_checkout(result.redirect_url or "", "authorized")
    capture = CaptureRequest(lookup_of(request, result.gateway_reference), 12345, "EUR", "trackify-capture-1")
    update = gateway.capture_payment(capture)
    assert update.status == PaymentStatus.SUCCEEDED
    assert update.gateway_payment_reference.startswith("cpt_")
    [sent] = fake_mollie.requests_to("POST", f"/v2/payments/{result.gateway_reference}/captures")
    assert sent.idempotency_key == "trackify-capture-1"
    assert gateway.capture_payment(capture).gateway_payment_reference == update.gateway_payment_reference
    mollie_account.capture_status = "pending"
    expired = gateway.create_payment_session(session_request())
    pay_at_checkout(expired.redirect_url or "", "expired")
    late = CaptureRequest(lookup_of(request, expired.gateway_reference), 12345, "EUR", "trackify-capture-2")
    assert gateway.capture_payment(late).status == PaymentStatus.EXPIRED


def test_expire_session_cancels_where_mollie_allows(gateway, fake_mollie, mollie_account) -> None:
    request = session_request()
    result = gateway.create_payment_session(request)
    assert gateway.expire_session(lookup_of(request, result.gateway_reference)).status == PaymentStatus.CANCELLED
    [cancel] = fake_mollie.requests_to("DELETE")
    assert cancel.idempotency_key == f"trackify-expire-{request.payment_id}"
    mollie_account.open_cancelable = False
    kept = gateway.create_payment_session(session_request())
    assert gateway.expire_session(lookup_of(request, kept.gateway_reference)).status == PaymentStatus.PENDING
    assert len(fake_mollie.requests_to("DELETE")) == 1


def test_test_connection_and_errors(gateway, make_gateway, fake_mollie, settings) -> None:
    assert gateway.test_connection() == (
        "Connected to Mollie in test mode. Payment methods enabled: ideal, creditcard, bancontact.")  # fmt: skip
    wrong = make_gateway(api_key="test_" + "x" * 30)
    with pytest.raises(GatewayConfigurationError) as caught:
        wrong.test_connection()
    assert "x" * 30 not in str(caught.value) + caught.value.detail
    with pytest.raises(GatewayConfigurationError):
        make_gateway(api_key="").test_connection()
    fake_mollie.fail_next(status=503)
    with pytest.raises(GatewayUnavailable):
        gateway.test_connection()
    fake_mollie.drop_next(3)  # the first attempt and both retries
    with pytest.raises(GatewayUnavailable):
        gateway.test_connection()
    fake_mollie.drop_next(2, after_processing=True)  # answers lost twice: the third attempt is replayed
    assert gateway.create_payment_session(session_request()).gateway_reference
    assert len(fake_mollie.accounts[0].payments) == 1
    settings.MOLLIE_MAX_NETWORK_RETRIES = 0
    fake_mollie.hang_next(seconds=3)
    with pytest.raises(GatewayUnavailable):
        gateway.test_connection()
    fake_mollie.fail_next(status=422, detail="The amount is too low")
    with pytest.raises(InvalidGatewayRequest, match="too low"):
        gateway.create_payment_session(session_request())


@pytest.mark.parametrize(
    ("key", "test_mode", "ok"),
    [("test_" + "a" * 30, True, True), ("live_" + "a" * 30, False, True), ("live_" + "a" * 30, True, False),
     ("test_" + "a" * 30, False, False), ("sk_test_" + "a" * 30, True, False), ("test_short", True, False)],
)  # fmt: skip
def test_credentials(key: str, test_mode: bool, ok: bool, settings) -> None:
    settings.TRACKIFY_TEST_MODE_ONLY = False
    if ok:
        assert MollieGateway.clean_credentials({"api_key": f" {key} "}, test_mode=test_mode) == {"api_key": key}
        return
    with pytest.raises(ValidationFailed) as caught:
        MollieGateway.clean_credentials({"api_key": key}, test_mode=test_mode)
    assert caught.value.field == "api_key" and key not in str(caught.value)


def test_live_keys_are_refused_where_test_mode_only(settings) -> None:
    settings.TRACKIFY_TEST_MODE_ONLY = True
    with pytest.raises(ValidationFailed):
        MollieGateway.clean_credentials({"api_key": "live_" + "a" * 30}, test_mode=False)


def test_the_fake_is_shaped_like_mollie(fake_mollie: FakeMollie, mollie_account: Account) -> None:
    import requests

    answer = requests.get(f"{fake_mollie.url}/v2/payments/tr_nope", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert answer.status_code == 401
    assert set(answer.json()) == {"status", "title", "detail", "_links"}
    assert "hal+json" in answer.headers["Content-Type"]
