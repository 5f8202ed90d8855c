"""Read-only queries over the read model, shared by the engine's commands and the UI.

Pure ``sqlite3``: no Automerge import, so the Qt process may use it (DESIGN.md).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

OPEN_STATUSES = ("new", "confirmed", "preparing", "ready", "out_for_delivery", "shipped")


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


def fts_query(text: str) -> str:
    """Turn what staff type into a safe FTS5 prefix query ("ann smi" -> "ann"* "smi"*)."""
    words = [w.replace('"', '""') for w in text.split() if w.strip()]
    return " ".join(f'"{w}"*' for w in words)


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
        where.append(f"o.status IN ({','.join('?' * len(OPEN_STATUSES))})")
        args.extend(OPEN_STATUSES)
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
        # newest matches come first without sorting all of them (read_model.order_seq)
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


def count_orders_by_status(conn: sqlite3.Connection) -> dict[str, int]:
    return {r[0]: r[1] for r in conn.execute("SELECT status, COUNT(*) FROM orders GROUP BY status")}


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
