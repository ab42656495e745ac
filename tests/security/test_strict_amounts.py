"""Finding 6: amounts are ASCII digits with at most one dot and the currency's decimals; nothing else.

Arabic-Indic "10", full-width "0.5" and "1_0" used to be read as 10.00, 0.50 and 10.00.
"""

from __future__ import annotations

import pytest

from tests.conftest import post_json
from tests.payments.api.conftest import assert_error, create_session
from trackify.common.money import AMOUNT_PATTERN, parse_amount
from trackify.invoices.models import Invoice
from trackify.payments.models import InvoicePayment

REFUSED = [
    "\u0661\u0660", "\uff10.\uff15", "1_0", "1__0", "+10", "-10", " 10", "10 ", "1e2", "1E2", "0x10", "10.", ".5",
    "1.2.3", "1,00", "NaN", "Infinity", "", "\u0661", "10.5\n", "\u00bd", "1" * 19, "10.00001",
]


@pytest.mark.parametrize("text", REFUSED)
def test_parse_amount_refuses_anything_but_ascii_digits_and_one_dot(text):
    with pytest.raises(Exception) as caught:
        parse_amount(text, "EUR")
    assert getattr(caught.value, "status_code", None) == 400


@pytest.mark.parametrize(
    ("text", "currency", "minor"), [("10", "EUR", 1000), ("10.5", "EUR", 1050), ("0.01", "EUR", 1),
                                    ("1200", "JPY", 1200), ("1.250", "KWD", 1250), ("007.10", "EUR", 710)],
)
def test_parse_amount_reads_plain_amounts(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(("text", "currency"), [("10.000", "EUR"), ("1200.0", "JPY"), ("1.2500", "KWD")])
def test_no_more_decimals_than_the_currency_has_not_even_zeros(text, currency):
    with pytest.raises(Exception, match="decimal places"):
        parse_amount(text, currency)


@pytest.mark.parametrize("text", ["\u0661\u0660", "\uff10.\uff15", "1_0", "-5", "+5", "5.001"])
def test_create_session_refuses_loose_amounts_and_changes_nothing(api, make_invoice, sandbox_config, text):
    invoice = make_invoice(allow_partial_payment=True)
    assert_error(create_session(api, invoice, amount=text), 400, "invalid")
    assert not InvoicePayment.objects.exists()


@pytest.mark.parametrize("text", ["\u0661\u0660", "1_0", "100.000"])
def test_invoice_totals_and_refunds_refuse_loose_amounts(api, paid_payment_id, text):
    count = Invoice.objects.count()
    body = {"number": "X-1", "client_name": "A", "currency": "EUR", "total": text}
    assert_error(post_json(api, "/invoices/", body), 400)
    assert Invoice.objects.count() == count
    assert_error(post_json(api, f"/payment/{paid_payment_id}/refund/", {"amount": text}), 400)
    assert InvoicePayment.objects.get(pk=paid_payment_id).refunded_amount == 0


def test_the_schema_states_the_pattern(anon, db):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for name, field in [("CreateSessionRequest", "amount"), ("RefundInputRequest", "amount"),
                        ("InvoiceCreateRequest", "total")]:
        amount = schema["components"]["schemas"][name]["properties"][field]
        assert amount["oneOf"][0]["pattern"] == AMOUNT_PATTERN
        assert amount["oneOf"][1]["minimum"] == 0
