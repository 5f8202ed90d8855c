"""Every read of the read model: the one read API for the engine's commands, the CLI, the
device bridges and the UI.

Plain functions over a ``sqlite3.Connection``: the engine passes the projector's
connection, the UI its read-only one (``open_readonly``). Pure ``sqlite3``: no Automerge
import, so the Qt process may use it (DESIGN.md). The projector calls the lookups it
shares (``resolve_customer``, ``customer_for_contact``, ``doc_heads``) here too, so each
statement has one definition.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync import lifecycle
from sync.ids import DocId, OrderId

#: open statuses in a fixed order, for ``IN`` lists
_OPEN_STATUSES = tuple(sorted(lifecycle.OPEN))


def open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection (the engine is the only writer)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA query_only=1")
    return conn


def _rows(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, args)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def _scalar(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(sql, args).fetchone()
    return row[0] if row else None


def fts_query(text: str) -> str:
    """Turn what staff type into a safe FTS5 prefix query ("ann smi" -> "ann"* "smi"*)."""
    words = [w.replace('"', '""') for w in text.split() if w.strip()]
    return " ".join(f'"{w}"*' for w in words)


# ---------------------------------------------------------------------- records
# Shaped for the engine's commands, the CLI and exports (and the UI's detail views).


def shop_info(conn: sqlite3.Connection) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in conn.execute("SELECT key, value FROM shop"):
        out[key] = json.loads(value)
    return out


def list_orders(conn: sqlite3.Connection, *, status: str | None = None, search: str | None = None,
                customer_id: str | None = None, open_only: bool = False, limit: int = 200,
                offset: int = 0, order_by: str = "created_at DESC") -> list[dict[str, Any]]:
    where, args = [], []
    if status:
        where.append("o.status = ?")
        args.append(status)
    if open_only:
        where.append(f"o.status IN ({','.join('?' * len(_OPEN_STATUSES))})")
        args.extend(_OPEN_STATUSES)
    if customer_id:
        where.append("o.customer_id = ?")
        args.append(customer_id)
    allowed = {"created_at DESC", "created_at", "number", "due_at", "status", "total DESC",
               "updated_at DESC"}
    order_by = order_by if order_by in allowed else "created_at DESC"
    sql = "SELECT o.* FROM orders o"
    sort = f"o.{order_by}"
    if search and fts_query(search):
        # the search rows drive: their rowid (orders.seq) runs in creation order, so the
        # newest matches come first without sorting all of them (codecs.order_seq)
        sql = "SELECT o.* FROM orders_fts f JOIN orders o ON o.seq = f.rowid"
        where.insert(0, "orders_fts MATCH ?")
        args.insert(0, fts_query(search))
        sort = {"created_at DESC": "f.rowid DESC", "created_at": "f.rowid"}.get(order_by, sort)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {sort} LIMIT ? OFFSET ?"
    return [_order_row(r) for r in _rows(conn, sql, (*args, limit, offset))]


def _order_row(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("tags", "custom", "source_messages"):
        if isinstance(row.get(key), str):
            row[key] = json.loads(row[key])
    return row


def order_detail(conn: sqlite3.Connection, order_id: str) -> dict[str, Any] | None:
    rows = _rows(conn, "SELECT * FROM orders WHERE id=? OR number=?", (order_id, order_id.upper()))
    if not rows:
        return None
    order = _order_row(rows[0])
    oid = order["id"]
    order["lines"] = _rows(conn, "SELECT * FROM order_lines WHERE order_id=? ORDER BY pos, line_id",
                           (oid,))
    for line in order["lines"]:
        line["modifiers"] = json.loads(line.get("modifiers") or "[]")
    order["payments"] = _rows(conn, "SELECT * FROM payments WHERE order_id=? ORDER BY at", (oid,))
    order["history"] = _rows(conn, "SELECT * FROM order_history WHERE order_id=? ORDER BY idx",
                             (oid,))
    return order


def list_products(conn: sqlite3.Connection, *, search: str | None = None,
                  include_inactive: bool = True) -> list[dict[str, Any]]:
    sql = ("SELECT p.*, COALESCE(SUM(s.available_milli), 0) AS available_milli FROM products p "
           "LEFT JOIN stock s ON s.sku = p.sku")
    where, args = [], []
    if not include_inactive:
        where.append("p.active = 1")
    if search:
        where.append("(p.sku LIKE ? OR p.name LIKE ? OR p.aliases LIKE ?)")
        args.extend([f"%{search}%"] * 3)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " GROUP BY p.sku ORDER BY p.name"
    out = _rows(conn, sql, tuple(args))
    for row in out:
        for key in ("aliases", "variants", "option_groups"):
            row[key] = json.loads(row.get(key) or "null")
    return out


def list_stock(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return _rows(conn, "SELECT s.*, p.name FROM stock s LEFT JOIN products p ON p.sku = s.sku "
                       "ORDER BY p.name, s.location")


def list_customers(conn: sqlite3.Connection, *, search: str | None = None, limit: int = 500,
                   include_merged: bool = False) -> list[dict[str, Any]]:
    where, args = [], []
    if not include_merged:
        where.append("c.merged_into IS NULL")
    if search and fts_query(search):
        where.append("c.id IN (SELECT customer_id FROM customers_fts WHERE customers_fts MATCH ?)")
        args.append(fts_query(search))
    sql = "SELECT c.* FROM customers c"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY c.name LIMIT ?"
    out = _rows(conn, sql, (*args, limit))
    for row in out:
        for key in ("phones", "emails", "addresses", "tags"):
            row[key] = json.loads(row.get(key) or "[]")
    return out


def customer_card(conn: sqlite3.Connection, customer_id: str) -> dict[str, Any] | None:
    """Name, contacts, open orders and recent messages: the screen-pop."""
    rows = list_customers_by_id(conn, customer_id)
    if not rows:
        return None
    card = rows[0]
    card["open_orders"] = list_orders(conn, customer_id=customer_id, open_only=True, limit=20)
    card["recent_orders"] = list_orders(conn, customer_id=customer_id, limit=10)
    card["messages"] = _rows(conn, "SELECT * FROM messages WHERE customer_id=? "
                                   "ORDER BY received_at DESC LIMIT 20", (customer_id,))
    card["calls"] = _rows(conn, "SELECT * FROM calls WHERE customer_id=? ORDER BY at DESC "
                                "LIMIT 10", (customer_id,))
    return card


def list_customers_by_id(conn: sqlite3.Connection, customer_id: str) -> list[dict[str, Any]]:
    out = _rows(conn, "SELECT * FROM customers WHERE id=?", (customer_id,))
    for row in out:
        for key in ("phones", "emails", "addresses", "tags"):
            row[key] = json.loads(row.get(key) or "[]")
    return out


def list_messages(conn: sqlite3.Connection, *, channel: str | None = None,
                  unread_only: bool = False, search: str | None = None,
                  direction: str | None = None, state: str | None = None,
                  customer_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    where, args = [], []
    for col, val in (("m.channel", channel), ("m.direction", direction), ("m.state", state),
                     ("m.customer_id", customer_id)):
        if val:
            where.append(f"{col} = ?")
            args.append(val)
    if unread_only:
        where.append("m.read = 0")
    if search and fts_query(search):
        where.append("m.id IN (SELECT message_id FROM messages_fts WHERE messages_fts MATCH ?)")
        args.append(fts_query(search))
    sql = ("SELECT m.*, c.name AS customer_name FROM messages m "
           "LEFT JOIN customers c ON c.id = m.customer_id")
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY m.received_at DESC LIMIT ?"
    out = _rows(conn, sql, (*args, limit))
    for row in out:
        row["missing_parts"] = json.loads(row.get("missing_parts") or "[]")
    return out


def list_calls(conn: sqlite3.Connection, *, limit: int = 200) -> list[dict[str, Any]]:
    return _rows(conn, "SELECT k.*, c.name AS customer_name FROM calls k LEFT JOIN customers c "
                       "ON c.id = k.customer_id ORDER BY k.at DESC LIMIT ?", (limit,))


def list_alerts(conn: sqlite3.Connection, *, open_only: bool = True) -> list[dict[str, Any]]:
    sql = "SELECT * FROM alerts"
    if open_only:
        sql += " WHERE resolved_at IS NULL"
    return _rows(conn, sql + " ORDER BY raised_at DESC")


def list_tills(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return _rows(conn, "SELECT * FROM tills ORDER BY prefix")


# ---------------------------------------------------------------------- projection state


def doc_heads(conn: sqlite3.Connection, doc_id: str) -> str | None:
    """The heads (``heads_text``) the read model last projected of ``doc_id``."""
    row = conn.execute("SELECT heads FROM doc_state WHERE doc_id=?", (doc_id,)).fetchone()
    return row[0] if row else None


def known_docs(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Every projected document: its kind, month, till and projected heads."""
    return {r[0]: {"kind": r[1], "month": r[2], "till": r[3], "heads": r[4]}
            for r in conn.execute("SELECT doc_id, kind, month, till, heads FROM doc_state")}


