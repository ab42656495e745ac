"""ISO 4217 minor units to Stripe's and back: exact, or refused before any call."""

from __future__ import annotations

import pytest

from trackify.common.money import ISO_4217_CODES, currency_exponent
from trackify.payments.gateways.errors import InvalidGatewayRequest
from trackify.payments.gateways.stripe.currencies import (
    SUPPORTED,
    THREE_DECIMAL,
    ZERO_DECIMAL,
    check_supported,
    from_stripe_amount,
    stripe_exponent,
    to_stripe_amount,
)


@pytest.mark.parametrize(
    ("amount", "currency", "stripe_amount"),
    [
        (12345, "EUR", 12345),  # 123.45 EUR: same unit
        (1000, "JPY", 1000),  # ¥1000: zero-decimal in both
        (5000, "KRW", 5000),
        (1250, "KWD", 1250),  # 1.250 KWD: thousandths in both, last digit 0
        (123400, "MGA", 1234),  # 1234.00 MGA: two decimals in ISO, whole ariary at Stripe
        (5, "ISK", 500),  # 5 ISK: no decimals in ISO, two (whole krónur) at Stripe
    ],
)
def test_amounts_convert_exactly_both_ways(amount: int, currency: str, stripe_amount: int) -> None:
    assert to_stripe_amount(amount, currency) == stripe_amount
    assert from_stripe_amount(stripe_amount, currency) == amount


def test_mga_with_a_fraction_of_an_ariary_is_refused() -> None:
    with pytest.raises(InvalidGatewayRequest) as caught:
        to_stripe_amount(123450, "MGA")  # 1234.50 MGA
    assert caught.value.code == "amount_not_representable"


@pytest.mark.parametrize("currency", sorted(THREE_DECIMAL))
def test_three_decimal_amounts_must_end_in_zero(currency: str) -> None:
    assert to_stripe_amount(1250, currency) == 1250
    with pytest.raises(InvalidGatewayRequest, match="end in 0"):
        to_stripe_amount(1255, currency)


def test_stripe_amounts_that_are_not_whole_iso_units_are_not_rounded() -> None:
    assert from_stripe_amount(550, "ISK") is None  # 5.50 ISK does not exist in ISO units


@pytest.mark.parametrize("currency", ["IQD", "LYD", "IRR", "XXX"])
def test_a_currency_stripe_cannot_take_is_refused(currency: str) -> None:
    with pytest.raises(InvalidGatewayRequest) as caught:
        check_supported(currency)
    assert caught.value.code == "currency_not_supported"
    with pytest.raises(InvalidGatewayRequest):
        to_stripe_amount(1000, currency)
    assert from_stripe_amount(1000, currency) is None


def test_stripes_lists_are_iso_codes_and_match_the_issue() -> None:
    assert SUPPORTED <= ISO_4217_CODES
    assert set("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()) == ZERO_DECIMAL
    assert {"BHD", "JOD", "KWD", "OMR", "TND"} == THREE_DECIMAL
    assert ZERO_DECIMAL | THREE_DECIMAL <= SUPPORTED
    # Where ISO and Stripe disagree on the exponent, conversion needs a factor: only these.
    differing = {code for code in SUPPORTED if stripe_exponent(code) != currency_exponent(code)}
    assert differing == {"MGA", "ISK"}
