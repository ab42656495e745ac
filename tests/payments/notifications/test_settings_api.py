"""GET/PATCH /payment/notification-settings/: the owner's e-mail kinds and Reply-To."""

from __future__ import annotations

import json

import pytest

from tests.payments.api.conftest import assert_error, assert_refused_to_anonymous
from trackify.payments.models import NotificationSettings

pytestmark = pytest.mark.django_db
URL = "/payment/notification-settings/"
KINDS = list(NotificationSettings.KINDS)


def patch(client, body):
    return client.patch(URL, data=json.dumps(body), content_type="application/json")


def test_the_defaults_are_every_kind_on_and_no_reply_to(api):
    response = api.get(URL)
    assert response.status_code == 200
    assert response.json() == {"reply_to": "", "kinds": dict.fromkeys(KINDS, True)}
    assert not NotificationSettings.objects.exists()  # reading makes no row


def test_a_partial_patch_changes_only_what_is_sent(api, user):
    response = patch(api, {"kinds": {"client_receipt": False}})
    assert response.status_code == 200, response.content
    assert response.json() == {"reply_to": "", "kinds": {**dict.fromkeys(KINDS, True), "client_receipt": False}}

    response = patch(api, {"reply_to": "billing@acme.example"})
    assert response.json()["reply_to"] == "billing@acme.example"
    assert response.json()["kinds"]["client_receipt"] is False
    assert api.get(URL).json() == response.json()
    assert NotificationSettings.objects.get(owner=user).reply_to == "billing@acme.example"

    assert patch(api, {"reply_to": ""}).json()["reply_to"] == ""


def test_settings_are_per_owner(api, other_api):
    patch(api, {"kinds": {"owner_refund": False}})
    assert other_api.get(URL).json()["kinds"]["owner_refund"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"reply_to": "not an address"},
        {"reply_to": 5},
        {"kinds": {"client_receipt": "no"}},
        {"kinds": {"client_receipt": 0}},
        {"kinds": {"no_such_kind": True}},
        {"kinds": []},
    ],
)
def test_bad_input_is_a_400(api, body):
    assert_error(patch(api, body), 400)


def test_anonymous_is_refused(anon):
    assert_refused_to_anonymous(anon.get(URL))
    assert_refused_to_anonymous(patch(anon, {"reply_to": ""}))
