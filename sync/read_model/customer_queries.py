"""Reads about customers as people: who looks like a duplicate, what a merge would make.

Part of the one read API: import these from ``sync.read_model.queries``.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sync.read_model.sql_rows import rows as _rows
from sync.read_model.sql_rows import scalar as _scalar


def _customer(conn: sqlite3.Connection, cid: str) -> dict[str, Any] | None:
    found = _rows(conn, "SELECT * FROM customers WHERE id = ?", (cid,))
    if not found:
        return None
    row = found[0]
    for key in ("phones", "emails", "addresses", "tags"):
        row[key] = json.loads(row.get(key) or "[]")
    return row


def customer_duplicates(conn: sqlite3.Connection,
                        customer_id: str | None = None) -> list[dict[str, Any]]:
    """Phones and emails that two or more (not merged) customers share, each with those
    customers (id, name): candidates to merge. ``customer_id``: only those involving it."""
    groups = conn.execute(
        "SELECT k.value, k.kind, GROUP_CONCAT(k.customer_id) FROM customer_contacts k JOIN "
        "customers c ON c.id = k.customer_id WHERE c.merged_into IS NULL GROUP BY k.value "
        "HAVING COUNT(DISTINCT k.customer_id) > 1 ORDER BY k.value").fetchall()
    out = []
    for value, kind, ids in groups:
        members = sorted(set(str(ids).split(",")))
        if customer_id and customer_id not in members:
            continue
        people = _rows(conn, f"SELECT id, name, created_at FROM customers WHERE id IN "
                             f"({','.join('?' * len(members))}) ORDER BY created_at, id",
                       tuple(members))
        out.append({"contact": value, "kind": kind, "customers": people})
    return out


def customer_order_count(conn: sqlite3.Connection, customer_id: str) -> int:
    return int(_scalar(conn, "SELECT COUNT(*) FROM orders WHERE customer_id = ?",
                       (customer_id,)) or 0)


def merge_preview(conn: sqlite3.Connection, keep: str, merge: str) -> dict[str, Any] | None:
    """What folding customer ``merge`` into ``keep`` would make: the kept card's name and
    contacts afterwards, and how many orders, messages and calls move over."""
    kept, other = _customer(conn, keep), _customer(conn, merge)
    if kept is None or other is None:
        return None
    card = dict(kept)
    for key in ("phones", "emails", "addresses"):
        card[key] = list(kept[key]) + [v for v in other[key] if v not in kept[key]]
    card["tags"] = sorted(set(kept["tags"]) | set(other["tags"]))
    card["notes"] = "\n".join(x for x in (kept.get("notes"), other.get("notes")) if x)
    moves = {
        "orders": customer_order_count(conn, merge),
        "messages": int(_scalar(conn, "SELECT COUNT(*) FROM messages WHERE customer_id = ?",
                                (merge,)) or 0),
        "calls": int(_scalar(conn, "SELECT COUNT(*) FROM calls WHERE customer_id = ?",
                             (merge,)) or 0),
    }
    return {"keep": kept, "merge": other, "result": card, "moves": moves,
            "kept_orders": customer_order_count(conn, keep)}
