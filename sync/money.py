"""Money as integer minor units; quantities as decimals."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from sync.errors import CommandRejected

# ISO 4217 currencies whose minor unit is not 2 digits.
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "HUF": 2, "BHD": 3,
              "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3, "IQD": 3, "LYD": 3}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def parse_money(text: str | float | Decimal, currency: str) -> int:
    """``"2.50"`` in EUR -> 250. Refuses more decimals than the currency has."""
    try:
        amount = Decimal(str(text).strip().replace(",", ".")) if not isinstance(text, Decimal) \
            else text
    except InvalidOperation:
        raise CommandRejected(f"{text!r} is not an amount of money") from None
    if not amount.is_finite():
        raise CommandRejected(f"{text!r} is not an amount of money")
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise CommandRejected(f"{text} has more decimals than {currency.upper()} allows")
    return int(scaled)


def format_money(minor: int, currency: str) -> str:
    exp = exponent(currency)
    return f"{Decimal(minor).scaleb(-exp):.{exp}f}"


def parse_quantity(text: str | float | Decimal) -> Decimal:
    try:
        qty = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        raise CommandRejected(f"{text!r} is not a quantity") from None
    if not qty.is_finite() or qty <= 0:
        raise CommandRejected(f"quantity must be more than zero, not {text}")
    if qty > 1_000_000:
        raise CommandRejected(f"quantity {text} is implausibly large")
    return qty.normalize() if qty == qty.to_integral_value() else qty


def qty_str(qty: Decimal) -> str:
    text = format(qty, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def line_total(qty: Decimal, unit_price_minor: int) -> int:
    return int((qty * unit_price_minor).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def milli(qty: Decimal) -> int:
    """Stock counters count thousandths so weighed goods fit in integer counters."""
    return int((qty * 1000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
