"""Prices of a product's variants and options, and price changes in bulk: pure functions.

A product has a price; a *variant* (Small, Large) may have its own price, which replaces
it; an *option* in a group (Size: large, Extras: cheese) may add to it (or take off, with
a negative amount). Staff write them as ``Large=5.00`` and ``Size=small,large=1.50``: the
CLI, the catalog files and the window read the same text through ``variant_specs`` and
``option_specs``. No Automerge and no Qt here, so the window previews exactly what the
engine will store (``repriced``) and the ledger prices order lines with ``line_price``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from sync.errors import CommandRejected
from sync.money import format_money, parse_money

#: the most a single product may cost, in minor units (an Automerge Int is 64-bit; a
#: price this size is a typing slip, refused in plain words rather than overflowing)
MAX_PRICE_MINOR = 10**11
MAX_NAME = 200
MAX_SKU = 64
MAX_ALIAS = 100


def check_price(minor: int, what: str = "price") -> int:
    if minor < 0:
        raise CommandRejected(f"{what} cannot be negative")
    if minor > MAX_PRICE_MINOR:
        raise CommandRejected(f"{what} is implausibly large")
    return minor


def price_of(text: Any, currency: str, what: str = "price") -> int:
    """Minor units of a price staff typed, checked (not negative, not absurd)."""
    if text is None or str(text).strip() == "":
        raise CommandRejected(f"{what} is required")
    if isinstance(text, str) and len(text.strip()) > 20:
        raise CommandRejected(f"{what} {text.strip()[:24]}… is implausibly large")
    return check_price(parse_money(text, currency), what)


def _delta_of(text: str, currency: str, what: str) -> int:
    minor = parse_money(text, currency)
    if abs(minor) > MAX_PRICE_MINOR:
        raise CommandRejected(f"{what} is implausibly large")
    return minor


def _name(text: str, what: str) -> str:
    name = " ".join(str(text).split())
    if not name:
        raise CommandRejected(f"{what} needs a name")
    if len(name) > MAX_ALIAS:
        raise CommandRejected(f"{what} {name[:20]!r}… is longer than {MAX_ALIAS} characters")
    return name


def variant_specs(raw: Any, currency: str) -> dict[str, int | None]:
    """Variant name -> its own price (None: the product's price), from ``["Small",
    "Large=5.00"]`` or ``{"Large": "5.00"}``; names are unique regardless of case."""
    items: Iterable[tuple[str, Any]]
    if isinstance(raw, Mapping):
        items = raw.items()
    else:
        items = [_split(str(entry)) for entry in raw or [] if str(entry).strip()]
    out: dict[str, int | None] = {}
    for name, price in items:
        clean = _name(name, "a variant")
        if clean.lower() in {k.lower() for k in out}:
            raise CommandRejected(f"variant {clean!r} is listed twice")
        out[clean] = None if price in (None, "") else price_of(price, currency,
                                                                f"the price of {clean}")
    return out


def option_specs(raw: Mapping[str, Any] | None, currency: str) -> dict[str, dict[str, int]]:
    """Group -> option -> what it adds to the price, from ``{"Size": ["small",
    "large=1.50"]}`` or ``{"Size": {"large": "1.50"}}``."""
    out: dict[str, dict[str, int]] = {}
    for group, options in (raw or {}).items():
        gname = _name(group, "an option group")
        if gname.lower() in {k.lower() for k in out}:
            raise CommandRejected(f"option group {gname!r} is listed twice")
        entries: Iterable[tuple[str, Any]]
        if isinstance(options, Mapping):
            entries = options.items()
        elif isinstance(options, str):
            entries = [_split(o) for o in options.split(",") if o.strip()]
        else:
            entries = [_split(str(o)) for o in options or [] if str(o).strip()]
        opts: dict[str, int] = {}
        for name, delta in entries:
            oname = _name(name, f"an option of {gname}")
            if oname.lower() in {k.lower() for k in opts}:
                raise CommandRejected(f"option {oname!r} is listed twice in {gname}")
            opts[oname] = 0 if delta in (None, "") else _delta_of(
                str(delta), currency, f"the price of {oname}")
        if not opts:
            raise CommandRejected(f"option group {gname!r} has no options")
        out[gname] = opts
    return out


def _split(entry: str) -> tuple[str, str | None]:
    name, sep, price = entry.strip().rpartition("=")
    return (name, price) if sep else (price, None)


def variants_text(names: Iterable[str], prices: Mapping[str, int], currency: str) -> list[str]:
    """``["Small", "Large=5.00"]``: the form ``variant_specs`` reads back."""
    return [f"{n}={format_money(prices[n], currency)}" if n in prices else n for n in names]


def options_text(groups: Mapping[str, Iterable[str]], prices: Mapping[str, Mapping[str, int]],
                 currency: str) -> dict[str, list[str]]:
    """``{"Size": ["small", "large=1.50"]}``: the form ``option_specs`` reads back."""
    out = {}
    for group, names in groups.items():
        deltas = prices.get(group) or {}
        out[group] = [f"{n}={format_money(deltas[n], currency)}" if deltas.get(n) else n
                      for n in names]
    return out


def line_price(product: Mapping[str, Any], modifiers: Iterable[str]) -> int:
    """The unit price of an order line of ``product`` with these modifiers: a variant
    named in them replaces the price, each named option adds its amount."""
    price = int(product.get("price") or 0)
    words = {str(m).strip().lstrip("+").lower() for m in modifiers}
    for name, own in (product.get("variant_prices") or {}).items():
        if str(name).lower() in words and own is not None:
            price = int(own)
            break
    for options in (product.get("option_prices") or {}).values():
        for name, delta in (options or {}).items():
            if str(name).lower() in words:
                price += int(delta or 0)
    return max(price, 0)


def repriced(price: int, currency: str, *, percent: Any = None, amount: Any = None,
             to: Any = None) -> int:
    """A product's new price: ``to`` a price, up or down by ``amount``, or by ``percent``
    (rounded to the currency's smallest unit, half to even); never below zero."""
    given = [x for x in (percent, amount, to) if x not in (None, "")]
    if len(given) != 1:
        raise CommandRejected("give exactly one of: a percentage, an amount, a new price")
    if to not in (None, ""):
        return price_of(to, currency, "the new price")
    if amount not in (None, ""):
        new = price + _delta_of(str(amount), currency, "the change")
    else:
        try:
            pct = Decimal(str(percent).strip().rstrip("%").replace(",", "."))
        except InvalidOperation:
            raise CommandRejected(f"{percent!r} is not a percentage") from None
        if not pct.is_finite() or abs(pct) > 1000:
            raise CommandRejected(f"a change of {percent}% is implausible")
        new = int((Decimal(price) * (1 + pct / 100)).quantize(Decimal(1),
                                                              rounding=ROUND_HALF_EVEN))
    if new < 0:
        raise CommandRejected(f"that would make a price negative ({format_money(new, currency)})")
    return check_price(new, "the new price")


__all__ = ["MAX_NAME", "MAX_PRICE_MINOR", "MAX_SKU", "check_price", "line_price",
           "option_specs", "options_text", "price_of", "repriced", "variant_specs",
           "variants_text"]