def overbooked(conn: sqlite3.Connection,
               skus: Iterable[str] | None = None) -> list[tuple[str, str, int]]:
    """(sku, location, available_milli) for every level below zero."""
    sql = "SELECT sku, location, available_milli FROM stock WHERE available_milli < 0"
    rows = conn.execute(sql).fetchall()
    if skus is not None:
        wanted = set(skus)
        rows = [r for r in rows if r[0] in wanted]
    return [(r[0], r[1], int(r[2])) for r in rows]


# ---------------------------------------------------------------------- locating records


def locate_order(conn: sqlite3.Connection, ref: str) -> tuple[OrderId, DocId] | None:
    """(order id, period document) of an order id or number."""
    row = conn.execute("SELECT id, doc_id FROM orders WHERE id=? OR number=?",
                       (ref, ref.upper())).fetchone()
    return (OrderId(row[0]), DocId(row[1])) if row else None


def locate_message(conn: sqlite3.Connection, mid: str) -> DocId | None:
    """The period document holding message ``mid``."""
    row = conn.execute("SELECT doc_id FROM messages WHERE id=?", (mid,)).fetchone()
    return DocId(row[0]) if row else None


def locate_customer(conn: sqlite3.Connection, ref: str,
                    region_normalise: Callable[[str], str | None] | None = None) -> str | None:
    """Customer id for an id, phone (E.164) or email, following merges."""
    ref = ref.strip()
    candidates = [ref, ref.lower()]
    if region_normalise is not None:
        norm = region_normalise(ref)
        if norm:
            candidates.append(norm)
    for value in candidates:
        row = conn.execute("SELECT id FROM customers WHERE id=?", (value,)).fetchone()
        if row:
            return resolve_customer(conn, row[0])
        hit = customer_for_contact(conn, value)
        if hit:
            return hit
    return None


