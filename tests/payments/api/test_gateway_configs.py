"""/payment/gateways/: a user's gateway configurations. Credentials go in and never come out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from tests.conftest import post_json
from tests.payments.api.conftest import assert_error, assert_refused_to_anonymous, pay
from trackify.payments.models import PaymentGatewayConfig
from trackify.payments.services.gateway_configs import gateway_config_create

pytestmark = pytest.mark.django_db

SECRET = "whsec_thisisaverysecretvalue0042"


def patch_json(client: Any, url: str, data: Any) -> Any:
    return client.patch(url, data=json.dumps(data), content_type="application/json")


def create_config(client: Any, **body: Any) -> Any:
    return post_json(client, "/payment/gateways/", {"gateway_name": "sandbox", **body})


def assert_masked(config_json: dict[str, Any], secret: str = SECRET) -> None:
    """The secret is not in the body anywhere; its field shows only a recognisable mask."""
    assert secret not in json.dumps(config_json)
    assert config_json["credentials"]["webhook_secret"] == "whsec_…0042"


def webhook_url_of(config_id: str) -> str:
    return f"http://127.0.0.1:8000/payment/webhook/sandbox/{config_id}/"


# -- create -------------------------------------------------------------------------------------


def test_create_stores_the_config_and_answers_it_masked_with_its_webhook_url(api, user):
    response = create_config(api, display_name="My sandbox", credentials={"webhook_secret": SECRET})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["gateway_name"] == "sandbox"
    assert body["display_name"] == "My sandbox"
    assert body["flow"] == "redirect"
    assert body["test_mode"] is True
    assert body["is_active"] is True
    assert body["webhook_url"] == webhook_url_of(body["id"])
    assert_masked(body)
    stored = PaymentGatewayConfig.objects.get(pk=body["id"])
    assert stored.owner == user
    assert stored.credentials == {"webhook_secret": SECRET}
    assert SECRET not in stored.credentials_encrypted  # sealed at rest


def test_create_generates_a_webhook_secret_when_none_is_given(api):
    body = create_config(api).json()
    stored = PaymentGatewayConfig.objects.get(pk=body["id"])
    generated = stored.credentials["webhook_secret"]
    assert len(generated) >= 40
    assert generated not in json.dumps(body)


def test_create_uses_the_gateway_display_name_by_default(api):
    assert create_config(api).json()["display_name"] == "Sandbox (test payments)"


def test_first_config_becomes_the_default(api):
    assert create_config(api).json()["is_default"] is True


def test_a_second_config_does_not_take_the_default_unless_asked(api):
    first = create_config(api).json()
    second = create_config(api).json()
    assert second["is_default"] is False
    assert PaymentGatewayConfig.objects.get(pk=first["id"]).is_default is True


def test_a_new_default_config_takes_over_the_default(api, user):
    first = create_config(api).json()
    second = create_config(api, is_default=True).json()
    assert second["is_default"] is True
    assert PaymentGatewayConfig.objects.get(pk=first["id"]).is_default is False
    assert PaymentGatewayConfig.objects.filter(owner=user, is_default=True).count() == 1


def test_create_accepts_the_in_modal_flow(api):
    assert create_config(api, flow="in_modal").json()["flow"] == "in_modal"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"flow": "carrier_pigeon"}, "flow"),
        ({"credentials": {"api_key": "x"}}, "api_key"),
        ({"credentials": "not-an-object"}, "credentials"),
        ({"credentials": {"webhook_secret": "x" * 501}}, "credentials"),
        ({"display_name": "x" * 101}, "display_name"),
        ({"test_mode": "perhaps"}, "test_mode"),
    ],
)
def test_create_refuses_invalid_values_with_400(api, body, field):
    response = create_config(api, **body)
    error = assert_error(response, 400, "invalid")
    assert field in json.dumps(error)
    assert not PaymentGatewayConfig.objects.exists()


def test_create_refuses_a_missing_gateway_name_with_400(api):
    assert_error(post_json(api, "/payment/gateways/", {}), 400, "invalid")


def test_create_refuses_an_unknown_gateway_name_with_400(api):
    error = assert_error(create_config(api, gateway_name="not-a-gateway"), 400, "invalid")
    assert "gateway_name" in error["fields"]
    assert not PaymentGatewayConfig.objects.exists()


def test_create_refuses_malformed_json_with_400(api):
    response = api.post("/payment/gateways/", data="{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


@pytest.mark.parametrize("method", ["get", "post"])
def test_configs_need_authentication(anon, method):
    assert_refused_to_anonymous(getattr(anon, method)("/payment/gateways/"))


# -- list and get -------------------------------------------------------------------------------


def test_list_shows_only_your_own_configs_masked(api, other_api):
    mine = create_config(api, credentials={"webhook_secret": SECRET}).json()
    create_config(other_api, display_name="Not yours")
    response = api.get("/payment/gateways/")
    assert response.status_code == 200
    listed = response.json()
    assert [c["id"] for c in listed] == [mine["id"]]
    assert_masked(listed[0])
    assert listed[0]["webhook_url"] == webhook_url_of(mine["id"])


def test_get_answers_your_config_masked(api):
    created = create_config(api, credentials={"webhook_secret": SECRET}).json()
    response = api.get(f"/payment/gateways/{created['id']}/")
    assert response.status_code == 200
    assert response.json()["id"] == created["id"]
    assert_masked(response.json())
    assert response.json()["webhook_url"] == webhook_url_of(created["id"])


def test_another_users_config_is_not_found_for_every_method(api, other_api):
    config_id = create_config(api).json()["id"]
    url = f"/payment/gateways/{config_id}/"
    assert_error(other_api.get(url), 404, "not_found")
    assert_error(patch_json(other_api, url, {"display_name": "Mine now"}), 404, "not_found")
    assert_error(other_api.delete(url), 404, "not_found")
    assert_error(other_api.post(f"{url}default/"), 404, "not_found")
    assert_error(other_api.post(f"{url}test-connection/"), 404, "not_found")
    config = PaymentGatewayConfig.objects.get(pk=config_id)
    assert config.display_name != "Mine now"


def test_an_unknown_config_id_is_not_found(api):
    url = "/payment/gateways/00000000-0000-4000-8000-000000000000/"
    assert_error(api.get(url), 404, "not_found")
    assert_error(patch_json(api, url, {"display_name": "x"}), 404, "not_found")
    assert_error(api.delete(url), 404, "not_found")
    assert_error(api.post(f"{url}default/"), 404, "not_found")
    assert_error(api.post(f"{url}test-connection/"), 404, "not_found")


def test_a_malformed_config_id_is_a_json_404(api):
    assert_error(api.get("/payment/gateways/not-a-uuid/"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("patch", ""), ("delete", ""), ("post", "default/"), ("post", "test-connection/")],
)
def test_config_detail_endpoints_need_authentication(anon, sandbox_config, method, suffix):
    response = getattr(anon, method)(f"/payment/gateways/{sandbox_config.pk}/{suffix}")
    assert_refused_to_anonymous(response)


def test_put_is_not_allowed(api, sandbox_config):
    response = api.put(f"/payment/gateways/{sandbox_config.pk}/", data="{}", content_type="application/json")
    assert_error(response, 405, "method_not_allowed")


# -- patch --------------------------------------------------------------------------------------


def test_patch_changes_what_is_given_and_answers_masked(api):
    created = create_config(api, credentials={"webhook_secret": SECRET}).json()
    url = f"/payment/gateways/{created['id']}/"
    response = patch_json(api, url, {"display_name": "Renamed", "flow": "in_modal", "is_active": False})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["display_name"], body["flow"], body["is_active"]) == ("Renamed", "in_modal", False)
    assert body["webhook_url"] == webhook_url_of(created["id"])
    assert_masked(body)
    assert PaymentGatewayConfig.objects.get(pk=created["id"]).credentials == {"webhook_secret": SECRET}


def test_patch_replaces_credentials_write_only(api):
    created = create_config(api, credentials={"webhook_secret": SECRET}).json()
    new_secret = "whsec_anothersecretvalue9999"
    response = patch_json(api, f"/payment/gateways/{created['id']}/", {"credentials": {"webhook_secret": new_secret}})
    assert response.status_code == 200
    assert new_secret not in json.dumps(response.json())
    assert response.json()["credentials"]["webhook_secret"] == "whsec_…9999"
    assert PaymentGatewayConfig.objects.get(pk=created["id"]).credentials == {"webhook_secret": new_secret}


STRIPE_KEYS = {
    "secret_key": "sk_test_oldsecret0123456789",
    "publishable_key": "pk_test_publishable0123456789",
    "webhook_secret": "whsec_oldsigningsecret0123456789",
}


def create_stripe(client: Any) -> dict[str, Any]:
    response = post_json(client, "/payment/gateways/", {"gateway_name": "stripe", "credentials": STRIPE_KEYS})
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_patch_replaces_one_secret_and_keeps_the_credentials_it_omits(api):
    """The settings page's edit form sends only the secrets typed; those left empty must stay as stored."""
    created = create_stripe(api)
    new_key = "sk_test_newsecret9876543210"
    body = {"display_name": "Stripe EU", "credentials": {"secret_key": new_key}}
    response = patch_json(api, f"/payment/gateways/{created['id']}/", body)
    assert response.status_code == 200, response.content
    assert new_key not in json.dumps(response.json())
    assert response.json()["credentials"]["secret_key"] == "sk_test_…3210"
    stored = PaymentGatewayConfig.objects.get(pk=created["id"])
    assert stored.display_name == "Stripe EU"
    assert stored.credentials == {**STRIPE_KEYS, "secret_key": new_key}


