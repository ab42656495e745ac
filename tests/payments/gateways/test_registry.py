"""A gateway living outside the project is picked up by name, through settings or an entry point,
without editing any existing file, and works end to end through the API."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from django.test import override_settings

from tests.conftest import post_json
from trackify.payments.gateways.registry import UnknownGateway, gateway_classes, get_gateway_class

EXTERNAL_GATEWAY = '''
from datetime import timedelta
from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.gateways.errors import WebhookVerificationError
from trackify.payments.gateways.types import (
    CredentialField, GatewayCapabilities, PaymentStatus, PaymentUpdate, SessionResult, WebhookEvent,
)


class {cls}(PaymentGatewayBase):
    name = "{name}"
    display_name = "Acme Pay"
    credential_fields = (CredentialField("api_key", "API key"),)
    capabilities = GatewayCapabilities(currencies=frozenset({{"EUR"}}))

    def create_payment_session(self, request):
        return SessionResult(
            gateway_reference="acme_" + request.idempotency_key,
            redirect_url="https://acme.invalid/pay/" + str(request.payment_id),
        )

    def verify_webhook(self, request):
        raise WebhookVerificationError("Acme webhooks are not verified in this example.")

    def normalize_event(self, payload):
        return WebhookEvent(gateway_event_id=str(payload["id"]), event_type="x", payload=payload)

    def get_payment_status(self, lookup):
        return PaymentUpdate(status=PaymentStatus.PENDING)
'''


def write_module(directory: Path, module: str, cls: str, name: str) -> None:
    (directory / f"{module}.py").write_text(EXTERNAL_GATEWAY.format(cls=cls, name=name))


@pytest.fixture
def outside_dir(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    gateway_classes.cache_clear()


def pay_through(api, make_invoice, gateway_name: str):
    created = post_json(api, "/payment/gateways/", {"gateway_name": gateway_name, "credentials": {"api_key": "k_123"}})
    assert created.status_code == 201, created.content
    invoice = make_invoice()
    session = post_json(api, "/payment/create-session/", {"invoice_id": str(invoice.pk)})
    assert session.status_code == 201, session.content
    return session.json()


def test_gateway_named_in_settings_is_registered_and_usable(outside_dir, api, make_invoice, settings):
    write_module(outside_dir, "acme_settings_gateway", "AcmeGateway", "acme")
    settings.PAYMENT_GATEWAYS = {**settings.PAYMENT_GATEWAYS, "acme": "acme_settings_gateway.AcmeGateway"}

    assert get_gateway_class("acme").display_name == "Acme Pay"
    assert "acme" in [t["name"] for t in api.get("/payment/gateway-types/").json()]
    session = pay_through(api, make_invoice, "acme")
    assert session["gateway"] == "acme"
    assert session["redirect_url"].startswith("https://acme.invalid/pay/")


def test_gateway_from_an_installed_package_entry_point_is_registered_and_usable(outside_dir, api, make_invoice):
    write_module(outside_dir, "acme_ep_gateway", "AcmeEntryPointGateway", "acme_ep")
    dist_info = outside_dir / "acme_pay-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-pay\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(
        textwrap.dedent("""
            [trackify.payment_gateways]
            acme_ep = acme_ep_gateway:AcmeEntryPointGateway
        """)
    )
    gateway_classes.cache_clear()

    assert get_gateway_class("acme_ep").__name__ == "AcmeEntryPointGateway"
    session = pay_through(api, make_invoice, "acme_ep")
    assert session["gateway"] == "acme_ep"


def test_unknown_gateway_name_is_a_not_found_error():
    with pytest.raises(UnknownGateway):
        get_gateway_class("does-not-exist")


def test_settings_path_to_a_non_gateway_is_refused(settings):
    settings.PAYMENT_GATEWAYS = {"bogus": "decimal.Decimal"}
    with pytest.raises(TypeError, match="not a PaymentGatewayBase subclass"):
        gateway_classes()


def test_registered_name_must_match_the_class_name(settings):
    settings.PAYMENT_GATEWAYS = {"other": "trackify.payments.gateways.sandbox.SandboxGateway"}
    with pytest.raises(TypeError, match="named 'sandbox'"):
        gateway_classes()


@override_settings(PAYMENT_GATEWAYS={})
def test_sandbox_is_not_registered_when_disabled():
    assert "sandbox" not in gateway_classes()
