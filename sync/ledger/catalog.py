"""The catalog: products, their aliases and prices, goods counted in or out.

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
from sync.catalog_prices import check_price
from sync.changes import Changes
from sync.errors import CommandRejected
from sync.ledger.product_records import (
    MAX_STOCK_CHANGE,
    UPDATABLE,
    check_sku,
    product_record,
    updated_fields,
)
from sync.ledger.records import DEFAULT_LOCATION, new_id
from sync.money import milli, qty_str

if TYPE_CHECKING:
    from sync.ledger.documents import LedgerCore


#: an option alias is a few words, not a sentence
MAX_ALIAS = 60
#: the group name plain variants answer to (``product add --variant``)
VARIANT_GROUP = "variant"


def _find_group(product: Mapping[str, Any], group: str) -> tuple[str, list[str]]:
    """The option group ``group`` names (any case), with its options; "variant" is the
    product's variants."""
    wanted = str(group or "").strip().lower()
    groups = {str(k): [str(o) for o in v] for k, v in (product.get("option_groups") or {}).items()}
    for name, options in groups.items():
        if name.lower() == wanted:
            return name, options
    if wanted in (VARIANT_GROUP, VARIANT_GROUP + "s") and product.get("variants"):
        return VARIANT_GROUP, [str(v) for v in product["variants"]]
    known = [*groups, *([VARIANT_GROUP] if product.get("variants") else [])]
    raise CommandRejected(f"{product.get('sku')} has no option group {group!r}; it has "
                          f"{', '.join(known) or 'none'}")


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
                    low_stock: Decimal | None = None,
                    variants: Iterable[str] | Mapping[str, int | None] = (),
                    option_groups: Mapping[str, Any] | None = None,
                    location: str = DEFAULT_LOCATION, by: str = "") -> Changes:
        """A new product; ``variants`` may map names to their own prices and
        ``option_groups`` options to what they add (``sync.catalog_prices``)."""
        sku = check_sku(sku)
        if Reader(self.ledger.shop_doc.doc).path("products", sku) is not None:
            raise CommandRejected(f"SKU {sku} already exists")
        record = product_record(sku, name, price, aliases=aliases, unit=unit,
                                tax_rate=tax_rate, low_stock=low_stock, variants=variants,
                                option_groups=option_groups, now=self.ledger.clock())
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            products = w.ensure_map(Root, "products")
            w.put_map(products, sku, record)
        changes = Changes(products={sku}, created=sku)
        if stock:
            changes.merge(self.adjust_stock(sku, stock, reason="initial stock", location=location,
                                            by=by))
            changes.created = sku
        return changes

    def update_product(self, sku: str, **fields: Any) -> Changes:
        """Change fields of a product (``UPDATABLE``); lists and groups are replaced."""
        bad = set(fields) - UPDATABLE
        if bad:
            raise CommandRejected(f"cannot change {', '.join(sorted(bad))} of a product")
        self.product(sku)
        writes = updated_fields(fields)
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("products", sku)
            assert obj is not None
            for key, value in writes.items():
                w.put(obj, key, value)
        return Changes(products={sku})

    def set_prices(self, prices: Mapping[str, int]) -> Changes:
        """New prices for several products in one transaction (bulk edit, its undo)."""
        for sku, price in prices.items():
            self.product(sku)
            check_price(price)
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            for sku, price in prices.items():
                obj = w.path("products", sku)
                assert obj is not None
                w.put(obj, "price", int(price))
        return Changes(products=set(prices))

    def import_products(self, rows: Iterable[Mapping[str, Any]], *, batch: int = 2000,
                        location: str = DEFAULT_LOCATION, by: str = "") -> Changes:
        """Add or change many products (a catalog file), every row checked first.

        A row names a ``sku``; for a new product it has the fields ``add_product``
        takes (and ``stock``), for a known one just the fields to change. ``batch``
        products share one fsynced transaction on the shop document; the initial stock
        of every new product is one transaction on this till's period document.
        """
        existing = set(self.products())
        now = self.ledger.clock()
        adds: list[tuple[str, dict[str, Any]]] = []
        edits: list[tuple[str, dict[str, Any]]] = []
        stock: dict[str, Decimal] = {}
        for row in rows:
            fields = dict(row)
            sku = check_sku(str(fields.pop("sku", "")))
            qty = fields.pop("stock", None)
            if sku in existing:
                bad = set(fields) - UPDATABLE
                if bad:
                    raise CommandRejected(f"cannot change {', '.join(sorted(bad))} of a product")
                edits.append((sku, updated_fields(fields)))
                continue
            adds.append((sku, product_record(
                sku, str(fields.get("name") or ""), int(fields.get("price") or 0),
                aliases=fields.get("aliases") or (), unit=fields.get("unit") or "each",
                tax_rate=fields.get("tax_rate") or "0", low_stock=fields.get("low_stock"),
                variants=fields.get("variants") or (),
                option_groups=fields.get("option_groups"), now=now,
                active=bool(fields.get("active", True)))))
            existing.add(sku)
            if qty:
                stock[sku] = Decimal(qty)
        work: list[tuple[str, dict[str, Any], bool]] = [(s, r, True) for s, r in adds] + \
            [(s, r, False) for s, r in edits if r]
        for start in range(0, len(work), batch):
            with self.ledger.docs.write(self.ledger.shop_doc) as w:
                products = w.ensure_map(Root, "products")
                for sku, record, new in work[start:start + batch]:
                    if new:
                        w.put_map(products, sku, record)
                        continue
                    obj = w.obj(products, sku)
                    assert obj is not None
                    for key, value in record.items():
                        w.put(obj, key, value)
        changes = Changes(products={s for s, _r, _n in work})
        if stock:
            changes.merge(self._count_many(stock, reason="initial stock", location=location,
                                           by=by))
        return changes

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

    def add_option_alias(self, sku: str, group: str, option: str, alias: str) -> Changes:
        """Remember another word for one of a product's options: "2.5 litre" or "big tin"
        for the Size "2.5L", "oatly" for the Milk "oat milk". ``group`` is an option
        group's name, or "variant" for the product's variants; both match any case.

        Kept at ``option_aliases[group][option]`` in the product. A product from before
        this field gets the map on first use; two tills adding the first alias of such a
        product at the same moment keep one of the two (the map is created twice).
        """
        product = self.product(sku)
        alias = " ".join(str(alias or "").split())
        if not alias or not any(ch.isalnum() for ch in alias):
            raise CommandRejected("the alias is empty")
        if len(alias) > MAX_ALIAS:
            raise CommandRejected(f"an alias is at most {MAX_ALIAS} characters")
        group_name, options = _find_group(product, group)
        option_name = next((o for o in options if o.lower() == str(option).strip().lower()),
                           None)
        if option_name is None:
            raise CommandRejected(f"{group_name} of {sku} has no option {option!r}; it has "
                                  f"{', '.join(options) or 'none'}")
        if alias.lower() == option_name.lower():
            raise CommandRejected(f"{alias!r} is the option's own name")
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("products", sku)
            assert obj is not None
            by_group = w.ensure_map(w.ensure_map(obj, "option_aliases"), group_name)
            existing = w.obj(by_group, option_name)
            if existing is None:
                w.put(by_group, option_name, [alias])
            elif alias.lower() not in {str(a).lower() for a in w.to_py(existing)}:
                w.append(existing, alias)
        return Changes(products={sku})

    def adjust_stock(self, sku: str, delta: Decimal, *, reason: str,
                     location: str = DEFAULT_LOCATION, by: str = "", undoes: str = "",
                     po: str = "", po_line: str = "") -> Changes:
        """Count goods in or out (delivery from a supplier, breakage, stock-take).

        The move is kept (``stock_moves`` in this till's period document); ``created``
        names it, so it can be taken back (``undo_adjustment``)."""
        self.product(sku)
        if not reason.strip():
            raise CommandRejected("say why the stock changes (a reason is required)")
        if delta == 0:
            raise CommandRejected("a stock adjustment of zero changes nothing")
        if abs(delta) > MAX_STOCK_CHANGE:
            raise CommandRejected(f"a stock change of {qty_str(delta)} is implausibly large")
        ledger = self.ledger
        period = ledger.docs.my_period()
        mid = new_id("mv")
        with ledger.docs.write(period) as w:
            self._bump_stock(w, sku, location, on_hand=milli(delta))
            moves = w.ensure_map(Root, "stock_moves")
            w.put_map(moves, mid, {"sku": sku, "location": location,
                                   "delta": qty_str(delta), "reason": reason.strip(),
                                   "at": ledger.clock(), "till": ledger.till_id, "by": by,
                                   "undoes": undoes, "po": po, "po_line": po_line})
        return Changes(stock={sku}, products={sku}, stock_moves={mid}, created=mid)

    def undo_adjustment(self, move_id: str, move: Mapping[str, Any], *, by: str = "") -> Changes:
        """Take back a stock move (``move``: its record, as the read model has it) with a
        move the other way that names it; the caller checks it was not undone before."""
        delta = Decimal(str(move["delta"]))
        return self.adjust_stock(str(move["sku"]), -delta, reason=f"undo: {move['reason']}",
                                 location=str(move.get("location") or DEFAULT_LOCATION),
                                 by=by, undoes=move_id)

    def receive(self, counts: Mapping[tuple[str, str], Decimal], *, po: str, reason: str,
                location: str = DEFAULT_LOCATION, by: str = "") -> Changes:
        """Goods in against purchase order ``po``: (sku, PO line) -> quantity, one move per
        line, all in one transaction (the moves are the receipt: ``purchasing``)."""
        for sku, _line in counts:
            self.product(sku)
        ledger = self.ledger
        mids: set[str] = set()
        with ledger.docs.write(ledger.docs.my_period()) as w:
            moves = w.ensure_map(Root, "stock_moves")
            for (sku, line), qty in counts.items():
                self._bump_stock(w, sku, location, on_hand=milli(qty))
                mid = new_id("mv")
                mids.add(mid)
                w.put_map(moves, mid, {"sku": sku, "location": location, "delta": qty_str(qty),
                                       "reason": reason, "at": ledger.clock(),
                                       "till": ledger.till_id, "by": by, "undoes": "",
                                       "po": po, "po_line": line})
        return Changes(stock={s for s, _l in counts}, products={s for s, _l in counts},
                       stock_moves=mids)

    def _count_many(self, counts: Mapping[str, Decimal], *, reason: str, location: str,
                    by: str) -> Changes:
        """Goods in for many products (an import's initial stock): one move whose
        ``lines`` map SKU -> quantity, and lean registers (just ``on_hand`` where this
        till has none yet); the read model shows the move as one row per SKU."""
        ledger = self.ledger
        till = ledger.till_id
        mid = new_id("mv")
        with ledger.docs.write(ledger.docs.my_period()) as w:
            stock = w.ensure_map(Root, "stock")
            for sku, qty in counts.items():
                key = stock_register_key(sku, location, till)
                if w.obj(stock, key) is None:
                    regs = w.put_map(stock, key, {"on_hand": milli(qty)})
                    if location != DEFAULT_LOCATION:
                        w.put(regs, "location", location)
                else:
                    self._bump_stock(w, sku, location, on_hand=milli(qty))
            moves = w.ensure_map(Root, "stock_moves")
            w.put_map(moves, mid, {"reason": reason, "location": location,
                                   "at": ledger.clock(), "till": till, "by": by,
                                   "lines": {sku: qty_str(qty) for sku, qty in counts.items()}})
        return Changes(stock=set(counts), products=set(counts), stock_moves={mid})

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
