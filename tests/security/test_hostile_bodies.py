"""Finding 1 and 2: hostile bodies and signature headers end in a clear 4xx, never a 500.

A body of 30,000 "[" then 30,000 "]" used to escape the parsers as RecursionError; a
400-digit signature timestamp used to overflow a float in the sandbox's verification.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.payments.api.conftest import assert_error
from tests.security.conftest import KNOWN_SECRETS, SANDBOX_SECRET

DEEP = b"[" * 30_000 + b"]" * 30_000
DEEP_OBJECT = b'{"a":' * 5_000 + b"1" + b"}" * 5_000


def json_post_urls(invoice: Any, payment: Any, config: Any) -> list[str]:
    return [
        "/payment/create-session/",
        "/payment/gateways/",
        f"/payment/{payment.pk}/refund/",
        f"/payment/sandbox/{payment.pk}/complete/",
        "/invoices/",
    ]


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
def test_deeply_nested_json_is_a_400_on_every_json_endpoint(api, anon, invoice, open_payment, body):
    for client in (anon, api):
        for url in json_post_urls(invoice, open_payment, open_payment.config):
            response = client.post(url, data=body, content_type="application/json")
            if client is anon and url in ("/payment/gateways/", "/invoices/", f"/payment/{open_payment.pk}/refund/"):
                assert response.status_code in (401, 403), (url, response.status_code)
                continue
            assert_error(response, 400, "parse_error")


def test_deeply_nested_json_is_a_400_on_a_patch(api, sandbox_config):
    response = api.patch(f"/payment/gateways/{sandbox_config.pk}/", data=DEEP, content_type="application/json")
    assert_error(response, 400, "parse_error")


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
def test_deeply_nested_json_is_a_400_on_both_webhook_urls(db, sandbox_secret_config, stripe_secret_config, body):
    urls = [
        "/payment/webhook/sandbox/",
        f"/payment/webhook/sandbox/{sandbox_secret_config.pk}/",
        "/payment/webhook/stripe/",
        f"/payment/webhook/stripe/{stripe_secret_config.pk}/",
    ]
    for url in urls:
        response = Client().post(
            url, data=body, content_type="application/json",
            HTTP_TRACKIFY_SANDBOX_SIGNATURE="t=1,v1=00", HTTP_STRIPE_SIGNATURE="t=1,v1=00",
        )
        assert_error(response, 400)


def test_an_oversized_json_body_is_a_413(api, invoice):
    body = json.dumps({"invoice_id": str(invoice.pk), "pad": "x" * 300_000})
    assert_error(api.post("/payment/create-session/", data=body, content_type="application/json"), 413)


@pytest.mark.parametrize(
    "text",
    ['"\\ud800"', '"a\\u0000b"', "NaN", "1" * 5000, "1e999999"],
    ids=["surrogate", "nul", "nan", "bigint", "bigexp"],
)
def test_odd_json_values_in_the_token_are_a_4xx(anon, invoice, sandbox_config, text):
    body = f'{{"invoice_id": "{invoice.pk}", "invoice_token": {text}}}'
    response = anon.post("/payment/create-session/", data=body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)


@pytest.mark.parametrize(
    "header",
    [
        "t=" + "9" * 400 + ",v1=00",
        "t=-" + "9" * 400 + ",v1=" + "0" * 64,
        "t=99999999999999999999,v1=" + "0" * 64,
        "t=1e308,v1=" + "0" * 64,
        "t=,v1=",
        "v1=" + "0" * 64,
        "t=1," + ",".join(["v1=" + "0" * 64] * 5000),
        "\x00" * 10,
        "t=١٢٣,v1=" + "0" * 64,
    ],
)
def test_a_malformed_sandbox_signature_header_is_a_400_and_shows_no_secret(
    db, sandbox_secret_config, open_payment, header
):
    body = json.dumps({"id": "evt_1", "type": "session.succeeded", "data": {"session": {
        "payment_id": str(open_payment.pk)}}}).encode()
    for url in ("/payment/webhook/sandbox/", f"/payment/webhook/sandbox/{sandbox_secret_config.pk}/"):
        response = Client().post(url, data=body, content_type="application/json",
                                 HTTP_TRACKIFY_SANDBOX_SIGNATURE=header)
        assert_error(response, 400)
        assert SANDBOX_SECRET.encode() not in response.content


@pytest.mark.parametrize(
    "header",
    ["t=" + "9" * 400 + ",v1=00", "t=" + "9" * 5000 + ",v1=" + "0" * 64, "t=x,v1=y", "garbage", "t=1,v1=" + "g" * 64],
)
def test_a_malformed_stripe_signature_header_is_a_400(db, stripe_secret_config, header):
    body = json.dumps({"id": "evt_1", "object": "event", "type": "checkout.session.completed",
                       "data": {"object": {"object": "checkout.session"}}}).encode()
    response = Client().post(f"/payment/webhook/stripe/{stripe_secret_config.pk}/", data=body,
                             content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert_error(response, 400)
    assert all(secret.encode() not in response.content for secret in KNOWN_SECRETS)


@pytest.mark.parametrize("value", ["a\x00b", "\udcff", "x" * 300, "é" * 10])
def test_odd_idempotency_keys_and_tokens_are_a_4xx(api, anon, invoice, open_payment, value):
    response = api.post(
        "/payment/create-session/", data=json.dumps({"invoice_id": str(invoice.pk)}),
        content_type="application/json", HTTP_IDEMPOTENCY_KEY=value,
    )
    assert_error(response, 400)
    assert_error(anon.get(f"/payment/status/{open_payment.pk}/", HTTP_X_INVOICE_TOKEN=value), 404)
    assert_error(anon.get(f"/payment/status/{open_payment.pk}/?token=%00%ED%B3%BF"), 404)
    assert_error(anon.get(f"/payment/invoice/{invoice.pk}/gateway/", HTTP_X_INVOICE_TOKEN=value), 404)


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("[" * 32 + "]" * 32, False),  # exactly as deep as allowed
        ("[" * 33 + "]" * 33, True),
        ('{"a": "' + "[" * 100 + '"}', False),  # brackets in a string are not nesting
        ("[" + ", ".join(["{}"] * 100) + "]", False),  # many brackets, shallow
        ('{"a": "' + "[" * 40 + '", "b": ' + "[" * 33 + "]" * 33 + "}", True),
        ("[" * 33, True),  # unterminated and deep: refused before the parser sees it
    ],
)
def test_the_depth_check_counts_nesting_not_brackets(text, refused):
    from trackify.common.untrusted import InputError, load_json

    if refused:
        with pytest.raises(InputError, match="nested more than 32"):
            load_json(text)
    else:
        load_json(text)
