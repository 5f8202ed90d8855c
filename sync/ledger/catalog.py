"""The catalog: products, their aliases, goods counted in or out, suppliers.

Products and suppliers live in the shop document. Stock counted in or out
(``adjust_stock``) goes into this till's own registers in its period document, one per
(sku, location, till), summed over every till on read: this automerge build panics on
``Counter``, and a register only its till writes never conflicts (see ``am_doc``). What
orders hold is not counted here; it follows from the orders' merged state (``orders``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sync.am_doc import Reader, Root, Writer, stock_register_key
from sync.changes import Changes
from sync.errors import CommandRejected
from sync.ledger.checks import check_level, check_rate
from sync.ledger.records import DEFAULT_LOCATION, new_id
from sync.money import milli, qty_str

if TYPE_CHECKING:
    from sync.ledger.documents import LedgerCore


class CatalogManager:
    """``ledger.catalog``: what the shop sells and how much of it is on the shelf."""

    def __init__(self, ledger: LedgerCore) -> None:
        self.ledger = ledger

    def products(self) -> dict[str, dict[str, Any]]:
        """sku -> product, inactive ones included."""
        return dict(Reader(self.ledger.shop_doc.doc).value(Root, "products", {}) or {})

    def product(self, sku: str) -> dict[str, Any]:
        reader = Reader(self.ledger.shop_doc.doc)
        obj = reader.path("products", sku)
        if obj is None:
            raise CommandRejected(f"unknown SKU {sku!r}")
        return dict(reader.to_py(obj))

    def add_product(self, sku: str, name: str, price: int, *, aliases: Iterable[str] = (),
                    unit: str = "each", tax_rate: str = "0", stock: Decimal | None = None,
                    low_stock: Decimal | None = None, variants: Iterable[str] = (),
                    option_groups: Mapping[str, Iterable[str]] | None = None,
                    location: str = DEFAULT_LOCATION, by: str = "") -> Changes:
        sku = (sku or "").strip()
        if not sku or any(c.isspace() for c in sku) or ":" in sku:
            raise CommandRejected(f"SKU {sku!r} must be non-empty, without spaces or ':'")
        if not (name or "").strip():
            raise CommandRejected("the product needs a name")
        if price < 0:
            raise CommandRejected("price cannot be negative")
        if Reader(self.ledger.shop_doc.doc).path("products", sku) is not None:
            raise CommandRejected(f"SKU {sku} already exists")
        tax_rate = check_rate(tax_rate)
        if low_stock is not None:
            low_stock = check_level(low_stock)
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            products = w.ensure_map(Root, "products")
            w.put_map(products, sku, {
                "sku": sku, "name": name.strip(),
                "aliases": [a.strip() for a in aliases if a.strip()],
                "unit": unit, "price": price, "tax_rate": str(tax_rate), "active": True,
                "low_stock": qty_str(low_stock) if low_stock is not None else None,
                "variants": list(variants),
                "option_groups": {k: list(v) for k, v in (option_groups or {}).items()},
                "created_at": self.ledger.clock(),
            })
        changes = Changes(products={sku}, created=sku)
        if stock:
            changes.merge(self.adjust_stock(sku, stock, reason="initial stock", location=location,
                                            by=by))
        return changes

    def update_product(self, sku: str, **fields: Any) -> Changes:
        allowed = {"name", "price", "unit", "tax_rate", "active", "low_stock", "aliases",
                   "variants", "option_groups", "category"}
        bad = set(fields) - allowed
        if bad:
            raise CommandRejected(f"cannot change {', '.join(sorted(bad))} of a product")
        self.product(sku)
        if "name" in fields:
            if not str(fields["name"] or "").strip():
                raise CommandRejected("the product needs a name")
            fields["name"] = str(fields["name"]).strip()
        if "price" in fields and (not isinstance(fields["price"], int) or fields["price"] < 0):
            raise CommandRejected("price must be a non-negative amount in minor units")
        if "tax_rate" in fields:
            fields["tax_rate"] = check_rate(fields["tax_rate"])
        if fields.get("low_stock") is not None:
            fields["low_stock"] = qty_str(check_level(fields["low_stock"]))
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("products", sku)
            assert obj is not None
            for key, value in fields.items():
                w.put(obj, key, value)
        return Changes(products={sku})

    def add_alias(self, sku: str, alias: str) -> Changes:
        """Remember a shop word for a product (intake corrections)."""
        self.product(sku)
        alias = alias.strip()
        if not alias:
            raise CommandRejected("alias is empty")
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("products", sku, "aliases")
            assert obj is not None
            if alias.lower() not in {str(a).lower() for a in w.to_py(obj)}:
                w.append(obj, alias)
        return Changes(products={sku})

    def adjust_stock(self, sku: str, delta: Decimal, *, reason: str,
                     location: str = DEFAULT_LOCATION, by: str = "") -> Changes:
        """Count goods in or out (delivery from a supplier, breakage, stock-take)."""
        self.product(sku)
        if not reason.strip():
            raise CommandRejected("say why the stock changes (a reason is required)")
        if delta == 0:
            raise CommandRejected("a stock adjustment of zero changes nothing")
        ledger = self.ledger
        period = ledger.docs.my_period()
        with ledger.docs.write(period) as w:
            self._bump_stock(w, sku, location, on_hand=milli(delta))
            moves = w.ensure_map(Root, "stock_moves")
            w.put_map(moves, new_id("mv"), {"sku": sku, "location": location,
                                            "delta": qty_str(delta), "reason": reason,
                                            "at": ledger.clock(), "till": ledger.till_id,
                                            "by": by})
        return Changes(stock={sku}, products={sku})

    def _bump_stock(self, w: Writer, sku: str, location: str, *, on_hand: int = 0,
                    reserved: int = 0) -> None:
        """Add to this till's own stock register for ``sku`` at ``location`` (see am_doc)."""
        till = self.ledger.till_id
        stock = w.ensure_map(Root, "stock")
        key = stock_register_key(sku, location, till)
        regs = w.obj(stock, key)
        if regs is None:
            regs = w.put_map(stock, key, {"sku": sku, "location": location,
                                          "till": till, "on_hand": 0, "reserved": 0})
        if on_hand:
            w.put(regs, "on_hand", int(w.value(regs, "on_hand", 0) or 0) + on_hand)
        if reserved:
            w.put(regs, "reserved", int(w.value(regs, "reserved", 0) or 0) + reserved)

    def add_supplier(self, name: str, *, contact: str = "", products: Iterable[str] = (),
                     lead_time_days: int = 0) -> Changes:
        if not name.strip():
            raise CommandRejected("the supplier needs a name")
        skus = list(products)
        for sku in skus:
            self.product(sku)
        sid = new_id("sup")
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            w.put_map(w.ensure_map(Root, "suppliers"), sid, {
                "id": sid, "name": name.strip(), "contact": contact, "products": skus,
                "lead_time_days": int(lead_time_days)})
        return Changes(suppliers={sid}, created=sid)
