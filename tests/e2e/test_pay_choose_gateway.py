"""A client whose invoice's owner offers two gateways chooses one on the pay page, in a real browser:
the default comes first and is chosen, the other is picked (by mouse, then back and forth by the
keyboard), and the payment goes through the one picked. Screenshots at 390 and 1280 px."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import PHONE, shoot
from tests.e2e.helpers import choose_and_pay, pay_url, wait_for_result
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment
from trackify.payments.services.gateway_configs import gateway_config_create


def two_gateways(user: Any) -> tuple[Any, Any]:
    default = gateway_config_create(owner=user, gateway_name="sandbox", display_name="Bank transfer (Sandbox)")
    in_page = gateway_config_create(
        owner=user, gateway_name="sandbox", display_name="Card in this page (Sandbox)", flow="in_modal"
    )
    return default, in_page


def test_the_client_chooses_between_two_gateways_and_pays_through_the_one_chosen(
    page: Any, site: str, user: Any, invoice: Invoice
):
    default, in_page = two_gateways(user)
    page.goto(pay_url(site, invoice))
    group = page.get_by_role("group", name="How do you want to pay?")
    group.wait_for()
    radios = group.get_by_role("radio")
    assert radios.count() == 2
    assert radios.nth(0).get_attribute("value") == str(default.pk)
    assert group.get_by_role("radio", name="Bank transfer (Sandbox)").is_checked()
    for width in (PHONE, {"width": 1280, "height": 860}):
        page.set_viewport_size(width)
        shoot(page, "pay-choose-gateway")

    group.get_by_text("Card in this page (Sandbox)").click()  # the whole row is the target
    assert group.get_by_role("radio", name="Card in this page (Sandbox)").is_checked()
    page.keyboard.press("ArrowUp")  # a native radio group: the arrows move the choice
    assert group.get_by_role("radio", name="Bank transfer (Sandbox)").is_checked()
    page.keyboard.press("ArrowDown")
    page.get_by_text("Paid securely through Card in this page (Sandbox).").wait_for()

    page.get_by_role("button", name="Pay now").click()
    dialog = page.get_by_role("dialog", name="Pay €100.00")
    dialog.get_by_text("paid through Card in this page (Sandbox)").wait_for()
    choose_and_pay(dialog, "Pay: the payment succeeds")
    wait_for_result(page, "Payment received")

    [payment] = InvoicePayment.objects.filter(invoice=invoice)
    assert (payment.config_id, payment.status) == (in_page.pk, "succeeded")


def test_a_redirect_gateway_chosen_takes_the_client_to_its_page_and_the_other_session_closes(
    page: Any, site: str, user: Any, invoice: Invoice
):
    default, in_page = two_gateways(user)
    page.goto(pay_url(site, invoice))
    page.get_by_role("radio", name="Card in this page (Sandbox)").check()
    page.get_by_role("button", name="Pay now").click()
    dialog = page.get_by_role("dialog", name="Pay €100.00")
    dialog.get_by_role("radio", name="Pay: the payment succeeds").wait_for()  # a session opened in the page
    dialog.get_by_role("button", name="Close").click()

    page.get_by_role("radio", name="Bank transfer (Sandbox)").check()  # the client changes their mind
    page.get_by_role("button", name="Pay now").click()
    page.get_by_role("dialog").get_by_role("button", name="Continue to Bank transfer (Sandbox)").click()
    page.get_by_role("button", name="Pay 100.00 EUR").click()
    wait_for_result(page, "Payment received")

    payments = {p.config_id: p.status for p in InvoicePayment.objects.filter(invoice=invoice)}
    assert payments == {in_page.pk: "expired", default.pk: "succeeded"}
