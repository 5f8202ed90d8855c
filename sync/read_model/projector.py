"""The read model's writer: projects shop and period documents into SQLite rows.

Runs in the engine only (it reads Automerge, through ``am_doc`` Readers). With the
changes a command reports, only those records are re-read; after a merge, the records
touched since the stored heads; with no usable heads, the whole document. Either way the
rows come out the same as a rebuild's (tests compare ``snapshot``s).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from sync.am_doc import Obj, Reader, Root, stock_register_sku
from sync.am_touch import TOUCH_KEY, record_keys_from_patches, touched_since
from sync.changes import Changes
from sync.doc_storage import heads_text as stored_heads_text
from sync.ids import DocId
from sync.order_totals import LineMoney, order_totals
from sync.read_model import queries
from sync.read_model.codecs import fts_rowid, iso, json_text, milli, order_seq
from sync.read_model.schema import ALL_TABLES, ensure_schema
from sync.read_model.stock_projection import StockProjection, order_stock

log = logging.getLogger("countertop.sync.read_model")


# Root scalars of a period document. A change to one (every new order bumps ``seq``) must
# not make the projection re-read the whole document: that made each merged order cost
# O(orders in the month), 0.65 s per merge after a thousand orders.
_PERIOD_ROOT_SCALARS = frozenset({"schema", "kind", "month", "till", "seq", "seq_base"})


class _FastReader(Reader):
    """``Reader`` whose ``to_py`` fetches a map's values in one binding call.

    ``keys`` and ``values`` of an Automerge object list the same entries in the same order
    (winning values only, as ``get`` returns), so the result equals ``Reader.to_py`` at a
    third of the cost: projection reads every field of every order.
    """

    def to_py(self, obj: Obj) -> Any:
        src = self._src
        kind = src.object_type(obj)
        if kind == type(kind).Map:
            keys = src.keys(obj)
            if not keys:  # tags, custom fields, ...: mostly empty, one call is enough
                return {}
            return {key: (value[1] if isinstance(value, tuple) else self.to_py(bytes(child)))
                    for key, (value, child) in zip(keys, src.values(obj), strict=True)}
        if kind == type(kind).List:
            return [value[1] if isinstance(value, tuple) else self.to_py(bytes(child))
                    for value, child in src.values(obj)]
        return src.text(obj)


def heads_text(heads: Iterable[bytes]) -> str:
    """Same text as ``doc_storage.heads_text``: catch-up compares the two."""
    return stored_heads_text(list(heads))


class ReadModel:
    """Writer side of the read model (the engine); the UI opens the file read-only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=OFF")
        self.stock = StockProjection(self.conn)
        ensure_schema(self.conn)

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------------ projection

    def project_document(self, doc_id: DocId, doc: Any, changes: Changes | None = None) -> Changes:
        """Bring the rows of one document up to date.

        With ``changes`` (from a local command) only those records are re-read; without,
        the records touched since the stored heads are read from the hints each change
        carries (``am_touch.touched_since``), or found with ``Document.diff``; with
        no stored heads (or an unusable diff) the whole document is projected.
        """
        reader = _FastReader(doc)
        kind = str(reader.value(Root, "kind") or "")
        new_heads = heads_text(doc.get_heads())
        if changes is None:
            old = queries.doc_heads(self.conn, doc_id)
            if old == new_heads:
                return Changes()
            changes = self._changes_since(doc, kind, old)
        full = changes is None
        if changes is None:
            changes = self._all_records(reader, kind)
        with self._transaction():
            if kind == "shop":
                self._project_shop(reader, changes, full)
            elif kind == "period":
                self._project_period(doc_id, reader, changes, full)
            self.conn.execute(
                "INSERT OR REPLACE INTO doc_state VALUES (?,?,?,?,?,?)",
                (doc_id, kind, reader.value(Root, "month"), reader.value(Root, "till"),
                 new_heads, iso(dt.datetime.now(dt.UTC))))
        return changes

    def _changes_since(self, doc: Any, kind: str, old: str | None) -> Changes | None:
        if not old:
            return None
        try:
            old_heads = [bytes.fromhex(h) for h in old.split(",") if h]
            touched = touched_since(doc, old_heads)
            if touched is None:  # changes without the ledger's hints: diff (slower)
                touched = record_keys_from_patches(doc.diff(old_heads, doc.get_heads()))
        except Exception as exc:
            log.info("diff from stored heads failed (%s); projecting the whole document", exc)
            return None
        out = Changes()
        for top, key in touched:
            if top == TOUCH_KEY:
                continue
            if key is None and kind == "period" and top in _PERIOD_ROOT_SCALARS:
                continue  # e.g. the order sequence every new order bumps: in no row
            if key is None:
                return None
            if kind == "shop":
                _mark_shop(out, top, key)
            else:
                _mark_period(out, top, key)
        return out

    @staticmethod
    def _all_records(reader: Reader, kind: str) -> Changes:
        out = Changes(shop=True, tills=True)
        tables = {"shop": dict(_SHOP_RECORDS),
                  "period": {"orders": "orders", "messages": "messages", "calls": "calls",
                             "stock": "stock", "stock_moves": "stock_moves"}}.get(kind, {})
        for top, attr in tables.items():
            obj = reader.obj(Root, top)
            if obj is not None:
                keys = reader.keys(obj)
                if top == "stock" and kind == "period":
                    keys = [stock_register_sku(k) for k in keys]
                getattr(out, attr).update(keys)
        return out

    def _transaction(self) -> Any:
        return _Tx(self.conn)

    # -- shop document

    def _project_shop(self, r: Reader, ch: Changes, full: bool) -> None:
        c = self.conn
        if ch.shop or full:
            shop = r.value(Root, "shop", {}) or {}
            settings = r.value(Root, "settings", {}) or {}
            def enc(v: Any) -> str:
                return json.dumps(iso(v) if isinstance(v, dt.datetime) else v, default=str)
            rows = [(k, enc(v)) for k, v in shop.items()]
            rows += [(f"setting.{k}", enc(v)) for k, v in settings.items()]
            c.executemany("INSERT OR REPLACE INTO shop VALUES (?,?)", rows)
        if ch.tills or ch.shop or full:
            tills = r.value(Root, "tills", {}) or {}
            c.execute("DELETE FROM tills")
            c.executemany("INSERT INTO tills VALUES (?,?,?,?,?)", [
                (tid, t.get("name"), t.get("prefix"), int(bool(t.get("removed"))),
                 iso(t.get("joined_at"))) for tid, t in tills.items()])
        if ch.shop or full:  # staff records live beside the settings; PIN hashes stay out
            staff = r.value(Root, "staff", {}) or {}
            c.execute("DELETE FROM staff")
            c.executemany("INSERT INTO staff VALUES (?,?,?,?,?)", [
                (sid, s.get("name"), s.get("role"), int(bool(s.get("active", True))),
                 iso(s.get("created_at"))) for sid, s in staff.items()])
        products = r.obj(Root, "products")
        if products is not None and ch.products:
            product_rows = []
            for sku in ch.products:
                obj = r.obj(products, sku)
                if obj is None:
                    continue
                p = r.to_py(obj)
                product_rows.append((sku, p.get("name"), json_text(p.get("aliases") or []),
                                     p.get("unit"), int(p.get("price") or 0), p.get("tax_rate"),
                                     int(bool(p.get("active", True))), p.get("low_stock"),
                                     json_text(p.get("variants") or []),
                                     json_text(p.get("option_groups") or {}),
                                     iso(p.get("created_at")),
                                     json_text(p.get("variant_prices") or {}),
                                     json_text(p.get("option_prices") or {}),
                                     json_text(p.get("option_aliases") or {}), p.get("category") or ""))
            c.executemany("INSERT OR REPLACE INTO products VALUES "
                          "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                          product_rows)
            self.stock.recompute(ch.products)
        customers = r.obj(Root, "customers")
        if customers is not None and ch.customers:
            self._project_customers(r, customers, ch.customers)
        suppliers = r.obj(Root, "suppliers")
        if suppliers is not None and ch.suppliers:
            for sid in ch.suppliers:
                obj = r.obj(suppliers, sid)
                if obj is None:
                    continue
                s = r.to_py(obj)
                c.execute("INSERT OR REPLACE INTO suppliers VALUES (?,?,?,?,?,?,?,?,?)",
                          (sid, s.get("name"), s.get("contact"),
                           json_text(s.get("products") or []), int(s.get("lead_time_days") or 0),
                           s.get("email") or "", s.get("phone") or "", s.get("notes") or "",
                           int(s.get("active", True) is not False)))
        pos = r.obj(Root, "purchase_orders")
        if pos is not None and ch.purchase_orders:
            self._project_purchase_orders(r, pos, ch.purchase_orders)
        self._project_shop_threads(r, ch)
        cashups = r.obj(Root, "cashups")
        if cashups is not None and ch.cashups:
            self._project_cashups(r, cashups, ch.cashups)
        alerts = r.obj(Root, "alerts")
        if alerts is not None and ch.alerts:
            for aid in ch.alerts:
                obj = r.obj(alerts, aid)
                if obj is None:
                    continue
                a = r.to_py(obj)
                c.execute("INSERT OR REPLACE INTO alerts VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                          (aid, a.get("kind"), a.get("sku"), a.get("location"), a.get("level"),
                           iso(a.get("raised_at")), a.get("raised_by"), iso(a.get("resolved_at")),
                           a.get("resolved_by"), a.get("note") or "", a.get("cause") or ""))

    def _project_purchase_orders(self, r: Reader, pos: Obj, ids: Iterable[str]) -> None:
        c = self.conn
        for pid in ids:
            obj = r.obj(pos, pid)
            if obj is None:
                continue
            po = r.to_py(obj)
            c.execute("INSERT OR REPLACE INTO purchase_orders VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                      (pid, po.get("number"), po.get("supplier_id"), po.get("state"),
                       po.get("notes") or "", iso(po.get("created_at")),
                       po.get("created_by") or "", po.get("till"), iso(po.get("sent_at")),
                       po.get("sent_via") or "", iso(po.get("cancelled_at"))))
            c.execute("DELETE FROM po_lines WHERE po_id=?", (pid,))
            c.executemany("INSERT INTO po_lines VALUES (?,?,?,?,?,?,?)", [
                (pid, lid, int(ln.get("pos") or 0), ln.get("sku"), ln.get("qty"),
                 milli(ln.get("qty")), ln.get("cost"))
                for lid, ln in (po.get("lines") or {}).items()])

    def _project_shop_threads(self, r: Reader, ch: Changes) -> None:
        """Conversation state, templates and quick replies (the shop document)."""
        c = self.conn
        convs = r.obj(Root, "conversations")
        if convs is not None and ch.conversations:
            for key in ch.conversations:
                obj = r.obj(convs, key)
                if obj is None:
                    continue
                s = r.to_py(obj)
                tags = sorted(t for t, on in (s.get("tags") or {}).items() if on)
                c.execute("INSERT OR REPLACE INTO conversation_state VALUES (?,?,?,?,?,?,?)",
                          (key, s.get("assignee") or "", json_text(tags),
                           s.get("status") or "open", iso(s.get("status_at")),
                           iso(s.get("snoozed_until")), iso(s.get("updated_at"))))
        templates = r.obj(Root, "templates")
        if templates is not None and ch.templates:
            for name in ch.templates:
                obj = r.obj(templates, name)
                if obj is None:
                    continue
                t = r.to_py(obj)
                c.execute("INSERT OR REPLACE INTO templates VALUES (?,?,?,?)",
                          (name, t.get("subject") or "", t.get("text") or "",
                           int(bool(t.get("enabled", True)))))
        replies = r.obj(Root, "quick_replies")
        if replies is not None and ch.quick_replies:
            for rid in ch.quick_replies:
                obj = r.obj(replies, rid)
                if obj is None:
                    continue
                q = r.to_py(obj)
                c.execute("INSERT OR REPLACE INTO quick_replies VALUES (?,?,?,?,?)",
                          (rid, q.get("name") or "", q.get("text") or "",
                           int(bool(q.get("archived"))), iso(q.get("created_at"))))

    def _project_cashups(self, r: Reader, cashups: Obj, ids: Iterable[str]) -> None:
        rows = []
        for cid in ids:
            obj = r.obj(cashups, cid)
            if obj is None:
                continue
            z = r.to_py(obj)
            rows.append((cid, z.get("till") or None, z.get("day"), iso(z.get("closed_at")),
                         z.get("closed_by") or "", int(z.get("expected_cash") or 0),
                         int(z.get("counted_cash") or 0), int(z.get("difference") or 0),
                         int(z.get("opening_float") or 0), z.get("figures") or "{}"))
        self.conn.executemany("INSERT OR REPLACE INTO cashups VALUES (?,?,?,?,?,?,?,?,?,?)",
                              rows)

    def _project_customers(self, r: Reader, customers: Obj, ids: Iterable[str]) -> None:
        c = self.conn
        for cid in ids:
            obj = r.obj(customers, cid)
            if obj is None:
                continue
            cu = r.to_py(obj)
            phones = list(cu.get("phones") or [])
            emails = list(cu.get("emails") or [])
            tags = sorted(t for t, on in (cu.get("tags") or {}).items() if on)
            c.execute("INSERT OR REPLACE INTO customers VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                      (cid, cu.get("name"), json_text(phones), json_text(emails),
                       json_text(cu.get("addresses") or []), cu.get("notes") or "", json_text(tags), cu.get("merged_into"),
                       iso(cu.get("created_at")), phones[0] if phones else None,
                       emails[0] if emails else None, int(bool(cu.get("opt_out"))),
                       json_text(cu.get("feedback") or {})))
            c.execute("DELETE FROM customer_contacts WHERE customer_id=?", (cid,))
            c.executemany("INSERT OR IGNORE INTO customer_contacts VALUES (?,?,?)",
                          [(p, cid, "phone") for p in phones] + [(e, cid, "email") for e in emails])
            c.execute("INSERT OR REPLACE INTO customers_fts(rowid, customer_id, name, contacts, "
                      "notes) VALUES (?,?,?,?,?)",
                      (fts_rowid(cid), cid, cu.get("name") or "", " ".join(phones + emails),
                       cu.get("notes") or ""))
            self._relink(cid)

    def _relink(self, cid: str) -> None:
        """Work out again whose orders, messages and calls these are after ``cid`` changed.

        A record belongs to the customer its document names (``customer_link``), followed
        through merges, or (messages and calls naming none) to the customer its number or
        address belongs to (``queries.customer_for_contact``). Both read the customers table, so when a
        customer changes, every record whose answer may move is recomputed by the same
        rule a rebuild uses: records linked to it or to a customer merged into it, and
        records from their phone numbers and addresses. Names on orders follow too.
        """
        c = self.conn
        group = [row[0] for row in c.execute(
            "WITH RECURSIVE g(id) AS (SELECT ? UNION SELECT c.id FROM customers c JOIN g "
            "ON c.merged_into = g.id) SELECT id FROM g", (cid,))]
        kept = queries.resolve_customer(c, cid)
        ids = sorted(set(group) | ({kept} if kept else set()))
        marks = ",".join("?" * len(ids))
        contacts = [row[0] for row in c.execute(
            f"SELECT DISTINCT value FROM customer_contacts WHERE customer_id IN ({marks})", ids)]
        cmarks = ",".join("?" * len(contacts)) or "NULL"
        orders = c.execute(f"SELECT id, customer_link, customer_id, customer_name FROM orders "
                           f"WHERE customer_link IN ({marks}) OR customer_id IN ({marks})",
                           (*ids, *ids)).fetchall()
        for oid, link, current, name in orders:
            customer = queries.resolve_customer(c, link)
            new_name = queries.customer_name(c, customer)
            if (customer, new_name) != (current, name):
                c.execute("UPDATE orders SET customer_id=?, customer_name=? WHERE id=?",
                          (customer, new_name, oid))
                self._refresh_order_fts(oid)
        messages = c.execute(
            f"SELECT id, customer_link, CASE WHEN direction='in' THEN sender ELSE recipient "
            f"END, customer_id FROM messages WHERE customer_link IN ({marks}) OR customer_id "
            f"IN ({marks}) OR sender IN ({cmarks}) OR recipient IN ({cmarks})",
            (*ids, *ids, *contacts, *contacts)).fetchall()
        self._relink_rows("messages", messages)
        calls = c.execute(
            f"SELECT id, customer_link, number, customer_id FROM calls WHERE customer_link IN "
            f"({marks}) OR customer_id IN ({marks}) OR number IN ({cmarks})",
            (*ids, *ids, *contacts)).fetchall()
        self._relink_rows("calls", calls)

    def _relink_rows(self, table: str, rows: list[tuple[str, str | None, str | None,
                                                      str | None]]) -> None:
        c = self.conn
        updates = []
        for rid, link, contact, current in rows:
            customer = queries.resolve_customer(c, link) \
                or queries.customer_for_contact(c, contact)
            if customer != current:
                updates.append((customer, rid))
        c.executemany(f"UPDATE {table} SET customer_id=? WHERE id=?", updates)

    # -- period documents

    def _project_period(self, doc_id: str, r: Reader, ch: Changes, full: bool) -> None:
        c = self.conn
        if full:
            c.execute("DELETE FROM stock_moves WHERE doc_id=?", (doc_id,))
            for table, col in (("orders", "doc_id"), ("messages", "doc_id"), ("calls", "doc_id")):
                ids = [row[0] for row in c.execute(f"SELECT id FROM {table} WHERE {col}=?",
                                                   (doc_id,))]
                if table == "orders":
                    self._delete_orders(ids)
                    for oid in ids:
                        self.stock.set_order_stock(oid, {})
                elif table == "messages":
                    c.executemany("DELETE FROM messages_fts WHERE rowid=?",
                                  [(fts_rowid(i),) for i in ids])
                c.execute(f"DELETE FROM {table} WHERE {col}=?", (doc_id,))
        orders = r.obj(Root, "orders")
        if orders is not None and ch.orders:
            for oid in ch.orders:
                obj = r.obj(orders, oid)
                if obj is not None:
                    self._project_order(doc_id, oid, r.to_py(obj))
        if self.stock.moved:  # levels of what orders hold are recomputed with the registers
            ch.stock.update(self.stock.moved)
            self.stock.moved.clear()
            if r.obj(Root, "stock") is None:
                self.stock.recompute(ch.stock)
        messages = r.obj(Root, "messages")
        if messages is not None and ch.messages:
            for mid in ch.messages:
                obj = r.obj(messages, mid)
                if obj is not None:
                    self._project_message(doc_id, mid, r.to_py(obj))
        calls = r.obj(Root, "calls")
        if calls is not None and ch.calls:
            for cid in ch.calls:
                obj = r.obj(calls, cid)
                if obj is None:
                    continue
                ca = r.to_py(obj)
                number = ca.get("number")
                customer = queries.resolve_customer(c, ca.get("customer_id")) \
                    or queries.customer_for_contact(c, number)
                c.execute("INSERT OR REPLACE INTO calls VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                          (cid, doc_id, number, ca.get("name"), iso(ca.get("at")),
                           ca.get("presentation"), customer,
                           None if ca.get("answered") is None else int(bool(ca.get("answered"))),
                           ca.get("line"), ca.get("till"), ca.get("customer_id")))
        moves = r.obj(Root, "stock_moves")
        if moves is not None and ch.stock_moves:
            rows: list[tuple[Any, ...]] = []
            for mid in ch.stock_moves:
                obj = r.obj(moves, mid)
                if obj is None:
                    continue
                mv = r.to_py(obj)
                # a bulk move (an import's initial stock) holds SKU -> delta in ``lines``
                lines = mv.get("lines") or {mv.get("sku"): mv.get("delta")}
                rows.extend((mid if "lines" not in mv else f"{mid}/{sku}", doc_id, sku,
                             mv.get("location") or "main", delta, milli(delta),
                             mv.get("reason") or "", iso(mv.get("at")), mv.get("till"),
                             mv.get("by") or "", mv.get("undoes") or "", mv.get("po") or "",
                             mv.get("po_line") or "") for sku, delta in lines.items())
            c.executemany("INSERT OR REPLACE INTO stock_moves VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                          rows)
        stock = r.obj(Root, "stock")
        if stock is not None and (ch.stock or full):
            self.stock.project_registers(doc_id, r, stock, set(ch.stock), full)
        if self.stock.moved:
            self.stock.recompute(self.stock.moved)
            self.stock.moved.clear()

    def _delete_orders(self, ids: list[str]) -> None:
        c = self.conn
        for table, col in (("order_lines", "order_id"), ("payments", "order_id"),
                           ("order_history", "order_id")):
            c.executemany(f"DELETE FROM {table} WHERE {col}=?", [(i,) for i in ids])
        c.executemany("DELETE FROM orders_fts WHERE rowid=(SELECT seq FROM orders WHERE id=?)",
                      [(i,) for i in ids])

    def _project_order(self, doc_id: str, oid: str, o: dict[str, Any]) -> None:
        c = self.conn
        self._delete_orders([oid])
        lines = o.get("lines") or {}
        money = order_totals(o)
        line_rows = []
        for lid, ln in lines.items():
            price = int(ln.get("unit_price") or 0)
            m = money.lines.get(lid) or LineMoney()
            line_rows.append((oid, lid, int(ln.get("pos") or 0), ln.get("sku"),
                              ln.get("description"), ln.get("qty"), price,
                              m.subtotal - m.discount,
                              ln.get("notes") or "", json_text(ln.get("modifiers") or []),
                              int(bool(ln.get("removed"))), ln.get("returned_qty") or "0",
                              # "" for lines from before units: qty is in the product's unit
                              ln.get("unit") or "", m.rate,
                              json_text(ln["discount"]) if ln.get("discount") else None,
                              m.discount, m.amount, m.returned,
                              ln.get("restocked_qty") or "0", ln.get("written_off_qty") or "0",
                              ln.get("asked_qty") or "", ln.get("asked_unit") or "",
                              ln.get("asked") or ""))
        c.executemany("INSERT INTO order_lines VALUES "
                      "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", line_rows)
        paid = refunded = 0
        pay_rows = []
        for pid, p in (o.get("payments") or {}).items():
            amount = int(p.get("amount") or 0)
            if p.get("kind") == "refund":
                paid -= amount
                refunded += amount
            else:
                paid += amount
            pay_rows.append((pid, oid, p.get("kind"), p.get("method"), amount,
                             p.get("reference") or "", iso(p.get("at")), p.get("till"),
                             p.get("by") or "", p.get("tendered"), p.get("change")))
        c.executemany("INSERT OR REPLACE INTO payments VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                      pay_rows)
        hist_rows = [(oid, i, iso(h.get("at")), h.get("till"), h.get("by") or "", h.get("field"),
                      None if h.get("old") is None else str(h.get("old")),
                      None if h.get("new") is None else str(h.get("new")),
                      json_text(extra) if (extra := {k: v for k, v in h.items()
                                                     if k not in _HISTORY_KEYS}) else None)
                     for i, h in enumerate(o.get("history") or [])]
        c.executemany("INSERT INTO order_history VALUES (?,?,?,?,?,?,?,?,?)", hist_rows)
        total = money.total  # from the merged lines, as the balance is
        f = o.get("fulfilment") or {}
        tags = sorted(t for t, on in (o.get("tags") or {}).items() if on)
        cust = queries.resolve_customer(c, o.get("customer_id"))
        live_lines = sum(1 for ln in lines.values() if not ln.get("removed"))
        created = iso(o.get("created_at"))
        held = c.execute("SELECT seq FROM orders WHERE id=?", (oid,)).fetchone()
        if held is not None:
            seq = held[0]
        else:
            seq = order_seq(created, oid)
            while c.execute("SELECT 1 FROM orders WHERE seq=?", (seq,)).fetchone():
                seq += 1
        c.execute("INSERT OR REPLACE INTO orders VALUES (" + ",".join("?" * 40) + ")",
                  (oid, o.get("number"), doc_id, o.get("till"), o.get("channel"), cust,
                   queries.customer_name(c, cust), o.get("status"), total, paid,
                   money.adjusted - paid,
                   json_text(tags), o.get("assignee") or "", iso(o.get("due_at")), f.get("kind"),
                   f.get("address") or "", f.get("carrier") or "", f.get("tracking") or "",
                   o.get("notes") or "", json_text(o.get("custom") or {}),
                   json_text(sorted(m for m, on in (o.get("source_messages") or {}).items()
                                    if on)),
                   created, iso(o.get("updated_at")), live_lines,
                   o.get("stock_state"), o.get("customer_id"), seq,
                   money.subtotal, money.discount, sum(money.tax.values()),
                   json_text(money.tax_lines()), money.returned, money.adjusted, refunded,
                   int(money.prices_include_tax),
                   json_text(o["discount"]) if o.get("discount") else None,
                   o.get("exchange_of"), o.get("exchanged_for"),
                   json_text(o["feedback"]) if o.get("feedback") else None,
                   json_text(o.get("notices") or [])))
        self._refresh_order_fts(oid)
        self.stock.set_order_stock(oid, order_stock(o))

    def _refresh_order_fts(self, oid: str) -> None:
        c = self.conn
        row = c.execute("SELECT seq, number, customer_name, notes, tags, custom, address "
                        "FROM orders WHERE id=?", (oid,)).fetchone()
        if row is None:
            return
        seq, number, customer, notes, tags, custom, address = row
        lines = " ".join(r[0] or "" for r in c.execute(
            "SELECT description FROM order_lines WHERE order_id=? AND removed=0", (oid,)))
        custom_vals = " ".join(str(v) for v in json.loads(custom or "{}").values())
        body = " ".join(x for x in (lines, notes, " ".join(json.loads(tags or "[]")),
                                    custom_vals, address) if x)
        c.execute("INSERT OR REPLACE INTO orders_fts(rowid, order_id, number, customer, body) "
                  "VALUES (?,?,?,?,?)",
                  (seq, oid, f"{number} {number.replace('-', '')}" if number else "", customer or "",
                   body))

    def _project_message(self, doc_id: str, mid: str, m: dict[str, Any]) -> None:
        c = self.conn
        sender = m.get("from") or ""
        contact = sender if m.get("direction") == "in" else (m.get("to") or "")
        held = queries.locate_message(c, mid)
        if held is not None and held != doc_id and held < doc_id:
            # the same message (same dedupe key) stored by two tills: whichever order the
            # documents arrive in, the copy in the lowest document id is the one shown
            return
        customer = queries.resolve_customer(c, m.get("customer_id")) \
            or queries.customer_for_contact(c, contact)
        meta = m.get("meta") or {}
        c.execute("INSERT OR REPLACE INTO messages VALUES "
                  "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                  (mid, doc_id, m.get("channel"), m.get("direction"), sender, m.get("to") or "",
                   m.get("subject") or "", m.get("body") or "", iso(m.get("received_at")),
                   int(bool(m.get("read"))), m.get("order_id"), customer, m.get("state"),
                   m.get("dedupe_key"), json_text(m.get("missing_parts") or []),
                   m.get("reference") or "", m.get("error") or "", int(m.get("attempts") or 0), m.get("till"),
                   m.get("raw") or "", m.get("intake"), m.get("customer_id"),
                   meta.get("preview") or "", json_text(meta) if meta else "",
                   iso(m.get("sent_at"))))
        c.execute("INSERT OR REPLACE INTO messages_fts(rowid, message_id, sender, subject, body) "
                  "VALUES (?,?,?,?,?)",
                  (fts_rowid(mid), mid, sender, m.get("subject") or "", m.get("body") or ""))

    def rows(self, table: str, order_by: str | None = None) -> list[tuple[Any, ...]]:
        if table not in ALL_TABLES:
            raise ValueError(table)
        sql = f"SELECT * FROM {table}"
        if order_by:
            sql += f" ORDER BY {order_by}"
        return self.conn.execute(sql).fetchall()

    def snapshot(self, skip: Iterable[str] = ("doc_state",)) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, sorted: for rebuild-equality checks."""
        out = {}
        skip = set(skip)
        for name in ALL_TABLES:
            if name in skip:
                continue
            out[name] = sorted(self.conn.execute(f"SELECT * FROM {name}").fetchall(),
                               key=lambda r: tuple("" if v is None else str(v) for v in r))
        return out

    def clear(self) -> None:
        with self._transaction():
            for name in ALL_TABLES:
                self.conn.execute(f"DELETE FROM {name}")


#: the columns of a history entry; anything else it says goes into ``detail``
_HISTORY_KEYS = frozenset({"at", "till", "by", "field", "old", "new"})

#: a document's top-level maps -> the kind of ``Changes`` their records are
_SHOP_RECORDS = {"products": "products", "customers": "customers", "alerts": "alerts",
                 "suppliers": "suppliers", "purchase_orders": "purchase_orders",
                 "conversations": "conversations", "templates": "templates",
                 "quick_replies": "quick_replies", "cashups": "cashups"}
_PERIOD_RECORDS = {"orders": "orders", "messages": "messages", "calls": "calls",
                   "stock_moves": "stock_moves"}


def _mark_shop(out: Changes, top: str, key: str) -> None:
    """Note record ``key`` of the shop document's map ``top`` as changed."""
    if top in _SHOP_RECORDS:
        out.ids(_SHOP_RECORDS[top]).add(key)
    elif top == "tills":
        out.tills = True
    else:
        out.shop = True


def _mark_period(out: Changes, top: str, key: str) -> None:
    """Note record ``key`` of a period document's map ``top`` as changed."""
    if top in _PERIOD_RECORDS:
        out.ids(_PERIOD_RECORDS[top]).add(key)
    elif top == "stock":
        out.stock.add(stock_register_sku(key))


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT/ROLLBACK around a block (autocommit connection)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
