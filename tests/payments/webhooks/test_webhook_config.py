"""Every delivery reads its config: a changed secret or rotated keys are used at once, in every process."""

from __future__ import annotations

from django.core.management import call_command
from django.test import Client

from tests.payments.webhooks.sandbox_events import deliver, session_payload, signed
from trackify.payments import crypto
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig


def test_a_secret_changed_by_another_process_is_used_by_the_next_delivery(open_payment):
    old_secret = open_payment.config.credentials["webhook_secret"]
    assert (
        deliver(Client(), open_payment, *signed(open_payment, session_payload(open_payment, "processing"))).status_code
        == 200
    )

    # Another process changes the secret: a queryset update sends no signal to this one.
    sealed = crypto.encrypt_json({**open_payment.config.credentials, "webhook_secret": "a-new-secret-value"})
    PaymentGatewayConfig.objects.filter(pk=open_payment.config_id).update(credentials_encrypted=sealed)

    stale = signed(open_payment, session_payload(open_payment, "succeeded"), secret=old_secret)
    assert deliver(Client(), open_payment, *stale).status_code == 400
    fresh = signed(open_payment, session_payload(open_payment, "succeeded"), secret="a-new-secret-value")
    assert deliver(Client(), open_payment, *fresh).status_code == 200
    assert InvoicePayment.objects.get(pk=open_payment.pk).status == "succeeded"


def test_after_a_key_rotation_deliveries_verify_with_only_the_new_key(open_payment, settings):
    old_key, new_key = settings.TRACKIFY_ENCRYPTION_KEYS[0], crypto.generate_key()
    assert (
        deliver(Client(), open_payment, *signed(open_payment, session_payload(open_payment, "processing"))).status_code
        == 200
    )
    before = PaymentGatewayConfig.objects.get(pk=open_payment.config_id)

    settings.TRACKIFY_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.TRACKIFY_ENCRYPTION_KEYS = [new_key]  # the old key is gone at once

    after = PaymentGatewayConfig.objects.get(pk=open_payment.config_id)
    assert after.credentials_encrypted != before.credentials_encrypted
    assert after.updated_at > before.updated_at  # every change of a config moves its version
    payment = InvoicePayment.objects.select_related("config").get(pk=open_payment.pk)
    response = deliver(Client(), payment, *signed(payment, session_payload(payment, "succeeded")))
    assert response.status_code == 200, response.content
    assert InvoicePayment.objects.get(pk=open_payment.pk).status == "succeeded"
