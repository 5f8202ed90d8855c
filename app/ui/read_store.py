"""The UI's read-only window on the read model (SQLite, written only by the engine).

Queries here are shaped for views: id windows for lazy models, rows by id, counts.
The file may not exist yet (no engine has run): every query then returns nothing, and
``reopen`` is tried again on the next refresh.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync.file_names import READ_MODEL_FILE
from sync.money import format_money
from sync.read_model import queries as q

log = logging.getLogger("countertop.ui.read_store")


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
        return q.fts_query(self.search) if self.search else ""

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
        ``seq``, in creation order (read_model.order_seq), so the newest matches come
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


class ReadStore:
    """Read-only queries for the views. One connection, used from the GUI thread."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / READ_MODEL_FILE
        self.conn: sqlite3.Connection | None = None
        self._shop: dict[str, Any] | None = None
        self.reopen()

    def reopen(self) -> bool:
        if self.conn is not None:
            return True
        if not self.path.exists():
            return False
        try:
            conn = q.open_readonly(self.path)
            conn.execute("SELECT 1 FROM orders LIMIT 1")
        except sqlite3.Error as exc:
            log.info("read model not ready yet: %s", exc)
            return False
        self.conn = conn
        return True

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _rows(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]:
        if self.conn is None and not self.reopen():
            return []
        assert self.conn is not None
        try:
            cur = self.conn.execute(sql, tuple(args))
        except sqlite3.OperationalError as exc:
            log.warning("read model query failed (%s): %s", exc, sql[:80])
            return []
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]

    def _scalar(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> Any:
        rows = self._rows(sql, args)
        return next(iter(rows[0].values())) if rows else None

    # ------------------------------------------------------------------ shop

    def shop(self, refresh: bool = False) -> dict[str, Any]:
        if self._shop is None or refresh:
            if self.conn is None and not self.reopen():
                return {}
            assert self.conn is not None
            try:
                self._shop = q.shop_info(self.conn)
            except sqlite3.Error:
                return {}
        return dict(self._shop)

    @property
    def currency(self) -> str:
        return str(self.shop().get("currency") or "EUR")

    @property
    def is_demo(self) -> bool:
        return bool(self.shop().get("setting.demo"))

    def money(self, minor: int | None) -> str:
        if minor is None:
            return ""
        symbol = {"EUR": "€", "GBP": "£", "USD": "$", "JPY": "¥", "CHF": "CHF "}.get(
            self.currency, self.currency + " ")
        text = format_money(int(minor), self.currency)
        return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"

    def tills(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM tills ORDER BY prefix")

    # ------------------------------------------------------------------ orders

    def order_ids(self, f: OrderFilter, limit: int, offset: int = 0) -> list[str]:
        if f.fts and f.order_by in ("created_at DESC", "created_at"):
            source, args = f.search_join()
            direction = "DESC" if f.order_by == "created_at DESC" else "ASC"
            rows = self._rows(f"SELECT o.id{source} ORDER BY f.rowid {direction} LIMIT ? "
                              "OFFSET ?", [*args, limit, offset])
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
        rows = self._rows(f"SELECT id FROM orders{where} ORDER BY {sort} LIMIT ? OFFSET ?",
                          [*args, limit, offset])
        return [r["id"] for r in rows]

    def order_ids_after(self, f: OrderFilter, last_id: str, limit: int) -> list[str] | None:
        """The next ``limit`` ids after ``last_id`` in time order (keyset paging: no cost
        for how deep the list is). None when the sort is not by time."""
        if f.order_by not in ("created_at DESC", "created_at"):
            return None
        last = self._rows("SELECT created_at, seq FROM orders WHERE id = ?", [last_id])
        if not last:
            return None
        desc = f.order_by == "created_at DESC"
        op = "<" if desc else ">"
        direction = "DESC" if desc else "ASC"
        if f.fts:  # in the order order_ids gave: by seq
            source, args = f.search_join()
            rows = self._rows(f"SELECT o.id{source} AND f.rowid {op} ? ORDER BY f.rowid "
                              f"{direction} LIMIT ?", [*args, last[0]["seq"], limit])
            return [r["id"] for r in rows]
        where, args = f.where()
        at = last[0]["created_at"]
        keyset = f"(created_at {op} ? OR (created_at = ? AND id {op} ?))"
        where = f"{where} AND {keyset}" if where else f" WHERE {keyset}"
        rows = self._rows(f"SELECT id FROM orders{where} ORDER BY created_at {direction}, "
                          f"id {direction} LIMIT ?", [*args, at, at, last_id, limit])
        return [r["id"] for r in rows]

    def order_count(self, f: OrderFilter) -> int:
        if f.fts:
            if not f.where(search=False)[0]:  # the search alone: every search row is an order
                return int(self._scalar("SELECT COUNT(*) FROM orders_fts WHERE orders_fts "
                                        "MATCH ?", [f.fts]) or 0)
            source, args = f.search_join()
            return int(self._scalar(f"SELECT COUNT(*){source}", args) or 0)
        where, args = f.where()
        return int(self._scalar(f"SELECT COUNT(*) FROM orders{where}", args) or 0)

    def orders_by_id(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for row in self._rows(f"SELECT * FROM orders WHERE id IN "
                                  f"({','.join('?' * len(chunk))})", chunk):
                for key in ("tags", "custom", "source_messages"):
                    if isinstance(row.get(key), str):
                        try:
                            row[key] = json.loads(row[key])
                        except ValueError:
                            row[key] = [] if key != "custom" else {}
                out[row["id"]] = row
        return out

    def status_counts(self, since: str | None = None) -> dict[str, int]:
        if since:
            rows = self._rows("SELECT status, COUNT(*) AS n FROM orders WHERE created_at >= ? "
                              "GROUP BY status", [since])
        else:
            rows = self._rows("SELECT status, COUNT(*) AS n FROM orders GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}

    def order_detail(self, order_id: str) -> dict[str, Any] | None:
        if self.conn is None and not self.reopen():
            return None
        assert self.conn is not None
        return q.order_detail(self.conn, order_id)

    #: filter choices come from this many recent orders (a bounded query at any size)
    RECENT_FOR_CHOICES = 5000

    def assignees(self) -> list[str]:
        return [r["assignee"] for r in self._rows(
            "SELECT DISTINCT assignee FROM (SELECT assignee FROM orders ORDER BY created_at "
            "DESC LIMIT ?) WHERE assignee != '' ORDER BY assignee LIMIT 100",
            [self.RECENT_FOR_CHOICES])]

    def tags(self) -> list[str]:
        found: set[str] = set()
        for r in self._rows("SELECT DISTINCT tags FROM (SELECT tags FROM orders ORDER BY "
                            "created_at DESC LIMIT ?) WHERE tags != '[]'",
                            [self.RECENT_FOR_CHOICES]):
            try:
                found.update(json.loads(r["tags"]))
            except ValueError:
                continue
        return sorted(found)

    # ------------------------------------------------------------------ messages

    def message_ids(self, f: MessageFilter, limit: int, offset: int = 0) -> list[str]:
        where, args = self._message_where(f)
        rows = self._rows(f"SELECT m.id FROM messages m{where} ORDER BY m.received_at DESC "
                          f"LIMIT ? OFFSET ?", [*args, limit, offset])
        return [r["id"] for r in rows]

    def message_count(self, f: MessageFilter) -> int:
        where, args = self._message_where(f)
        return int(self._scalar(f"SELECT COUNT(*) FROM messages m{where}", args) or 0)

    @staticmethod
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
        if f.search and q.fts_query(f.search):
            parts.append("(m.id IN (SELECT message_id FROM messages_fts WHERE messages_fts "
                         "MATCH ?) OR m.customer_id IN (SELECT customer_id FROM customers_fts "
                         "WHERE customers_fts MATCH ?))")
            args.extend([q.fts_query(f.search)] * 2)
        if f.tag:
            parts.append("m.order_id IN (SELECT id FROM orders WHERE tags LIKE ?)")
            args.append(f'%"{f.tag}"%')
        if f.assignee:
            parts.append("m.order_id IN (SELECT id FROM orders WHERE assignee = ?)")
            args.append(f.assignee)
        return (" WHERE " + " AND ".join(parts)) if parts else "", args

    def messages_by_id(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for row in self._rows(
                    "SELECT m.*, c.name AS customer_name FROM messages m LEFT JOIN customers c "
                    f"ON c.id = m.customer_id WHERE m.id IN ({','.join('?' * len(chunk))})",
                    chunk):
                out[row["id"]] = row
        return out

    def message(self, mid: str) -> dict[str, Any] | None:
        return self.messages_by_id([mid]).get(mid)

    def unread_count(self) -> int:
        return int(self._scalar("SELECT COUNT(*) FROM messages WHERE read = 0 AND "
                                "direction = 'in'") or 0)

    def conversation(self, customer_id: str | None, contact: str | None,
                     limit: int = 200) -> list[dict[str, Any]]:
        """Every message and call with this customer (or this number), oldest first."""
        if customer_id:
            contacts = [r["value"] for r in self._rows(
                "SELECT value FROM customer_contacts WHERE customer_id = ?", [customer_id])]
        else:
            contacts = []
        if contact and contact not in contacts:
            contacts.append(contact)
        marks = ",".join("?" * len(contacts)) or "NULL"
        msgs = self._rows(
            "SELECT 'message' AS kind, m.* FROM messages m WHERE m.customer_id = ? OR "
            f"m.sender IN ({marks}) OR m.recipient IN ({marks}) "
            "ORDER BY m.received_at DESC LIMIT ?",
            [customer_id or "", *contacts, *contacts, limit])
        calls = self._rows(
            "SELECT 'call' AS kind, k.*, k.at AS received_at FROM calls k WHERE "
            f"k.customer_id = ? OR k.number IN ({marks}) ORDER BY k.at DESC LIMIT 50",
            [customer_id or "", *contacts])
        items = msgs + calls
        items.sort(key=lambda r: str(r.get("received_at") or ""))
        return items[-limit:]

    # ------------------------------------------------------------------ customers

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        if self.conn is None and not self.reopen():
            return None
        assert self.conn is not None
        return q.customer_card(self.conn, customer_id)

    def customer_for_contact(self, contact: str | None) -> str | None:
        if not contact:
            return None
        row = self._rows("SELECT customer_id FROM customer_contacts WHERE value = ? LIMIT 1",
                         [contact])
        return str(row[0]["customer_id"]) if row else None

    def customers(self, search: str = "", limit: int = 50) -> list[dict[str, Any]]:
        if self.conn is None and not self.reopen():
            return []
        assert self.conn is not None
        return q.list_customers(self.conn, search=search or None, limit=limit)

    # ------------------------------------------------------------------ catalog, stock, alerts

    def products(self, search: str = "") -> list[dict[str, Any]]:
        if self.conn is None and not self.reopen():
            return []
        assert self.conn is not None
        return q.list_products(self.conn, search=search or None, include_inactive=False)

    def stock(self) -> list[dict[str, Any]]:
        return self._rows("SELECT s.*, p.name, p.unit FROM stock s LEFT JOIN products p ON "
                          "p.sku = s.sku ORDER BY s.overbooked DESC, s.is_low DESC, p.name, "
                          "s.location")

    def alerts(self, open_only: bool = True) -> list[dict[str, Any]]:
        sql = "SELECT a.*, p.name FROM alerts a LEFT JOIN products p ON p.sku = a.sku"
        if open_only:
            sql += " WHERE a.resolved_at IS NULL"
        return self._rows(sql + " ORDER BY a.raised_at DESC")

    def calls(self, limit: int = 50) -> list[dict[str, Any]]:
        if self.conn is None and not self.reopen():
            return []
        assert self.conn is not None
        return q.list_calls(self.conn, limit=limit)


def utc_iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def parse_iso(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def local_time_text(text: str | None, *, with_date: bool | None = None) -> str:
    """'14:05' today, 'Mon 14:05' this week, '3 Nov 14:05' otherwise."""
    when = parse_iso(text)
    if when is None:
        return ""
    local = when.astimezone()
    now = dt.datetime.now().astimezone()
    if with_date is None:
        if local.date() == now.date():
            return local.strftime("%H:%M")
        if abs((now.date() - local.date()).days) < 7:
            return local.strftime("%a %H:%M")
        return local.strftime("%d %b %H:%M").lstrip("0")
    return local.strftime("%d %b %Y %H:%M").lstrip("0") if with_date else local.strftime("%H:%M")
