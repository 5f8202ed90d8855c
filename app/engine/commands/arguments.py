"""Reading the parameters only a handler can read: money (it needs the shop's currency),
times, signed quantities, order lines, fulfilment, the customer or order a command names.

Every refusal is a ``CommandRejected`` in plain words, the same words the command table
used before the protocol existed (tests and the CLI check them).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.engine.till_engine import TillEngine
from sync.errors import CommandRejected, NotFound
from sync.ledger import FulfilmentInput, LineInput
from sync.money import money_text, parse_money, parse_quantity


def money(engine: TillEngine, value: Any, what: str = "amount") -> int:
    """Minor units of ``value`` in the shop's currency (its locale's grouping understood)."""
    if value is None or value == "" or (isinstance(value, str) and not value.strip()):
        raise CommandRejected(f"{what} is required")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise CommandRejected(f"{what} must be an amount of money, not {value!r}")
    ledger = engine.ledger
    return parse_money(value, ledger.currency, ledger.locale)


def signed_quantity(value: Any) -> Decimal:
    """A signed quantity (stock adjustment, threshold) from text or a number."""
    try:
        qty = Decimal(str(value).strip().replace(",", "."))
    except ArithmeticError:
        raise CommandRejected(f"{value!r} is not a quantity") from None
    if not qty.is_finite():
        raise CommandRejected(f"{value!r} is not a quantity")
    return qty


def when(value: Any, what: str = "") -> dt.datetime | None:
    """An aware time from ISO text; None for none."""
    if value in (None, ""):
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise CommandRejected(f"{value!r} is not a date and time (use 2026-11-23T17:00)") \
            from None
    if parsed.tzinfo is None:
        raise CommandRejected(f"{what or repr(value)} needs a timezone offset, e.g. +00:00")
    return parsed


def money_fields(engine: TillEngine, row: dict[str, Any], *keys: str) -> dict[str, Any]:
    """Add ``<key>_text`` (the amount as the shop's people read it) beside each amount."""
    currency, locale = engine.ledger.currency, engine.ledger.locale
    for key in keys:
        if row.get(key) is not None:
            row[f"{key}_text"] = money_text(int(row[key]), currency, locale)
    return row


def line_inputs(engine: TillEngine, raw: list[Any]) -> list[LineInput]:
    """Order lines from ``SKU:QTY`` texts or objects (sku, qty, unit, asked, description,
    unit_price, notes, modifiers)."""
    lines = []
    for item in raw:
        if isinstance(item, str):
            sku, sep, qty = item.rpartition(":")
            if not sep or not sku:
                raise CommandRejected(f"line {item!r} should look like SKU:QTY")
            item = {"sku": sku, "qty": qty}
        if not isinstance(item, dict):
            raise CommandRejected(f"cannot read order line {item!r}")
        price = item.get("unit_price")
        lines.append(LineInput(
            quantity=parse_quantity(item.get("qty", 1)), sku=item.get("sku") or None,
            description=item.get("description"),
            unit_price=money(engine, price, "line price") if price not in (None, "") else None,
            notes=str(item.get("notes") or ""),
            modifiers=[str(m) for m in item.get("modifiers") or []],
            tax_rate=str(item["tax_rate"]) if item.get("tax_rate") not in (None, "") else None,
            unit=str(item["unit"]).strip() or None if item.get("unit") else None,
            asked=str(item.get("asked") or "")))
    return lines


def fulfilment(raw: Any, delivery_address: str | None) -> FulfilmentInput | None:
    """Pickup or delivery from ``fulfilment`` (a kind or an object) and an address."""
    if raw is None and not delivery_address:
        return None
    f = {"kind": raw} if isinstance(raw, str) else dict(raw or {})
    if delivery_address:
        f.setdefault("kind", "delivery")
        f["address"] = delivery_address
    return FulfilmentInput(kind=str(f.get("kind") or "pickup"), address=str(f.get("address") or ""),
                           carrier=str(f.get("carrier") or ""),
                           tracking=str(f.get("tracking") or ""))


def order_ref(engine: TillEngine, ref: str) -> str:
    """The order a command names (id or number); the shop must exist."""
    engine.require_shop()
    return ref


def customer_id(engine: TillEngine, ref: str | None) -> str:
    """The customer an id, phone or email names, following merges."""
    engine.require_shop()
    if not ref:
        raise CommandRejected("name a customer by phone, email or id")
    found = engine.ledger.customers.find(ref)
    if found is None:
        raise NotFound(f"no customer with phone, email or id {ref!r}")
    return found
