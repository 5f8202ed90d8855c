"""The stored layout of a product, and the checks on every field of one.

One place for ``catalog.add_product``, ``update_product`` and the catalog import, so a
product from a file is exactly what the command writes. Variants keep their names in
``variants`` (as before) and their own prices in ``variant_prices``; option groups keep
their option names in ``option_groups`` (as before) and what each adds in
``option_prices``: documents written before prices existed read as they did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from sync import units
from sync.catalog_prices import MAX_ALIAS, MAX_NAME, MAX_SKU, check_price
from sync.errors import CommandRejected
from sync.ledger.checks import check_level, check_rate
from sync.money import qty_str
from sync.vocabulary import COUNT_UNITS, UNITS

#: the fields ``update_product`` may change
UPDATABLE = frozenset({"name", "price", "unit", "tax_rate", "active", "low_stock", "aliases",
                       "variants", "option_groups", "category"})
MAX_CATEGORY = 60
#: one stock adjustment larger than this is a typing slip (a barcode in the amount box)
MAX_STOCK_CHANGE = Decimal(1_000_000)


def check_sku(sku: str) -> str:
    sku = (sku or "").strip()
    if not sku or any(c.isspace() for c in sku) or ":" in sku:
        raise CommandRejected(f"SKU {sku!r} must be non-empty, without spaces or ':'")
    if len(sku) > MAX_SKU:
        raise CommandRejected(f"SKU {sku[:20]}… is longer than {MAX_SKU} characters")
    return sku


def check_name(name: Any) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise CommandRejected("the product needs a name")
    if len(text) > MAX_NAME:
        raise CommandRejected(f"the name {text[:20]!r}… is longer than {MAX_NAME} characters")
    return text


def check_unit(unit: Any) -> str:
    """A selling unit: a weight, volume or length ``sync.units`` converts (or a multiple
    of one: "100g"), or a counted unit of ``COUNT_UNITS``; its code as stored."""
    found = units.unit(str(unit or "each"))
    if found.measured or found.code in COUNT_UNITS:
        return found.code
    raise CommandRejected(f"unknown unit {str(unit)!r}; use one of: {', '.join(UNITS)}, "
                          "or a multiple such as 100g")


def check_aliases(aliases: Iterable[str]) -> list[str]:
    out: list[str] = []
    for alias in aliases:
        text = " ".join(str(alias).split())
        if not text:
            continue
        if len(text) > MAX_ALIAS:
            raise CommandRejected(f"alias {text[:20]!r}… is longer than {MAX_ALIAS} characters")
        if text.lower() not in {a.lower() for a in out}:
            out.append(text)
    return out


def _variants(raw: Iterable[str] | Mapping[str, int | None]) -> tuple[list[str], dict[str, int]]:
    if isinstance(raw, Mapping):
        names = [str(n) for n in raw]
        prices = {str(n): check_price(int(p), f"the price of {n}") for n, p in raw.items()
                  if p is not None}
    else:
        names, prices = [str(n) for n in raw], {}
    if len({n.lower() for n in names}) != len(names):
        raise CommandRejected("a variant is listed twice")
    return names, prices


def _options(raw: Mapping[str, Any] | None) -> tuple[dict[str, list[str]],
                                                     dict[str, dict[str, int]]]:
    groups: dict[str, list[str]] = {}
    prices: dict[str, dict[str, int]] = {}
    for group, options in (raw or {}).items():
        if isinstance(options, Mapping):
            groups[str(group)] = [str(o) for o in options]
            deltas = {str(o): int(d or 0) for o, d in options.items() if d}
            if deltas:
                prices[str(group)] = deltas
        else:
            groups[str(group)] = [str(o) for o in options]
    return groups, prices


def product_record(sku: str, name: str, price: int, *, aliases: Iterable[str] = (),
                   unit: str = "each", tax_rate: Any = "0", low_stock: Any = None,
                   variants: Iterable[str] | Mapping[str, int | None] = (),
                   option_groups: Mapping[str, Any] | None = None, now: dt.datetime,
                   active: bool = True) -> dict[str, Any]:
    """The stored layout of a new product, every field checked.

    Fields with nothing in them (no threshold, no variants, no options) are left out:
    every reader takes them as empty, and with automerge 0.2.0.dev4 each field costs
    ~20 µs to write, which is most of a 10,000-product import."""
    names, vprices = _variants(variants)
    groups, oprices = _options(option_groups)
    record: dict[str, Any] = {
        "sku": sku, "name": check_name(name), "aliases": check_aliases(aliases),
        "unit": check_unit(unit), "price": check_price(int(price)),
        "tax_rate": check_rate(tax_rate), "active": bool(active), "created_at": now,
    }
    if low_stock not in (None, ""):
        record["low_stock"] = qty_str(check_level(low_stock))
    optional = {"variants": names, "variant_prices": vprices, "option_groups": groups,
                "option_prices": oprices}
    record.update({k: v for k, v in optional.items() if v})
    return record


def updated_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """What ``update_product`` writes for ``fields``, every value checked."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "variants":
            out["variants"], out["variant_prices"] = _variants(value or [])
        elif key == "option_groups":
            out["option_groups"], out["option_prices"] = _options(value or {})
        elif key in _FIELD_CHECKS:
            out[key] = _FIELD_CHECKS[key](value)
    return out


def _check_minor_price(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CommandRejected("price must be a non-negative amount in minor units")
    return check_price(value)


#: a product field -> the check that turns what was given into what is stored
_FIELD_CHECKS: dict[str, Callable[[Any], Any]] = {
    "name": lambda v: check_name(v), "price": _check_minor_price, "unit": lambda v: check_unit(v),
    "tax_rate": lambda v: check_rate(v), "active": bool,
    "low_stock": lambda v: None if v in (None, "") else qty_str(check_level(v)),
    "aliases": lambda v: check_aliases(v or []), "category": lambda v: check_category(v)}


def check_category(value: Any) -> str:
    """A product's category (reports group sales by it); "" for none."""
    text = " ".join(str(value or "").split())
    if len(text) > MAX_CATEGORY:
        raise CommandRejected(f"the category {text[:20]!r}… is longer than {MAX_CATEGORY} "
                              "characters")
    return text
