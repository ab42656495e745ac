"""The suite-wide secrets scan (tests/secret_scan.py) notices a leak, and walks every page with known secrets."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from tests import secret_scan
from tests.conftest import post_json
from tests.security.conftest import KNOWN_SECRETS


def test_the_scan_catches_a_secret_in_a_response_and_in_a_log_line(api, sandbox_secret_config, monkeypatch):
    from trackify.payments.api import serializers

    monkeypatch.setattr(serializers, "masked_credentials", lambda credentials, secret: dict(credentials))
    api.get("/payment/gateways/")
    logging.getLogger("trackify.test").error("oops %s", sandbox_secret_config.credentials["webhook_secret"])
    found, secret_scan.leaks[:] = list(secret_scan.leaks), []
    assert any("GET /payment/gateways/" in leak for leak in found)
    assert any("log record" in leak for leak in found)


def _admin_urls(client: Client) -> list[str]:
    from django.contrib import admin
    from django.urls import reverse

    urls = ["/admin/"]
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
        urls += [reverse(f"{prefix}_change", args=[obj.pk]) for obj in model.objects.all()[:20]]
    return urls


def test_every_page_with_known_credentials_configured(
    api, other_api, anon, invoice, sandbox_secret_config, stripe_secret_config, paid_payment_id
) -> Any:
    """Known Stripe and sandbox secrets configured; every API answer, admin page and error page walked."""
    assert set(KNOWN_SECRETS) <= secret_scan.known
    before = secret_scan.scanned["responses"]
    token = {"HTTP_X_INVOICE_TOKEN": invoice.public_token}
    for client in (api, other_api, anon):
        for url in ["/invoices/", f"/invoices/{invoice.pk}/", "/payment/gateway-types/", "/payment/gateways/",
                    f"/payment/gateways/{sandbox_secret_config.pk}/", f"/payment/gateways/{stripe_secret_config.pk}/",
                    f"/payment/invoice/{invoice.pk}/gateway/", f"/payment/status/{paid_payment_id}/",
                    "/payment/nothing-here/", "/api/schema/", "/api/docs/", f"/pay/{invoice.pk}/?token=x"]:
            client.get(url, **token)
        post_json(client, f"/payment/gateways/{sandbox_secret_config.pk}/test-connection/")
        post_json(client, "/payment/create-session/", {"invoice_id": str(invoice.pk)}, **token)
    admin = get_user_model().objects.create_superuser("scan-admin", password="pw-for-tests-only")
    browser = Client()
    browser.force_login(admin)
    for url in _admin_urls(browser):
        assert browser.get(url).status_code in (200, 403), url  # 403: read-only models have no add page
    body = json.dumps({"id": "evt_1", "type": "session.succeeded", "data": {"session": {}}})
    for config in (sandbox_secret_config, stripe_secret_config):
        url = f"/payment/webhook/{config.gateway_name}/{config.pk}/"
        Client().post(url, data=body, content_type="application/json", HTTP_TRACKIFY_SANDBOX_SIGNATURE="t=1,v1=0")
    assert secret_scan.scanned["responses"] - before > 50
