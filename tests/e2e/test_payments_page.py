"""The owner's payments page in Chromium at 390 and 1280 px: the list, the search, a payment's timeline,
a refund refused then made, an overpayment's excess refunded, and a sandbox payment disputed with the
page's button, then closed as lost or won. Screenshots:
var/test-artifacts/screenshots/payments-<state>-<width>.png."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import client_for
from tests.e2e.conftest import DESKTOP, PHONE, shoot
from tests.e2e.test_every_page import UNNAMED_CONTROLS
from tests.payments.api.conftest import pay
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment, PaymentDispute, PaymentRefund


def fits(page: Any, viewport: dict[str, int], state: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the payments page ({state}) scrolls sideways ({width} px)"
    assert page.evaluate(UNNAMED_CONTROLS) == [], f"controls without a name on the payments page ({state})"
    shoot(page, f"payments-{state}")


def sign_in_to_payments(page: Any, site: str, user: Any) -> None:
    page.goto(f"{site}/payments/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("list", name="Payments").get_by_role("listitem").first.wait_for()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_the_owner_finds_a_payment_reads_its_timeline_and_refunds_it(
    browser: Any, site: str, viewport: dict[str, int], make_invoice: Any, sandbox_config: Any, user: Any
) -> None:
    api = client_for(user)
    refunded = pay(api, make_invoice(number="2026-0007", client_name="Northwind Traders"))
    assert api.post(f"/payment/{refunded}/refund/", {"amount": "25.00", "reason": "One hour less"},
                    format="json").status_code == 201  # fmt: skip
    overpaid_invoice = make_invoice(number="2026-0008", client_name="Contoso Ltd")
    overpaid = pay(api, overpaid_invoice)
    # The invoice's total lowered after it was paid in full: it now holds 40.00 more than it asks for.
    Invoice.objects.filter(pk=overpaid_invoice.pk).update(total=6000)
    pay(api, make_invoice(number="2026-0009", client_name="Fabrikam"))

    context = browser.new_context(viewport=viewport, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in_to_payments(page, site, user)
        rows = page.get_by_role("list", name="Payments").get_by_role("listitem")
        assert rows.count() == 3
        assert "2026-0009" in rows.first.inner_text()  # newest first
        fits(page, viewport, "list")

        page.get_by_label("Invoice number").fill("0007")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("button", name="Invoice 2026-0007").first.wait_for()
        page.wait_for_function("document.querySelectorAll('.payment-row').length === 1")
        page.get_by_role("button", name="Invoice 2026-0007").click()
        page.get_by_role("heading", name="Payment for invoice 2026-0007").wait_for()
        timeline = page.get_by_role("heading", name="Timeline").locator("..")
        assert "One hour less" in timeline.inner_text()
        assert InvoicePayment.objects.get(pk=refunded).gateway_reference in page.inner_text("main")

        amount = page.get_by_label("Amount (EUR)")
        assert amount.input_value() == "75.00"
        amount.fill("80.00")
        page.get_by_role("button", name="Refund", exact=True).click()
        page.get_by_role("alert").get_by_text("You can refund at most €75.00.").wait_for()
        fits(page, viewport, "timeline")
        amount.fill("15.50")
        page.get_by_role("button", name="Refund", exact=True).click()
        page.get_by_role("status").get_by_text("Refunded €15.50.").wait_for()
        page.wait_for_function("document.getElementById('refund-amount').value === '59.50'")  # the rest
        amounts = PaymentRefund.objects.filter(payment_id=refunded).values_list("amount", flat=True)
        assert sorted(amounts) == [1550, 2500]

        page.get_by_role("button", name="← All payments").click()
        page.get_by_label("Invoice number").fill("0008")
        page.get_by_role("button", name="Search").click()
        page.wait_for_function("document.querySelectorAll('.payment-row').length === 1")
        page.get_by_role("button", name="Invoice 2026-0008").click()
        page.get_by_role("heading", name="Overpaid invoice").wait_for()
        fits(page, viewport, "overpaid")
        page.get_by_role("button", name="Refund the excess (€40.00)").click()
        page.get_by_role("status").get_by_text("The excess of €40.00 was refunded.").wait_for()
        assert InvoicePayment.objects.get(pk=overpaid).refunded_amount == 4000
        assert Invoice.objects.get(pk=overpaid_invoice.pk).amount_overpaid == 0
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def amount_paid(api: Any, payment_id: str) -> str:
    """The invoice's amount paid, as the API tells it (the result page reads the same)."""
    response = api.get(f"/payment/status/{payment_id}/")
    assert response.status_code == 200, response.content
    return str(response.json()["invoice"]["amount_paid"])


