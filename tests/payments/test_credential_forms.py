"""The admin's credential form is built from each gateway's `credential_fields`: checked here with two
made-up gateways shaped like PayPal (a plain client id and webhook id beside a secret) and Mollie
(one secret API key). Secrets are write-only and masked; plain fields are shown back and editable."""

from __future__ import annotations

import pytest

from trackify.payments.gateways.base import PaymentGatewayBase
from trackify.payments.gateways.errors import WebhookVerificationError
from trackify.payments.gateways.registry import gateway_classes
from trackify.payments.gateways.types import CredentialField, PaymentStatus, PaymentUpdate, SessionResult, WebhookEvent
from trackify.payments.models import PaymentGatewayConfig
from trackify.payments.services.gateway_configs import gateway_config_create

pytestmark = pytest.mark.django_db

CLIENT_SECRET = "EFx9clientsecretneverinapage7788"
API_KEY = "test_mollieapikeyneverinapage5566"


class _Made(PaymentGatewayBase):
    def create_payment_session(self, request):  # type: ignore[no-untyped-def]
        return SessionResult(gateway_reference=f"ref_{request.payment_id}", redirect_url="https://pay.invalid/")

    def verify_webhook(self, request):  # type: ignore[no-untyped-def]
        raise WebhookVerificationError("not in this test")

    def normalize_event(self, payload):  # type: ignore[no-untyped-def]
        return WebhookEvent(gateway_event_id="x", event_type="x", payload=payload)

    def get_payment_status(self, lookup):  # type: ignore[no-untyped-def]
        return PaymentUpdate(status=PaymentStatus.PENDING)


class MixedPay(_Made):
    name = "mixedpay"
    display_name = "Mixed Pay"
    credential_fields = (
        CredentialField("client_id", "Client ID", secret=False),
        CredentialField("client_secret", "Client secret"),
        CredentialField("webhook_id", "Webhook ID", secret=False, required=False),
    )


class OneKeyPay(_Made):
    name = "onekeypay"
    display_name = "One Key Pay"
    credential_fields = (CredentialField("api_key", "API key"),)


@pytest.fixture(autouse=True)
def made_up_gateways(settings):
    settings.PAYMENT_GATEWAYS = {
        **settings.PAYMENT_GATEWAYS,
        "mixedpay": f"{__name__}.MixedPay",
        "onekeypay": f"{__name__}.OneKeyPay",
    }
    gateway_classes.cache_clear()
    yield
    gateway_classes.cache_clear()


def change_url(config: PaymentGatewayConfig) -> str:
    return f"/admin/payments/paymentgatewayconfig/{config.pk}/change/"


def post_change(admin_client, user, config, gateway: str, **credentials: str):
    data = {"owner": user.pk, "gateway_name": gateway, "display_name": config.display_name, "flow": "redirect",
            "test_mode": "on", "is_active": "on"}  # fmt: skip
    data.update({f"credential__{gateway}__{k}": v for k, v in credentials.items()})
    response = admin_client.post(change_url(config), data)
    assert response.status_code == 302, response.content[:3000]
    return PaymentGatewayConfig.objects.get(pk=config.pk).credentials


def mixed(user) -> PaymentGatewayConfig:
    credentials = {"client_id": "Acl-client-id-1", "client_secret": CLIENT_SECRET, "webhook_id": "WH-1"}
    return gateway_config_create(owner=user, gateway_name="mixedpay", credentials=credentials)


def test_mixed_fields_secret_masked_and_write_only_plain_ones_shown_back(admin_client, user):
    page = admin_client.get(change_url(mixed(user))).content.decode()
    assert 'type="password" name="credential__mixedpay__client_secret"' in page
    assert 'name="credential__mixedpay__client_id" value="Acl-client-id-1"' in page
    assert 'name="credential__mixedpay__webhook_id" value="WH-1"' in page
    assert CLIENT_SECRET not in page
    assert "client_secret: …7788" in page  # the stored credentials, masked


def test_mixed_fields_an_empty_secret_is_kept_a_plain_field_changes_and_clears(admin_client, user):
    config = mixed(user)
    stored = post_change(admin_client, user, config, "mixedpay", client_id="Acl-client-id-2", client_secret="",
                         webhook_id="")  # fmt: skip
    assert stored == {"client_id": "Acl-client-id-2", "client_secret": CLIENT_SECRET, "webhook_id": ""}
    stored = post_change(admin_client, user, config, "mixedpay", client_id="Acl-client-id-2", client_secret="new-1")
    assert stored["client_secret"] == "new-1"


def test_a_single_secret_is_masked_write_only_and_kept_when_left_empty(admin_client, user):
    config = gateway_config_create(owner=user, gateway_name="onekeypay", credentials={"api_key": API_KEY})
    page = admin_client.get(change_url(config)).content.decode()
    assert 'type="password" name="credential__onekeypay__api_key"' in page
    assert API_KEY not in page
    assert "api_key: test_…5566" in page
    assert post_change(admin_client, user, config, "onekeypay", api_key="") == {"api_key": API_KEY}


def test_the_add_page_offers_every_field_of_both(admin_client):
    page = admin_client.get("/admin/payments/paymentgatewayconfig/add/").content.decode()
    for name in ("mixedpay__client_id", "mixedpay__client_secret", "mixedpay__webhook_id", "onekeypay__api_key"):
        assert f'name="credential__{name}"' in page


def test_the_api_masks_the_secret_and_shows_the_plain_fields(api, user):
    mixed(user)
    gateway_config_create(owner=user, gateway_name="onekeypay", credentials={"api_key": API_KEY})
    by_name = {c["gateway_name"]: c["credentials"] for c in api.get("/payment/gateways/").json()}
    assert by_name["mixedpay"] == {"client_id": "Acl-client-id-1", "client_secret": "…7788", "webhook_id": "WH-1"}
    assert by_name["onekeypay"] == {"api_key": "test_…5566"}
