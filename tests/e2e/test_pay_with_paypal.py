"""A client pays an invoice through PayPal in a real browser, against the fake PayPal server: with
PayPal's buttons in the modal (the fake's JS SDK, served at its /sdk/js as PayPal serves its own) and
by redirect through the fake's approve page. Either way the server captures the approved order once.
Screenshots of the buttons at 390 and 1280 px and of the paid result at 390 px."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import DESKTOP, PHONE, shoot
from tests.e2e.helpers import open_modal, wait_for_result
from tests.fakes import fake_paypal as fakes
from tests.fakes.fake_paypal import App, FakePayPal
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig
from trackify.payments.services.gateway_configs import gateway_config_create

fake_paypal = fakes.fake_paypal
paypal_app = fakes.paypal_app


def paypal_config(user: Any, app: App, flow: str) -> PaymentGatewayConfig:
    return gateway_config_create(
        owner=user,
        gateway_name="paypal",
        display_name="PayPal",
        flow=flow,
        is_default=True,
        credentials={"client_id": app.client_id, "client_secret": app.client_secret, "webhook_id": app.webhook_id},
    )


def paid(invoice: Invoice) -> InvoicePayment:
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == ("paid", 10000)
    [payment] = InvoicePayment.objects.filter(invoice=invoice)
    return payment


def test_a_client_pays_with_paypals_buttons_in_the_modal(
    page: Any, site: str, user: Any, invoice: Invoice, fake_paypal: FakePayPal, paypal_app: App
):
    paypal_config(user, paypal_app, "in_modal")
    sdk_requests: list[str] = []
    page.on("request", lambda r: sdk_requests.append(r.url) if "/sdk/js" in r.url else None)

    dialog = open_modal(page, site, invoice)
    button = dialog.get_by_role("button", name="Pay with PayPal")
    button.wait_for()
    assert len(sdk_requests) == 1 and f"client-id={paypal_app.client_id}" in sdk_requests[0]
    assert paypal_app.client_secret not in page.content()
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        shoot(page, "paypal-buttons")

    page.set_viewport_size(PHONE)
    held: list[Any] = []  # our check request, held back to see the form while it waits
    page.route("**/payment/status/*/check/", lambda route: held.append(route))
    button.click()
    dialog.get_by_role("status").filter(has_text="Confirming your payment").wait_for()
    assert button.is_disabled()  # PayPal's buttons are off while we confirm (onInit's actions)
    shoot(page, "paypal-confirming")
    held[0].continue_()
    wait_for_result(page, "Payment received")
    assert page.get_by_role("row", name="Amount due €0.00").is_visible()
    shoot(page, "paypal-paid")

    payment = paid(invoice)
    assert fake_paypal.captures == 1
    [order_id] = fake_paypal.orders
    assert (payment.status, payment.gateway_reference) == ("succeeded", order_id)
    assert payment.gateway_payment_reference == fake_paypal.capture_of(order_id)["id"]


def test_an_approval_paypal_cannot_capture_yet_shows_approved_then_paid_once_paypal_answers(
    page: Any, site: str, settings: Any, user: Any, invoice: Invoice, fake_paypal: FakePayPal, paypal_app: App
):
    settings.TRACKIFY_STATUS_REFRESH_INTERVAL = 1  # the result page's polls reach PayPal at once
    paypal_config(user, paypal_app, "in_modal")
    page.set_viewport_size(PHONE)
    dialog = open_modal(page, site, invoice)
    button = dialog.get_by_role("button", name="Pay with PayPal")
    button.wait_for()
    [order_id] = fake_paypal.orders
    fake_paypal.fail_next(10_000, status=503, path=f"/v2/checkout/orders/{order_id}/capture")  # PayPal is down

    button.click()
    wait_for_result(page, "Payment approved")
    assert "You do not need to pay again" in page.get_by_role("status").inner_text()
    shoot(page, "paypal-approved")
    invoice.refresh_from_db()
    assert invoice.status != "paid" and fake_paypal.captures == 0

    fake_paypal.faults.clear()  # PayPal answers again: the page's next poll captures
    wait_for_result(page, "Payment received")
    assert paid(invoice).status == "succeeded" and fake_paypal.captures == 1


def test_a_client_pays_by_redirect_through_paypals_approve_page(
    page: Any, site: str, user: Any, invoice: Invoice, fake_paypal: FakePayPal, paypal_app: App
):
    paypal_config(user, paypal_app, "redirect")
    dialog = open_modal(page, site, invoice)
    with page.expect_navigation(url=f"{site}/pay/{invoice.pk}/result/**"):
        dialog.get_by_role("button", name="Continue to PayPal").click()  # the fake approves and sends the payer back
    wait_for_result(page, "Payment received")
    # PayPal appends its own `token` (the order id) after ours: the page must read the first, the invoice's
    [order_id] = fake_paypal.orders
    assert f"?token={invoice.public_token}&" in page.url and f"&token={order_id}&PayerID=" in page.url

    payment = paid(invoice)
    assert fake_paypal.captures == 1
    assert payment.status == "succeeded"
    assert ("GET", "/checkoutnow") in fake_paypal.requests


def test_a_client_who_closes_paypals_window_can_try_again(
    page: Any, site: str, user: Any, invoice: Invoice, fake_paypal: FakePayPal, paypal_app: App
):
    paypal_config(user, paypal_app, "in_modal")
    fake_paypal.buttons_outcome = "cancel"
    page.set_viewport_size(PHONE)
    dialog = open_modal(page, site, invoice)
    dialog.get_by_role("button", name="Pay with PayPal").click()
    assert "cancelled. You can try again." in dialog.get_by_role("alert").inner_text()
    assert dialog.get_by_role("button", name="Pay with PayPal").is_enabled()
    shoot(page, "paypal-cancelled")
    assert fake_paypal.captures == 0
    [payment] = InvoicePayment.objects.filter(invoice=invoice)
    assert payment.status == "pending"


def test_the_modal_says_so_when_paypals_sdk_cannot_load_and_loads_it_again(
    page: Any, site: str, user: Any, invoice: Invoice, fake_paypal: FakePayPal, paypal_app: App
):
    paypal_config(user, paypal_app, "in_modal")
    fake_paypal.fail_next(status=503, path="/sdk/js")
    dialog = open_modal(page, site, invoice)
    assert "PayPal could not be loaded" in dialog.get_by_role("alert").inner_text()
    assert dialog.get_by_role("button", name="Pay with PayPal").count() == 0
    shoot(page, "paypal-sdk-failed")

    dialog.get_by_role("button", name="Load PayPal again").click()
    dialog.get_by_role("button", name="Pay with PayPal").click()
    wait_for_result(page, "Payment received")
    assert paid(invoice).status == "succeeded" and fake_paypal.captures == 1
    assert [path for _, path in fake_paypal.requests].count("/sdk/js") == 2


def test_a_keyboard_user_reaches_paypals_button_in_the_modal_and_pays(
    page: Any, site: str, user: Any, invoice: Invoice, fake_paypal: FakePayPal, paypal_app: App
):
    paypal_config(user, paypal_app, "in_modal")
    dialog = open_modal(page, site, invoice)
    dialog.get_by_role("button", name="Pay with PayPal").wait_for()  # drawn after the modal took focus
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == "Pay with PayPal":
            break
    else:
        raise AssertionError("Tab never reached PayPal's button in the modal")
    page.keyboard.press("Enter")
    wait_for_result(page, "Payment received")
    assert paid(invoice).status == "succeeded" and fake_paypal.captures == 1