@pytest.mark.parametrize(("viewport", "outcome"), [(PHONE, "lost"), (DESKTOP, "won")], ids=["390-lost", "1280-won"])
def test_the_owner_plays_a_chargeback_on_a_sandbox_payment(
    browser: Any, site: str, viewport: dict[str, int], outcome: str, make_invoice: Any, sandbox_config: Any, user: Any
) -> None:
    api = client_for(user)
    invoice = make_invoice(number="2026-0011", client_name="Northwind Traders")
    payment_id = pay(api, invoice)
    pay(api, make_invoice(number="2026-0012", client_name="Fabrikam"))
    assert amount_paid(api, payment_id) == "100.00"

    context = browser.new_context(viewport=viewport, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in_to_payments(page, site, user)
        payments = page.get_by_role("list", name="Payments")  # the panel's buttons name the invoice too
        assert page.get_by_role("region", name="Open disputes").count() == 0  # none yet: no panel
        row = payments.get_by_role("button", name="Invoice 2026-0011")
        assert " ".join(row.locator(".payment-disputed").inner_text().split()) == "Disputed —"
        row.click()
        page.get_by_role("heading", name="Payment for invoice 2026-0011").wait_for()
        page.get_by_role("button", name="Simulate a dispute").click()
        page.get_by_role("status").get_by_text("The sandbox opened a dispute").wait_for()

        # The money went back to the client's bank: the invoice is open again, for all of it.
        assert amount_paid(api, payment_id) == "0.00"
        assert Invoice.objects.get(pk=invoice.pk).status == "open"
        disputes = page.get_by_role("region", name="Disputes")
        disputes.get_by_text("days left").wait_for()
        timeline = page.get_by_role("heading", name="Timeline").locator("..")
        timeline.get_by_text("Dispute opened: €100.00").wait_for()
        assert "€100.00 withdrawn by the client's bank" in timeline.inner_text()
        assert page.locator(".facts > div").filter(has_text="Disputed").text_content() == "Disputed€100.00"
        # No refund while the dispute is open: the reason stands in place of the form, and the API refuses.
        refund = page.get_by_role("heading", name="Refund").locator("..")
        assert page.get_by_role("button", name="Refund", exact=True).count() == 0
        assert page.get_by_label("Amount (EUR)").count() == 0
        assert refund.get_by_role("note").inner_text().strip()
        refused = api.post(f"/payment/{payment_id}/refund/", {"amount": "10.00"}, format="json")
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "payment_disputed")
        fits(page, viewport, "dispute-timeline")

        page.get_by_role("button", name="← All payments").click()
        panel = page.get_by_role("region", name="Open disputes")
        panel.get_by_text("Invoice 2026-0011").wait_for()
        text = panel.inner_text()
        assert "Northwind Traders" in text and "€100.00" in text and "Needs your response" in text
        assert " days left" in text and "respond by" in text
        respond = panel.get_by_role("link", name="Respond at Sandbox (opens in a new tab)")
        assert (respond.get_attribute("target"), respond.get_attribute("rel")) == ("_blank", "noopener noreferrer")
        assert "/sandbox/disputes/" in str(respond.get_attribute("href"))  # the sandbox's own dispute page
        assert "Open dispute" in payments.get_by_role("button", name="Invoice 2026-0011").inner_text()
        fits(page, viewport, "disputes")

        panel.get_by_role("button", name="Open the payment for invoice 2026-0011").click()
        button = "Close as lost" if outcome == "lost" else "Close as won"
        page.get_by_role("button", name=button).click()
        page.get_by_role("status").get_by_text(f"The dispute was closed as {outcome}").wait_for()
        dispute = PaymentDispute.objects.get(payment_id=payment_id)
        timeline.get_by_text(f"Dispute {outcome}").wait_for()
        if outcome == "lost":  # the funds stay withdrawn
            assert (dispute.status, dispute.held_amount) == ("lost", 10000)
            assert amount_paid(api, payment_id) == "0.00"
        else:  # the funds are reinstated: the invoice is paid again
            assert (dispute.status, dispute.held_amount) == ("won", 0)
            assert "€100.00 reinstated" in timeline.inner_text()
            assert amount_paid(api, payment_id) == "100.00"
            assert Invoice.objects.get(pk=invoice.pk).status == "paid"
        fits(page, viewport, f"dispute-{outcome}")
        page.get_by_role("button", name="← All payments").click()
        payments.get_by_role("button", name="Invoice 2026-0011").wait_for()
        assert page.get_by_role("region", name="Open disputes").count() == 0  # closed: off the panel
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
