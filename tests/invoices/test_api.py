"""/invoices/: a user's own invoices, with amounts as decimal strings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import post_json
from tests.payments.api.conftest import assert_error, assert_refused_to_anonymous
from trackify.invoices.models import Invoice

pytestmark = pytest.mark.django_db


def new_invoice(**overrides: Any) -> dict[str, Any]:
    return {
        "number": "2026-001",
        "client_name": "Client Ltd",
        "client_email": "billing@client.example",
        "currency": "EUR",
        "total": "1200.00",
        **overrides,
    }


# -- create -------------------------------------------------------------------------------------


def test_create_answers_the_invoice_with_amounts_as_decimal_strings(api, user):
    response = post_json(api, "/invoices/", new_invoice())
    assert response.status_code == 201, response.content
    body = response.json()
    stored = Invoice.objects.get(pk=body["id"])
    assert stored.owner == user
    assert stored.total == 120000
    assert (body["number"], body["client_name"], body["client_email"]) == (
        "2026-001", "Client Ltd", "billing@client.example"
    )  # fmt: skip
    assert (body["currency"], body["total"], body["amount_paid"], body["amount_due"], body["amount_overpaid"]) == (
        "EUR", "1200.00", "0.00", "1200.00", "0.00"
    )  # fmt: skip
    assert (body["status"], body["allow_partial_payment"]) == ("open", False)
    assert body["public_token"] == stored.public_token
    assert body["pay_url"] == f"http://127.0.0.1:8000/pay/{stored.pk}/?token={stored.public_token}"


def test_the_public_token_carries_at_least_256_bits(api):
    tokens = {post_json(api, "/invoices/", new_invoice(number=f"T-{i}")).json()["public_token"] for i in range(5)}
    assert len(tokens) == 5
    assert all(len(token) >= 43 for token in tokens)


@pytest.mark.parametrize(
    ("currency", "total", "stored", "shown"),
    [
        ("JPY", "150000", 150000, "150000"),
        ("KWD", "12.345", 12345, "12.345"),
        ("usd", "10", 1000, "10.00"),
        ("EUR", 250, 25000, "250.00"),
    ],
)
def test_totals_follow_the_currency_s_minor_unit(api, currency, total, stored, shown):
    response = post_json(api, "/invoices/", new_invoice(currency=currency, total=total))
    assert response.status_code == 201, response.content
    assert response.json()["total"] == shown
    assert response.json()["currency"] == currency.upper()
    assert Invoice.objects.get().total == stored


def test_a_json_fraction_total_is_read_exactly(api):
    data = json.dumps(new_invoice()).replace('"1200.00"', "1200.10")
    response = api.post("/invoices/", data=data, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Invoice.objects.get().total == 120010


def test_create_a_draft_or_a_partial_payment_invoice(api):
    body = post_json(api, "/invoices/", new_invoice(status="draft", allow_partial_payment=True)).json()
    assert (body["status"], body["allow_partial_payment"]) == ("draft", True)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "€"}, "currency"),
        ({"total": "abc"}, "total"),
        ({"total": "0"}, "total"),
        ({"total": "-10.00"}, "total"),
        ({"total": "10.001"}, "total"),
        ({"total": "1e30"}, "total"),
        ({"total": "99999999999999999999"}, "total"),
        ({"total": True}, "total"),
        ({"currency": "JPY", "total": "10.5"}, "total"),
        ({"status": "paid"}, "status"),
        ({"status": "void"}, "status"),
        ({"client_email": "not-an-email"}, "client_email"),
        ({"number": ""}, "number"),
        ({"number": "x" * 65}, "number"),
        ({"client_name": ""}, "client_name"),
    ],
)
def test_invalid_values_are_a_400_and_create_nothing(api, overrides, field):
    response = post_json(api, "/invoices/", new_invoice(**overrides))
    error = assert_error(response, 400, "invalid")
    assert error.get("field") == field or field in error.get("fields", {}), error
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("missing", ["number", "client_name", "currency", "total"])
def test_a_missing_required_field_is_a_400(api, missing):
    data = new_invoice()
    del data[missing]
    error = assert_error(post_json(api, "/invoices/", data), 400, "invalid")
    assert missing in error["fields"]


def test_a_duplicate_number_is_a_409(api):
    post_json(api, "/invoices/", new_invoice())
    error = assert_error(post_json(api, "/invoices/", new_invoice(total="5.00")), 409, "conflict")
    assert error["field"] == "number"
    assert Invoice.objects.count() == 1


def test_two_users_may_use_the_same_number(api, other_api):
    assert post_json(api, "/invoices/", new_invoice()).status_code == 201
    assert post_json(other_api, "/invoices/", new_invoice()).status_code == 201


def test_malformed_json_is_a_400(api):
    assert_error(api.post("/invoices/", data="{", content_type="application/json"), 400, "parse_error")


def test_the_public_token_and_amount_paid_cannot_be_set_by_the_client(api):
    body = post_json(api, "/invoices/", new_invoice(public_token="chosen-by-me", amount_paid="1200.00")).json()
    assert body["public_token"] != "chosen-by-me"
    assert body["amount_paid"] == "0.00"


# -- list and get ---------------------------------------------------------------------------------


def test_list_shows_only_your_own_invoices(api, other_api, make_invoice, other_user):
    mine = make_invoice()
    make_invoice(owner=other_user)
    response = api.get("/invoices/")
    assert response.status_code == 200
    assert [i["id"] for i in response.json()] == [str(mine.pk)]
    assert response.json()[0]["total"] == "100.00"


def test_get_answers_your_invoice(api, invoice):
    response = api.get(f"/invoices/{invoice.pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == str(invoice.pk)
    assert response.json()["amount_due"] == "100.00"


def test_another_users_invoice_is_not_found(other_api, invoice):
    assert_error(other_api.get(f"/invoices/{invoice.pk}/"), 404, "not_found")


def test_the_invoice_token_does_not_open_the_owner_api(anon, invoice):
    response = anon.get(f"/invoices/{invoice.pk}/", {"token": invoice.public_token})
    assert_refused_to_anonymous(response)


def test_an_unknown_invoice_is_not_found(api):
    assert_error(api.get("/invoices/00000000-0000-4000-8000-000000000000/"), 404, "not_found")


def test_a_malformed_invoice_id_is_a_json_404(api):
    assert_error(api.get("/invoices/not-a-uuid/"), 404, "not_found")


@pytest.mark.parametrize(("method", "path"), [("get", "/invoices/"), ("post", "/invoices/"), ("get", "detail")])
def test_anonymous_is_refused(anon, invoice, method, path):
    url = f"/invoices/{invoice.pk}/" if path == "detail" else path
    assert_refused_to_anonymous(getattr(anon, method)(url))


def test_a_wrong_api_token_is_refused(anon, invoice):
    anon.credentials(HTTP_AUTHORIZATION="Token wrong")
    response = anon.get("/invoices/")
    assert response.status_code in (401, 403)
    assert_error(response, response.status_code, "authentication_failed")


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_invoices_cannot_be_changed_through_this_api(api, invoice, method):
    response = getattr(api, method)(f"/invoices/{invoice.pk}/", data="{}", content_type="application/json")
    assert_error(response, 405, "method_not_allowed")
