"""The pages Django serves around the React front end: shells with the right entry, login, static files."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from trackify.web import vite

pytestmark = pytest.mark.django_db

needs_build = pytest.mark.skipif(
    not (vite._manifest_path().exists()), reason="the front end is not built (scripts/frontend.sh builds it)"
)


@needs_build
def test_the_pay_page_loads_its_entry_and_holds_no_invoice_data(client: Client, invoice) -> None:
    response = client.get(f"/pay/{invoice.pk}/", {"token": invoice.public_token})
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<script type="module" src="/static/app/assets/pay-[\w-]+\.js">', html)
    assert f'data-invoice-id="{invoice.pk}"' in html
    for private in (invoice.number, invoice.client_name, invoice.public_token):
        assert private not in html
    assert "csrftoken" in response.cookies
    assert response["Referrer-Policy"] == "same-origin"


@needs_build
def test_an_unknown_invoice_still_gets_the_page_which_asks_the_api(client: Client) -> None:
    response = client.get("/pay/not-an-invoice/", {"token": "x"})
    assert response.status_code == 200
    assert 'data-invoice-id="not-an-invoice"' in response.content.decode()


@needs_build
def test_the_result_page_loads_its_own_entry(client: Client, invoice) -> None:
    html = client.get(f"/pay/{invoice.pk}/result/").content.decode()
    assert re.search(r'src="/static/app/assets/result-[\w-]+\.js"', html)


def test_the_gateway_settings_need_a_signed_in_user(client: Client) -> None:
    response = client.get("/settings/gateways/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/settings/gateways/"


@needs_build
def test_signing_in_leads_to_the_gateway_settings(user) -> None:
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    wrong = browser.post("/login/", {"username": user.username, "password": "nope", "csrfmiddlewaretoken": token})
    assert wrong.status_code == 200 and b'role="alert"' in wrong.content
    ok = browser.post(
        "/login/",
        {"username": user.username, "password": "pw-for-tests-only", "csrfmiddlewaretoken": token,
         "next": "/settings/gateways/"},
    )
    assert ok.status_code == 302 and ok["Location"] == "/settings/gateways/"
    settings_page = browser.get("/settings/gateways/")
    assert settings_page.status_code == 200
    assert re.search(rb'src="/static/app/assets/settings-[\w-]+\.js"', settings_page.content)


@needs_build
def test_built_files_are_served_with_a_year_of_caching(client: Client) -> None:
    entry = vite.entry_assets("pay")
    response = client.get(entry.script)
    assert response.status_code == 200
    assert "max-age=315360000" in response["Cache-Control"] and "immutable" in response["Cache-Control"]
    assert b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_the_api_docs_are_served_from_this_server_not_a_cdn(client: Client) -> None:
    for url in ("/api/docs/", "/api/redoc/"):
        html = client.get(url).content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources, url
        assert all(s.startswith("/") for s in sources), sources
    asset = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200


def test_a_missing_build_is_said_on_the_page(client: Client, invoice, settings, tmp_path) -> None:
    settings.TRACKIFY_FRONTEND_DIST = tmp_path
    html = client.get(f"/pay/{invoice.pk}/").content.decode()
    assert "the front end, which is not built" in html


def test_with_the_vite_dev_server_the_pages_load_sources_from_it(client: Client, invoice, settings) -> None:
    settings.TRACKIFY_VITE_DEV = True
    html = client.get(f"/pay/{invoice.pk}/").content.decode()
    assert '<script type="module" src="/static/app/@vite/client"></script>' in html
    assert '<script type="module" src="/static/app/src/entries/pay.jsx"></script>' in html
    assert 'href="/static/app/src/styles/app.css"' in html


def test_the_payments_page_needs_a_signed_in_user(client: Client) -> None:
    response = client.get("/payments/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/payments/"


@needs_build
def test_the_payments_page_loads_its_entry_and_every_owner_page_links_to_it(user) -> None:
    browser = Client()
    browser.force_login(user)
    for url in ("/", "/settings/gateways/", "/payments/"):
        assert b'<a href="/payments/">Payments</a>' in browser.get(url).content, url
    assert re.search(rb'src="/static/app/assets/payments-[\w-]+\.js"', browser.get("/payments/").content)


def test_the_notification_settings_need_a_signed_in_user(client: Client) -> None:
    response = client.get("/settings/notifications/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/settings/notifications/"


@needs_build
def test_the_notification_settings_load_their_entry_and_every_owner_page_links_to_them(user) -> None:
    browser = Client()
    browser.force_login(user)
    for url in ("/", "/settings/gateways/", "/payments/", "/settings/notifications/"):
        assert b'<a href="/settings/notifications/">Notifications</a>' in browser.get(url).content, url
    page = browser.get("/settings/notifications/")
    assert re.search(rb'src="/static/app/assets/notifications-[\w-]+\.js"', page.content)
    assert "csrftoken" in page.cookies
