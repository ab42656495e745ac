"""Money: integers of minor units inside, Decimal strings at the edges, never a float."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackify.common.errors import ValidationFailed
from trackify.common.money import (
    currency_exponent,
    format_amount,
    normalize_currency,
    read_amount,
    to_major_units,
    to_minor_units,
)

# One currency per minor-unit exponent ISO 4217 uses.
CURRENCY_BY_EXPONENT = {0: "JPY", 2: "EUR", 3: "KWD", 4: "CLF"}


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [("EUR", 2), ("USD", 2), ("JPY", 0), ("KRW", 0), ("VND", 0), ("KWD", 3), ("BHD", 3), ("TND", 3), ("CLF", 4)],
)
def test_currency_exponent_follows_iso_4217(currency, exponent):
    assert currency_exponent(currency) == exponent


def test_currency_codes_are_normalised_to_upper_case():
    assert normalize_currency("eur") == "EUR"
    assert currency_exponent("jpy") == 0


@pytest.mark.parametrize("code", ["XYZ", "EURO", "", "eu", "BTC"])
def test_unknown_currency_is_refused(code):
    with pytest.raises(ValidationFailed) as excinfo:
        normalize_currency(code)
    assert excinfo.value.field == "currency"


def test_non_string_currency_is_refused():
    with pytest.raises(ValidationFailed):
        normalize_currency(None)  # type: ignore[arg-type]


def test_unknown_currency_is_refused_when_converting():
    with pytest.raises(ValidationFailed):
        to_minor_units("1.00", "XYZ")
    with pytest.raises(ValidationFailed):
        format_amount(100, "XYZ")


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("123.45", "EUR", 12345),
        ("0.01", "EUR", 1),
        ("100", "EUR", 10000),
        ("100.0", "EUR", 10000),
        (Decimal("19.99"), "USD", 1999),
        (7, "EUR", 700),
        ("1000", "JPY", 1000),
        (1000, "JPY", 1000),
        ("1.250", "KWD", 1250),
        ("1.25", "KWD", 1250),
        ("0.001", "KWD", 1),
        ("1.0001", "CLF", 10001),
        ("1e2", "EUR", 10000),
        ("-12.34", "EUR", -1234),
    ],
)
def test_to_minor_units_is_exact(amount, currency, minor):
    assert to_minor_units(amount, currency) == minor
    assert type(to_minor_units(amount, currency)) is int


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("1.5", "JPY"), ("0.001", "EUR"), ("123.456", "USD"), ("1.2345", "KWD"), ("1.00001", "CLF")],
)
def test_more_decimal_places_than_the_currency_has_are_refused(amount, currency):
    with pytest.raises(ValidationFailed) as excinfo:
        to_minor_units(amount, currency)
    assert excinfo.value.field == "amount"


def test_trailing_zeros_beyond_the_minor_unit_are_not_extra_precision():
    assert to_minor_units("10.000", "EUR") == 1000
    assert to_minor_units("10.00", "JPY") == 10


@pytest.mark.parametrize(
    ("amount", "currency", "rounding", "minor"),
    [
        ("0.005", "EUR", ROUND_HALF_UP, 1),
        ("0.005", "EUR", ROUND_HALF_EVEN, 0),
        ("0.015", "EUR", ROUND_HALF_EVEN, 2),
        ("0.019", "EUR", ROUND_DOWN, 1),
        ("0.011", "EUR", ROUND_UP, 2),
        ("1.5", "JPY", ROUND_HALF_UP, 2),
        ("2.5", "JPY", ROUND_HALF_EVEN, 2),
        ("1.2345", "KWD", ROUND_HALF_UP, 1235),
        ("1.2345", "KWD", ROUND_DOWN, 1234),
        ("-0.005", "EUR", ROUND_HALF_UP, -1),
    ],
)
def test_rounding_happens_only_with_an_explicit_mode(amount, currency, rounding, minor):
    assert to_minor_units(amount, currency, rounding=rounding) == minor


def test_an_exact_amount_is_unchanged_by_a_rounding_mode():
    assert to_minor_units("12.34", "EUR", rounding=ROUND_UP) == 1234


@pytest.mark.parametrize("amount", [1.5, 0.1, 100.0, float("nan")])
def test_float_is_refused_with_type_error(amount):
    with pytest.raises(TypeError):
        to_minor_units(amount, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [True, False])
def test_bool_is_refused_as_an_amount(amount):
    with pytest.raises(TypeError):
        to_minor_units(amount, "EUR")


@pytest.mark.parametrize("minor", [1.0, True, "100", Decimal("100")])
def test_to_major_units_takes_only_int(minor):
    with pytest.raises(TypeError):
        to_major_units(minor, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["abc", "", "12,34", "1.2.3", "NaN", "Infinity", "-Infinity", "sNaN"])
def test_non_numbers_and_non_finite_values_are_refused(amount):
    with pytest.raises(ValidationFailed) as excinfo:
        to_minor_units(amount, "EUR")
    assert excinfo.value.field == "amount"


@pytest.mark.parametrize("amount", ["1e30", "1" * 40, "99999999999999999999", "-99999999999999999999"])
def test_amounts_too_large_to_store_are_refused_not_crashed(amount):
    # A BIGINT holds at most 2**63 - 1 minor units; larger values must be a 400, not a 500.
    with pytest.raises(ValidationFailed):
        to_minor_units(amount, "EUR")


def test_the_largest_storable_amount_converts():
    assert to_minor_units("92233720368547758.07", "EUR") == 2**63 - 1


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (12345, "EUR", "123.45"),
        (0, "EUR", "0.00"),
        (5, "EUR", "0.05"),
        (10000, "EUR", "100.00"),
        (-5, "EUR", "-0.05"),
        (1000, "JPY", "1000"),
        (0, "JPY", "0"),
        (1250, "KWD", "1.250"),
        (1, "KWD", "0.001"),
        (10001, "CLF", "1.0001"),
        (2**63 - 1, "EUR", "92233720368547758.07"),
    ],
)
def test_format_amount_gives_the_currency_s_decimal_places(minor, currency, text):
    assert format_amount(minor, currency) == text


def test_to_major_units_returns_decimal_never_float():
    value = to_major_units(12345, "EUR")
    assert isinstance(value, Decimal)
    assert value == Decimal("123.45")


@pytest.mark.parametrize("exponent", sorted(CURRENCY_BY_EXPONENT))
@given(minor=st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1))
def test_format_then_parse_round_trips_for_every_exponent(exponent, minor):
    currency = CURRENCY_BY_EXPONENT[exponent]
    assert currency_exponent(currency) == exponent
    text = format_amount(minor, currency)
    assert to_minor_units(text, currency) == minor
    # The string always carries exactly the currency's number of decimal places.
    assert len(text.partition(".")[2]) == exponent


@given(
    whole=st.integers(min_value=0, max_value=10**12),
    cents=st.integers(min_value=0, max_value=99),
)
def test_parsing_a_two_decimal_string_is_exact(whole, cents):
    assert to_minor_units(f"{whole}.{cents:02d}", "EUR") == whole * 100 + cents


@pytest.mark.parametrize(
    ("amount", "key", "expected"),
    [
        ({"currency": "EUR", "value": "10.00"}, "currency", (1000, "EUR")),
        ({"currency": "jpy", "value": "1000"}, "currency", (1000, "JPY")),
        ({"currency_code": "KWD", "value": "1.250"}, "currency_code", (1250, "KWD")),
        # What does not read gives nothing, never half an amount: a provider's object is untrusted.
        ({"currency": "EUR", "value": "1.005"}, "currency", (None, None)),
        ({"currency": "EUR", "value": None}, "currency", (None, None)),
        ({"currency": "EUR", "value": "ten"}, "currency", (None, None)),
        ({"currency": "XXZ", "value": "1.00"}, "currency", (None, None)),
        ({"currency": 978, "value": "1.00"}, "currency", (None, None)),
        ({"currency_code": "EUR", "value": "1.00"}, "currency", (None, None)),
        ("10.00 EUR", "currency", (None, None)),
        (None, "currency", (None, None)),
    ],
)
def test_read_amount_reads_a_provider_s_decimal_string_amount(amount, key, expected):
    assert read_amount(amount, key) == expected
