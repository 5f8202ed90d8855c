"""The stored layout of orders and their lines: one place for ``orders.create`` and the
bulk import (``order_import``), so an imported order is exactly what a command writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from sync import lifecycle, units
from sync.catalog_prices import line_price
from sync.errors import CommandRejected
from sync.ledger.checks import check_rate
from sync.ledger.records import FulfilmentInput, LineInput, new_id
from sync.money import qty_str
from sync.order_totals import order_totals

#: the customer's words kept on a line, at most (an SMS is 1530 characters at most)
MAX_ASKED = 200


def selling_amount(quantity: Decimal, unit: str | None, selling_unit: str,
                   what: str) -> tuple[Decimal, dict[str, Any]]:
    """``quantity`` of ``unit`` in the selling unit, and the fields that keep what was
    asked ("asked_qty", "asked_unit"); refused in plain words when it cannot convert."""
    if not unit or units.unit(unit).code == units.unit(selling_unit).code:
        return quantity, {}
    converted = units.convert(quantity, unit, selling_unit)
    if converted is None:
        raise CommandRejected(f"{what} is sold by {selling_unit}; {qty_str(quantity)} {unit} "
                              "cannot be said in it (weigh it, or give the amount in "
                              f"{selling_unit})")
    stored = units.stored(converted)
    if stored <= 0:
        raise CommandRejected(f"{qty_str(quantity)} {unit} of {what} is less than "
                              f"0.001 {selling_unit}")
    return stored, {"asked_qty": qty_str(quantity), "asked_unit": units.unit(unit).code}


def known_product(catalog: Mapping[str, Mapping[str, Any]], sku: str) -> Mapping[str, Any]:
    """``catalog[sku]``, refused in plain words when the shop does not sell it."""
    if sku not in catalog:
        raise CommandRejected(f"unknown SKU {sku!r}")
    return catalog[sku]


def check_quantity_for_unit(qty: Decimal, unit: str, what: str) -> None:
    """Decimals only for weighed or measured goods: 1.5 kg of flour, never 1.5 pizzas."""
    if qty != qty.to_integral_value() and not units.unit(unit).measured:
        raise CommandRejected(f"{what} is sold by the piece: {qty_str(qty)} is not a whole "
                              "number")


def line_record(line: LineInput,
                product_of: Callable[[str], Mapping[str, Any]]) -> dict[str, Any]:
    """Stored form of an order line: catalog price, name, unit and tax rate unless the
    line gives its own price or rate. The rate is kept on the line, so a product's tax
    is never lost when its catalog entry changes later."""
    if line.sku:
        product = product_of(line.sku)
        if not product.get("active", True):
            raise CommandRejected(f"product {line.sku} is no longer sold")
        # a variant named in the modifiers has its own price; named options add theirs
        price = line.unit_price if line.unit_price is not None else \
            line_price(product, line.modifiers)
        desc = line.description or product["name"]
        unit = str(product.get("unit") or "each")
        rate = line.tax_rate if line.tax_rate is not None else str(product.get("tax_rate") or "0")
    else:
        if not (line.description or "").strip():
            raise CommandRejected("a free-text line needs a description")
        if line.unit_price is None:
            raise CommandRejected(f"free-text line {line.description!r} needs a price")
        price, desc = line.unit_price, line.description or ""
        unit, rate = "each", line.tax_rate or "0"
    if price < 0:
        raise CommandRejected("a line price cannot be negative")
    if not line.sku:
        unit = units.unit(line.unit or "each").code
    qty, asked = selling_amount(line.quantity, line.unit if line.sku else None, unit, desc)
    check_quantity_for_unit(qty, unit, desc)
    record = {"sku": line.sku, "description": desc, "qty": qty_str(qty), "unit": unit,
              "unit_price": price, "notes": line.notes, "modifiers": list(line.modifiers),
              "removed": False, "returned_qty": "0", "stock_qty": "0",
              "tax_rate": check_rate(rate), **asked}
    if line.asked.strip():
        record["asked"] = " ".join(line.asked.split())[:MAX_ASKED]
    return record


def new_order_record(oid: str, number: str, *, till: str, customer_id: str | None,
                     resolved: list[dict[str, Any]], channel: str, notes: str,
                     tags: Iterable[str], assignee: str, due_at: dt.datetime | None,
                     fulfil: FulfilmentInput, custom_fields: Mapping[str, str] | None,
                     source_message_ids: Iterable[str], by: str,
                     now: dt.datetime, prices_include_tax: bool = True) -> dict[str, Any]:
    """The stored layout of a new order, status new, made by ``till`` at ``now``.

    ``prices_include_tax`` is the shop's setting when the order is taken, kept on the
    order: changing the setting later does not change what past orders cost."""
    lines = {new_id("ln"): dict(r, pos=i) for i, r in enumerate(resolved)}
    total = order_totals({"lines": lines, "prices_include_tax": prices_include_tax}).total
    return {
        "id": oid, "number": number, "till": till, "channel": channel,
        "customer_id": customer_id, "status": lifecycle.NEW, "created_at": now,
        "updated_at": now, "lines": lines, "prices_include_tax": prices_include_tax,
        "total": total, "notes": notes, "tags": {t: True for t in tags},
        "assignee": assignee, "due_at": due_at,
        "fulfilment": {"kind": fulfil.kind, "address": fulfil.address,
                       "carrier": fulfil.carrier, "tracking": fulfil.tracking},
        "custom": dict(custom_fields or {}), "source_messages": {
            m: True for m in source_message_ids},
        "payments": {}, "stock_state": "none",
        "history": [{"at": now, "till": till, "by": by, "field": "status",
                     "old": None, "new": lifecycle.NEW}],
    }