def customer_name(conn: sqlite3.Connection, cid: str | None) -> str | None:
    """The name of customer ``cid`` (None for no or an unknown customer)."""
    if not cid:
        return None
    row = conn.execute("SELECT name FROM customers WHERE id=?", (cid,)).fetchone()
    return row[0] if row else None


def customer_for_contact(conn: sqlite3.Connection, contact: str | None) -> str | None:
    """The customer a phone number or email belongs to: not a merged one, the oldest."""
    if not contact:
        return None
    row = conn.execute(
        "SELECT k.customer_id FROM customer_contacts k JOIN customers c ON c.id = "
        "k.customer_id WHERE k.value=? ORDER BY c.merged_into IS NOT NULL, c.created_at, "
        "k.customer_id LIMIT 1", (contact,)).fetchone()
    return resolve_customer(conn, row[0]) if row else None


def resolve_customer(conn: sqlite3.Connection, cid: str | None) -> str | None:
    """Follow ``merged_into`` to the customer that is kept (as far as projected).

    Two tills merging the same pair opposite ways make a cycle; its lowest id stands
    for it, so every path through the cycle ends at the same customer.
    """
    chain: list[str] = []
    while cid and cid not in chain:
        chain.append(cid)
        row = conn.execute("SELECT merged_into FROM customers WHERE id=?", (cid,)).fetchone()
        if not row or not row[0]:
            return cid
        cid = str(row[0])
    if cid:
        return min(chain[chain.index(cid):])
    return cid


# ---------------------------------------------------------------------- views: orders
# Shaped for the UI's lazy models: id windows, rows by id, counts.


