"""Reads for the catalog, stock moves, suppliers, purchase orders and reorder advice.

Part of the one read API: import these from ``sync.read_model.queries``. The catalog
page is an id window like the orders table (``product_skus`` + ``products_by_sku``), so
it stays smooth with tens of thousands of products.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sync.read_model.sql_rows import rows as _rows
from sync.read_model.sql_rows import scalar as _scalar

_JSON_COLUMNS = ("aliases", "variants", "option_groups", "variant_prices", "option_prices",
                 "option_aliases")
_STOCK_SUM = ("(SELECT COALESCE(SUM(s.available_milli), 0) FROM stock s WHERE s.sku = p.sku)")
_ON_HAND_SUM = ("(SELECT COALESCE(SUM(s.on_hand_milli), 0) FROM stock s WHERE s.sku = p.sku)")

#: sort key -> ORDER BY over products ``p`` (ties by SKU, so pages never overlap)
PRODUCT_SORTS = {
    "name": "p.name COLLATE NOCASE, p.sku", "name DESC": "p.name COLLATE NOCASE DESC, p.sku",
    "sku": "p.sku", "sku DESC": "p.sku DESC",
    "price": "p.price, p.sku", "price DESC": "p.price DESC, p.sku",
    "unit": "p.unit, p.name COLLATE NOCASE", "unit DESC": "p.unit DESC, p.name COLLATE NOCASE",
    "tax_rate": "CAST(p.tax_rate AS REAL), p.sku",
    "tax_rate DESC": "CAST(p.tax_rate AS REAL) DESC, p.sku",
    "stock": f"{_STOCK_SUM}, p.sku", "stock DESC": f"{_STOCK_SUM} DESC, p.sku",
    "active": "p.active DESC, p.name COLLATE NOCASE",
    "active DESC": "p.active, p.name COLLATE NOCASE",
}


@dataclass
class ProductFilter:
    """What the catalog page shows: a search, which products, in which order."""

    search: str = ""
    show: str = "active"  # active | archived | all | low
    order_by: str = "name"

    def where(self) -> tuple[str, list[Any]]:
        parts: list[str] = []
        args: list[Any] = []
        if self.show == "active":
            parts.append("p.active = 1")
        elif self.show == "archived":
            parts.append("p.active = 0")
        elif self.show == "low":
            parts.append("p.sku IN (SELECT sku FROM stock WHERE is_low = 1 OR overbooked = 1)")
        for word in self.search.split():
            like = f"%{word.replace('%', '').replace('_', '')}%"
            parts.append("(p.sku LIKE ? OR p.name LIKE ? OR p.aliases LIKE ?)")
            args.extend([like] * 3)
        return (" WHERE " + " AND ".join(parts)) if parts else "", args


def product_skus(conn: sqlite3.Connection, f: ProductFilter, limit: int,
                 offset: int = 0) -> list[str]:
    """One window of the SKUs ``f`` selects, in its order."""
    where, args = f.where()
    sort = PRODUCT_SORTS.get(f.order_by, PRODUCT_SORTS["name"])
    return [r[0] for r in conn.execute(
        f"SELECT p.sku FROM products p{where} ORDER BY {sort} LIMIT ? OFFSET ?",
        (*args, limit, offset))]


def product_count(conn: sqlite3.Connection, f: ProductFilter) -> int:
    where, args = f.where()
    return int(_scalar(conn, f"SELECT COUNT(*) FROM products p{where}", tuple(args)) or 0)


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for key in _JSON_COLUMNS:
        try:
            row[key] = json.loads(row.get(key) or "null")
        except ValueError:
            row[key] = None
        if row[key] is None:
            row[key] = [] if key in ("aliases", "variants") else {}
    return row


def products_by_sku(conn: sqlite3.Connection, skus: list[str]) -> dict[str, dict[str, Any]]:
    """Product rows (lists decoded) with their stock summed over locations, by SKU."""
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(skus), 500):
        chunk = skus[start:start + 500]
        for row in _rows(conn, f"SELECT p.*, {_STOCK_SUM} AS available_milli, "
                               f"{_ON_HAND_SUM} AS on_hand_milli, (SELECT MAX(s.is_low) "
                               "FROM stock s WHERE s.sku = p.sku) AS is_low FROM products p "
                               f"WHERE p.sku IN ({','.join('?' * len(chunk))})", tuple(chunk)):
            out[row["sku"]] = _decode(row)
    return out


def all_products(conn: sqlite3.Connection, *, include_archived: bool = True
                 ) -> list[dict[str, Any]]:
    """Every product, by SKU, with stock on hand (a catalog export)."""
    where = "" if include_archived else " WHERE p.active = 1"
    return [_decode(r) for r in _rows(
        conn, f"SELECT p.*, {_ON_HAND_SUM} AS on_hand_milli FROM products p{where} "
              "ORDER BY p.sku")]


def low_stock_states(conn: sqlite3.Connection,
                     skus: Iterable[str]) -> list[tuple[str, str, int, int]]:
    """(sku, location, available_milli, is_low) of each level of ``skus``."""
    wanted = sorted(set(skus))
    out: list[tuple[str, str, int, int]] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        out.extend((r[0], r[1], int(r[2]), int(r[3])) for r in conn.execute(
            "SELECT sku, location, available_milli, is_low FROM stock WHERE sku IN "
            f"({','.join('?' * len(chunk))})", chunk))
    return out


# ---------------------------------------------------------------------- stock moves


def stock_move(conn: sqlite3.Connection, move_id: str) -> dict[str, Any] | None:
    """One stock move, with ``undone_by`` (the move that took it back, if any)."""
    found = _rows(conn, "SELECT m.*, (SELECT u.id FROM stock_moves u WHERE u.undoes = m.id "
                        "LIMIT 1) AS undone_by FROM stock_moves m WHERE m.id = ?", (move_id,))
    return found[0] if found else None


def stock_moves(conn: sqlite3.Connection, sku: str | None = None,
                limit: int = 50) -> list[dict[str, Any]]:
    """The newest stock moves (of one product), newest first."""
    if sku:
        return _rows(conn, "SELECT * FROM stock_moves WHERE sku = ? ORDER BY at DESC LIMIT ?",
                     (sku, limit))
    return _rows(conn, "SELECT * FROM stock_moves ORDER BY at DESC LIMIT ?", (limit,))


# ---------------------------------------------------------------------- suppliers


def _supplier_row(row: dict[str, Any]) -> dict[str, Any]:
    row["products"] = json.loads(row.get("products") or "[]")
    return row


def list_suppliers(conn: sqlite3.Connection, *,
                   include_archived: bool = False) -> list[dict[str, Any]]:
    where = "" if include_archived else " WHERE active = 1"
    return [_supplier_row(r) for r in _rows(
        conn, f"SELECT * FROM suppliers{where} ORDER BY name COLLATE NOCASE")]


def supplier_row(conn: sqlite3.Connection, supplier_id: str) -> dict[str, Any] | None:
    found = _rows(conn, "SELECT * FROM suppliers WHERE id = ?", (supplier_id,))
    return _supplier_row(found[0]) if found else None


# ---------------------------------------------------------------------- purchase orders


def _po_state(state: str, lines: list[dict[str, Any]]) -> str:
    if state == "cancelled":
        return state
    got = [ln["received_milli"] for ln in lines]
    if lines and all(ln["received_milli"] >= ln["qty_milli"] for ln in lines):
        return "received"
    if any(got):
        return "partly received"
    return state


def purchase_order(conn: sqlite3.Connection, ref: str) -> dict[str, Any] | None:
    """A purchase order by id or number: its supplier, lines with what came in and what
    is still to come, and its state (draft, sent, partly received, received, cancelled)."""
    found = _rows(conn, "SELECT po.*, s.name AS supplier_name, s.email AS supplier_email, "
                        "s.contact AS supplier_contact, s.phone AS supplier_phone FROM "
                        "purchase_orders po LEFT JOIN suppliers s ON s.id = po.supplier_id "
                        "WHERE po.id = ? OR po.number = ?", (ref, ref.upper()))
    if not found:
        return None
    po = found[0]
    po["lines"] = _rows(conn, "SELECT l.*, p.name, p.unit, COALESCE((SELECT SUM(m.delta_milli) "
                              "FROM stock_moves m WHERE m.po = l.po_id AND m.po_line = "
                              "l.line_id), 0) AS received_milli FROM po_lines l LEFT JOIN "
                              "products p ON p.sku = l.sku WHERE l.po_id = ? ORDER BY l.pos",
                        (po["id"],))
    for line in po["lines"]:
        line["outstanding_milli"] = max(0, line["qty_milli"] - line["received_milli"])
    po["stored_state"] = po["state"]
    po["state"] = _po_state(str(po["state"]), po["lines"])
    po["total_cost"] = sum(int(line["cost"] or 0) * line["qty_milli"] // 1000
                           for line in po["lines"])
    return po


def purchase_orders(conn: sqlite3.Connection, *, open_only: bool = False,
                    limit: int = 500) -> list[dict[str, Any]]:
    """Purchase orders, newest first (``open_only``: not cancelled nor fully received)."""
    ids = [r[0] for r in conn.execute("SELECT id FROM purchase_orders ORDER BY created_at DESC "
                                      "LIMIT ?", (limit,))]
    out = [po for po in (purchase_order(conn, i) for i in ids) if po is not None]
    if open_only:
        out = [po for po in out if po["state"] not in ("received", "cancelled")]
    return out


def on_order_milli(conn: sqlite3.Connection) -> dict[str, int]:
    """SKU -> what open purchase orders will still bring in (thousandths)."""
    out: dict[str, int] = {}
    for po in purchase_orders(conn, open_only=True):
        for line in po["lines"]:
            out[line["sku"]] = out.get(line["sku"], 0) + line["outstanding_milli"]
    return out


# ---------------------------------------------------------------------- reorder advice


def reorder_suggestions(conn: sqlite3.Connection, *, since: str, days: int = 28,
                        cover_days: int = 7) -> list[dict[str, Any]]:
    """What to order: products at or under their low-stock level, or whose recent sales
    will take them there before a delivery could arrive.

    For each product with a threshold or recent sales: sold per day over ``days`` (orders
    created at or after ``since`` that took goods off the shelf), the supplier's lead
    time, and what open purchase orders will still bring. It suggests enough to last the
    lead time plus ``cover_days`` and stay above the threshold, in whole units.
    """
    sold = {r[0]: int(r[1]) for r in conn.execute(
        "SELECT l.sku, SUM(CAST(ROUND(CAST(l.qty AS REAL) * 1000) AS INTEGER)) FROM "
        "order_lines l JOIN orders o ON o.id = l.order_id WHERE o.created_at >= ? AND "
        "l.removed = 0 AND l.sku IS NOT NULL AND o.status IN ('out_for_delivery', "
        "'shipped', 'delivered', 'collected', 'closed') GROUP BY l.sku", (since,))}
    suppliers: dict[str, dict[str, Any]] = {}
    for supplier in list_suppliers(conn):
        for sku in supplier["products"]:
            suppliers.setdefault(sku, supplier)
    coming = on_order_milli(conn)
    out = []
    for row in _rows(conn, f"SELECT p.sku, p.name, p.unit, p.low_stock, {_STOCK_SUM} AS "
                           "available_milli FROM products p WHERE p.active = 1"):
        low = _milli_text(row["low_stock"])
        per_day = sold.get(row["sku"], 0) / max(days, 1)
        if low is None and not per_day:
            continue
        sup = suppliers.get(row["sku"])
        lead = int(sup["lead_time_days"]) if sup else 0
        expected = row["available_milli"] + coming.get(row["sku"], 0)
        floor = low or 0
        if expected - per_day * lead > floor:
            continue  # enough until a delivery ordered now arrives
        # up to the threshold plus what the lead and cover days sell (or the threshold
        # again, for a product that sells slowly): clear of the warning on arrival
        target = floor + max(floor, per_day * (lead + cover_days))
        qty = max(1, math.ceil((target - expected) / 1000))
        out.append({"sku": row["sku"], "name": row["name"], "unit": row["unit"],
                    "available_milli": row["available_milli"],
                    "low_stock": row["low_stock"], "on_order_milli": coming.get(row["sku"], 0),
                    "sold_per_day": round(per_day / 1000, 2), "lead_time_days": lead,
                    "supplier_id": sup["id"] if sup else None,
                    "supplier_name": sup["name"] if sup else None, "suggested": qty})
    out.sort(key=lambda r: (r["supplier_name"] is None, r["supplier_name"] or "", r["name"]))
    return out


def _milli_text(text: Any) -> int | None:
    if text in (None, ""):
        return None
    try:
        return int(float(text) * 1000)
    except ValueError:
        return None
