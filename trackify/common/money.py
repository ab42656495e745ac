"""Money: integers in the currency's minor unit inside, Decimal strings at the edges.

No float ever touches an amount. Every conversion is exact or refuses: an amount with more
decimal places than its currency has is an error, not something to round silently, unless the
caller names a rounding mode on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from trackify.common.errors import ValidationFailed

# ISO 4217 minor-unit exponents that differ from the usual 2.
_EXPONENT_EXCEPTIONS: dict[str, int] = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}

# Active ISO 4217 codes (funds and precious-metal codes left out: nobody invoices in them).
ISO_4217_CODES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS
    KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
    MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF
    SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD
    TZS UAH UGX USD UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()
)


# The database stores minor units in a signed 64-bit integer (BIGINT).
MAX_MINOR_UNITS = 2**63 - 1


def normalize_currency(code: str) -> str:
    """Return the upper-case ISO 4217 code, or refuse one we do not know."""
    if not isinstance(code, str) or code.upper() not in ISO_4217_CODES:
        raise ValidationFailed(f"'{code}' is not an ISO 4217 currency code.", field="currency")
    return code.upper()


def currency_exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has (2 for EUR, 0 for JPY, 3 for KWD)."""
    return _EXPONENT_EXCEPTIONS.get(normalize_currency(currency), 2)


def _as_decimal(amount: Decimal | str | int) -> Decimal:
    # bool is an int subclass and float is never money: refuse both outright.
    if isinstance(amount, (bool, float)):
        raise TypeError(f"money must be Decimal, str or int, not {type(amount).__name__}")
    try:
        value = Decimal(amount) if not isinstance(amount, Decimal) else amount
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(f"'{amount}' is not a number.", field="amount") from exc
    if not value.is_finite():
        raise ValidationFailed(f"'{amount}' is not a finite number.", field="amount")
    return value


def to_minor_units(
    amount: Decimal | str | int, currency: str, *, rounding: str | None = None
) -> int:
    """Convert a major-unit amount ("123.45") to an integer of minor units (12345).

    Without `rounding`, an amount finer than the currency allows ("1.5" JPY, "1.2345" KWD) is
    refused. With a rounding mode from `decimal`, it is rounded to the minor unit instead.
    """
    value = _as_decimal(amount)
    exponent = currency_exponent(currency)
    quantum = Decimal(1).scaleb(-exponent)
    too_large = ValidationFailed(f"'{amount}' is too large an amount.", field="amount")
    try:
        quantized = value.quantize(quantum, rounding=rounding or ROUND_HALF_UP)
    except InvalidOperation as exc:  # more digits than the decimal context holds
        raise too_large from exc
    if abs(quantized.scaleb(exponent)) > MAX_MINOR_UNITS:
        raise too_large
    if rounding is None and quantized != value:
        raise ValidationFailed(
            f"{currency.upper()} amounts have at most {exponent} decimal places; got '{amount}'.",
            field="amount",
        )
    return int(quantized.scaleb(exponent))


def to_major_units(minor: int, currency: str) -> Decimal:
    """Convert an integer of minor units (12345) to a Decimal in major units (123.45)."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"minor units must be int, not {type(minor).__name__}")
    exponent = currency_exponent(currency)
    return Decimal(minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def format_amount(minor: int, currency: str) -> str:
    """The API's string form of an amount: "123.45" EUR, "1000" JPY, "1.250" KWD."""
    return str(to_major_units(minor, currency))


def read_amount(amount: object, currency_key: str = "currency") -> tuple[int | None, str | None]:
    """A provider's decimal-string amount, `{<currency_key>: "EUR", "value": "10.00"}` (Mollie's and
    PayPal's shape), as (minor units, currency); (None, None) for anything missing or malformed."""
    if not isinstance(amount, Mapping) or not isinstance(amount.get(currency_key), str):
        return None, None
    try:
        return to_minor_units(str(amount.get("value")), amount[currency_key]), amount[currency_key].upper()
    except ValidationFailed:
        return None, None


# What the API takes as an amount: ASCII digits, at most one dot with digits on both sides. No sign,
# no exponent, no underscore, no other script's digits (Python's Decimal() takes all of those).
AMOUNT_PATTERN = r"^[0-9]{1,18}(\.[0-9]{1,4})?$"
_AMOUNT = re.compile(AMOUNT_PATTERN, re.ASCII)


def parse_amount(text: str, currency: str) -> int:
    """An amount as the API receives it ("123.45") in minor units, strictly.

    Refuses anything but `AMOUNT_PATTERN`, and more decimals than the currency has, even zeros
    ("1200.0" JPY): what a client sends is what it means, never a rounding or a reading of ours.
    """
    if not isinstance(text, str) or not _AMOUNT.fullmatch(text):
        raise ValidationFailed(
            f"'{str(text)[:40]}' is not an amount: use ASCII digits and at most one dot, like \"123.45\".",
            field="amount",
        )
    exponent = currency_exponent(currency)
    if len(text.partition(".")[2]) > exponent:
        raise ValidationFailed(
            f"{currency.upper()} amounts have at most {exponent} decimal places; got '{text}'.", field="amount"
        )
    return to_minor_units(text, currency)
