"""A config's decrypted credentials are kept per process, and never served once the config changed."""

from __future__ import annotations

import pytest
from django.test import Client

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
