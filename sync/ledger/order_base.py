"""What every order command shares: finding an order, one transaction on it, its history,
its lines, its total and what it holds of stock.

``OrderManager`` (``orders``) is built on this with the money commands of
``order_money`` (payments, refunds, returns, discounts, exchanges); both write through
``_order_tx`` and keep the history the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sync import lifecycle
from sync.am_doc import Obj, Reader, Writer
from sync.changes import Changes
from sync.errors import NotFound
from sync.ids import DocId, OrderId
from sync.ledger.order_import import OrderImport
from sync.ledger.order_records import known_product, line_record
from sync.ledger.records import LineInput
from sync.money import milli, qty_str
from sync.order_totals import OrderMoney, order_totals

if TYPE_CHECKING:
    from sync.ledger.catalog import CatalogManager
    from sync.ledger.customers import CustomerManager
    from sync.ledger.documents import LedgerCore
    from sync.ledger.inbox import InboxManager
    from sync.ledger.tills import TillManager


class OrderBase:
    """Finding, reading and writing one order; the history and totals every command keeps."""

    def __init__(self, ledger: LedgerCore, *, catalog: CatalogManager,
                 customers: CustomerManager, tills: TillManager, inbox: InboxManager) -> None:
        self.ledger = ledger
        self.catalog = catalog
        self.customers = customers
        self.tills = tills
        self.inbox = inbox
        self._import = OrderImport(ledger, catalog=catalog, tills=tills)

    def locate(self, ref: str) -> tuple[OrderId, DocId]:
        """(order id, period doc) for an order id or number such as ``A-0042``."""
        docs = self.ledger.docs
        ref = ref.strip()
        oid = docs.numbers.get(ref.upper(), ref)
        doc_id = docs.orders.get(oid)
        if doc_id is None and docs.locate_order is not None:
            found = docs.locate_order(ref)
            if found is not None:
                oid, doc_id = found
                docs.index(doc_id)
        if doc_id is None:
            raise NotFound(f"no order {ref}")
        return OrderId(oid), doc_id

    def get(self, ref: str) -> dict[str, Any]:
        """The stored order (by id or number), plus the ``doc_id`` of its period document."""
        oid, doc_id = self.locate(ref)
        reader = self.ledger.docs.reader(doc_id)
        obj = reader.path("orders", oid)
        if obj is None:
            raise NotFound(f"no order {ref}")
        out = dict(reader.to_py(obj))
        out["doc_id"] = doc_id
        return out

    def money(self, ref: str) -> OrderMoney:
        """Every figure of an order: totals, tax per rate, what returns gave back."""
        return order_totals(self.get(ref))

    def resolve_line(self, line: LineInput,
                     catalog: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """Stored form of a line; ``catalog`` (sku -> product) saves lookups in bulk imports."""
        return line_record(line, self.catalog.product if catalog is None
                           else lambda sku: known_product(catalog, sku))

    @contextmanager
    def _order_tx(self, ref: str) -> Iterator[tuple[Writer, Obj, OrderId]]:
        oid, doc_id = self.locate(ref)
        docs = self.ledger.docs
        with docs.write(docs.store.get(doc_id)) as w:
            obj = w.path("orders", oid)
            if obj is None:
                raise NotFound(f"no order {ref}")
            yield w, obj, oid
            w.put(obj, "updated_at", self.ledger.clock())

    def _history(self, w: Writer, obj: Obj, field_name: str, old: Any, new: Any,
                 by: str, **extra: Any) -> None:
        """Append one entry (who, when, which till, what changed from what to what)."""
        hist = w.obj(obj, "history")
        assert hist is not None
        w.append(hist, {"at": self.ledger.clock(), "till": self.ledger.till_id, "by": by,
                        "field": field_name, "old": old, "new": new, **extra})

    def _lines(self, w: Reader, obj: Obj) -> dict[str, tuple[Obj, dict[str, Any]]]:
        lines = w.obj(obj, "lines")
        assert lines is not None
        return {lid: (lobj, w.to_py(lobj)) for lid, lobj in w.items(lines)}

    def _recompute_total(self, w: Writer, obj: Obj, by: str) -> None:
        """Store the order's total again (``order_totals``) and note a change in the history."""
        total = order_totals(w.to_py(obj)).total
        old = w.value(obj, "total", 0)
        if old != total:
            w.put(obj, "total", total)
            self._history(w, obj, "total", old, total, by)

    def _sync_stock(self, w: Writer, obj: Obj, status: str) -> set[str]:
        """Record what every product line holds (``stock_qty``, ``stock_state``) at ``status``.

        No counter moves here: what an order reserves or has taken off the shelf follows
        from its merged state (status, lines, returns) and the read model adds it up
        (``sync.read_model.order_stock``). Counting per move instead made the same move
        done on two tills at once count twice. Returns the SKUs whose holding changed.
        """
        target_state = lifecycle.stock_state_for(status)
        current_state = w.value(obj, "stock_state", "none")
        touched: set[str] = set()
        for (lobj, line) in self._lines(w, obj).values():
            sku = line.get("sku")
            if not sku:
                continue
            held = milli(Decimal(line.get("stock_qty") or "0"))
            want = (0 if line.get("removed") or target_state == "none"
                    else milli(Decimal(line["qty"])))
            if current_state == target_state and held == want:
                continue
            w.put(lobj, "stock_qty", qty_str(Decimal(want) / 1000))
            touched.add(sku)
        w.put(obj, "stock_state", target_state)
        return touched

    def _changes(self, oid: OrderId, skus: set[str] | None = None,
                 created: str | None = None) -> Changes:
        return Changes(orders={oid}, stock=skus or set(), created=created)