def test_patch_refuses_a_bad_credential_on_its_field_and_keeps_the_stored_ones(api):
    created = create_stripe(api)
    body = {"credentials": {"secret_key": "pk_test_wrongfield0123456789"}}
    error = assert_error(patch_json(api, f"/payment/gateways/{created['id']}/", body), 400, "invalid")
    assert error["field"] == "secret_key"
    assert "pk_test_wrongfield0123456789" not in json.dumps(error)
    assert PaymentGatewayConfig.objects.get(pk=created["id"]).credentials == STRIPE_KEYS


@pytest.mark.parametrize(
    "body",
    [{"flow": "fax"}, {"credentials": {"unknown_field": "x"}}, {"display_name": ""}, {"is_default": "sometimes"}],
)
def test_patch_refuses_invalid_values_and_changes_nothing(api, body):
    created = create_config(api, credentials={"webhook_secret": SECRET}).json()
    response = patch_json(api, f"/payment/gateways/{created['id']}/", body)
    assert_error(response, 400, "invalid")
    stored = PaymentGatewayConfig.objects.get(pk=created["id"])
    assert (stored.flow, stored.display_name) == ("redirect", created["display_name"])
    assert stored.credentials == {"webhook_secret": SECRET}


def test_patch_is_default_false_leaves_no_default(api, user):
    created = create_config(api).json()
    response = patch_json(api, f"/payment/gateways/{created['id']}/", {"is_default": False})
    assert response.json()["is_default"] is False
    assert not PaymentGatewayConfig.objects.filter(owner=user, is_default=True).exists()


