"""Money as integer minor units; quantities as decimals.

Currency exponents and the way people read amounts come from Babel's CLDR data (a
maintained library, updated with each CLDR release), never from a hand-kept table: XOF,
UGX and JPY have no minor unit, BHD has three. A shop's locale follows from its region
through CLDR's likely subtags (GB -> en_GB, DE -> de_DE, SN -> wo_SN, JP -> ja_JP), unless
the shop sets ``locale``; ``money_text`` then shows "£1,234.50", "1.234,50 €", "F CFA 1.500".

Amounts cross the protocol as plain decimal text in the shop's currency ("1234.50",
``format_money``): machine text, the same on every till whatever its locale.

Two limits: ``MAX_MINOR`` is the hard ceiling (a 20-digit price is refused in plain words
rather than overflowing Automerge's 64-bit integers), and each shop may set a lower
sanity limit above which a command wants a confirmation (``sync.ledger.checks``).
"""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel import numbers as cldr

from sync.errors import CommandRejected

#: The largest amount (minor units) any field may hold: a sum of many such amounts still
#: fits in the 64-bit integers Automerge and SQLite store (2**63 is about 9.2e18).
MAX_MINOR = 10**15
#: The largest quantity of one line or stock move; shops set a lower sanity limit.
MAX_QUANTITY = Decimal(1_000_000)
DEFAULT_LOCALE = "en_GB"


@functools.cache
def known_currencies() -> frozenset[str]:
    """Every ISO 4217 code CLDR knows."""
    return frozenset(cldr.list_currencies())


def check_currency(code: str) -> str:
    """``code`` upper-cased, refused when it is not an ISO 4217 currency CLDR knows."""
    upper = (code or "").strip().upper()
    if upper not in known_currencies():
        raise CommandRejected(f"{code!r} is not an ISO 4217 currency code")
    return upper


@functools.cache
def exponent(currency: str) -> int:
    """Digits after the decimal point (CLDR's currency data: JPY 0, EUR 2, BHD 3)."""
    return int(cldr.get_currency_precision(currency.upper()))


@functools.cache
def region_locale(region: str) -> str:
    """The locale CLDR's likely subtags give a region (``GB`` -> ``en_GB``)."""
    try:
        return str(Locale.parse(f"und_{(region or 'GB').upper()}"))
    except (UnknownLocaleError, ValueError):
        return DEFAULT_LOCALE


@functools.cache
def _locale(name: str) -> Locale:
    try:
        return Locale.parse(name or DEFAULT_LOCALE)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LOCALE)


def check_locale(name: str) -> str:
    """A locale name Babel knows (``de_CH``), refused otherwise."""
    try:
        return str(Locale.parse(str(name).strip()))
    except (UnknownLocaleError, ValueError, TypeError):
        raise CommandRejected(f"{name!r} is not a locale such as en_GB or de_DE") from None


def _check_size(minor: int, text: object, currency: str) -> int:
    if abs(minor) > MAX_MINOR:
        limit = format_money(MAX_MINOR, currency)
        raise CommandRejected(f"{text} is an implausibly large amount of money (at most {limit})")
    return minor


def parse_money(text: str | float | Decimal, currency: str, locale: str | None = None) -> int:
    """``"2.50"`` in EUR -> 250. Refuses more decimals than the currency has and amounts
    beyond ``MAX_MINOR``. With a ``locale``, its grouping is understood too ("1.234,50" in
    de_DE, "1,234.50" in en_GB); a currency symbol around the number is ignored."""
    if isinstance(text, Decimal):
        amount = text
    else:
        raw = str(text).strip()
        found = _locale_decimal(raw, currency, locale) if locale else None
        if found is None:
            try:
                found = Decimal(raw.replace(",", "."))
            except InvalidOperation:
                raise CommandRejected(f"{text!r} is not an amount of money") from None
        amount = found
    if not amount.is_finite():
        raise CommandRejected(f"{text!r} is not an amount of money")
    if abs(amount) > Decimal(MAX_MINOR):  # before scaling: 1e400 must not be computed
        _check_size(MAX_MINOR + 1, text, currency)
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise CommandRejected(f"{text} has more decimals than {currency.upper()} allows")
    return _check_size(int(scaled), text, currency)


def _locale_decimal(raw: str, currency: str, locale: str) -> Decimal | None:
    """``raw`` read with ``locale``'s separators, or None to fall back to the plain rule."""
    loc = _locale(locale)
    symbol = cldr.get_currency_symbol(currency.upper(), locale=loc)
    cleaned = raw.replace(symbol, "").replace(currency.upper(), "").strip().replace(
        "\u00a0", " ").replace("\u202f", " ")
    if not cleaned:
        return None
    if not any(c in cleaned for c in ",.' "):
        try:
            return Decimal(cleaned)
        except InvalidOperation:
            return None
    try:
        value = cldr.parse_decimal(cleaned, locale=loc, strict=True)
    except cldr.NumberFormatError:
        return None
    return Decimal(value)


def format_money(minor: int, currency: str) -> str:
    """Plain decimal text of an amount ("1234.50", "-0.05", "1500"): what the protocol and
    machine-readable files carry."""
    exp = exponent(currency)
    return f"{Decimal(minor).scaleb(-exp):.{exp}f}"


def money_text(minor: int, currency: str, locale: str = DEFAULT_LOCALE) -> str:
    """An amount as people read it in ``locale``: symbol, grouping, the currency's
    decimals ("£1,234.50", "1.234,50 €", "￥1,500")."""
    exp = exponent(currency)
    amount = Decimal(minor).scaleb(-exp)
    return str(cldr.format_currency(amount, currency.upper(), locale=_locale(locale),
                                    currency_digits=True))


def parse_quantity(text: str | float | Decimal) -> Decimal:
    try:
        qty = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        raise CommandRejected(f"{text!r} is not a quantity") from None
    if not qty.is_finite() or qty <= 0:
        raise CommandRejected(f"quantity must be more than zero, not {text}")
    if qty > MAX_QUANTITY:
        raise CommandRejected(f"quantity {text} is implausibly large")
    if qty != qty.quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN):
        raise CommandRejected(f"quantity {text} has more than three decimals")
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
