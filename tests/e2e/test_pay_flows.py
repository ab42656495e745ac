"""A client pays an invoice in a real browser: sandbox in the modal and by redirect, part payment,
a decline and a retry, the paid state, keyboard only. Every page at 390 and 1280 px: test_every_page.py."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import shoot
from tests.e2e.helpers import choose_and_pay, open_modal, pay_url, wait_for_result
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment, PaymentGatewayConfig


def in_modal(config: PaymentGatewayConfig) -> PaymentGatewayConfig:
    config.flow = "in_modal"
    config.save()
    return config


def test_pays_in_full_in_the_modal_then_sees_the_paid_state(page: Any, site: str, invoice: Invoice, sandbox_config):
    in_modal(sandbox_config)
    page.goto(pay_url(site, invoice))
    page.get_by_role("heading", name=invoice.number).wait_for()
    assert page.get_by_role("row", name="Amount due €100.00").is_visible()
    shoot(page, "pay-page")

    page.get_by_role("button", name="Pay now").click()
    dialog = page.get_by_role("dialog", name="Pay €100.00")
    dialog.get_by_role("radio", name="Pay: the payment succeeds").wait_for()
    shoot(page, "payment-modal-sandbox")
    choose_and_pay(dialog, "Pay: the payment succeeds")

    wait_for_result(page, "Payment received")
    assert page.get_by_role("row", name="Amount due €0.00").is_visible()
    shoot(page, "result-paid")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == ("paid", 10000)

    page.get_by_role("link", name="Back to the invoice").click()
    page.get_by_text("This invoice is paid in full").wait_for()
    assert page.get_by_role("button", name="Pay now").count() == 0
    shoot(page, "pay-page-paid")


def test_pays_in_full_by_redirect_through_the_hosted_page(page: Any, site: str, invoice: Invoice, sandbox_config):
    dialog = open_modal(page, site, invoice)
    dialog.get_by_role("button", name="Continue to Sandbox").click()
    page.get_by_role("button", name="Pay 100.00 EUR").click()
    wait_for_result(page, "Payment received")
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 1


def test_pays_part_of_an_invoice_that_allows_it(page: Any, site: str, make_invoice, sandbox_config):
    in_modal(sandbox_config)
    invoice = make_invoice(allow_partial_payment=True, total="250.00")
    page.goto(pay_url(site, invoice))
    page.get_by_role("radio", name="Another amount").check()
    amount = page.get_by_label("Amount in EUR")
    amount.fill("300")
    page.get_by_role("button", name="Pay now").click()
    page.get_by_text("You can pay at most €250.00.").wait_for()
    assert page.get_by_role("dialog").count() == 0
    shoot(page, "pay-page-amount-error")

    amount.fill("40.50")
    page.get_by_role("button", name="Pay now").click()
    choose_and_pay(page.get_by_role("dialog", name="Pay €40.50"), "Pay: the payment succeeds")
    wait_for_result(page, "Payment received")
    assert page.get_by_role("row", name="Amount due €209.50").is_visible()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == ("partially_paid", 4050)


def test_sees_a_decline_with_its_reason_and_retries(page: Any, site: str, invoice: Invoice, sandbox_config):
    in_modal(sandbox_config)
    choose_and_pay(open_modal(page, site, invoice), "Decline: the card is refused")
    wait_for_result(page, "Payment failed")
    assert "The card was declined (sandbox)." in page.get_by_role("alert").inner_text()
    shoot(page, "result-failed")

    page.get_by_role("link", name="Try again").click()
    page.get_by_role("button", name="Pay now").click()
    choose_and_pay(page.get_by_role("dialog"), "Pay: the payment succeeds")
    wait_for_result(page, "Payment received")
    statuses = sorted(InvoicePayment.objects.filter(invoice=invoice).values_list("status", flat=True))
    assert statuses == ["failed", "succeeded"]


def test_an_asynchronous_payment_shows_processing_and_the_money_in_flight(page, site, invoice, sandbox_config):
    in_modal(sandbox_config)
    choose_and_pay(open_modal(page, site, invoice), "Asynchronous: the payment settles later")
    wait_for_result(page, "Payment processing")
    assert page.get_by_text("you do not need to pay again").is_visible()
    shoot(page, "result-processing")
    page.goto(pay_url(site, invoice))
    note = page.get_by_role("note")
    note.wait_for()
    assert "A payment of €100.00 is being processed" in note.inner_text()
    assert page.get_by_role("button", name="Pay now").count() == 0


def test_a_wrong_token_gets_a_plain_invalid_link_page(page: Any, site: str, invoice: Invoice, sandbox_config):
    page.goto(f"{site}/pay/{invoice.pk}/?token=not-the-token")
    page.get_by_role("heading", name="This link is not valid").wait_for()
    assert invoice.number not in page.content()
    shoot(page, "invalid-link")


def test_the_modal_works_with_the_keyboard_alone(page: Any, site: str, invoice: Invoice, sandbox_config):
    in_modal(sandbox_config)
    page.goto(pay_url(site, invoice))
    pay_now = page.get_by_role("button", name="Pay now")
    pay_now.wait_for()
    for _ in range(30):  # Tab from the top of the page to the button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Pay now":
            break
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Pay €100.00")
    dialog.get_by_role("radio", name="Pay: the payment succeeds").wait_for()
    inside = "document.querySelector('[role=dialog]').contains(document.activeElement)"
    assert page.evaluate(inside)
    for _ in range(8):
        page.keyboard.press("Tab")
        assert page.evaluate(inside)
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    assert page.evaluate("document.activeElement.textContent") == "Pay now"  # focus came back

    page.keyboard.press("Enter")
    page.get_by_role("radio", name="Pay: the payment succeeds").wait_for()
    while page.evaluate("document.activeElement.textContent") != "Pay €100.00":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    wait_for_result(page, "Payment received")
