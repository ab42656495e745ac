"""Steps shared by the browser tests."""

from __future__ import annotations

from typing import Any

from trackify.invoices.models import Invoice


def pay_url(site: str, invoice: Invoice) -> str:
    return f"{site}/pay/{invoice.pk}/?token={invoice.public_token}"


def open_modal(page: Any, site: str, invoice: Invoice) -> Any:
    page.goto(pay_url(site, invoice))
    page.get_by_role("button", name="Pay now").click()
    return page.get_by_role("dialog")


def choose_and_pay(dialog: Any, outcome: str) -> None:
    dialog.get_by_role("radio", name=outcome).check()
    dialog.get_by_role("button", name="Pay ").click()


def wait_for_result(page: Any, heading: str) -> None:
    page.get_by_role("heading", name=heading).wait_for()