# -- default ------------------------------------------------------------------------------------


def test_set_default_moves_the_default_and_keeps_one_per_user(api, user):
    first = create_config(api).json()
    second = create_config(api).json()
    response = api.post(f"/payment/gateways/{second['id']}/default/")
    assert response.status_code == 200
    assert response.json()["is_default"] is True
    assert response.json()["webhook_url"] == webhook_url_of(second["id"])
    defaults = PaymentGatewayConfig.objects.filter(owner=user, is_default=True)
    assert [str(c.pk) for c in defaults] == [second["id"]]
    assert api.get(f"/payment/gateways/{first['id']}/").json()["is_default"] is False


def test_set_default_answers_the_config_masked(api):
    create_config(api)
    second = create_config(api, credentials={"webhook_secret": SECRET}).json()
    response = api.post(f"/payment/gateways/{second['id']}/default/")
    assert_masked(response.json())


def test_set_default_does_not_touch_another_users_default(api, other_api, other_user):
    theirs = create_config(other_api).json()
    mine = create_config(api).json()
    api.post(f"/payment/gateways/{mine['id']}/default/")
    assert PaymentGatewayConfig.objects.get(pk=theirs["id"]).is_default is True


def test_the_database_refuses_a_second_default_for_one_user(user):
    gateway_config_create(owner=user, gateway_name="sandbox", is_default=True)
    second = gateway_config_create(owner=user, gateway_name="sandbox")
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentGatewayConfig.objects.filter(pk=second.pk).update(is_default=True)


