"""Every page at a phone's width (390 px) and a desktop's (1280 px): nothing scrolls sideways, every
control has a name, and a screenshot of each is saved (var/test-artifacts/screenshots/<page>-<width>.png)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, shoot
from tests.e2e.helpers import open_modal, pay_url, wait_for_result
from trackify.invoices.models import Invoice
from trackify.payments.models import PaymentGatewayConfig

PAGES = [
    "pay",
    "modal",
    "modal-sandbox-form",
    "result",
    "invalid-link",
    "login",
    "settings",
    "settings-edit",
    "notifications",
]

# Visible controls with no accessible name: no <label>, no aria-label(ledby), no text of their own.
UNNAMED_CONTROLS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, a[href]')]
  .filter((el) => el.getClientRects().length > 0)
  .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
                    || (['BUTTON', 'A'].includes(el.tagName) && el.textContent.trim())))
  .map((el) => el.outerHTML.slice(0, 160))"""


def sign_in(page: Any, site: str, user: Any) -> None:
    page.goto(f"{site}/settings/gateways/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("article", name="Sandbox").wait_for()


def show(page: Any, name: str, site: str, invoice: Invoice, config: PaymentGatewayConfig, user: Any) -> None:
    """Bring the page (or the page's state) called `name` on screen."""
    if name == "pay":
        page.goto(pay_url(site, invoice))
        page.get_by_role("button", name="Pay now").wait_for()
    elif name in ("modal", "modal-sandbox-form"):
        if name == "modal-sandbox-form":
            PaymentGatewayConfig.objects.filter(pk=config.pk).update(flow="in_modal")
            open_modal(page, site, invoice).get_by_role("radio", name="Pay: the payment succeeds").wait_for()
        else:
            open_modal(page, site, invoice).get_by_role("button", name="Continue to Sandbox").wait_for()
    elif name == "result":
        open_modal(page, site, invoice).get_by_role("button", name="Continue to Sandbox").click()
        page.get_by_role("button", name="Simulate a declined card").click()
        wait_for_result(page, "Payment failed")
    elif name == "invalid-link":
        page.goto(f"{site}/pay/{invoice.pk}/?token=nope")
        page.get_by_role("heading", name="This link is not valid").wait_for()
    elif name == "login":
        page.goto(f"{site}/login/")
        page.get_by_role("button", name="Sign in").wait_for()
    elif name == "notifications":
        sign_in(page, site, user)
        page.get_by_role("link", name="Notifications").click()
        page.get_by_role("button", name="Save notification settings").wait_for()
        page.get_by_text("No endpoint yet.").wait_for()
    else:
        sign_in(page, site, user)
        if name == "settings-edit":
            page.get_by_role("article", name="Sandbox").get_by_role("button", name="Edit").click()
            page.get_by_role("button", name="Save changes").wait_for()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
@pytest.mark.parametrize("name", PAGES)
def test_every_page_fits_the_screen_and_names_every_control(
    browser: Any, site: str, name: str, viewport: dict[str, int], invoice: Invoice, sandbox_config, user
):
    context = browser.new_context(viewport=viewport, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        show(page, name, site, invoice, sandbox_config, user)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"the {name} page scrolls sideways ({width} px)"
        assert page.evaluate(UNNAMED_CONTROLS) == [], f"controls without a name on the {name} page"
        shoot(page, name)
    finally:
        context.close()
