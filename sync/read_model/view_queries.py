"""Queries shaped for the window's lazy lists: id windows (offset and keyset paging),
rows by id, counts, filter choices, the conversation with one customer.

Part of the one read API: import these from ``sync.read_model.queries``.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from sync.read_model.sql_rows import fts_query, phone_suffix
from sync.read_model.sql_rows import rows as _rows
from sync.read_model.sql_rows import scalar as _scalar


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
    def phone(self) -> str:
        """The search as the end of a customer's phone number ("" when it is not one)."""
        return phone_suffix(self.search) if self.search else ""

    @property
    def fts(self) -> str:
        """The search as an FTS5 query ("" when there is none, or it is a phone number:
        those find the orders of the customers with that number)."""
        return fts_query(self.search) if self.search and not self.phone else ""

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
        if self.phone:
            parts.append(f"{p}customer_id IN (SELECT customer_id FROM customer_contacts "
                         "WHERE kind = 'phone' AND value LIKE ?)")
            args.append(f"%{self.phone}")
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
