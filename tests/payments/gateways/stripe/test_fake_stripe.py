"""The fake Stripe server itself: shaped like Stripe's objects, and behaving like Stripe's API.

The shapes are checked against Stripe's own examples in `../shared/fixtures/stripe/fixtures3.json`
(relative to the project root) where that file is present; a fresh clone skips that check.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fakes.fake_stripe import Account, FakeStripe, parse_form
from tests.payments.gateways.stripe.conftest import session_request
from trackify.payments.gateways.types import PaymentFlow

PROJECT_ROOT = Path(__file__).resolve().parents[4]
FIXTURES = PROJECT_ROOT.parent / "shared" / "fixtures" / "stripe" / "fixtures3.json"


@pytest.fixture(scope="module")
def stripe_examples() -> dict[str, Any]:
    if not FIXTURES.exists():
        pytest.skip(f"Stripe's example objects are not here ({FIXTURES} is absent; it is not part of the project)")
    return json.loads(FIXTURES.read_text())["resources"]


def _kind(value: Any) -> str:
    return {bool: "bool", int: "number", float: "number", str: "string", dict: "object", list: "array"}[type(value)]


def assert_shaped_like(ours: dict[str, Any], example: dict[str, Any], resource: str) -> None:
    missing = sorted(set(example) - set(ours))
    assert not missing, f"the fake's {resource} lacks Stripe's fields {missing}"
    for key, value in example.items():
        if value is not None and ours[key] is not None:
            assert _kind(ours[key]) == _kind(value), f"{resource}.{key}: {_kind(ours[key])} vs Stripe's {_kind(value)}"


@pytest.fixture
def objects_from_a_full_flow(make_gateway, stripe_account: Account, fake_stripe: FakeStripe) -> dict[str, Any]:
    """One of each resource, as the fake serves it over HTTP and puts it in events."""
    gateway = make_gateway()
    session_id = gateway.create_payment_session(session_request()).gateway_reference
    events = stripe_account.pay_checkout(session_id)
    intent_id = stripe_account.sessions[session_id]["payment_intent"]
    events += stripe_account.dashboard_refund(intent_id, 100)
    headers = {"Authorization": f"Bearer {stripe_account.secret_key}"}

    def get(path: str) -> dict[str, Any]:
        response = requests.get(f"{fake_stripe.url}{path}", headers=headers, timeout=5)
        assert response.status_code == 200, response.text
        return response.json()

    by_type = {event["type"]: event for event in events}
    return {
        "checkout.session": get(f"/v1/checkout/sessions/{session_id}"),
        "payment_intent": get(f"/v1/payment_intents/{intent_id}"),
        "charge": by_type["charge.succeeded"]["data"]["object"],
        "refund": by_type["refund.created"]["data"]["object"],
        "event": by_type["checkout.session.completed"],
        "balance": get("/v1/balance"),
    }


@pytest.mark.parametrize("resource", ["checkout.session", "payment_intent", "charge", "refund", "event", "balance"])
def test_the_fakes_objects_have_the_fields_of_stripes_own(stripe_examples, objects_from_a_full_flow, resource) -> None:
    ours = objects_from_a_full_flow[resource]
    assert ours["object"] == resource
    assert_shaped_like(ours, stripe_examples[resource], resource)


def test_the_fakes_in_modal_objects_have_stripes_fields(stripe_examples, make_gateway, stripe_account) -> None:
    intent_id = make_gateway(flow=PaymentFlow.IN_MODAL).create_payment_session(session_request()).gateway_reference
    [failed] = [e for e in stripe_account.confirm_intent(intent_id, "declined")]
    assert_shaped_like(failed["data"]["object"], stripe_examples["payment_intent"], "payment_intent")


# -- behaviour -----------------------------------------------------------------------------------


def post(fake: FakeStripe, path: str, data: dict[str, str], key: str, idempotency_key: str = "") -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return requests.post(f"{fake.url}{path}", data=data, headers=headers, timeout=5)


def test_an_unknown_key_gets_stripes_401_with_the_key_masked(fake_stripe: FakeStripe) -> None:
    response = post(fake_stripe, "/v1/payment_intents", {"amount": "100", "currency": "eur"}, "sk_test_" + "N" * 40)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == f"Invalid API Key provided: sk_test_{'*' * 36}NNNN"
    assert response.headers["Request-Id"].startswith("req_")


def test_same_idempotency_key_same_answer_other_parameters_refused(fake_stripe, stripe_account) -> None:
    data = {"amount": "100", "currency": "eur"}
    first = post(fake_stripe, "/v1/payment_intents", data, stripe_account.secret_key, "key-1")
    again = post(fake_stripe, "/v1/payment_intents", data, stripe_account.secret_key, "key-1")
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(stripe_account.intents) == 1
    other = post(fake_stripe, "/v1/payment_intents", {**data, "amount": "200"}, stripe_account.secret_key, "key-1")
    assert other.status_code == 400
    assert other.json()["error"]["type"] == "idempotency_error"


def test_keys_are_scoped_to_their_account(fake_stripe: FakeStripe, stripe_account: Account) -> None:
    other = fake_stripe.add_account()
    data = {"amount": "100", "currency": "eur"}
    post(fake_stripe, "/v1/payment_intents", data, stripe_account.secret_key, "key-1")
    post(fake_stripe, "/v1/payment_intents", data, other.secret_key, "key-1")
    assert len(stripe_account.intents) == len(other.intents) == 1


def test_validation_errors_are_not_saved_under_the_idempotency_key(fake_stripe, stripe_account) -> None:
    key = stripe_account.secret_key
    bad = post(fake_stripe, "/v1/payment_intents", {"currency": "eur"}, key, "key-2")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "amount"
    good = post(fake_stripe, "/v1/payment_intents", {"currency": "eur", "amount": "5"}, key, "key-2")
    assert good.status_code == 200


def test_unknown_urls_and_objects_answer_404(fake_stripe: FakeStripe, stripe_account: Account) -> None:
    headers = {"Authorization": f"Bearer {stripe_account.secret_key}"}
    assert requests.get(f"{fake_stripe.url}/v1/nothing", headers=headers, timeout=5).status_code == 404
    missing = requests.get(f"{fake_stripe.url}/v1/payment_intents/pi_nope", headers=headers, timeout=5)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"


def test_checkout_sessions_respect_stripes_expiry_window(fake_stripe, stripe_account) -> None:
    data = {
        "mode": "payment",
        "success_url": "https://example.com/ok",
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "100",
        "line_items[0][price_data][product_data][name]": "x",
        "expires_at": "1",
    }
    response = post(fake_stripe, "/v1/checkout/sessions", data, stripe_account.secret_key)
    assert response.status_code == 400 and response.json()["error"]["param"] == "expires_at"


def test_form_parsing_follows_the_sdks_encoding() -> None:
    parsed = parse_form(
        [("a[0][b]", "1"), ("a[0][c][d]", "x"), ("a[1][b]", "2"), ("m[k]", "v"), ("expand[0]", "payment_intent")]
    )
    assert parsed == {"a": [{"b": "1", "c": {"d": "x"}}, {"b": "2"}], "m": {"k": "v"}, "expand": ["payment_intent"]}


def test_the_fake_listens_on_loopback_only(fake_stripe: FakeStripe) -> None:
    assert fake_stripe.url.startswith("http://127.0.0.1:")
