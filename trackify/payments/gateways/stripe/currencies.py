"""Stripe's view of currencies, and exact conversion between ISO 4217 minor units and Stripe's.

Our amounts are integers in the ISO 4217 minor unit (`trackify.common.money`). Stripe mostly
counts the same way, with a few differences that must be converted exactly or refused:

- MGA has two decimals in ISO 4217 but is zero-decimal at Stripe: 1234.00 MGA is 123400 for us
  and 1234 for Stripe; 1234.50 MGA cannot be charged at all.
- ISK has no decimals in ISO 4217 but stays two-decimal at Stripe (whole krónur only): 5 ISK is
  5 for us and 500 for Stripe.
- Three-decimal currencies (BHD JOD KWD OMR TND) are the same unit, but Stripe needs the last
  digit to be 0: 1.250 KWD is fine, 1.255 KWD is refused.

Everything here is pure; a refusal happens before any call to Stripe.
"""

from __future__ import annotations

from trackify.common.money import currency_exponent
from trackify.payments.gateways.errors import InvalidGatewayRequest

# Stripe's zero-decimal currencies (amounts in whole units).
ZERO_DECIMAL: frozenset[str] = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()
)
# Stripe's three-decimal currencies (amounts in thousandths, last digit 0).
THREE_DECIMAL: frozenset[str] = frozenset("BHD JOD KWD OMR TND".split())

# Stripe's presentment currencies that are also active ISO 4217 codes. A currency missing here
# is refused before any call; add it when Stripe starts taking it.
SUPPORTED: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BWP BYN
    BZD CAD CDF CHF CLP CNY COP CRC CVE CZK DJF DKK DOP DZD EGP ETB EUR FJD FKP GBP GEL GIP GMD
    GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR ISK JMD JOD JPY KES KGS KHR KMF KRW KWD KYD KZT LAK
    LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD
    OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SEK SGD SHP SLE SOS SRD SZL
    THB TJS TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VND VUV WST XAF XCD XOF XPF YER ZAR ZMW
    """.split()
)


def stripe_exponent(currency: str) -> int:
    """How many decimal places Stripe's amounts in this currency have."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def check_supported(currency: str) -> str:
    """Stripe's lower-case code for `currency`, or refuse a currency Stripe cannot take."""
    code = currency.upper()
    if code not in SUPPORTED:
        raise InvalidGatewayRequest(
            f"Stripe does not accept payments in {code}.", code="currency_not_supported"
        )
    return code.lower()


def to_stripe_amount(amount: int, currency: str) -> int:
    """Convert ISO minor units to Stripe's, exactly, or refuse before any call is made."""
    check_supported(currency)
    code = currency.upper()
    shift = stripe_exponent(code) - currency_exponent(code)
    if shift >= 0:
        converted = amount * 10**shift
    else:
        converted, remainder = divmod(amount, 10**-shift)
        if remainder:
            raise InvalidGatewayRequest(
                f"Stripe charges {code} in whole units only; this amount has a fraction.",
                code="amount_not_representable",
            )
    if code in THREE_DECIMAL and converted % 10:
        raise InvalidGatewayRequest(
            f"Stripe needs {code} amounts to end in 0 (multiples of 0.010 {code}).",
            code="amount_not_representable",
        )
    return converted


def from_stripe_amount(amount: int, currency: str) -> int | None:
    """Convert Stripe's units to ISO minor units; None when that is not exact (never silently rounded)."""
    code = currency.upper()
    if code not in SUPPORTED:
        return None
    shift = currency_exponent(code) - stripe_exponent(code)
    if shift >= 0:
        return amount * 10**shift
    converted, remainder = divmod(amount, 10**-shift)
    return None if remainder else converted
