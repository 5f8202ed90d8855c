"""The checks a write command makes before the ledger sees it: amounts and quantities
beyond the shop's sanity limits (confirm first), and what needs a manager.

Shop-wide settings (``shop.set_setting``), each with a default:

- ``sanity_amount``: an amount (price, payment) above this wants ``confirm``; default
  10,000 in the shop's currency (1,000,000 where the currency has no minor unit);
- ``sanity_quantity``: a line's quantity above this wants ``confirm``; default 100;
- ``discount_limit``: a discount above this percentage needs a manager; default 10.

The limits are the shop's: a wholesaler sets them higher, a café lower.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from app.engine.commands.registry import EngineContext
from sync import units
from sync.errors import NeedsConfirmation
from sync.money import exponent, qty_str

DEFAULT_QUANTITY = Decimal(100)
DEFAULT_DISCOUNT_LIMIT = Decimal(10)


def _setting(ctx: EngineContext, key: str) -> Decimal | None:
    value = ctx.engine.ledger.setting(key)
    if value in (None, ""):
        return None
    try:
        found = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return found if found.is_finite() else None


def sanity_amount(ctx: EngineContext) -> int:
    """The shop's sanity limit for one amount, in minor units."""
    currency = ctx.engine.ledger.currency
    exp = exponent(currency)
    limit = _setting(ctx, "sanity_amount")
    if limit is None:
        limit = Decimal(1_000_000 if exp == 0 else 10_000)
    return int(limit.scaleb(exp))


def check_amount(ctx: EngineContext, minor: int, confirm: bool, what: str = "amount") -> None:
    """Refuse with ``NeedsConfirmation`` an amount above the sanity limit, unless confirmed."""
    limit = sanity_amount(ctx)
    if not confirm and abs(minor) > limit:
        m = ctx.engine.ledger.money_text
        raise NeedsConfirmation(f"{what} {m(minor)} is more than the shop's limit of "
                                f"{m(limit)}; confirm if it is right")


def check_quantity(ctx: EngineContext, qty: Decimal, confirm: bool, what: str) -> None:
    """Refuse with ``NeedsConfirmation`` a quantity above the sanity limit, unless confirmed."""
    limit = _setting(ctx, "sanity_quantity") or DEFAULT_QUANTITY
    if not confirm and qty > limit:
        raise NeedsConfirmation(f"{qty_str(qty)} × {what} is more than the shop's limit of "
                                f"{qty_str(limit)}; confirm if it is right")


def in_selling_unit(qty: Decimal, unit: str | None, selling_unit: str) -> Decimal:
    """``qty`` of ``unit`` in the product's ``selling_unit`` (as the ledger will store it),
    for the sanity limit: 500 g of flour sold by the kg is 0.5, not 500. Unconvertible
    amounts are left as they are; the ledger refuses them in its own words."""
    if not unit:
        return qty
    converted = units.convert(qty, unit, selling_unit)
    return qty if converted is None else converted


def discount_limit(ctx: EngineContext) -> Decimal:
    limit = _setting(ctx, "discount_limit")
    return DEFAULT_DISCOUNT_LIMIT if limit is None else limit


def price_override(ctx: EngineContext, sku: Any, price: int | None) -> bool:
    """Whether ``price`` for product ``sku`` differs from its catalog price."""
    if not sku or price is None:
        return False
    product = ctx.engine.ledger.catalog.products().get(str(sku))
    return product is not None and int(product.get("price") or 0) != price