@dataclass
class OrderFilter:
    """What the board and the orders table show."""

    statuses: tuple[str, ...] = ()
    search: str = ""
    tag: str = ""
    assignee: str = ""
    channel: str = ""
    since: str | None = None  # ISO UTC; orders created at or after
    customer_id: str = ""
    order_by: str = "created_at DESC"

    @property
    def fts(self) -> str:
        """The search as an FTS5 query ("" when there is none)."""
        return fts_query(self.search) if self.search else ""

    def where(self, *, search: bool = True, o: str = "") -> tuple[str, list[Any]]:
        """The WHERE clause over ``orders`` (aliased ``o`` when given). ``search=False``
        leaves the search out, for queries that join the search rows themselves."""
        parts: list[str] = []
        args: list[Any] = []
        p = f"{o}." if o else ""
        if self.statuses:
            # with a date limit the time index is the selective one: "+status" keeps SQLite
            # from walking every delivered order of the shop's history instead
            column = f"+{p}status" if self.since else f"{p}status"
            parts.append(f"{column} IN ({','.join('?' * len(self.statuses))})")
            args.extend(self.statuses)
        if search and self.fts:
            parts.append(f"{p}seq IN (SELECT rowid FROM orders_fts WHERE orders_fts MATCH ?)")
            args.append(self.fts)
        if self.tag:
            parts.append(f"{p}tags LIKE ?")
            args.append(f'%"{self.tag}"%')
        if self.assignee:
            parts.append(f"{p}assignee = ?")
            args.append(self.assignee)
        if self.channel:
            parts.append(f"{p}channel = ?")
            args.append(self.channel)
        if self.since:
            parts.append(f"{p}created_at >= ?")
            args.append(self.since)
        if self.customer_id:
            parts.append(f"{p}customer_id = ?")
            args.append(self.customer_id)
        return (" WHERE " + " AND ".join(parts)) if parts else "", args

    def search_join(self) -> tuple[str, list[Any]]:
        """FROM and WHERE for a search walked from its FTS rows: their rowid is the order's
        ``seq``, in creation order (codecs.order_seq), so the newest matches come
        first without collecting and sorting all of them."""
        where, args = self.where(search=False, o="o")
        where = f"{where} AND f.orders_fts MATCH ?" if where else " WHERE f.orders_fts MATCH ?"
        return (" FROM orders_fts f JOIN orders o ON o.seq = f.rowid" + where,
                [*args, self.fts])


ORDER_SORTS = {
    "created_at DESC", "created_at", "number", "number DESC", "due_at", "due_at DESC",
    "status", "status DESC", "total", "total DESC", "balance", "balance DESC",
    "customer_name", "customer_name DESC", "channel", "channel DESC", "assignee",
    "assignee DESC", "updated_at DESC", "board",
}

#: filter choices come from this many recent orders (a bounded query at any size)
RECENT_FOR_CHOICES = 5000


def check_ready(conn: sqlite3.Connection) -> None:
    """Raise ``sqlite3.Error`` unless the read model's tables are there to read."""
    conn.execute("SELECT 1 FROM orders LIMIT 1")


def order_ids(conn: sqlite3.Connection, f: OrderFilter, limit: int,
              offset: int = 0) -> list[str]:
    """One window of the ids ``f`` selects, in its order."""
    if f.fts and f.order_by in ("created_at DESC", "created_at"):
        source, args = f.search_join()
        direction = "DESC" if f.order_by == "created_at DESC" else "ASC"
        rows = _rows(conn, f"SELECT o.id{source} ORDER BY f.rowid {direction} LIMIT ? "
                           "OFFSET ?", (*args, limit, offset))
        return [r["id"] for r in rows]
    where, args = f.where()
    sort = f.order_by if f.order_by in ORDER_SORTS else "created_at DESC"
    if sort == "board":
        sort = "(due_at IS NULL), due_at, created_at"
    elif sort == "created_at DESC":
        sort = "created_at DESC, id DESC"
    elif sort == "created_at":
        sort = "created_at, id"
    else:
        sort += ", created_at DESC"
    rows = _rows(conn, f"SELECT id FROM orders{where} ORDER BY {sort} LIMIT ? OFFSET ?",
                 (*args, limit, offset))
    return [r["id"] for r in rows]