def test_two_users_may_each_have_a_default(user, other_user):
    gateway_config_create(owner=user, gateway_name="sandbox", is_default=True)
    gateway_config_create(owner=other_user, gateway_name="sandbox", is_default=True)
    assert PaymentGatewayConfig.objects.filter(is_default=True).count() == 2


# -- test connection ----------------------------------------------------------------------------


def test_test_connection_reports_on_the_sandbox(api, sandbox_config):
    response = api.post(f"/payment/gateways/{sandbox_config.pk}/test-connection/")
    assert response.status_code == 200
    message = "Sandbox (test payments) needs no remote account; nothing to check."
    assert response.json() == {"ok": True, "message": message}


# -- delete -------------------------------------------------------------------------------------


def test_delete_removes_a_config_nothing_uses(api):
    config_id = create_config(api).json()["id"]
    response = api.delete(f"/payment/gateways/{config_id}/")
    assert response.status_code == 204
    assert not PaymentGatewayConfig.objects.filter(pk=config_id).exists()
    assert_error(api.get(f"/payment/gateways/{config_id}/"), 404, "not_found")


def test_delete_archives_a_config_that_payments_use(api, invoice, sandbox_config):
    pay(api, invoice)
    response = api.delete(f"/payment/gateways/{sandbox_config.pk}/")
    assert response.status_code == 204
    archived = PaymentGatewayConfig.objects.get(pk=sandbox_config.pk)  # still there, for its payments
    assert archived.archived_at is not None
    assert (archived.is_active, archived.is_default) == (False, False)
    assert api.get("/payment/gateways/").json() == []
    assert_error(api.get(f"/payment/gateways/{sandbox_config.pk}/"), 404, "not_found")
    assert_error(api.delete(f"/payment/gateways/{sandbox_config.pk}/"), 404, "not_found")
    assert_error(api.post(f"/payment/gateways/{sandbox_config.pk}/default/"), 404, "not_found")


def test_after_the_default_is_archived_a_new_config_becomes_default(api, invoice, sandbox_config):
    pay(api, invoice)
    api.delete(f"/payment/gateways/{sandbox_config.pk}/")
    assert create_config(api).json()["is_default"] is True


def test_a_config_whose_gateway_is_no_longer_enabled_still_lists_fully_masked(api, settings):
    created = create_config(api, credentials={"webhook_secret": SECRET}).json()
    settings.PAYMENT_GATEWAYS = {}  # e.g. the sandbox turned off on this deployment
    response = api.get("/payment/gateways/")
    assert response.status_code == 200, response.content
    assert [c["id"] for c in response.json()] == [created["id"]]
    assert_masked(response.json()[0])
    detail = api.get(f"/payment/gateways/{created['id']}/")
    assert detail.status_code == 200
    assert_masked(detail.json())
