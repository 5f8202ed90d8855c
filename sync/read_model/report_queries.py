"""The reports' reads: sales, takings, orders, customers, refunds, tax, stock, messages.

Part of the one read API (pure ``sqlite3``, no Automerge), shaped as aggregates the
report builders (``app/reports``) turn into tables. Times are compared as the ISO UTC text
the projector writes (``codecs.iso``), so a range is two strings and an index range scan.

A *sale* is an order that was not cancelled, counted on the day it was taken; *takings*
are payments less refunds, counted when the money moved. Time buckets (days, weeks,
months in the shop's timezone) are passed in as ``Bucket`` bounds worked out by the
caller, so a local day is exact in any timezone and each bucket is one index range.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sync import lifecycle
from sync.read_model.sql_rows import rows as _rows

#: statuses whose orders are not sales
NOT_SALES = (lifecycle.CANCELLED,)


@dataclass(frozen=True)
class Bucket:
    """One time bucket: its key (``2026-12-02``) and its bounds, ISO UTC, end excluded."""

    key: str
    start: str
    end: str


@dataclass(frozen=True)
class Scope:
    """Which orders and payments a report reads: a time range and perhaps one till."""

    start: str
    end: str
    till: str | None = None

    def orders(self, o: str = "o") -> tuple[str, list[Any]]:
        """WHERE terms for the sales in scope (``o`` aliases ``orders``)."""
        sql = (f"{o}.created_at >= ? AND {o}.created_at < ? AND {o}.status NOT IN "
               f"({','.join('?' * len(NOT_SALES))})")
        args: list[Any] = [self.start, self.end, *NOT_SALES]
        if self.till:
            sql += f" AND {o}.till = ?"
            args.append(self.till)
        return sql, args


def _values(buckets: Sequence[Bucket]) -> tuple[str, list[Any]]:
    """A ``WITH b(k, s, e) AS (VALUES ...)`` table of the buckets (no temp table: the UI's
    connection is read-only)."""
    marks = ",".join("(?,?,?)" for _ in buckets)
    args: list[Any] = [x for b in buckets for x in (b.key, b.start, b.end)]
    return f"WITH b(k, s, e) AS (VALUES {marks})", args


# ---------------------------------------------------------------------- sales


def sales_by_time(conn: sqlite3.Connection, buckets: Sequence[Bucket],
                  till: str | None = None) -> list[dict[str, Any]]:
    """Per bucket: ``orders`` and ``sales`` (the sum of their totals), empty buckets too."""
    if not buckets:
        return []
    head, args = _values(buckets)
    till_sql = " AND o.till = ?" if till else ""
    sql = (f"{head} SELECT b.k AS key, COUNT(o.id) AS orders, COALESCE(SUM(o.total), 0) AS "
           f"sales FROM b LEFT JOIN orders o ON o.created_at >= b.s AND o.created_at < b.e "
           f"AND o.status NOT IN ({','.join('?' * len(NOT_SALES))}){till_sql} "
           f"GROUP BY b.k ORDER BY b.s")
    return _rows(conn, sql, (*args, *NOT_SALES, *([till] if till else [])))


_GROUPS = {
    "channel": "o.channel",
    "till": "o.till",
    # who took the order: the first entry of its history (Issue 11 makes ``by`` the staff
    # member signed in); a primary-key lookup per order
    "staff": "COALESCE((SELECT h.by FROM order_history h WHERE h.order_id = o.id AND "
             "h.idx = 0), '')",
}


def sales_by(conn: sqlite3.Connection, scope: Scope, group: str) -> list[dict[str, Any]]:
    """Sales in ``scope`` grouped by ``channel``, ``till`` or ``staff``: key, orders, sales."""
    column = _GROUPS[group]
    where, args = scope.orders()
    return _rows(conn, f"SELECT {column} AS key, COUNT(*) AS orders, SUM(o.total) AS sales "
                       f"FROM orders o WHERE {where} GROUP BY key ORDER BY sales DESC, key",
                 tuple(args))


def sales_by_product(conn: sqlite3.Connection, scope: Scope) -> list[dict[str, Any]]:
    """Per product (free-text lines by description): quantity, orders, sales, its
    category and tax rate (the product's current ones), returned quantity."""
    where, args = scope.orders()
    return _rows(conn, (
        "SELECT COALESCE(l.sku, '') AS sku, COALESCE(p.name, MAX(l.description)) AS name, "
        "COALESCE(p.category, '') AS category, COALESCE(p.tax_rate, '0') AS tax_rate, "
        "SUM(CAST(l.qty AS REAL)) AS qty, SUM(CAST(l.returned_qty AS REAL)) AS returned, "
        "COUNT(DISTINCT o.id) AS orders, SUM(l.line_total) AS sales "
        "FROM orders o JOIN order_lines l ON l.order_id = o.id "
        "LEFT JOIN products p ON p.sku = l.sku "
        f"WHERE {where} AND l.removed = 0 "
        "GROUP BY COALESCE(l.sku, 'text:' || l.description) ORDER BY sales DESC, name"),
        tuple(args))


def sales_totals(conn: sqlite3.Connection, scope: Scope) -> dict[str, int]:
    """Orders and the sum of their totals in ``scope``."""
    where, args = scope.orders()
    row = _rows(conn, f"SELECT COUNT(*) AS orders, COALESCE(SUM(o.total), 0) AS sales "
                      f"FROM orders o WHERE {where}", tuple(args))[0]
    return {"orders": int(row["orders"]), "sales": int(row["sales"])}


# ---------------------------------------------------------------------- money moved


def payments_by_method(conn: sqlite3.Connection, start: str, end: str,
                       till: str | None = None) -> list[dict[str, Any]]:
    """Payments and refunds made between ``start`` and ``end``: kind, method, count, amount."""
    till_sql = " AND till = ?" if till else ""
    return _rows(conn, "SELECT kind, method, COUNT(*) AS count, SUM(amount) AS amount FROM "
                       f"payments WHERE at >= ? AND at < ?{till_sql} GROUP BY kind, method "
                       "ORDER BY kind, method", (start, end, *([till] if till else [])))


def payments_by_staff(conn: sqlite3.Connection, start: str, end: str,
                      till: str | None = None) -> list[dict[str, Any]]:
    """Money taken less money given back, per staff member who took it."""
    till_sql = " AND till = ?" if till else ""
    return _rows(conn, "SELECT by AS staff, SUM(CASE WHEN kind = 'refund' THEN -amount ELSE "
                       "amount END) AS net, COUNT(*) AS count FROM payments WHERE at >= ? AND "
                       f"at < ?{till_sql} GROUP BY by ORDER BY net DESC",
                 (start, end, *([till] if till else [])))


def refunds(conn: sqlite3.Connection, start: str, end: str,
            till: str | None = None) -> list[dict[str, Any]]:
    """Every refund between ``start`` and ``end``, with its order's number."""
    till_sql = " AND p.till = ?" if till else ""
    return _rows(conn, "SELECT p.at, o.number, p.method, p.amount, p.reference, p.by FROM "
                       "payments p LEFT JOIN orders o ON o.id = p.order_id WHERE p.kind = "
                       f"'refund' AND p.at >= ? AND p.at < ?{till_sql} ORDER BY p.at",
                 (start, end, *([till] if till else [])))


def returns(conn: sqlite3.Connection, start: str, end: str,
            till: str | None = None) -> list[dict[str, Any]]:
    """Every return recorded between ``start`` and ``end``: when, the order, what came
    back (line id -> quantity), restocked or not, the reason, who recorded it."""
    till_sql = " AND h.till = ?" if till else ""
    out = []
    for row in _rows(conn, "SELECT h.at, o.number, o.id AS order_id, h.new, h.by FROM "
                           "order_history h JOIN orders o ON o.id = h.order_id WHERE "
                           f"h.field = 'return' AND h.at >= ? AND h.at < ?{till_sql} "
                           "ORDER BY h.at", (start, end, *([till] if till else []))):
        try:
            detail = json.loads(row.pop("new") or "{}")
        except ValueError:
            detail = {}
        row["lines"] = detail.get("lines") or {}
        row["restock"] = bool(detail.get("restock"))
        row["reason"] = str(detail.get("reason") or "")
        out.append(row)
    return out


def line_values(conn: sqlite3.Connection, order_id: str) -> dict[str, tuple[str, int, str]]:
    """line id -> (description, unit price, qty) of one order (what a return is worth)."""
    return {r["line_id"]: (r["description"] or r["sku"] or "", int(r["unit_price"] or 0),
                           str(r["qty"] or "0"))
            for r in _rows(conn, "SELECT line_id, description, sku, unit_price, qty FROM "
                                 "order_lines WHERE order_id = ?", (order_id,))}


# ---------------------------------------------------------------------- orders


def open_orders(conn: sqlite3.Connection, till: str | None = None) -> list[dict[str, Any]]:
    """Status and creation time of every open order (their ages are worked out by the
    caller, who knows what now is)."""
    marks = ",".join("?" * len(lifecycle.OPEN_STATUSES))
    till_sql = " AND till = ?" if till else ""
    return _rows(conn, f"SELECT status, created_at FROM orders WHERE status IN ({marks})"
                       f"{till_sql}", (*lifecycle.OPEN_STATUSES, *([till] if till else [])))


def statuses_in(conn: sqlite3.Connection, scope: Scope) -> dict[str, int]:
    """Orders taken in ``scope``'s range (cancelled ones too) per status they are in now."""
    till_sql = " AND till = ?" if scope.till else ""
    return {r["status"]: int(r["n"]) for r in _rows(
        conn, "SELECT status, COUNT(*) AS n FROM orders WHERE created_at >= ? AND "
              f"created_at < ?{till_sql} GROUP BY status",
        (scope.start, scope.end, *([scope.till] if scope.till else [])))}


def message_to_order_seconds(conn: sqlite3.Connection, scope: Scope) -> list[float]:
    """For orders taken in scope that came from messages: seconds from the first incoming
    message to the order."""
    where, args = scope.orders()
    return [float(r["s"]) for r in _rows(
        conn, "SELECT (julianday(o.created_at) - julianday(MIN(m.received_at))) * 86400.0 AS s "
              f"FROM orders o JOIN messages m ON m.order_id = o.id AND m.direction = 'in' "
              f"WHERE {where} GROUP BY o.id", tuple(args)) if r["s"] is not None]


def order_to_handover_seconds(conn: sqlite3.Connection,
                              scope: Scope) -> list[tuple[str, float]]:
    """For orders taken in scope that were delivered or collected: (pickup or delivery,
    seconds from the order to the first such move)."""
    where, args = scope.orders()
    return [(str(r["kind"] or "pickup"), float(r["s"])) for r in _rows(
        conn, "SELECT o.fulfilment AS kind, (julianday(MIN(h.at)) - julianday(o.created_at)) "
              "* 86400.0 AS s FROM orders o JOIN order_history h ON h.order_id = o.id AND "
              "h.field = 'status' AND h.new IN ('delivered', 'collected') "
              f"WHERE {where} GROUP BY o.id", tuple(args)) if r["s"] is not None]


# ---------------------------------------------------------------------- customers


def top_customers(conn: sqlite3.Connection, scope: Scope,
                  limit: int = 20) -> list[dict[str, Any]]:
    """The customers who spent most in scope: id, name, orders, sales, last order."""
    where, args = scope.orders()
    return _rows(conn, "SELECT o.customer_id AS id, MAX(o.customer_name) AS name, COUNT(*) AS "
                       "orders, SUM(o.total) AS sales, MAX(o.created_at) AS last FROM orders o "
                       f"WHERE {where} AND o.customer_id IS NOT NULL GROUP BY o.customer_id "
                       "ORDER BY sales DESC, orders DESC LIMIT ?", (*args, limit))


def customer_counts(conn: sqlite3.Connection, scope: Scope) -> dict[str, int]:
    """Customers who ordered in scope; of them, who ordered twice or more there, and who
    had ordered before it; orders with no customer named."""
    where, args = scope.orders()
    row = _rows(conn, (
        "SELECT COUNT(*) AS customers, COALESCE(SUM(n >= 2), 0) AS repeat, "
        "COALESCE(SUM(EXISTS (SELECT 1 FROM orders p WHERE p.customer_id = c.id AND "
        "p.created_at < ? AND p.status != 'cancelled')), 0) AS came_back FROM (SELECT "
        f"o.customer_id AS id, COUNT(*) AS n FROM orders o WHERE {where} AND o.customer_id "
        "IS NOT NULL GROUP BY o.customer_id) c"), (scope.start, *args))[0]
    anonymous = _rows(conn, f"SELECT COUNT(*) AS n FROM orders o WHERE {where} AND "
                            "o.customer_id IS NULL", tuple(args))[0]["n"]
    return {"customers": int(row["customers"]), "repeat": int(row["repeat"]),
            "returning": int(row["came_back"]), "walk_in_orders": int(anonymous)}


# ---------------------------------------------------------------------- stock


def stock_values(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every product's stock over all locations, with its price and category."""
    return _rows(conn, "SELECT p.sku, p.name, p.unit, COALESCE(p.category, '') AS category, "
                       "p.price, p.active, COALESCE(SUM(s.on_hand_milli), 0) AS on_hand_milli, "
                       "COALESCE(SUM(s.available_milli), 0) AS available_milli, "
                       "MAX(COALESCE(s.is_low, 0)) AS is_low FROM products p LEFT JOIN stock s "
                       "ON s.sku = p.sku GROUP BY p.sku ORDER BY p.name")


def quantities_sold(conn: sqlite3.Connection, scope: Scope) -> dict[str, float]:
    """SKU -> quantity sold in scope."""
    where, args = scope.orders()
    return {r["sku"]: float(r["qty"] or 0) for r in _rows(
        conn, "SELECT l.sku, SUM(CAST(l.qty AS REAL)) AS qty FROM orders o JOIN order_lines l "
              f"ON l.order_id = o.id WHERE {where} AND l.removed = 0 AND l.sku IS NOT NULL "
              "GROUP BY l.sku", tuple(args))}


# ---------------------------------------------------------------------- messages


def messages_by_utc_hour(conn: sqlite3.Connection, start: str,
                         end: str) -> list[dict[str, Any]]:
    """Incoming messages per channel per UTC hour (``2026-12-02T18``), for the caller to
    fold into the shop's local hours of the day."""
    return _rows(conn, "SELECT channel, substr(received_at, 1, 13) AS hour, COUNT(*) AS n "
                       "FROM messages WHERE received_at >= ? AND received_at < ? AND "
                       "direction = 'in' GROUP BY channel, hour", (start, end))


# ---------------------------------------------------------------------- cash-ups


def cashups(conn: sqlite3.Connection, *, till: str | None = None, day: str | None = None,
            record: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Days closed (newest first), each with its figures decoded."""
    where, args = [], []
    if record:
        where.append("id = ?")
        args.append(record)
    if till is not None:
        where.append("COALESCE(till, '') = ?")
        args.append(till)
    if day:
        where.append("day = ?")
        args.append(day)
    sql = "SELECT * FROM cashups" + (" WHERE " + " AND ".join(where) if where else "")
    out = _rows(conn, sql + " ORDER BY closed_at DESC, id LIMIT ?", (*args, limit))
    for row in out:
        row["figures"] = json.loads(row.get("figures") or "{}")
    return out


# ---------------------------------------------------------------------- exports


def export_lines(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every order line with its order's number, in order of the orders' creation."""
    return _rows(conn, "SELECT o.number, l.order_id, l.line_id, l.pos, l.sku, l.description, "
                       "l.qty, l.unit, l.unit_price, l.line_total, l.tax_rate, l.returned_qty, "
                       "l.removed, l.notes, l.modifiers, l.asked "
                       "FROM orders o JOIN order_lines l ON l.order_id = o.id "
                       "ORDER BY o.created_at, o.id, l.pos, l.line_id")


def export_payments(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every payment and refund with its order's number, oldest first."""
    return _rows(conn, "SELECT o.number, p.order_id, p.id, p.at, p.kind, p.method, p.amount, "
                       "p.reference, p.till, p.by FROM payments p JOIN orders o ON "
                       "o.id = p.order_id ORDER BY p.at, p.id")
