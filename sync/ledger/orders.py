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
from collections.abc import Iterable, Mapping
from decimal import Decimal

from sync import lifecycle
from sync.am_doc import Root
from sync.changes import Changes
from sync.errors import CommandRejected, NotFound
from sync.ids import OrderId
from sync.ledger.order_money import OrderMoney
from sync.ledger.order_records import (
    MAX_ASKED,
    check_quantity_for_unit,
    new_order_record,
    selling_amount,
)
from sync.ledger.records import (
    CHANNELS,
    FulfilmentInput,
    ImportedOrder,
    LineInput,
    new_id,
)
from sync.money import qty_str
from sync.order_totals import order_totals, payments_by_method
from sync.vocabulary import EXCHANGE_CREDIT


class OrderManager(OrderMoney):
    """``ledger.orders``: every command on an order, and the bulk import of past ones."""

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
                now=now, prices_include_tax=bool(self.ledger.setting("prices_include_tax",
                                                                     True))))
        docs.seq += 1
        docs.orders[oid] = period.doc_id
        docs.numbers[number] = oid
        changes = Changes(orders={oid}, created=oid)
        for mid in source_message_ids:
            changes.merge(self.inbox.link_message(mid, oid))
        return changes

    def set_status(self, ref: str, status: str, *, by: str = "") -> Changes:
        """Move an order along its lifecycle; stock follows (reserve, fulfil, release)."""
        with self._order_tx(ref) as (w, obj, oid):
            current = str(w.value(obj, "status"))
            lifecycle.check_transition(current, status)
            if status == lifecycle.RETURNED:
                raise CommandRejected("use `order return` to record what came back")
            if status in lifecycle.FULFILLING and not any(
                    not line.get("removed") for _, line in self._lines(w, obj).values()):
                raise CommandRejected("an order with no items is a draft, not a sale: add "
                                      f"an item before it can be {status.replace('_', ' ')}")
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
            self._history(w, obj, "line", None, f"{resolved['qty']} × {resolved['description']}",
                          by, line=lid)
            self._recompute_total(w, obj, by)
            skus = self._sync_stock(w, obj, status)
        return Changes(orders={oid}, stock=skus, created=lid)

    def update_line(self, ref: str, line_id: str, *, quantity: Decimal | None = None,
                    unit_price: int | None = None, notes: str | None = None,
                    remove: bool = False, unit: str | None = None, asked: str | None = None,
                    by: str = "") -> Changes:
        """Change a line; a ``quantity`` in another ``unit`` ("1 kg" for a line sold by
        the 100g) is converted like a new line's, and what was asked is kept."""
        with self._order_tx(ref) as (w, obj, oid):
            status = str(w.value(obj, "status"))
            if status not in lifecycle.OPEN:
                raise CommandRejected(f"a {status} order cannot be changed")
            lobj = w.path("orders", oid, "lines", line_id)
            if lobj is None:
                raise NotFound(f"order {ref} has no line {line_id}")
            line = w.to_py(lobj)
            what = str(line.get("description") or line.get("sku") or "")
            if quantity is not None:
                # a line from before units is in its product's unit
                selling = str(line.get("unit") or self._unit_of(line.get("sku")))
                qty, kept = selling_amount(quantity, unit, selling, what or "the line")
                check_quantity_for_unit(qty, selling, what)
                if qty_str(qty) != line.get("qty"):
                    w.put(lobj, "qty", qty_str(qty))
                    self._history(w, obj, "qty", line.get("qty"), qty_str(qty), by,
                                  line=line_id, item=what)
                w.put(lobj, "asked_qty", kept.get("asked_qty", ""))
                w.put(lobj, "asked_unit", kept.get("asked_unit", ""))
            if asked is not None:
                w.put(lobj, "asked", " ".join(asked.split())[:MAX_ASKED])
            if unit_price is not None and unit_price != line.get("unit_price"):
                if unit_price < 0:
                    raise CommandRejected("a line price cannot be negative")
                w.put(lobj, "unit_price", unit_price)
                self._history(w, obj, "price", line.get("unit_price"), unit_price, by,
                              line=line_id, item=what)
            if notes is not None:
                w.put(lobj, "notes", notes)
            if remove and not line.get("removed"):
                w.put(lobj, "removed", True)
                self._history(w, obj, "line", what, None, by, line=line_id)
            self._recompute_total(w, obj, by)
            skus = self._sync_stock(w, obj, status)
        return Changes(orders={oid}, stock=skus)

    def note_change(self, ref: str, text: str, *, message_id: str | None = None,
                    by: str = "") -> Changes:
        """Keep in the order's history what a message changed ("Braising steak: 500 g ->
        1 kg"), so staff see it beside the status moves; the message joins the order's
        sources and is linked to it."""
        text = " ".join(str(text).split())[:MAX_ASKED]
        if not text:
            raise CommandRejected("say what changed")
        with self._order_tx(ref) as (w, obj, oid):
            self._history(w, obj, "intake", None, text, by)
            if message_id:
                w.put(w.ensure_map(obj, "source_messages"), message_id, True)
        changes = Changes(orders={oid})
        if message_id:
            changes.merge(self.inbox.link_message(message_id, oid))
        return changes

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

    def _unit_of(self, sku: str | None) -> str:
        """The selling unit of a product (lines stored before lines kept their unit)."""
        if not sku:
            return "each"
        try:
            return str(self.catalog.product(sku).get("unit") or "each")
        except CommandRejected:
            return "each"

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

    def exchange(self, ref: str, lines: Mapping[str, Decimal], new_lines: Iterable[LineInput],
                 *, reason: str = "", restock: bool = True, by: str = "") -> Changes:
        """Goods brought back for others: a return on ``ref`` and a new order linked to it,
        for the same customer, with what the returned goods were paid for as credit.

        Three transactions, in the order that loses nothing if one is cut short: the new
        order first (linked, ``exchange_of``), then the return, then the credit taken off
        the old order (an ``exchange`` refund: at most what the goods were paid for and
        what the new order costs) and paid onto the new one. A difference the other way
        is the customer's to pay, or the shop's to refund."""
        old = self.get(ref)
        new_lines = list(new_lines)
        if not new_lines:
            raise CommandRejected("an exchange needs the items given in place of the "
                                  "returned ones")
        before = order_totals(old)
        changes = self.create(customer_id=old.get("customer_id"), lines=new_lines,
                              channel=str(old.get("channel") or "counter"), by=by,
                              notes=f"Exchange for {old.get('number')}")
        new_id_ = str(changes.created)
        with self._order_tx(new_id_) as (w, obj, _):
            w.put(obj, "exchange_of", str(old["id"]))
        changes.merge(self.record_return(ref, lines, restock=restock, reason=reason, by=by))
        after = self.money(ref)
        paid = sum(payments_by_method(old.get("payments") or {}).values())
        # what the returned goods were paid for, as far as the new order needs it; the
        # rest stays on the old order to be refunded (its balance shows it)
        credit = min(after.returned - before.returned, max(paid - after.adjusted, 0),
                     self.money(new_id_).total)
        number = str(self.get(new_id_)["number"])
        with self._order_tx(ref) as (w, obj, _):
            w.put(obj, "exchanged_for", new_id_)
            self._history(w, obj, "exchange", None, number, by)
        if credit > 0:
            changes.merge(self.record_payment(ref, credit, method=EXCHANGE_CREDIT, refund=True,
                                              reference=new_id_, by=by))
            changes.merge(self.record_payment(new_id_, credit, method=EXCHANGE_CREDIT,
                                              reference=str(old["id"]), confirm=True, by=by))
        changes.orders.add(OrderId(new_id_))
        changes.created = new_id_
        return changes

    def import_many(self, orders: Iterable[ImportedOrder], *, batch: int = 500) -> Changes:
        """Write many past orders in few transactions (see ``order_import``)."""
        return self._import.run(orders, batch=batch)
