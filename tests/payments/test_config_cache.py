"""A config's decrypted credentials are kept per process, and never served once the config changed."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from tests.payments.webhooks.sandbox_events import deliver, session_payload, signed
from trackify.payments import crypto
from trackify.payments.models import PaymentGatewayConfig
from trackify.payments.services.gateway_configs import gateway_config_update, gateway_for


def test_credentials_are_decrypted_once_per_process(sandbox_config):
    crypto._decrypt_cached.cache_clear()
    for _ in range(5):
        gateway_for(PaymentGatewayConfig.objects.get(pk=sandbox_config.pk))
    info = crypto._decrypt_cached.cache_info()
    assert (info.misses, info.hits) == (1, 4)


def test_each_reader_gets_its_own_copy(sandbox_config):
    first = PaymentGatewayConfig.objects.get(pk=sandbox_config.pk).credentials
    first["webhook_secret"] = "changed by a careless caller"
    again = PaymentGatewayConfig.objects.get(pk=sandbox_config.pk).credentials
    assert again["webhook_secret"] != first["webhook_secret"]


def test_a_changed_secret_is_used_at_once_and_the_old_one_refused(open_payment):
    client = Client()
    old_secret = open_payment.config.credentials["webhook_secret"]
    first = signed(open_payment, session_payload(open_payment, "processing"))
    assert deliver(client, open_payment, *first).status_code == 200

    gateway_config_update(config=open_payment.config, credentials={"webhook_secret": "whsec_rotated_secret_0001"})

    old = signed(open_payment, session_payload(open_payment, "succeeded"), secret=old_secret)
    assert deliver(client, open_payment, *old).status_code == 400
    new = signed(open_payment, session_payload(open_payment, "succeeded"), secret="whsec_rotated_secret_0001")
    response = deliver(client, open_payment, *new)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "processed"


def test_changed_encryption_keys_start_afresh(sandbox_config, settings):
    _ = PaymentGatewayConfig.objects.get(pk=sandbox_config.pk).credentials
    settings.TRACKIFY_ENCRYPTION_KEYS = [crypto.generate_key()]
    with pytest.raises(crypto.CredentialsUnreadable):
        _ = PaymentGatewayConfig.objects.get(pk=sandbox_config.pk).credentials


def changed_elsewhere(config, **credentials):
    """A change made by another process: this one's cache hears nothing of it (no signal here)."""
    merged = {**config.credentials, **credentials}
    PaymentGatewayConfig.objects.filter(pk=config.pk).update(
        credentials_encrypted=crypto.encrypt_json(merged), updated_at=timezone.now()
    )


def test_a_secret_changed_by_another_process_is_used_and_the_old_one_refused(open_payment):
    client = Client()
    old_secret = open_payment.config.credentials["webhook_secret"]
    warm = signed(open_payment, session_payload(open_payment, "processing"))
    assert deliver(client, open_payment, *warm).status_code == 200  # the config is now cached

    changed_elsewhere(open_payment.config, webhook_secret="whsec_set_elsewhere_0001")

    old = signed(open_payment, session_payload(open_payment, "succeeded"), secret=old_secret)
    assert deliver(client, open_payment, *old).status_code == 400
    new = signed(open_payment, session_payload(open_payment, "succeeded"), secret="whsec_set_elsewhere_0001")
    response = deliver(client, open_payment, *new)
    assert (response.status_code, response.json()["status"]) == (200, "processed")


def test_a_cached_config_is_checked_by_the_delivery_that_applies(open_payment):
    """Signed with the old secret while the cache still verifies it: the locking read sees the change."""
    client = Client()
    old_secret = open_payment.config.credentials["webhook_secret"]
    warm = signed(open_payment, session_payload(open_payment, "processing"))
    assert deliver(client, open_payment, *warm).status_code == 200  # the config is now cached
    changed_elsewhere(open_payment.config, webhook_secret="whsec_set_elsewhere_0002")

    late = signed(open_payment, session_payload(open_payment, "succeeded"), secret=old_secret)
    assert deliver(client, open_payment, *late).status_code == 400
    assert PaymentGatewayConfig.objects.get(pk=open_payment.config_id).payments.get().status == "processing"


def test_events_that_lock_nothing_check_the_config_too(open_payment):
    client = Client()
    old_secret = open_payment.config.credentials["webhook_secret"]
    warm = signed(open_payment, session_payload(open_payment, "processing"))
    assert deliver(client, open_payment, *warm).status_code == 200  # the config is now cached
    changed_elsewhere(open_payment.config, webhook_secret="whsec_set_elsewhere_0003")

    unknown = session_payload(open_payment, "succeeded", event_type="session.something_new")
    assert deliver(client, open_payment, *signed(open_payment, unknown, secret=old_secret)).status_code == 400


def test_a_cached_config_keeps_its_gateway_and_a_config_read_afresh_gets_a_new_one(open_payment):
    from trackify.payments.services import config_cache

    config, _ = config_cache.webhook_config(open_payment.config_id, "sandbox")
    gateway = config_cache.gateway_of(config)
    assert config_cache.gateway_of(config) is gateway
    assert config_cache.webhook_config(open_payment.config_id, "sandbox")[0] is config  # from the cache
    fresh = config_cache.reload(config)
    assert fresh is not config
    assert config_cache.gateway_of(fresh) is not gateway
    assert config_cache.gateway_of(fresh).context.config_id == config.pk
