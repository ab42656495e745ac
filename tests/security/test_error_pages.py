"""Finding 2: with DEBUG on, an exception inside webhook verification shows no secret on the error page."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings

from tests.security.conftest import SANDBOX_SECRET, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET
from trackify.common.secrets import Secret, SecretMapping
from trackify.payments.services.gateway_configs import gateway_for
from trackify.sandbox import provider, signing


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("failure inside signature verification")


def _debug_page(url: str, body: bytes, **headers: str) -> bytes:
    with override_settings(DEBUG=True):
        response = Client(raise_request_exception=False).post(
            url, data=body, content_type="application/json", **headers
        )
    assert response.status_code == 500
    assert b"failure inside signature verification" in response.content  # it is the technical page
    return response.content


@pytest.mark.parametrize("shared_url", [False, True])
def test_the_debug_page_of_a_failing_sandbox_verification_shows_no_secret(
    monkeypatch, sandbox_secret_config, open_payment, shared_url
):
    body = json.dumps({"id": "evt_1", "type": "session.succeeded",
                       "data": {"session": {"payment_id": str(open_payment.pk)}}}).encode()
    # The shared URL picks the config of the payment named in the body; the other, its own URL.
    config = open_payment.config if shared_url else sandbox_secret_config
    secret = config.credentials["webhook_secret"]
    header = provider.sign("not-the-secret", body)
    expected_mac = provider.sign(secret, body, int(header[2:12])).split("v1=")[1]
    monkeypatch.setattr(signing.hmac, "compare_digest", _boom)
    url = "/payment/webhook/sandbox/" if shared_url else f"/payment/webhook/sandbox/{config.pk}/"
    page = _debug_page(url, body, HTTP_TRACKIFY_SANDBOX_SIGNATURE=header)
    assert b"Local vars" in page or b"Local Vars" in page
    assert secret.encode() not in page
    assert expected_mac.encode() not in page  # it would sign the attacker's own body


def test_the_debug_page_of_a_failing_stripe_verification_shows_no_secret(monkeypatch, stripe_secret_config):
    from trackify.payments.gateways.stripe import api

    monkeypatch.setattr(api.stripe.WebhookSignature, "verify_header", _boom)
    body = json.dumps({"id": "evt_1", "object": "event", "type": "checkout.session.completed",
                       "data": {"object": {"object": "checkout.session"}}}).encode()
    page = _debug_page(f"/payment/webhook/stripe/{stripe_secret_config.pk}/", body,
                       HTTP_STRIPE_SIGNATURE="t=1,v1=" + "0" * 64)
    for secret in (STRIPE_WEBHOOK_SECRET, STRIPE_SECRET_KEY):
        assert secret.encode() not in page


def test_the_debug_page_hides_secret_settings(db, settings):
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    settings.TRACKIFY_ENCRYPTION_KEYS = list(settings.TRACKIFY_ENCRYPTION_KEYS)
    from trackify.common.debug import TrackifyExceptionReporterFilter

    safe = TrackifyExceptionReporterFilter().get_safe_settings()
    assert STRIPE_WEBHOOK_SECRET not in repr(safe)
    assert settings.TRACKIFY_ENCRYPTION_KEYS[0] not in repr(safe)


def test_secret_values_hide_from_repr_and_str(sandbox_secret_config):
    secret = Secret(SANDBOX_SECRET)
    assert SANDBOX_SECRET not in f"{secret} {secret!r} {[secret]}"
    assert secret.reveal() == SANDBOX_SECRET
    mapping = SecretMapping({"webhook_secret": SANDBOX_SECRET})
    assert mapping["webhook_secret"] == SANDBOX_SECRET and dict(mapping) == {"webhook_secret": SANDBOX_SECRET}
    assert SANDBOX_SECRET not in f"{mapping} {mapping!r}"
    context = gateway_for(sandbox_secret_config).context
    assert SANDBOX_SECRET not in repr(context)
