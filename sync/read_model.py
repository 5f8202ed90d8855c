"""The SQLite read model: a cache of the shop documents shaped for the UI and reports.

Rebuilt from the documents at any time (``rebuild``) and updated incrementally after each
command or merge (``apply``). Each projected document's heads are stored in the same
SQLite transaction as its rows, so after a crash the model catches up from wherever it
was. Deleting the file loses nothing. The UI opens it read-only (WAL: many readers).

Timestamps are ISO 8601 UTC text; money is integer minor units; quantities are decimal
text plus ``*_milli`` integers for arithmetic.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlite_utils

from sync import lifecycle
from sync.am_doc import Obj, Reader, Root, stock_register_sku
from sync.am_touch import TOUCH_KEY, record_keys_from_patches, touched_since
from sync.changes import Changes
from sync.doc_storage import heads_text as stored_heads_text
from sync.ids import DocId

log = logging.getLogger("countertop.sync.read_model")

SCHEMA_VERSION = 8  # 5: FTS rowid; 6: customer_link; 7: stock held by orders derived;
#                     8: orders.seq, search rows in creation order (order_seq)

_TABLES: dict[str, tuple[dict[str, Any], str | tuple[str, ...]]] = {
    "shop": ({"key": str, "value": str}, "key"),
    "doc_state": ({"doc_id": str, "kind": str, "month": str, "till": str, "heads": str,
                   "projected_at": str}, "doc_id"),
    "tills": ({"id": str, "name": str, "prefix": str, "removed": int, "joined_at": str}, "id"),
    "products": ({"sku": str, "name": str, "aliases": str, "unit": str, "price": int,
                  "tax_rate": str, "active": int, "low_stock": str, "variants": str,
                  "option_groups": str, "created_at": str}, "sku"),
    # what each order holds (see order_stock); their sum is the stock part ORDERS_PART
    "order_stock": ({"order_id": str, "sku": str, "location": str, "on_hand_milli": int,
                     "reserved_milli": int}, ("order_id", "sku", "location")),
    "stock_parts": ({"doc_id": str, "sku": str, "location": str, "on_hand_milli": int,
                     "reserved_milli": int}, ("doc_id", "sku", "location")),
    "stock": ({"sku": str, "location": str, "on_hand": str, "reserved": str, "available": str,
               "on_hand_milli": int, "reserved_milli": int, "available_milli": int,
               "low_stock_milli": int, "is_low": int, "overbooked": int}, ("sku", "location")),
    "suppliers": ({"id": str, "name": str, "contact": str, "products": str,
                   "lead_time_days": int}, "id"),
    "customers": ({"id": str, "name": str, "phones": str, "emails": str, "addresses": str,
                   "notes": str, "tags": str, "merged_into": str, "created_at": str,
                   "primary_phone": str, "primary_email": str}, "id"),
    "customer_contacts": ({"value": str, "customer_id": str, "kind": str},
                          ("value", "customer_id")),
    "orders": ({"id": str, "number": str, "doc_id": str, "till": str, "channel": str,
                "customer_id": str, "customer_name": str, "status": str, "total": int,
                "paid": int, "balance": int, "tags": str, "assignee": str, "due_at": str,
                "fulfilment": str, "address": str, "carrier": str, "tracking": str,
                "notes": str, "custom": str, "source_messages": str, "created_at": str,
                "updated_at": str, "line_count": int, "stock_state": str,
                "customer_link": str, "seq": int}, "id"),
    "order_lines": ({"order_id": str, "line_id": str, "pos": int, "sku": str,
                     "description": str, "qty": str, "unit_price": int, "line_total": int,
                     "notes": str, "modifiers": str, "removed": int, "returned_qty": str},
                    ("order_id", "line_id")),
    "payments": ({"id": str, "order_id": str, "kind": str, "method": str, "amount": int,
                  "reference": str, "at": str, "till": str, "by": str}, "id"),
    "order_history": ({"order_id": str, "idx": int, "at": str, "till": str, "by": str,
                       "field": str, "old": str, "new": str}, ("order_id", "idx")),
    "messages": ({"id": str, "doc_id": str, "channel": str, "direction": str, "sender": str,
                  "recipient": str, "subject": str, "body": str, "received_at": str,
                  "read": int, "order_id": str, "customer_id": str, "state": str,
                  "dedupe_key": str, "missing_parts": str, "reference": str, "error": str,
                  "attempts": int, "till": str, "raw": str, "intake": str,
                  "customer_link": str}, "id"),
    "calls": ({"id": str, "doc_id": str, "number": str, "name": str, "at": str,
               "presentation": str, "customer_id": str, "answered": int, "line": str,
               "till": str, "customer_link": str}, "id"),
    "alerts": ({"id": str, "kind": str, "sku": str, "location": str, "level": str,
                "raised_at": str, "raised_by": str, "resolved_at": str, "resolved_by": str,
                "note": str}, "id"),
}

_INDEXES = [
    ("orders", ["status"]), ("orders", ["created_at"]), ("orders", ["customer_id"]),
    ("orders", ["seq"]),
    ("orders", ["number"]), ("orders", ["doc_id"]), ("order_lines", ["sku"]),
    ("payments", ["order_id"]), ("messages", ["received_at"]), ("messages", ["customer_id"]),
    ("messages", ["dedupe_key"]), ("messages", ["order_id"]), ("messages", ["doc_id"]),
    ("calls", ["at"]), ("calls", ["doc_id"]), ("customer_contacts", ["customer_id"]),
    ("messages", ["sender"]), ("messages", ["recipient"]), ("calls", ["number"]),
    ("messages", ["customer_link"]), ("calls", ["customer_link"]), ("orders", ["customer_link"]),
    ("stock_parts", ["sku"]),
    ("customers", ["merged_into"]),  # _relink's merge-group query: a scan per customer without
]

# FTS rows: orders_fts rows have the order's seq (order_seq) as rowid, the others fts_rowid.
_FTS = {
    "orders_fts": ("order_id", ["number", "customer", "body"]),
    "customers_fts": ("customer_id", ["name", "contacts", "notes"]),
    "messages_fts": ("message_id", ["sender", "subject", "body"]),
}


# Root scalars of a period document. A change to one (every new order bumps ``seq``) must
# not make the projection re-read the whole document: that made each merged order cost
# O(orders in the month), 0.65 s per merge after a thousand orders.
_PERIOD_ROOT_SCALARS = frozenset({"schema", "kind", "month", "till", "seq", "seq_base"})


def fts_rowid(record_id: str) -> int:
    """The FTS row of a record: a 63-bit hash of its id.

    FTS5 tables index only their text, so ``DELETE ... WHERE order_id=?`` scans the whole
    table (tens of ms at 300k orders, for every projected order). Keyed by rowid, a row is
    replaced in O(log n). Two ids sharing a hash (odds ~1e-8 at 300k orders) would share
    one search row; the read model is a cache, and nothing but search reads it.
    """
    digest = hashlib.blake2b(record_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & ((1 << 63) - 1)


def order_seq(created_at: str | None, order_id: str) -> int:
    """An order's ``seq``, the rowid of its search row: its creation time in milliseconds,
    then 16 bits of its id's hash.

    Search results are shown newest first. With rowids in creation order, FTS5 walks a
    word's matches backwards and stops at the first page (``ORDER BY rowid DESC LIMIT``)
    instead of collecting and sorting every match: a common word ("margherita", 25k of
    300k orders) took ~100 ms that way. The caller moves on to the next free seq in the
    rare case two orders of the same millisecond share the hash bits. (A column, not the
    orders' own rowid: VACUUM may renumber those.)
    """
    when = parse_iso_ms(created_at)
    digest = hashlib.blake2b(order_id.encode(), digest_size=2).digest()
    return (when << 16) | int.from_bytes(digest, "big")


def parse_iso_ms(text: str | None) -> int:
    """Milliseconds since the epoch of an ISO timestamp; 0 when missing or unreadable."""
    if not text:
        return 0
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return 0
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0, int(when.timestamp() * 1000))


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


ORDERS_PART = "(orders)"
DEFAULT_LOCATION = "main"


def order_stock(order: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int]]:
    """(sku, location) -> (on-hand change, reserved) an order holds, in thousandths.

    Follows from the order's merged state alone: a confirmed/preparing/ready order
    reserves its live product lines; a dispatched, handed-over, closed or returned one has
    taken them off the shelf; restocked returns are back on it. So the same move made on
    two tills at once counts once, and a rebuild gives the same sums.
    """
    status = str(order.get("status") or "")
    out: dict[tuple[str, str], list[int]] = {}
    for line in (order.get("lines") or {}).values():
        sku = line.get("sku")
        if not sku:
            continue
        acc = out.setdefault((str(sku), DEFAULT_LOCATION), [0, 0])
        qty = 0 if line.get("removed") else _milli(line.get("qty"))
        if status in lifecycle.RESERVING:
            acc[1] += qty
        elif status in lifecycle.FULFILLING or status == lifecycle.RETURNED:
            acc[0] -= qty
        acc[0] += _milli(line.get("restocked_qty"))
    return {k: (v[0], v[1]) for k, v in out.items() if v != [0, 0]}


def iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # automerge returns naive UTC timestamps
            value = value.replace(tzinfo=dt.UTC)
        return str(value.astimezone(dt.UTC).isoformat(timespec="milliseconds"))
    return str(value)


def _j(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


def _milli(text: Any) -> int:
    try:
        return int(Decimal(str(text or "0")) * 1000)
    except (ArithmeticError, ValueError):
        return 0


def _qty(milli: int) -> str:
    text = format(Decimal(milli) / 1000, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


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
        self.db = sqlite_utils.Database(self.conn)
        self._stock_moved: set[str] = set()  # SKUs whose order holdings moved, to recompute
        self._ensure_schema()

    # ------------------------------------------------------------------ schema

    def _ensure_schema(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            self._drop_all()
        for name, (columns, pk) in _TABLES.items():
            table = self.db.table(name)
            if not table.exists():
                table.create(columns, pk=pk)
        for table_name, cols in _INDEXES:
            self.db.table(table_name).create_index(cols, if_not_exists=True)
        for name, (key, cols) in _FTS.items():
            self.conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5("
                              f"{key} UNINDEXED, {', '.join(cols)}, "
                              f"tokenize='unicode61 remove_diacritics 2', prefix='2 3')")
        self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _drop_all(self) -> None:
        for name in [*_TABLES, *_FTS, "doc_files"]:  # doc_files: schema 6 only
            self.conn.execute(f"DROP TABLE IF EXISTS {name}")

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------------ state

    def doc_heads(self, doc_id: str) -> str | None:
        row = self.conn.execute("SELECT heads FROM doc_state WHERE doc_id=?", (doc_id,)).fetchone()
        return row[0] if row else None

    def known_docs(self) -> dict[str, dict[str, Any]]:
        return {r[0]: {"kind": r[1], "month": r[2], "till": r[3], "heads": r[4]}
                for r in self.conn.execute(
                    "SELECT doc_id, kind, month, till, heads FROM doc_state")}

    def locate_order(self, ref: str) -> tuple[str, str] | None:
        row = self.conn.execute("SELECT id, doc_id FROM orders WHERE id=? OR number=?",
                                (ref, ref.upper())).fetchone()
        return (row[0], row[1]) if row else None

    def locate_message(self, mid: str) -> str | None:
        row = self.conn.execute("SELECT doc_id FROM messages WHERE id=?", (mid,)).fetchone()
        return row[0] if row else None

    def locate_customer(self, ref: str, region_normalise: Any = None) -> str | None:
        """Customer id for an id, phone (E.164) or email, following merges."""
        ref = ref.strip()
        candidates = [ref, ref.lower()]
        if region_normalise is not None:
            norm = region_normalise(ref)
            if norm:
                candidates.append(norm)
        for value in candidates:
            row = self.conn.execute("SELECT id FROM customers WHERE id=?", (value,)).fetchone()
            if row:
                return self._resolve_customer(row[0])
            hit = self._customer_for(value)
            if hit:
                return hit
        return None

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
            old = self.doc_heads(doc_id)
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
        except Exception as exc:  # noqa: BLE001 - heads unknown to this doc: project it all
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
        tables = {"shop": {"products": "products", "customers": "customers", "alerts": "alerts",
                           "suppliers": "suppliers"},
                  "period": {"orders": "orders", "messages": "messages", "calls": "calls",
                             "stock": "stock"}}.get(kind, {})
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
        products = r.obj(Root, "products")
        if products is not None and ch.products:
            product_rows = []
            for sku in ch.products:
                obj = r.obj(products, sku)
                if obj is None:
                    continue
                p = r.to_py(obj)
                product_rows.append((sku, p.get("name"), _j(p.get("aliases") or []), p.get("unit"),
                             int(p.get("price") or 0), p.get("tax_rate"),
                             int(bool(p.get("active", True))), p.get("low_stock"),
                             _j(p.get("variants") or []), _j(p.get("option_groups") or {}),
                             iso(p.get("created_at"))))
            c.executemany("INSERT OR REPLACE INTO products VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                          product_rows)
            self._recompute_stock(ch.products)
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
                c.execute("INSERT OR REPLACE INTO suppliers VALUES (?,?,?,?,?)",
                          (sid, s.get("name"), s.get("contact"), _j(s.get("products") or []),
                           int(s.get("lead_time_days") or 0)))
        alerts = r.obj(Root, "alerts")
        if alerts is not None and ch.alerts:
            for aid in ch.alerts:
                obj = r.obj(alerts, aid)
                if obj is None:
                    continue
                a = r.to_py(obj)
                c.execute("INSERT OR REPLACE INTO alerts VALUES (?,?,?,?,?,?,?,?,?,?)",
                          (aid, a.get("kind"), a.get("sku"), a.get("location"), a.get("level"),
                           iso(a.get("raised_at")), a.get("raised_by"), iso(a.get("resolved_at")),
                           a.get("resolved_by"), a.get("note") or ""))

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
            c.execute("INSERT OR REPLACE INTO customers VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                      (cid, cu.get("name"), _j(phones), _j(emails), _j(cu.get("addresses") or []),
                       cu.get("notes") or "", _j(tags), cu.get("merged_into"),
                       iso(cu.get("created_at")), phones[0] if phones else None,
                       emails[0] if emails else None))
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
        address belongs to (``_customer_for``). Both read the customers table, so when a
        customer changes, every record whose answer may move is recomputed by the same
        rule a rebuild uses: records linked to it or to a customer merged into it, and
        records from their phone numbers and addresses. Names on orders follow too.
        """
        c = self.conn
        group = [row[0] for row in c.execute(
            "WITH RECURSIVE g(id) AS (SELECT ? UNION SELECT c.id FROM customers c JOIN g "
            "ON c.merged_into = g.id) SELECT id FROM g", (cid,))]
        kept = self._resolve_customer(cid)
        ids = sorted(set(group) | ({kept} if kept else set()))
        marks = ",".join("?" * len(ids))
        contacts = [row[0] for row in c.execute(
            f"SELECT DISTINCT value FROM customer_contacts WHERE customer_id IN ({marks})", ids)]
        cmarks = ",".join("?" * len(contacts)) or "NULL"
        orders = c.execute(f"SELECT id, customer_link, customer_id, customer_name FROM orders "
                           f"WHERE customer_link IN ({marks}) OR customer_id IN ({marks})",
                           (*ids, *ids)).fetchall()
        for oid, link, current, name in orders:
            customer = self._resolve_customer(link)
            row = c.execute("SELECT name FROM customers WHERE id=?", (customer,)).fetchone() \
                if customer else None
            new_name = row[0] if row else None
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
        updates = []
        for rid, link, contact, current in rows:
            customer = self._resolve_customer(link) or self._customer_for(contact)
            if customer != current:
                updates.append((customer, rid))
        self.conn.executemany(f"UPDATE {table} SET customer_id=? WHERE id=?", updates)

    # -- period documents

    def _project_period(self, doc_id: str, r: Reader, ch: Changes, full: bool) -> None:
        c = self.conn
        if full:
            for table, col in (("orders", "doc_id"), ("messages", "doc_id"), ("calls", "doc_id")):
                ids = [row[0] for row in c.execute(f"SELECT id FROM {table} WHERE {col}=?",
                                                   (doc_id,))]
                if table == "orders":
                    self._delete_orders(ids)
                    for oid in ids:
                        self._set_order_stock(oid, {})
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
        if self._stock_moved:  # levels of what orders hold are recomputed with the registers
            ch.stock.update(self._stock_moved)
            self._stock_moved.clear()
            if r.obj(Root, "stock") is None:
                self._recompute_stock(ch.stock)
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
                customer = self._resolve_customer(ca.get("customer_id")) \
                    or self._customer_for(number)
                c.execute("INSERT OR REPLACE INTO calls VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                          (cid, doc_id, number, ca.get("name"), iso(ca.get("at")),
                           ca.get("presentation"), customer,
                           None if ca.get("answered") is None else int(bool(ca.get("answered"))),
                           ca.get("line"), ca.get("till"), ca.get("customer_id")))
        stock = r.obj(Root, "stock")
        if stock is not None and (ch.stock or full):
            # one register per (sku, location, till): sum the tills (see am_doc)
            skus = set(ch.stock)
            if full:
                skus |= {row[0] for row in c.execute(
                    "SELECT sku FROM stock_parts WHERE doc_id=?", (doc_id,))}
            sums: dict[tuple[str, str], list[int]] = {}
            for key in r.keys(stock):  # keys only: a command reads just its SKUs' registers
                sku = stock_register_sku(key)
                if full:
                    skus.add(sku)
                elif sku not in skus:
                    continue
                regs = r.obj(stock, key)
                if regs is None:
                    continue
                acc = sums.setdefault((sku, str(r.value(regs, "location") or "main")), [0, 0])
                acc[0] += int(r.value(regs, "on_hand", 0) or 0)
                acc[1] += int(r.value(regs, "reserved", 0) or 0)
            c.executemany("DELETE FROM stock_parts WHERE doc_id=? AND sku=?",
                          [(doc_id, sku) for sku in skus])
            c.executemany("INSERT INTO stock_parts VALUES (?,?,?,?,?)",
                          [(doc_id, sku, loc, on_hand, reserved)
                           for (sku, loc), (on_hand, reserved) in sums.items()])
            self._recompute_stock(skus)
        if self._stock_moved:
            self._recompute_stock(self._stock_moved)
            self._stock_moved.clear()

    def _customer_for(self, contact: str | None) -> str | None:
        """The customer a phone number or email belongs to: not a merged one, the oldest."""
        if not contact:
            return None
        row = self.conn.execute(
            "SELECT k.customer_id FROM customer_contacts k JOIN customers c ON c.id = "
            "k.customer_id WHERE k.value=? ORDER BY c.merged_into IS NOT NULL, c.created_at, "
            "k.customer_id LIMIT 1", (contact,)).fetchone()
        return self._resolve_customer(row[0]) if row else None

    def _resolve_customer(self, cid: str | None) -> str | None:
        """Follow ``merged_into`` to the customer that is kept (as far as projected).

        Two tills merging the same pair opposite ways make a cycle; its lowest id stands
        for it, so every path through the cycle ends at the same customer.
        """
        chain: list[str] = []
        while cid and cid not in chain:
            chain.append(cid)
            row = self.conn.execute("SELECT merged_into FROM customers WHERE id=?",
                                    (cid,)).fetchone()
            if not row or not row[0]:
                return cid
            cid = str(row[0])
        if cid:
            return min(chain[chain.index(cid):])
        return cid

    def _set_order_stock(self, oid: str, held: dict[tuple[str, str], tuple[int, int]]) -> None:
        """Record what order ``oid`` holds now; ORDERS_PART moves by the difference."""
        c = self.conn
        old = {(r[0], r[1]): (r[2], r[3]) for r in c.execute(
            "SELECT sku, location, on_hand_milli, reserved_milli FROM order_stock "
            "WHERE order_id=?", (oid,))}
        if old == held:
            return
        c.execute("DELETE FROM order_stock WHERE order_id=?", (oid,))
        c.executemany("INSERT INTO order_stock VALUES (?,?,?,?,?)",
                      [(oid, sku, loc, on, res) for (sku, loc), (on, res) in held.items()])
        for key in set(old) | set(held):
            d_on = held.get(key, (0, 0))[0] - old.get(key, (0, 0))[0]
            d_res = held.get(key, (0, 0))[1] - old.get(key, (0, 0))[1]
            if not (d_on or d_res):
                continue
            c.execute("INSERT INTO stock_parts VALUES (?,?,?,?,?) ON CONFLICT(doc_id, sku, "
                      "location) DO UPDATE SET on_hand_milli = on_hand_milli + "
                      "excluded.on_hand_milli, reserved_milli = reserved_milli + "
                      "excluded.reserved_milli", (ORDERS_PART, key[0], key[1], d_on, d_res))
            c.execute("DELETE FROM stock_parts WHERE doc_id=? AND sku=? AND location=? AND "
                      "on_hand_milli=0 AND reserved_milli=0", (ORDERS_PART, key[0], key[1]))
            self._stock_moved.add(key[0])

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
        line_rows = []
        for lid, ln in lines.items():
            qty = Decimal(str(ln.get("qty") or "0"))
            price = int(ln.get("unit_price") or 0)
            total = int((qty * price).to_integral_value()) if not ln.get("removed") else 0
            line_rows.append((oid, lid, int(ln.get("pos") or 0), ln.get("sku"),
                              ln.get("description"), ln.get("qty"), price, total,
                              ln.get("notes") or "", _j(ln.get("modifiers") or []),
                              int(bool(ln.get("removed"))), ln.get("returned_qty") or "0"))
        c.executemany("INSERT INTO order_lines VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", line_rows)
        paid = 0
        pay_rows = []
        for pid, p in (o.get("payments") or {}).items():
            amount = int(p.get("amount") or 0)
            paid += -amount if p.get("kind") == "refund" else amount
            pay_rows.append((pid, oid, p.get("kind"), p.get("method"), amount,
                             p.get("reference") or "", iso(p.get("at")), p.get("till"),
                             p.get("by") or ""))
        c.executemany("INSERT OR REPLACE INTO payments VALUES (?,?,?,?,?,?,?,?,?)", pay_rows)
        hist_rows = [(oid, i, iso(h.get("at")), h.get("till"), h.get("by") or "", h.get("field"),
                      None if h.get("old") is None else str(h.get("old")),
                      None if h.get("new") is None else str(h.get("new")))
                     for i, h in enumerate(o.get("history") or [])]
        c.executemany("INSERT INTO order_history VALUES (?,?,?,?,?,?,?,?)", hist_rows)
        total = int(o.get("total") or 0)
        f = o.get("fulfilment") or {}
        tags = sorted(t for t, on in (o.get("tags") or {}).items() if on)
        cust = self._resolve_customer(o.get("customer_id"))
        name_row = c.execute("SELECT name FROM customers WHERE id=?", (cust,)).fetchone() \
            if cust else None
        live_lines = sum(1 for ln in lines.values() if not ln.get("removed"))
        created = iso(o.get("created_at"))
        held = c.execute("SELECT seq FROM orders WHERE id=?", (oid,)).fetchone()
        if held is not None:
            seq = held[0]
        else:
            seq = order_seq(created, oid)
            while c.execute("SELECT 1 FROM orders WHERE seq=?", (seq,)).fetchone():
                seq += 1
        c.execute("INSERT OR REPLACE INTO orders VALUES "
                  "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                  (oid, o.get("number"), doc_id, o.get("till"), o.get("channel"), cust,
                   name_row[0] if name_row else None, o.get("status"), total, paid, total - paid,
                   _j(tags), o.get("assignee") or "", iso(o.get("due_at")), f.get("kind"),
                   f.get("address") or "", f.get("carrier") or "", f.get("tracking") or "",
                   o.get("notes") or "", _j(o.get("custom") or {}),
                   _j(sorted(m for m, on in (o.get("source_messages") or {}).items() if on)),
                   created, iso(o.get("updated_at")), live_lines,
                   o.get("stock_state"), o.get("customer_id"), seq))
        self._refresh_order_fts(oid)
        self._set_order_stock(oid, order_stock(o))

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
        held = c.execute("SELECT doc_id FROM messages WHERE id=?", (mid,)).fetchone()
        if held is not None and held[0] != doc_id and held[0] < doc_id:
            # the same message (same dedupe key) stored by two tills: whichever order the
            # documents arrive in, the copy in the lowest document id is the one shown
            return
        customer = self._resolve_customer(m.get("customer_id")) or self._customer_for(contact)
        c.execute("INSERT OR REPLACE INTO messages VALUES "
                  "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                  (mid, doc_id, m.get("channel"), m.get("direction"), sender, m.get("to") or "",
                   m.get("subject") or "", m.get("body") or "", iso(m.get("received_at")),
                   int(bool(m.get("read"))), m.get("order_id"), customer, m.get("state"),
                   m.get("dedupe_key"), _j(m.get("missing_parts") or []), m.get("reference") or "",
                   m.get("error") or "", int(m.get("attempts") or 0), m.get("till"),
                   m.get("raw") or "", m.get("intake"), m.get("customer_id")))
        c.execute("INSERT OR REPLACE INTO messages_fts(rowid, message_id, sender, subject, body) "
                  "VALUES (?,?,?,?,?)",
                  (fts_rowid(mid), mid, sender, m.get("subject") or "", m.get("body") or ""))

    def _recompute_stock(self, skus: Iterable[str]) -> None:
        c = self.conn
        for sku in skus:
            low_row = c.execute("SELECT low_stock FROM products WHERE sku=?", (sku,)).fetchone()
            low = _milli(low_row[0]) if low_row and low_row[0] else None
            parts = c.execute("SELECT location, SUM(on_hand_milli), SUM(reserved_milli) FROM "
                              "stock_parts WHERE sku=? GROUP BY location", (sku,)).fetchall()
            c.execute("DELETE FROM stock WHERE sku=?", (sku,))
            if not parts and low_row is not None:
                parts = [("main", 0, 0)]
            for loc, on_hand, reserved in parts:
                avail = on_hand - reserved
                c.execute("INSERT INTO stock VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                          (sku, loc, _qty(on_hand), _qty(reserved), _qty(avail), on_hand,
                           reserved, avail, low, int(low is not None and avail <= low),
                           int(avail < 0)))

    # ------------------------------------------------------------------ queries

    def overbooked(self, skus: Iterable[str] | None = None) -> list[tuple[str, str, int]]:
        """(sku, location, available_milli) for every level below zero."""
        sql = "SELECT sku, location, available_milli FROM stock WHERE available_milli < 0"
        rows = self.conn.execute(sql).fetchall()
        if skus is not None:
            wanted = set(skus)
            rows = [r for r in rows if r[0] in wanted]
        return [(r[0], r[1], int(r[2])) for r in rows]

    def rows(self, table: str, order_by: str | None = None) -> list[tuple[Any, ...]]:
        if table not in _TABLES and table not in _FTS:
            raise ValueError(table)
        sql = f"SELECT * FROM {table}"
        if order_by:
            sql += f" ORDER BY {order_by}"
        return self.conn.execute(sql).fetchall()

    def snapshot(self, skip: Iterable[str] = ("doc_state",)) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, sorted: for rebuild-equality checks."""
        out = {}
        skip = set(skip)
        for name in list(_TABLES) + list(_FTS):
            if name in skip:
                continue
            out[name] = sorted(self.conn.execute(f"SELECT * FROM {name}").fetchall(),
                               key=lambda r: tuple("" if v is None else str(v) for v in r))
        return out

    def clear(self) -> None:
        with self._transaction():
            for name in list(_TABLES) + list(_FTS):
                self.conn.execute(f"DELETE FROM {name}")


def _mark_shop(out: Changes, top: str, key: str) -> None:
    if top == "products":
        out.products.add(key)
    elif top == "customers":
        out.customers.add(key)
    elif top == "alerts":
        out.alerts.add(key)
    elif top == "suppliers":
        out.suppliers.add(key)
    elif top == "tills":
        out.tills = True
    else:
        out.shop = True


def _mark_period(out: Changes, top: str, key: str) -> None:
    if top == "orders":
        out.orders.add(key)
    elif top == "messages":
        out.messages.add(key)
    elif top == "calls":
        out.calls.add(key)
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
