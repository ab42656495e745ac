"""The pages a person clicks through, driven like a browser would (CSRF enforced): pay page, the
sandbox's hosted checkout, the result page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from trackify.invoices.models import Invoice


@pytest.fixture
def browser() -> Client:
    return Client(enforce_csrf_checks=True)


def open_checkout(browser: Client, invoice: Invoice) -> str:
    page = browser.get(f"/pay/{invoice.pk}/", {"token": invoice.public_token})
    assert page.status_code == 200
    csrf = browser.cookies["csrftoken"].value
    session = browser.post(
        "/payment/create-session/",
        data={"invoice_id": str(invoice.pk), "invoice_token": invoice.public_token},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert session.status_code == 201, session.content
    return session.json()["redirect_url"].replace("http://127.0.0.1:8000", "")


def choose(browser: Client, checkout_path: str, outcome: str):
    page = browser.get(checkout_path)
    assert page.status_code == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    return browser.post(checkout_path, {"outcome": outcome, "csrfmiddlewaretoken": token})


def test_paying_on_the_hosted_page_returns_to_the_result_page_with_the_invoice_paid(browser, invoice, sandbox_config):
    checkout = open_checkout(browser, invoice)
    answer = choose(browser, checkout, "succeeded")
    assert answer.status_code == 302
    result_url = answer["Location"]
    assert f"/pay/{invoice.pk}/result/" in result_url
    assert browser.get(result_url.replace("http://127.0.0.1:8000", "")).status_code == 200
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == ("paid", invoice.total)


def test_declined_card_leaves_the_invoice_open_and_payable_again(browser, invoice, sandbox_config):
    choose(browser, open_checkout(browser, invoice), "declined")
    invoice.refresh_from_db()
    assert invoice.status == "open"
    assert invoice.payments.get().status == "failed"
    second = open_checkout(browser, invoice)  # a failed payment is not reused
    assert invoice.payments.count() == 2
    assert choose(browser, second, "succeeded").status_code == 302


def test_hosted_page_of_a_finished_session_says_so(browser, invoice, sandbox_config):
    checkout = open_checkout(browser, invoice)
    choose(browser, checkout, "cancelled")
    page = browser.get(checkout)
    assert b"cancelled" in page.content
    assert b'value="succeeded"' not in page.content


def test_hosted_page_refuses_a_second_outcome(browser, invoice, sandbox_config):
    checkout = open_checkout(browser, invoice)
    choose(browser, checkout, "succeeded")
    assert choose_without_page(browser, checkout).status_code == 409


def choose_without_page(browser: Client, checkout_path: str):
    token = browser.cookies["csrftoken"].value
    return browser.post(checkout_path, {"outcome": "succeeded", "csrfmiddlewaretoken": token})


def test_unknown_checkout_session_is_404(browser, db):
    assert browser.get("/sandbox/checkout/sbx_sess_nope/").status_code == 404


def test_home_page_lists_the_owners_invoices_with_pay_links(invoice, user):
    client = Client()
    client.force_login(user)
    page = client.get("/")
    assert invoice.public_token.encode() in page.content