def order_ids_after(conn: sqlite3.Connection, f: OrderFilter, last_id: str,
                    limit: int) -> list[str] | None:
    """The next ``limit`` ids after ``last_id`` in time order (keyset paging: no cost
    for how deep the list is). None when the sort is not by time."""
    if f.order_by not in ("created_at DESC", "created_at"):
        return None
    last = _rows(conn, "SELECT created_at, seq FROM orders WHERE id = ?", (last_id,))
    if not last:
        return None
    desc = f.order_by == "created_at DESC"
    op = "<" if desc else ">"
    direction = "DESC" if desc else "ASC"
    if f.fts:  # in the order order_ids gave: by seq
        source, args = f.search_join()
        rows = _rows(conn, f"SELECT o.id{source} AND f.rowid {op} ? ORDER BY f.rowid "
                           f"{direction} LIMIT ?", (*args, last[0]["seq"], limit))
        return [r["id"] for r in rows]
    where, args = f.where()
    at = last[0]["created_at"]
    keyset = f"(created_at {op} ? OR (created_at = ? AND id {op} ?))"
    where = f"{where} AND {keyset}" if where else f" WHERE {keyset}"
    rows = _rows(conn, f"SELECT id FROM orders{where} ORDER BY created_at {direction}, "
                       f"id {direction} LIMIT ?", (*args, at, at, last_id, limit))
    return [r["id"] for r in rows]


def order_count(conn: sqlite3.Connection, f: OrderFilter) -> int:
    """How many orders ``f`` selects."""
    if f.fts:
        if not f.where(search=False)[0]:  # the search alone: every search row is an order
            return int(_scalar(conn, "SELECT COUNT(*) FROM orders_fts WHERE orders_fts "
                                     "MATCH ?", (f.fts,)) or 0)
        source, args = f.search_join()
        return int(_scalar(conn, f"SELECT COUNT(*){source}", tuple(args)) or 0)
    where, args = f.where()
    return int(_scalar(conn, f"SELECT COUNT(*) FROM orders{where}", tuple(args)) or 0)


