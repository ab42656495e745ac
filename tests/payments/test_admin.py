"""The admin panel shows configs with masked credentials, payments with history, events with a retry action."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.payments.webhooks.sandbox_events import send
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig, PaymentWebhookEvent
from trackify.payments.services import ledger
from trackify.payments.services.gateway_configs import gateway_config_create


def test_config_pages_mask_credentials_and_never_show_them(admin_client, user):
    config = gateway_config_create(
        owner=user, gateway_name="sandbox", credentials={"webhook_secret": "whsec_topsecretvalue9876"}
    )
    listing = admin_client.get("/admin/payments/paymentgatewayconfig/")
    page = admin_client.get(f"/admin/payments/paymentgatewayconfig/{config.pk}/change/")
    assert listing.status_code == page.status_code == 200
    assert b"whsec_topsecretvalue9876" not in listing.content + page.content
    assert "whsec_…9876".encode() in page.content


def test_admin_can_replace_credentials_without_seeing_them(admin_client, user):
    config = gateway_config_create(
        owner=user, gateway_name="sandbox", credentials={"webhook_secret": "old-secret-000000"}
    )
    response = admin_client.post(
        f"/admin/payments/paymentgatewayconfig/{config.pk}/change/",
        {
            "owner": user.pk, "gateway_name": "sandbox", "display_name": "Renamed", "flow": "redirect",
            "test_mode": "on", "is_active": "on", "credential__sandbox__webhook_secret": "new-secret-111111",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    config = PaymentGatewayConfig.objects.get(pk=config.pk)
    assert config.display_name == "Renamed"
    assert config.credentials["webhook_secret"] == "new-secret-111111"


def test_admin_creates_a_config_through_the_service(admin_client, user):
    response = admin_client.post(
        "/admin/payments/paymentgatewayconfig/add/",
        {"owner": user.pk, "gateway_name": "sandbox", "display_name": "Test", "flow": "redirect",
         "test_mode": "on", "is_active": "on", "credential__sandbox__webhook_secret": ""},
    )
    assert response.status_code == 302, response.content[:2000]
    config = PaymentGatewayConfig.objects.get(owner=user)
    assert config.credentials["webhook_secret"]  # generated
    assert config.is_default  # the owner's first config


def test_payment_page_shows_its_state_history(admin_client, open_payment):
    send(Client(), open_payment, "succeeded")
    page = admin_client.get(f"/admin/payments/invoicepayment/{open_payment.pk}/change/")
    assert page.status_code == 200
    assert b"pending" in page.content and b"succeeded" in page.content


def test_process_again_action_completes_a_failed_event(admin_client, open_payment, monkeypatch):
    """A stored event that failed is applied by the action: if it did nothing, the payment would stay pending."""
    real_apply = ledger.apply_payment_update

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(ledger, "apply_payment_update", failing)
    assert send(Client(), open_payment, "succeeded").status_code == 500
    event = PaymentWebhookEvent.objects.get()
    assert (event.status, event.attempts) == ("failed", 1)
    monkeypatch.setattr(ledger, "apply_payment_update", real_apply)

    response = admin_client.post(
        "/admin/payments/paymentwebhookevent/",
        {"action": "process_again", "_selected_action": [event.pk]},
        follow=True,
    )

    assert response.status_code == 200
    event.refresh_from_db()
    assert (event.status, event.error, event.attempts) == ("processed", "", 2)
    payment = InvoicePayment.objects.select_related("invoice").get(pk=open_payment.pk)
    assert (payment.status, payment.invoice.status) == ("succeeded", "paid")
    assert payment.invoice.amount_paid == payment.amount


def test_invoice_admin_pages_load(admin_client, invoice):
    assert admin_client.get("/admin/invoices/invoice/").status_code == 200
    assert admin_client.get(f"/admin/invoices/invoice/{invoice.pk}/change/").status_code == 200


def test_the_credential_form_has_one_field_per_credential_and_an_empty_secret_keeps_the_stored_one(admin_client, user):
    config = gateway_config_create(
        owner=user, gateway_name="sandbox", credentials={"webhook_secret": "whsec_kept_secret_4321"}
    )
    page = admin_client.get(f"/admin/payments/paymentgatewayconfig/{config.pk}/change/").content.decode()
    assert 'type="password" name="credential__sandbox__webhook_secret"' in page
    assert "whsec_kept_secret_4321" not in page
    add_page = admin_client.get("/admin/payments/paymentgatewayconfig/add/").content.decode()
    names = ("credential__stripe__secret_key", "credential__stripe__publishable_key",
             "credential__sandbox__webhook_secret")
    for name in names:
        assert f'name="{name}"' in add_page
    response = admin_client.post(
        f"/admin/payments/paymentgatewayconfig/{config.pk}/change/",
        {"owner": user.pk, "gateway_name": "sandbox", "display_name": "Kept", "flow": "redirect",
         "test_mode": "on", "is_active": "on", "credential__sandbox__webhook_secret": ""},
    )
    assert response.status_code == 302, response.content[:2000]
    config = PaymentGatewayConfig.objects.get(pk=config.pk)
    assert config.display_name == "Kept"
    assert config.credentials["webhook_secret"] == "whsec_kept_secret_4321"


def test_a_bad_stripe_key_is_an_error_on_its_field(admin_client, user):
    response = admin_client.post(
        "/admin/payments/paymentgatewayconfig/add/",
        {"owner": user.pk, "gateway_name": "stripe", "display_name": "S", "flow": "redirect", "test_mode": "on",
         "is_active": "on", "credential__stripe__secret_key": "sk_test_" + "a" * 30,
         "credential__stripe__publishable_key": "nope"},
    )
    assert response.status_code == 200
    assert not PaymentGatewayConfig.objects.filter(gateway_name="stripe").exists()
    errors = response.context["adminform"].form.errors
    assert "credential__stripe__publishable_key" in errors


def test_payment_pages_show_major_units_with_currency_and_human_statuses(admin_client, user, invoice, sandbox_config):
    from trackify.payments.services.sessions import payment_session_create

    payment = payment_session_create(invoice_id=invoice.pk).payment
    payment.status = "partially_refunded"
    payment.save()
    detail = admin_client.get(f"/admin/payments/invoicepayment/{payment.pk}/change/").content.decode()
    listing = admin_client.get("/admin/payments/invoicepayment/").content.decode()
    assert "100.00 EUR" in detail and "100.00 EUR" in listing
    assert "Partially refunded" in detail and "Partially refunded" in listing
    assert ">10000<" not in detail


def test_the_payment_list_filters_and_shows_statuses_by_their_labels(admin_client, make_invoice, sandbox_config):
    from trackify.payments.services.sessions import payment_session_create

    refunded = payment_session_create(invoice_id=make_invoice().pk).payment
    failed = payment_session_create(invoice_id=make_invoice().pk).payment
    InvoicePayment.objects.filter(pk=refunded.pk).update(status="partially_refunded")
    InvoicePayment.objects.filter(pk=failed.pk).update(status="failed")

    listing = admin_client.get("/admin/payments/invoicepayment/")
    page = listing.content.decode()
    for label in ("Pending", "Processing", "Succeeded", "Failed", "Partially refunded", "Refunded"):
        assert f">{label}</a>" in page  # the status filter's choices
    for raw in ("pending", "succeeded", "failed", "partially_refunded"):
        assert f">{raw}</a>" not in page and f">{raw}</td>" not in page
    assert '<td class="field-status_display">Partially refunded</td>' in page

    only_failed = admin_client.get("/admin/payments/invoicepayment/", {"status": "failed"})
    assert [p.pk for p in only_failed.context["cl"].result_list] == [failed.pk]
    chosen = next(spec for spec in only_failed.context["cl"].filter_specs if spec.parameter_name == "status")
    assert [c["display"] for c in chosen.choices(only_failed.context["cl"]) if c["selected"]] == ["Failed"]


def test_event_and_config_lists_show_their_statuses_and_flows_by_label(admin_client, open_payment, sandbox_config):
    send(Client(), open_payment, "succeeded")
    events = admin_client.get("/admin/payments/paymentwebhookevent/").content.decode()
    for label in ("Received", "Processed", "Ignored", "Failed"):
        assert f">{label}</a>" in events
    assert '<td class="field-status_display">Processed</td>' in events
    assert ">processed</a>" not in events

    configs = admin_client.get("/admin/payments/paymentgatewayconfig/").content.decode()
    assert '<td class="field-flow_display">Redirect to the gateway&#x27;s page</td>' in configs
    assert ">In a window on the invoice page</a>" in configs and ">in_modal</a>" not in configs
    change = admin_client.get(f"/admin/payments/paymentgatewayconfig/{sandbox_config.pk}/change/").content.decode()
    assert '<option value="in_modal">In a window on the invoice page</option>' in change


def test_every_payment_and_refund_status_and_flow_has_a_label():
    from trackify.payments.gateways.types import PaymentFlow, PaymentStatus, RefundStatus
    from trackify.payments.labels import FLOW, PAYMENT_STATUS, REFUND_STATUS

    assert set(PAYMENT_STATUS) == set(PaymentStatus)
    assert set(REFUND_STATUS) == set(RefundStatus)
    assert set(FLOW) == set(PaymentFlow)
