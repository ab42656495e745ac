"""Property: whatever bytes and headers arrive, every webhook URL and JSON endpoint answers 2xx or 4xx.

Hypothesis draws bodies (raw bytes, odd JSON, deep nesting, huge numbers) and headers (content
types, signature headers, tokens, idempotency keys) and sends them through the whole HTTP stack.
"""

from __future__ import annotations

import json
import string
from typing import Any

from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import client_for

FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40),
    st.sampled_from(["100.00", "1_0", "\u0661\u0660", "\uff10.\uff15", "-1", "1e999", "", "0", "12.345", "NaN"]),
)
json_values = st.recursive(
    json_leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def bodies(draw: Any, known: dict[str, str]) -> bytes:
    kind = draw(st.sampled_from(["bytes", "json", "object", "deep", "literal"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "object":  # plausible field names with hostile values, so validation runs deep
        keys = st.sampled_from([*known, "amount", "outcome", "invoice_token", "data", "id", "type", "credentials"])
        obj = draw(st.dictionaries(keys, json_values | st.sampled_from(list(known.values())), max_size=5))
        return json.dumps(obj).encode()
    if kind == "deep":
        depth = draw(st.sampled_from([33, 2_000, 30_000]) | st.integers(min_value=30, max_value=50_000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        return (opener * depth + "1" + closer * depth).encode()
    return draw(st.sampled_from([b"1" * 6000, b"1e99999999", b"-0", b'"\\ud800"', b'{"a":"\\u0000"}', b"NaN", b""]))


header_text = st.text(alphabet=st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=80)
signature_text = st.one_of(
    header_text,
    st.builds(lambda t, v: f"t={t},v1={v}", st.integers(min_value=-(10**500), max_value=10**500),
              st.text(alphabet=string.hexdigits, max_size=70)),
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "CONTENT_TYPE": st.sampled_from(
            ["application/json", "application/json; charset=utf-16", "application/json; charset=nope", "text/plain",
             "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", ""]
        ),
        "HTTP_TRACKIFY_SANDBOX_SIGNATURE": signature_text,
        "HTTP_STRIPE_SIGNATURE": signature_text,
        "HTTP_X_INVOICE_TOKEN": header_text,
        "HTTP_IDEMPOTENCY_KEY": header_text,
    },
)


def _send(client: Client, method: str, url: str, body: bytes, extra: dict[str, str]) -> Any:
    content_type = extra.pop("CONTENT_TYPE", "application/json")
    # generic() sends the bytes as they are (post() re-encodes them to the declared charset)
    return client.generic(method.upper(), url, data=body, content_type=content_type, **extra)


def _assert_no_server_error(response: Any, url: str) -> None:
    assert response.status_code < 500, (url, response.status_code, response.content[:300])
    if response.status_code >= 400 and response["Content-Type"].startswith("application/json"):
        assert set(response.json()) == {"error"}, response.content[:300]


def test_webhook_urls_never_answer_5xx(db, sandbox_config, open_payment, make_user):
    from tests.security.conftest import STRIPE_WEBHOOK_SECRET
    from trackify.payments.services.gateway_configs import gateway_config_create

    stripe = gateway_config_create(
        owner=make_user(), gateway_name="stripe",
        credentials={"secret_key": "sk_test_fuzz0123456789", "publishable_key": "pk_test_fuzz0123456789",
                     "webhook_secret": STRIPE_WEBHOOK_SECRET},
    )
    urls = ["/payment/webhook/sandbox/", f"/payment/webhook/sandbox/{sandbox_config.pk}/",
            "/payment/webhook/stripe/", f"/payment/webhook/stripe/{stripe.pk}/", "/payment/webhook/nope/"]
    known = {"payment_id": str(open_payment.pk)}

    @FUZZ
    @given(url=st.sampled_from(urls), body=bodies(known), extra=headers)
    def check(url: str, body: bytes, extra: dict[str, str]) -> None:
        _assert_no_server_error(_send(Client(), "post", url, body, dict(extra)), url)

    check()


def test_json_endpoints_never_answer_5xx(db, user, invoice, sandbox_config, open_payment):
    owner = client_for(user)
    endpoints = [
        ("post", "/payment/create-session/"), ("post", "/payment/gateways/"),
        ("patch", f"/payment/gateways/{sandbox_config.pk}/"), ("post", f"/payment/{open_payment.pk}/refund/"),
        ("post", f"/payment/sandbox/{open_payment.pk}/complete/"), ("post", "/invoices/"),
    ]
    known = {"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token, "gateway_name": "sandbox"}

    @FUZZ
    @given(endpoint=st.sampled_from(endpoints), authenticated=st.booleans(), body=bodies(known), extra=headers)
    def check(endpoint: tuple[str, str], authenticated: bool, body: bytes, extra: dict[str, str]) -> None:
        method, url = endpoint
        _assert_no_server_error(_send(owner if authenticated else Client(), method, url, body, dict(extra)), url)

    check()
