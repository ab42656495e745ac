"""What a client may pay now, and through which config: money in flight is not due twice, and an
owner with an active gateway never has unpayable invoices by accident."""

from __future__ import annotations

from tests.payments.api.conftest import assert_error, complete, create_session
from trackify.payments.services.gateway_configs import gateway_config_create


def gateway_info(anon, invoice) -> dict:
    return anon.get(f"/payment/invoice/{invoice.pk}/gateway/", {"token": invoice.public_token}).json()


def test_a_payment_being_processed_is_not_due_again(api, anon, invoice, sandbox_config, settings):
    settings.TRACKIFY_SANDBOX_SETTLE_SECONDS = 3600
    first = create_session(api, invoice).json()["payment_id"]
    complete(api, first, "processing")

    assert_error(create_session(api, invoice), 409, "payment_in_progress")
    info = gateway_info(anon, invoice)
    assert (info["payable"], info["amount_due"], info["amount_payable"]) == (False, "100.00", "0.00")


def test_a_partial_payment_being_processed_leaves_the_rest_payable(api, anon, make_invoice, sandbox_config, settings):
    settings.TRACKIFY_SANDBOX_SETTLE_SECONDS = 3600
    invoice = make_invoice(total="100.00", allow_partial_payment=True)
    first = create_session(api, invoice, amount="60.00").json()["payment_id"]
    complete(api, first, "processing")

    assert gateway_info(anon, invoice)["amount_payable"] == "40.00"
    error = assert_error(create_session(api, invoice, amount="50.00"), 400)
    assert "being processed" in error["message"]
    rest = create_session(api, invoice)
    assert rest.status_code == 201, rest.content
    assert rest.json()["amount"] == "40.00"


def test_without_a_default_the_oldest_active_config_is_used(api, user, invoice):
    older = gateway_config_create(owner=user, gateway_name="sandbox", display_name="Older")
    gateway_config_create(owner=user, gateway_name="sandbox", display_name="Newer")
    response = api.patch(f"/payment/gateways/{older.pk}/", {"is_default": False}, format="json")
    assert response.status_code == 200, response.content

    session = create_session(api, invoice).json()
    assert session["gateway"] == "sandbox"
    assert gateway_info(api, invoice)["gateway"]["display_name"] == "Older"


def test_deactivating_the_default_config_clears_it_and_another_takes_over(api, user, invoice):
    first = gateway_config_create(owner=user, gateway_name="sandbox", display_name="First")
    gateway_config_create(owner=user, gateway_name="sandbox", display_name="Second")
    body = api.patch(f"/payment/gateways/{first.pk}/", {"is_active": False}, format="json").json()
    assert (body["is_active"], body["is_default"]) == (False, False)
    assert gateway_info(api, invoice)["gateway"]["display_name"] == "Second"


def test_with_every_config_inactive_the_invoice_is_not_payable(api, anon, user, invoice):
    config = gateway_config_create(owner=user, gateway_name="sandbox")
    api.patch(f"/payment/gateways/{config.pk}/", {"is_active": False}, format="json")
    assert gateway_info(anon, invoice)["payable"] is False
    assert_error(create_session(api, invoice), 404, "no_gateway")
