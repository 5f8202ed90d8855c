"""Bulk import of past orders (history imports, benchmarks), in few transactions.

A command writes one order per fsynced transaction; importing years of history that way
would pay a transaction and an fsync per order. The import writes each order with the
layout ``OrderManager.create`` writes, already in its final state, and ``batch`` orders
of a month share one transaction on this till's period document for that month.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sync import lifecycle
from sync.am_doc import Root
from sync.changes import Changes
from sync.errors import CommandRejected
from sync.ids import OrderId
from sync.ledger.documents import doc_seq
from sync.ledger.order_records import known_product, line_record, new_order_record
from sync.ledger.records import CHANNELS, PAYMENT_METHODS, FulfilmentInput, ImportedOrder, new_id
from sync.money import milli, qty_str

if TYPE_CHECKING:
    from sync.ledger.catalog import CatalogManager
    from sync.ledger.documents import LedgerCore
    from sync.ledger.tills import TillManager


class OrderImport:
    """Checks and writes imported orders for ``ledger.orders.import_many``."""

    def __init__(self, ledger: LedgerCore, *, catalog: CatalogManager,
                 tills: TillManager) -> None:
        self.ledger = ledger
        self.catalog = catalog
        self.tills = tills

    def run(self, orders: Iterable[ImportedOrder], *, batch: int = 500) -> Changes:
        """Write many past orders in few transactions (history imports, benchmarks).

        Each order gets the layout ``OrderManager.create`` writes, then its later status
        moves (checked as ``set_status`` checks them) in its history, its payments as
        ``record_payment`` stores them, and what its final status holds of each line
        (``stock_qty``, as ``_sync_stock`` records it). Orders go into this till's period
        document for the month they were made and are numbered in ``created_at`` order.
        Every order is checked before anything is written; ``batch`` orders share one
        fsynced transaction.
        """
        ledger, docs = self.ledger, self.ledger.docs
        catalog = self.catalog.products()
        ordered = sorted(orders, key=lambda o: o.created_at)
        for o in ordered:
            self._check(o, catalog)
        prefix = self.tills.prefix()
        changes = Changes()
        start = 0
        while start < len(ordered):
            month = ledger.month_of(ordered[start].created_at)
            end = start
            while (end < len(ordered) and end - start < batch
                   and ledger.month_of(ordered[end].created_at) == month):
                end += 1
            period = docs.my_period(ordered[start].created_at)
            records = []
            stock: dict[str, list[int]] = {}  # sku -> [on_hand delta, reserved delta]
            for o in ordered[start:end]:
                docs.seq += 1
                oid = OrderId(new_id("ord"))
                records.append((oid, f"{prefix}-{docs.seq:04d}",
                                self._record(oid, f"{prefix}-{docs.seq:04d}", o, catalog, stock)))
            with docs.write(period) as w:
                orders_obj = w.ensure_map(Root, "orders")
                for oid, _, record in records:
                    w.put_map(orders_obj, oid, record)
                # what the orders hold follows from their state (see OrderManager._sync_stock)
                if w.value(Root, "seq_base") is None:  # a document from before seq_base
                    w.put(Root, "seq_base", docs.seq - len(w.keys(orders_obj)))
            for oid, number, _ in records:
                docs.orders[oid] = period.doc_id
                docs.numbers[number] = oid
                changes.orders.add(oid)
            changes.stock.update(stock)
            start = end
        for doc_id in docs.my_period_docs()[-1:]:  # restarts read the sequence from here
            stored = docs.store.get(doc_id)
            if doc_seq(docs.reader(doc_id)) < docs.seq:  # history went into older months
                with docs.write(stored) as w:
                    latest_orders = w.ensure_map(Root, "orders")
                    w.put(Root, "seq_base", docs.seq - len(w.keys(latest_orders)))
        return changes

    def _check(self, o: ImportedOrder, catalog: Mapping[str, Any]) -> None:
        if o.created_at.tzinfo is None:
            raise CommandRejected("imported order times need a timezone")
        if o.channel not in CHANNELS:
            raise CommandRejected(f"unknown channel {o.channel!r}")
        for line in o.lines:
            line_record(line, lambda sku: known_product(catalog, sku))
        status = lifecycle.NEW
        for _, target in o.statuses:
            lifecycle.check_transition(status, target)
            if target == lifecycle.RETURNED:
                raise CommandRejected("imported orders cannot be returned; use `order return`")
            status = target
        for _, amount, method in o.payments:
            if method not in PAYMENT_METHODS or amount <= 0:
                raise CommandRejected(f"bad imported payment {amount} by {method!r}")

    def _record(self, oid: str, number: str, o: ImportedOrder, catalog: Mapping[str, Any],
                stock: dict[str, list[int]]) -> dict[str, Any]:
        till = self.ledger.till_id
        record = new_order_record(
            oid, number, till=till, customer_id=o.customer_id,
            resolved=[line_record(line, lambda sku: known_product(catalog, sku))
                      for line in o.lines],
            channel=o.channel, notes=o.notes, tags=o.tags, assignee=o.assignee, due_at=None,
            fulfil=o.fulfilment or FulfilmentInput(), custom_fields=None,
            source_message_ids=(), by=o.by, now=o.created_at)
        status, updated = lifecycle.NEW, o.created_at
        for at, target in o.statuses:
            record["history"].append({"at": at, "till": till, "by": o.by,
                                      "field": "status", "old": status, "new": target})
            status, updated = target, max(updated, at)
        for at, amount, method in o.payments:
            pid = new_id("pay")
            record["payments"][pid] = {"id": pid, "kind": "payment", "method": method,
                                       "amount": amount, "reference": "", "at": at,
                                       "till": till, "by": o.by}
            updated = max(updated, at)
        state = lifecycle.stock_state_for(status)
        record.update(status=status, updated_at=updated, stock_state=state)
        if state != "none":
            for line in record["lines"].values():
                if not line["sku"]:
                    continue
                want = milli(Decimal(line["qty"]))
                line["stock_qty"] = qty_str(Decimal(want) / 1000)
                deltas = stock.setdefault(line["sku"], [0, 0])
                if state == "reserved":
                    deltas[1] += want
                else:
                    deltas[0] -= want
        return record