def orders_by_id(conn: sqlite3.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Order rows (tags, custom fields and source messages decoded) by id."""
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for row in _rows(conn, f"SELECT * FROM orders WHERE id IN "
                               f"({','.join('?' * len(chunk))})", tuple(chunk)):
            for key in ("tags", "custom", "source_messages"):
                if isinstance(row.get(key), str):
                    try:
                        row[key] = json.loads(row[key])
                    except ValueError:
                        row[key] = [] if key != "custom" else {}
            out[row["id"]] = row
    return out


def status_counts(conn: sqlite3.Connection, since: str | None = None) -> dict[str, int]:
    """Orders per status (created at or after ``since`` when given)."""
    if since:
        rows = _rows(conn, "SELECT status, COUNT(*) AS n FROM orders WHERE created_at >= ? "
                           "GROUP BY status", (since,))
    else:
        rows = _rows(conn, "SELECT status, COUNT(*) AS n FROM orders GROUP BY status")
    return {r["status"]: int(r["n"]) for r in rows}


def assignees(conn: sqlite3.Connection, recent: int = RECENT_FOR_CHOICES) -> list[str]:
    """Who the ``recent`` newest orders are assigned to (a filter's choices)."""
    return [r["assignee"] for r in _rows(
        conn, "SELECT DISTINCT assignee FROM (SELECT assignee FROM orders ORDER BY created_at "
              "DESC LIMIT ?) WHERE assignee != '' ORDER BY assignee LIMIT 100", (recent,))]


def order_tags(conn: sqlite3.Connection, recent: int = RECENT_FOR_CHOICES) -> list[str]:
    """The tags of the ``recent`` newest orders (a filter's choices)."""
    found: set[str] = set()
    for r in _rows(conn, "SELECT DISTINCT tags FROM (SELECT tags FROM orders ORDER BY "
                         "created_at DESC LIMIT ?) WHERE tags != '[]'", (recent,)):
        try:
            found.update(json.loads(r["tags"]))
        except ValueError:
            continue
    return sorted(found)


# ---------------------------------------------------------------------- views: messages


@dataclass
class MessageFilter:
    """What the inbox shows."""

    channel: str = ""
    state: str = ""  # "unread", "open" (no order yet), "linked", or a message state
    search: str = ""
    tag: str = ""
    assignee: str = ""
    customer_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def message_ids(conn: sqlite3.Connection, f: MessageFilter, limit: int,
                offset: int = 0) -> list[str]:
    """One window of the ids ``f`` selects, newest first."""
    where, args = _message_where(f)
    rows = _rows(conn, f"SELECT m.id FROM messages m{where} ORDER BY m.received_at DESC "
                       f"LIMIT ? OFFSET ?", (*args, limit, offset))
    return [r["id"] for r in rows]


def message_count(conn: sqlite3.Connection, f: MessageFilter) -> int:
    """How many messages ``f`` selects."""
    where, args = _message_where(f)
    return int(_scalar(conn, f"SELECT COUNT(*) FROM messages m{where}", tuple(args)) or 0)


def _message_where(f: MessageFilter) -> tuple[str, list[Any]]:
    parts: list[str] = []
    args: list[Any] = []
    if f.channel:
        parts.append("m.channel = ?")
        args.append(f.channel)
    if f.state == "unread":
        parts.append("m.read = 0")
    elif f.state == "open":
        parts.append("m.order_id IS NULL AND m.direction = 'in'")
    elif f.state == "linked":
        parts.append("m.order_id IS NOT NULL")
    elif f.state:
        parts.append("m.state = ?")
        args.append(f.state)
    if f.customer_id:
        parts.append("m.customer_id = ?")
        args.append(f.customer_id)
    if f.search and fts_query(f.search):
        parts.append("(m.id IN (SELECT message_id FROM messages_fts WHERE messages_fts "
                     "MATCH ?) OR m.customer_id IN (SELECT customer_id FROM customers_fts "
                     "WHERE customers_fts MATCH ?))")
        args.extend([fts_query(f.search)] * 2)
    if f.tag:
        parts.append("m.order_id IN (SELECT id FROM orders WHERE tags LIKE ?)")
        args.append(f'%"{f.tag}"%')
    if f.assignee:
        parts.append("m.order_id IN (SELECT id FROM orders WHERE assignee = ?)")
        args.append(f.assignee)
    return (" WHERE " + " AND ".join(parts)) if parts else "", args


def messages_by_id(conn: sqlite3.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Message rows with their customer's name, by id."""
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for row in _rows(
                conn, "SELECT m.*, c.name AS customer_name FROM messages m LEFT JOIN customers c "
                      f"ON c.id = m.customer_id WHERE m.id IN ({','.join('?' * len(chunk))})",
                tuple(chunk)):
            out[row["id"]] = row
    return out


def unread_count(conn: sqlite3.Connection) -> int:
    """Incoming messages nobody has read yet."""
    return int(_scalar(conn, "SELECT COUNT(*) FROM messages WHERE read = 0 AND "
                             "direction = 'in'") or 0)


def conversation(conn: sqlite3.Connection, customer_id: str | None, contact: str | None,
                 limit: int = 200) -> list[dict[str, Any]]:
    """Every message and call with this customer (or this number), oldest first."""
    if customer_id:
        contacts = [r["value"] for r in _rows(
            conn, "SELECT value FROM customer_contacts WHERE customer_id = ?", (customer_id,))]
    else:
        contacts = []
    if contact and contact not in contacts:
        contacts.append(contact)
    marks = ",".join("?" * len(contacts)) or "NULL"
    msgs = _rows(
        conn, "SELECT 'message' AS kind, m.* FROM messages m WHERE m.customer_id = ? OR "
              f"m.sender IN ({marks}) OR m.recipient IN ({marks}) "
              "ORDER BY m.received_at DESC LIMIT ?",
        (customer_id or "", *contacts, *contacts, limit))
    calls = _rows(
        conn, "SELECT 'call' AS kind, k.*, k.at AS received_at FROM calls k WHERE "
              f"k.customer_id = ? OR k.number IN ({marks}) ORDER BY k.at DESC LIMIT 50",
        (customer_id or "", *contacts))
    items = msgs + calls
    items.sort(key=lambda r: str(r.get("received_at") or ""))
    return items[-limit:]


def first_customer_with_contact(conn: sqlite3.Connection, contact: str | None) -> str | None:
    """Some customer listing this phone number or email (the screen-pop's quick guess;
    ``customer_for_contact`` is the projector's rule: merges followed, the oldest)."""
    if not contact:
        return None
    row = _rows(conn, "SELECT customer_id FROM customer_contacts WHERE value = ? LIMIT 1",
                (contact,))
    return str(row[0]["customer_id"]) if row else None


# ---------------------------------------------------------------------- views: stock, alerts


def stock_levels(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every stock level with its product's name and unit: overbooked first, then low."""
    return _rows(conn, "SELECT s.*, p.name, p.unit FROM stock s LEFT JOIN products p ON "
                       "p.sku = s.sku ORDER BY s.overbooked DESC, s.is_low DESC, p.name, "
                       "s.location")


def alerts_with_product_names(conn: sqlite3.Connection,
                              open_only: bool = True) -> list[dict[str, Any]]:
    """Alerts, newest first, with the name of the product each is about."""
    sql = "SELECT a.*, p.name FROM alerts a LEFT JOIN products p ON p.sku = a.sku"
    if open_only:
        sql += " WHERE a.resolved_at IS NULL"
    return _rows(conn, sql + " ORDER BY a.raised_at DESC")


# ---------------------------------------------------------------------- views: notifications


def latest_times(conn: sqlite3.Connection) -> dict[str, str]:
    """When the newest order, incoming message and alert came ("" for none): what the
    window has already seen, so it notifies only about what comes after."""
    return {
        "order": str(_scalar(conn, "SELECT MAX(created_at) FROM orders") or ""),
        "message": str(_scalar(conn, "SELECT MAX(received_at) FROM messages WHERE "
                                     "direction = 'in'") or ""),
        "alert": str(_scalar(conn, "SELECT MAX(raised_at) FROM alerts") or ""),
    }


def messages_since(conn: sqlite3.Connection, after: str,
                   limit: int = 50) -> list[dict[str, Any]]:
    """Incoming messages received after ``after``, oldest first, with customer names."""
    return _rows(conn, "SELECT m.*, c.name AS customer_name FROM messages m LEFT JOIN "
                       "customers c ON c.id = m.customer_id WHERE m.direction = 'in' AND "
                       "m.received_at > ? ORDER BY m.received_at LIMIT ?", (after, limit))


def orders_since(conn: sqlite3.Connection, after: str,
                 limit: int = 50) -> list[dict[str, Any]]:
    """Orders created after ``after``, oldest first."""
    return _rows(conn, "SELECT * FROM orders WHERE created_at > ? ORDER BY created_at LIMIT ?",
                 (after, limit))


def alerts_since(conn: sqlite3.Connection, after: str,
                 limit: int = 3) -> list[dict[str, Any]]:
    """Open alerts raised after ``after``, oldest first, with product names."""
    return _rows(conn, "SELECT a.*, p.name FROM alerts a LEFT JOIN products p ON p.sku = a.sku "
                       "WHERE a.raised_at > ? AND a.resolved_at IS NULL ORDER BY a.raised_at "
                       "LIMIT ?", (after, limit))


# ---------------------------------------------------------------------- outbox and calls


def queued_outgoing_sms(conn: sqlite3.Connection,
                        states: Iterable[str] = ("queued",)) -> list[dict[str, Any]]:
    """Outgoing SMS in one of ``states`` (id, recipient, body, attempts), oldest first."""
    wanted = tuple(states)
    return _rows(conn, f"SELECT id, recipient, body, attempts FROM messages WHERE "
                       f"direction='out' AND channel='sms' AND state IN "
                       f"({','.join('?' * len(wanted))}) ORDER BY received_at", wanted)


def message_attempts(conn: sqlite3.Connection, mid: str) -> int:
    """How many times message ``mid`` has been tried (0 for an unknown message)."""
    return int(_scalar(conn, "SELECT attempts FROM messages WHERE id=?", (mid,)) or 0)


def outgoing_sms_with_references(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(id, reference) of every outgoing SMS the network gave references to: a message
    sent in parts has them comma-separated."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT id, reference FROM messages WHERE direction='out' AND channel='sms' "
        "AND reference != ''")]


def call_row(conn: sqlite3.Connection, call_id: str) -> dict[str, Any] | None:
    """What an incoming-call event carries about call ``call_id``."""
    rows = _rows(conn, "SELECT id, number, name, at, presentation, customer_id, till, line "
                       "FROM calls WHERE id=?", (call_id,))
    return rows[0] if rows else None
