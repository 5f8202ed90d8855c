"""Orders: created in this till's period document, then moved, edited, paid, returned.

An order is numbered with this till's prefix and sequence (``tills.prefix``,
``documents.doc_seq``). Every status move, assignee and total change is appended to its
history (who, when, which till). What an order holds of its product lines follows from
its merged state: confirmed orders reserve their lines, dispatched or handed-over orders
have taken them, returns put back what was restocked. The read model adds those up
(``sync.read_model.order_stock``), together with the goods counted in or out (the
catalog's per-till registers). So two tills selling at once both count, and the same
move made on two tills at once counts once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sync import lifecycle
from sync.am_doc import Obj, Reader, Root, Writer
from sync.changes import Changes
from sync.errors import CommandRejected, NotFound
from sync.ids import DocId, OrderId
from sync.ledger.order_import import OrderImport
from sync.ledger.order_records import known_product, line_record, new_order_record
from sync.ledger.records import (
    CHANNELS,
    PAYMENT_METHODS,
    FulfilmentInput,
    ImportedOrder,
    LineInput,
    compact_json,
    new_id,
)
from sync.money import line_total, milli, qty_str

if TYPE_CHECKING:
    from sync.ledger.catalog import CatalogManager
    from sync.ledger.customers import CustomerManager
    from sync.ledger.documents import LedgerCore
    from sync.ledger.inbox import InboxManager
    from sync.ledger.tills import TillManager


class OrderManager:
    """``ledger.orders``: every command on an order, and the bulk import of past ones."""

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

    def resolve_line(self, line: LineInput,
                     catalog: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """Stored form of a line; ``catalog`` (sku -> product) saves lookups in bulk imports."""
        return line_record(line, self.catalog.product if catalog is None
                           else lambda sku: known_product(catalog, sku))

    def create(self, *, customer_id: str | None, lines: Iterable[LineInput] = (),
               channel: str = "counter", notes: str = "", tags: Iterable[str] = (),
               assignee: str = "", due_at: dt.datetime | None = None,
               fulfilment: FulfilmentInput | None = None,
               custom_fields: Mapping[str, str] | None = None,
               source_message_ids: Iterable[str] = (), by: str = "") -> Changes:
        """A new order in this till's period document; its source messages are linked."""
        if channel not in CHANNELS:
            raise CommandRejected(f"unknown channel {channel!r}; use one of: {', '.join(CHANNELS)}")
        if customer_id is not None:
            customer = self.customers.get(customer_id)
            if customer.get("merged_into"):
                customer_id = str(customer["merged_into"])
        fulfil = fulfilment or FulfilmentInput()
        if fulfil.kind not in ("pickup", "delivery"):
            raise CommandRejected("fulfilment is pickup or delivery")
        if due_at is not None and due_at.tzinfo is None:
            raise CommandRejected("due time needs a timezone")
        resolved = [self.resolve_line(line) for line in lines]
        docs = self.ledger.docs
        prefix = self.tills.prefix()
        period = docs.my_period()
        now = self.ledger.clock()
        oid = OrderId(new_id("ord"))
        number = f"{prefix}-{docs.seq + 1:04d}"
        with docs.write(period) as w:
            orders = w.ensure_map(Root, "orders")
            if w.value(Root, "seq_base") is None:  # a document from before seq_base
                w.put(Root, "seq_base", docs.seq - len(w.keys(orders)))
            w.put_map(orders, oid, new_order_record(
                oid, number, till=self.ledger.till_id, customer_id=customer_id, resolved=resolved, channel=channel,
                notes=notes, tags=tags, assignee=assignee, due_at=due_at, fulfil=fulfil,
                custom_fields=custom_fields, source_message_ids=source_message_ids, by=by,
                now=now))
        docs.seq += 1
        docs.orders[oid] = period.doc_id
        docs.numbers[number] = oid
        changes = Changes(orders={oid}, created=oid)
        for mid in source_message_ids:
            changes.merge(self.inbox.link_message(mid, oid))
        return changes

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
                 by: str) -> None:
        hist = w.obj(obj, "history")
        assert hist is not None
        w.append(hist, {"at": self.ledger.clock(), "till": self.ledger.till_id, "by": by,
                        "field": field_name, "old": old, "new": new})

    def _lines(self, w: Reader, obj: Obj) -> dict[str, tuple[Obj, dict[str, Any]]]:
        lines = w.obj(obj, "lines")
        assert lines is not None
        return {lid: (lobj, w.to_py(lobj)) for lid, lobj in w.items(lines)}

    def _recompute_total(self, w: Writer, obj: Obj, by: str) -> None:
        total = 0
        for _, line in self._lines(w, obj).values():
            if not line.get("removed"):
                total += line_total(Decimal(line["qty"]), int(line["unit_price"]))
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

    def set_status(self, ref: str, status: str, *, by: str = "") -> Changes:
        """Move an order along its lifecycle; stock follows (reserve, fulfil, release)."""
        with self._order_tx(ref) as (w, obj, oid):
            current = str(w.value(obj, "status"))
            lifecycle.check_transition(current, status)
            if status == lifecycle.RETURNED:
                raise CommandRejected("use `order return` to record what came back")
            w.put(obj, "status", status)
            self._history(w, obj, "status", current, status, by)
            skus = self._sync_stock(w, obj, status)
        return Changes(orders={oid}, stock=skus)

    def undo_status(self, ref: str, *, moved_from: str, moved_to: str, by: str = "") -> Changes:
        """Take back the order's last status move, ``moved_from -> moved_to``.

        The lifecycle only goes forward, but a slip of the hand on the board (dragging an
        order to the wrong column, cancelling the wrong one) must be reversible. Only the
        most recent status move can be taken back, and only while the order still is where
        that move put it: once anyone (on any till) moved it on, the undo is refused.
        Stock follows the restored status like any other move.
        """
        with self._order_tx(ref) as (w, obj, oid):
            current = str(w.value(obj, "status"))
            if current != moved_to:
                raise CommandRejected(f"the order is {current} now, not {moved_to}; "
                                      "that move can no longer be undone")
            hist = w.obj(obj, "history")
            assert hist is not None
            last = next((h for h in reversed(w.to_py(hist) or [])
                         if h.get("field") == "status"), None)
            if last is None or (last.get("old"), last.get("new")) != (moved_from, moved_to):
                raise CommandRejected(f"the last status move of this order was not "
                                      f"{moved_from} to {moved_to}; nothing to undo")
            if lifecycle.RETURNED in (moved_from, moved_to):
                raise CommandRejected("a return cannot be undone; record a new sale instead")
            w.put(obj, "status", moved_from)
            self._history(w, obj, "status", current, moved_from, by)
            skus = self._sync_stock(w, obj, moved_from)
        return Changes(orders={oid}, stock=skus)

    def add_line(self, ref: str, line: LineInput, *, by: str = "") -> Changes:
        resolved = self.resolve_line(line)
        with self._order_tx(ref) as (w, obj, oid):
            status = str(w.value(obj, "status"))
            if status not in lifecycle.OPEN:
                raise CommandRejected(f"a {status} order cannot be changed")
            lines = w.obj(obj, "lines")
            assert lines is not None
            lid = new_id("ln")
            w.put_map(lines, lid, dict(resolved, pos=w.length(lines)))
            self._recompute_total(w, obj, by)
            skus = self._sync_stock(w, obj, status)
        return Changes(orders={oid}, stock=skus, created=lid)

    def update_line(self, ref: str, line_id: str, *, quantity: Decimal | None = None,
                    unit_price: int | None = None, notes: str | None = None,
                    remove: bool = False, by: str = "") -> Changes:
        with self._order_tx(ref) as (w, obj, oid):
            status = str(w.value(obj, "status"))
            if status not in lifecycle.OPEN:
                raise CommandRejected(f"a {status} order cannot be changed")
            lobj = w.path("orders", oid, "lines", line_id)
            if lobj is None:
                raise NotFound(f"order {ref} has no line {line_id}")
            if quantity is not None:
                w.put(lobj, "qty", qty_str(quantity))
            if unit_price is not None:
                if unit_price < 0:
                    raise CommandRejected("a line price cannot be negative")
                w.put(lobj, "unit_price", unit_price)
            if notes is not None:
                w.put(lobj, "notes", notes)
            if remove:
                w.put(lobj, "removed", True)
            self._recompute_total(w, obj, by)
            skus = self._sync_stock(w, obj, status)
        return Changes(orders={oid}, stock=skus)

    def update(self, ref: str, *, assignee: str | None = None, notes: str | None = None,
               due_at: dt.datetime | bool | None = False,
               fulfilment: FulfilmentInput | None = None,
               custom_fields: Mapping[str, str] | None = None,
               add_tags: Iterable[str] = (), remove_tags: Iterable[str] = (),
               customer_id: str | None = None, by: str = "") -> Changes:
        """Edit the order's header fields; assignee changes are kept in the history."""
        if customer_id is not None:
            self.customers.get(customer_id)
        with self._order_tx(ref) as (w, obj, oid):
            if assignee is not None:
                old = w.value(obj, "assignee", "")
                if old != assignee:
                    w.put(obj, "assignee", assignee)
                    self._history(w, obj, "assignee", old, assignee, by)
            if notes is not None:
                w.put(obj, "notes", notes)
            if due_at is not False:
                w.put(obj, "due_at", due_at)
            if customer_id is not None:
                w.put(obj, "customer_id", customer_id)
            if fulfilment is not None:
                if fulfilment.kind not in ("pickup", "delivery"):
                    raise CommandRejected("fulfilment is pickup or delivery")
                fobj = w.ensure_map(obj, "fulfilment")
                for key in ("kind", "address", "carrier", "tracking"):
                    w.put(fobj, key, getattr(fulfilment, key))
            if custom_fields:
                cobj = w.ensure_map(obj, "custom")
                for key, value in custom_fields.items():
                    w.put(cobj, key, value)
            tags = w.ensure_map(obj, "tags")
            for t in add_tags:
                w.put(tags, t, True)
            for t in remove_tags:
                w.put(tags, t, False)
        return Changes(orders={oid})

    def note_notice(self, ref: str, *, kind: str, channel: str, message_id: str | None,
                    outcome: str, by: str = "") -> Changes:
        """Log on the order that the customer was told (or why not): ``notices`` and the
        history."""
        with self._order_tx(ref) as (w, obj, oid):
            notices = w.obj(obj, "notices")
            if notices is None:
                w.put(obj, "notices", [])
                notices = w.obj(obj, "notices")
            assert notices is not None
            entry = {"kind": kind, "channel": channel, "message_id": message_id,
                     "outcome": outcome, "at": self.ledger.clock(), "by": by}
            w.append(notices, entry)
            self._history(w, obj, "notice", None, f"{kind}: {outcome}", by)
        return Changes(orders={oid})

    def record_feedback(self, ref: str, *, rating: int, comment: str,
                        message_id: str) -> Changes:
        """The customer's rating (1-5) and comment, from their reply to a request."""
        with self._order_tx(ref) as (w, obj, oid):
            w.put_map(obj, "feedback", {"rating": rating, "comment": comment,
                                        "message_id": message_id, "at": self.ledger.clock()})
            self._history(w, obj, "feedback", None, str(rating), "")
        return Changes(orders={oid})

    def record_payment(self, ref: str, amount: int, *, method: str, reference: str = "",
                       refund: bool = False, by: str = "") -> Changes:
        """Record money taken (or, with ``refund``, given back) for an order."""
        if method not in PAYMENT_METHODS:
            raise CommandRejected(f"unknown payment method {method!r}; use one of: "
                                  f"{', '.join(PAYMENT_METHODS)}")
        if amount <= 0:
            raise CommandRejected("the amount must be more than zero")
        pid = new_id("pay")
        with self._order_tx(ref) as (w, obj, oid):
            if str(w.value(obj, "status")) == lifecycle.CANCELLED and not refund:
                raise CommandRejected("a cancelled order cannot take payments")
            pays = w.ensure_map(obj, "payments")
            w.put_map(pays, pid, {"id": pid, "kind": "refund" if refund else "payment",
                                  "method": method, "amount": amount, "reference": reference,
                                  "at": self.ledger.clock(), "till": self.ledger.till_id,
                                  "by": by})
        return Changes(orders={oid}, created=pid)

    def record_return(self, ref: str, lines: Mapping[str, Decimal] | None = None, *,
                      restock: bool = True, reason: str = "", by: str = "") -> Changes:
        """Record goods coming back: the whole order (``lines`` None) or some quantities."""
        with self._order_tx(ref) as (w, obj, oid):
            status = str(w.value(obj, "status"))
            if status not in lifecycle.FINISHED and status != lifecycle.RETURNED:
                raise CommandRejected(f"only a delivered, collected or closed order can be "
                                      f"returned, this one is {status}")
            all_lines = self._lines(w, obj)
            wanted = lines if lines is not None else {
                lid: Decimal(line["qty"]) - Decimal(line.get("returned_qty") or "0")
                for lid, (_, line) in all_lines.items() if not line.get("removed")}
            if lines is None:
                wanted = {lid: qty for lid, qty in wanted.items() if qty > 0}
            if not wanted:
                raise CommandRejected(f"order {ref} has nothing left to return")
            skus: set[str] = set()
            for lid, qty in wanted.items():
                if lid not in all_lines:
                    raise NotFound(f"order {ref} has no line {lid}")
                lobj, line = all_lines[lid]
                already = Decimal(line.get("returned_qty") or "0")
                if qty <= 0 or already + qty > Decimal(line["qty"]):
                    raise CommandRejected(f"cannot return {qty_str(qty)} of line {lid}: "
                                          f"{qty_str(Decimal(line['qty']) - already)} left")
                w.put(lobj, "returned_qty", qty_str(already + qty))
                if restock and line.get("sku"):
                    # back on the shelf: the read model adds restocked_qty to the level
                    back = Decimal(line.get("restocked_qty") or "0") + qty
                    w.put(lobj, "restocked_qty", qty_str(back))
                    skus.add(str(line["sku"]))
            fully = all(Decimal(w.value(lo, "returned_qty") or "0") >= Decimal(li["qty"])
                        for lo, li in all_lines.values() if not li.get("removed"))
            hist = {"lines": {k: qty_str(v) for k, v in wanted.items()}, "restock": restock,
                    "reason": reason}
            self._history(w, obj, "return", None, compact_json(hist), by)
            if fully and status != lifecycle.RETURNED:
                w.put(obj, "status", lifecycle.RETURNED)
                self._history(w, obj, "status", status, lifecycle.RETURNED, by)
        return Changes(orders={oid}, stock=skus)

    def import_many(self, orders: Iterable[ImportedOrder], *, batch: int = 500) -> Changes:
        """Write many past orders in few transactions (see ``order_import``)."""
        return self._import.run(orders, batch=batch)
