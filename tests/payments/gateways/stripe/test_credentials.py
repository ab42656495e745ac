"""Stripe credentials are checked on save: forms, test/live agreement, live refused where asked.

Errors name the field and the expected form; they never repeat the value given.
"""

from __future__ import annotations

from typing import Any

import pytest

from trackify.common.errors import ValidationFailed
from trackify.payments.gateways.stripe import StripeGateway

SK_TEST = "sk_test_" + "a1B2c3D4e5" * 10
RK_TEST = "rk_test_" + "Z9y8X7w6V5" * 10
PK_TEST = "pk_test_" + "q1W2e3R4t5" * 10
SK_LIVE = "sk_live_" + "m1N2b3V4c5" * 10
PK_LIVE = "pk_live_" + "p0O9i8U7y6" * 10
WHSEC = "whsec_" + "k3J4h5G6f7" * 4


def clean(test_mode: bool = True, **credentials: str) -> dict[str, str]:
    return StripeGateway.clean_credentials(credentials, test_mode=test_mode)


def refused(field: str, *, test_mode: bool = True, **credentials: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        clean(test_mode, **credentials)
    assert caught.value.field == field
    for value in credentials.values():
        assert value.strip() not in caught.value.message or len(value.strip()) < 8
    return caught.value


def test_test_keys_with_a_webhook_secret_are_accepted_and_trimmed() -> None:
    cleaned = clean(secret_key=f"  {SK_TEST} ", publishable_key=PK_TEST, webhook_secret=WHSEC)
    assert cleaned == {"secret_key": SK_TEST, "publishable_key": PK_TEST, "webhook_secret": WHSEC}


def test_a_restricted_key_is_accepted_as_the_secret_key() -> None:
    assert clean(secret_key=RK_TEST, publishable_key=PK_TEST)["secret_key"] == RK_TEST


def test_the_webhook_secret_may_be_added_later() -> None:
    # The per-config webhook URL exists only once the config does, and Stripe's whsec_ comes after.
    assert clean(secret_key=SK_TEST, publishable_key=PK_TEST, webhook_secret="") == {
        "secret_key": SK_TEST,
        "publishable_key": PK_TEST,
    }


def test_live_keys_in_a_live_config_are_accepted(settings: Any) -> None:
    settings.TRACKIFY_TEST_MODE_ONLY = False
    assert clean(False, secret_key=SK_LIVE, publishable_key=PK_LIVE)["secret_key"] == SK_LIVE


def test_live_keys_are_refused_where_the_settings_say_test_mode_only(settings: Any) -> None:
    settings.TRACKIFY_TEST_MODE_ONLY = True
    error = refused("secret_key", test_mode=False, secret_key=SK_LIVE, publishable_key=PK_LIVE)
    assert "test keys only" in error.message


@pytest.mark.parametrize(
    ("secret", "publishable"),
    [(SK_TEST, PK_LIVE), (SK_LIVE, PK_TEST)],
)
def test_secret_and_publishable_keys_must_agree_on_test_or_live(secret: str, publishable: str) -> None:
    error = refused("publishable_key", secret_key=secret, publishable_key=publishable)
    assert "same mode" in error.message


def test_live_keys_in_a_test_config_are_refused(settings: Any) -> None:
    settings.TRACKIFY_TEST_MODE_ONLY = False
    error = refused("secret_key", test_mode=True, secret_key=SK_LIVE, publishable_key=PK_LIVE)
    assert "live keys" in error.message and "test mode" in error.message


def test_test_keys_in_a_live_config_are_refused() -> None:
    refused("secret_key", test_mode=False, secret_key=SK_TEST, publishable_key=PK_TEST)


@pytest.mark.parametrize(
    ("field", "credentials", "hint"),
    [
        ("secret_key", {"secret_key": PK_TEST, "publishable_key": PK_TEST}, "publishable key"),
        ("secret_key", {"secret_key": "sk_test_short", "publishable_key": PK_TEST}, ""),
        ("secret_key", {"secret_key": "sk_prod_" + "a" * 30, "publishable_key": PK_TEST}, ""),
        ("secret_key", {"secret_key": "hello", "publishable_key": PK_TEST}, ""),
        ("publishable_key", {"secret_key": SK_TEST, "publishable_key": SK_TEST}, "secret key"),
        ("publishable_key", {"secret_key": SK_TEST, "publishable_key": "pk_test_has spaces in it"}, ""),
        ("webhook_secret", {"secret_key": SK_TEST, "publishable_key": PK_TEST, "webhook_secret": SK_TEST}, "secret"),
        ("webhook_secret", {"secret_key": SK_TEST, "publishable_key": PK_TEST, "webhook_secret": "whsec_!!"}, ""),
        ("secret_key", {"secret_key": WHSEC, "publishable_key": PK_TEST}, "webhook signing secret"),
    ],
)
def test_each_key_must_have_its_form(field: str, credentials: dict[str, str], hint: str) -> None:
    error = refused(field, **credentials)
    assert hint in error.message


def test_missing_keys_and_unknown_fields_are_refused() -> None:
    refused("secret_key", publishable_key=PK_TEST)
    refused("publishable_key", secret_key=SK_TEST)
    refused("api_key", secret_key=SK_TEST, publishable_key=PK_TEST, api_key="x")


def test_the_form_names_which_fields_are_secret() -> None:
    fields = {spec.name: spec for spec in StripeGateway.credential_fields}
    assert fields["secret_key"].secret and fields["webhook_secret"].secret
    assert not fields["publishable_key"].secret
    assert not fields["webhook_secret"].required
