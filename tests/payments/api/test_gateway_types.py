"""GET /payment/gateway-types/: the registered gateways and what each needs and can do."""

from __future__ import annotations

import pytest

from tests.payments.api.conftest import assert_error, assert_refused_to_anonymous

pytestmark = pytest.mark.django_db

def test_gateway_types_lists_the_sandbox_with_its_credential_fields_and_capabilities(api):
    response = api.get("/payment/gateway-types/")
    assert response.status_code == 200
    types = {entry["name"]: entry for entry in response.json()}
    sandbox = types["sandbox"]
    assert sandbox["display_name"] == "Sandbox (test payments)"
    assert sandbox["credential_fields"] == [
        {
            "name": "webhook_secret",
            "label": "Webhook signing secret",
            "secret": True,
            "required": False,
            "generated": True,
            "help_text": "Left empty, a random secret is generated.",
        }
    ]
    assert sandbox["capabilities"] == {
        "refunds": True,
        "partial_refunds": True,
        "flows": ["redirect", "in_modal"],
        "currencies": None,
    }


def test_gateway_types_answer_in_a_stable_order(api):
    names = [entry["name"] for entry in api.get("/payment/gateway-types/").json()]
    assert names == sorted(names)


def test_gateway_types_need_authentication(anon):
    assert_refused_to_anonymous(anon.get("/payment/gateway-types/"))


def test_gateway_types_refuse_a_wrong_api_token(anon):
    anon.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = anon.get("/payment/gateway-types/")
    assert response.status_code in (401, 403)
    assert_error(response, response.status_code, "authentication_failed")


def test_gateway_types_accept_no_post(api):
    assert_error(api.post("/payment/gateway-types/"), 405, "method_not_allowed")
