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
from typing import Any

from sync import lifecycle
from sync.ids import DocId, OrderId
from sync.read_model.catalog_queries import (
    PRODUCT_SORTS,
    ProductFilter,
    all_products,
    list_suppliers,
    low_stock_states,
    on_order_milli,
    product_count,
    product_skus,
    products_by_sku,
    purchase_order,
    purchase_orders,
    reorder_suggestions,
    stock_move,
    stock_moves,
    supplier_row,
)
from sync.read_model.conversation_queries import (
    ConversationFilter,
    awaiting_feedback,
    conversation_assignees,
    conversation_by_key,
    conversation_count,
    conversation_items,
    conversation_keys,
    conversation_rows,
    conversation_tags,
    conversation_unread_ids,
    conversations_by_key,
    customer_contacts,
    latest_inbound,
    message_meta,
    outgoing_by_reference,
    pending_drafts,
    queued_outgoing,
    quick_reply_rows,
    template_rows,
)
from sync.read_model.customer_queries import (
    customer_duplicates,
    customer_order_count,
    merge_preview,
)
from sync.read_model.sql_rows import fts_query, open_readonly, phone_suffix
from sync.read_model.sql_rows import rows as _rows
from sync.read_model.sql_rows import scalar as _scalar
from sync.read_model.view_queries import (
    ORDER_SORTS,
    RECENT_FOR_CHOICES,
    MessageFilter,
    OrderFilter,
    assignees,
    check_ready,
    conversation,
    first_customer_with_contact,
    message_count,
    message_ids,
    messages_by_id,
    order_count,
    order_ids,
    order_ids_after,
    order_tags,
    orders_by_id,
    status_counts,
    unread_count,
)

__all__ = [
    "ORDER_SORTS",
    "PRODUCT_SORTS",
    "RECENT_FOR_CHOICES",
    "ConversationFilter",
    "MessageFilter",
    "OrderFilter",
    "ProductFilter",
    "alerts_since",
    "alerts_with_product_names",
    "all_products",
    "assignees",
    "awaiting_feedback",
    "call_row",
    "check_ready",
    "conversation",
    "conversation_assignees",
    "conversation_by_key",
    "conversation_count",
    "conversation_items",
    "conversation_keys",
    "conversation_rows",
    "conversation_tags",
    "conversation_unread_ids",
    "conversations_by_key",
    "customer_card",
    "customer_contacts",
    "customer_duplicates",
    "customer_for_contact",
    "customer_name",
    "customer_order_count",
    "doc_heads",
    "duplicate_order_numbers",
    "first_customer_with_contact",
    "fts_query",
    "highest_order_seq",
    "known_docs",
    "last_order",
    "latest_inbound",
    "latest_times",
    "list_alerts",
    "list_calls",
    "list_customers",
    "list_customers_by_id",
    "list_messages",
    "list_orders",
    "list_products",
    "list_staff",
    "list_stock",
    "list_suppliers",
    "list_tills",
    "locate_customer",
    "locate_message",
    "locate_order",
    "low_stock_states",
    "merge_preview",
    "message_attempts",
    "message_count",
    "message_ids",
    "message_meta",
    "messages_by_id",
    "messages_since",
    "on_order_milli",
    "open_auto_order",
    "open_readonly",
    "order_count",
    "order_detail",
    "order_ids",
    "order_ids_after",
    "order_tags",
    "orders_by_id",
    "orders_since",
    "outgoing_by_reference",
    "outgoing_sms_with_references",
    "overbooked",
    "pending_drafts",
    "product_count",
    "product_skus",
    "products_by_sku",
    "purchase_order",
    "purchase_orders",
    "queued_outgoing",
    "queued_outgoing_sms",
    "quick_reply_rows",
    "reorder_suggestions",
    "resolve_customer",
    "shop_info",
    "status_counts",
    "stock_levels",
    "stock_move",
    "stock_moves",
    "supplier_row",
    "template_rows",
    "unread_count",
]

_OPEN_STATUSES = lifecycle.OPEN_STATUSES


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
    if search and phone_suffix(search):  # a phone number: that customer's orders
        where.append("o.customer_id IN (SELECT customer_id FROM customer_contacts WHERE "
                     "kind = 'phone' AND value LIKE ?)")
        args.append(f"%{phone_suffix(search)}")
    elif search and fts_query(search):
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
    for key in ("tags", "custom", "source_messages", "tax_lines", "order_discount"):
        if isinstance(row.get(key), str):
            row[key] = json.loads(row[key])
    if row.get("tax_lines") is None and "tax_lines" in row:
        row["tax_lines"] = []
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
        line["discount"] = json.loads(line["discount"]) if line.get("discount") else None
    order["payments"] = _rows(conn, "SELECT * FROM payments WHERE order_id=? ORDER BY at", (oid,))
    order["history"] = _rows(conn, "SELECT * FROM order_history WHERE order_id=? ORDER BY idx",
                             (oid,))
    return order


def last_order(conn: sqlite3.Connection, customer_id: str,
               exclude: str | None = None) -> dict[str, Any] | None:
    """The customer's most recent order that was not cancelled, with its lines: what
    "the usual" or "same again" means (``exclude``: an order that does not count)."""
    rows = _rows(conn, "SELECT id FROM orders WHERE customer_id=? AND status!=? AND id!=? "
                       "ORDER BY seq DESC LIMIT 1",
                 (customer_id, lifecycle.CANCELLED, exclude or ""))
    return order_detail(conn, rows[0]["id"]) if rows else None


def open_auto_order(conn: sqlite3.Connection, customer_id: str,
                    since: str) -> dict[str, Any] | None:
    """The customer's newest order the intake drafted (tagged auto), still new, made at
    or after ``since`` (ISO): the draft a second message may change."""
    rows = _rows(conn, "SELECT id FROM orders WHERE customer_id=? AND status=? AND "
                       "tags LIKE ? AND created_at>=? ORDER BY seq DESC LIMIT 1",
                 (customer_id, lifecycle.NEW, '%"auto"%', since))
    return order_detail(conn, rows[0]["id"]) if rows else None


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
        for key in ("aliases", "variants", "option_groups", "variant_prices", "option_prices",
                    "option_aliases"):
            row[key] = json.loads(row.get(key) or "null")
        row["option_aliases"] = row["option_aliases"] or {}
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
    if not state:  # notices waiting for a one-key confirm, or dropped: not the inbox
        where.append("m.state NOT IN ('draft', 'discarded')")
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


def list_staff(conn: sqlite3.Connection, *, active_only: bool = False) -> list[dict[str, Any]]:
    """Staff members (id, name, role, active), managers first, then by name."""
    sql = "SELECT * FROM staff" + (" WHERE active = 1" if active_only else "")
    return _rows(conn, sql + " ORDER BY role = 'manager' DESC, name COLLATE NOCASE")


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


def highest_order_seq(conn: sqlite3.Connection, till: str, order_ids: Iterable[str]) -> int:
    """The highest sequence number (``A-0042`` -> 42) among ``order_ids`` made by ``till``."""
    ids = list(order_ids)
    if not ids:
        return 0
    marks = ",".join("?" * len(ids))
    row = conn.execute(
        "SELECT max(CAST(substr(number, length(rtrim(number, '0123456789')) + 1) AS INTEGER)) "
        f"FROM orders WHERE till=? AND id IN ({marks})", (till, *ids)).fetchone()
    return int(row[0] or 0)


def duplicate_order_numbers(conn: sqlite3.Connection,
                            order_ids: Iterable[str]) -> dict[str, list[str]]:
    """Numbers of ``order_ids`` that more than one order holds -> those orders' ids."""
    ids = list(order_ids)
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        "SELECT number, group_concat(id) FROM orders WHERE number IN "
        f"(SELECT number FROM orders WHERE id IN ({marks})) "
        "GROUP BY number HAVING count(*) > 1", ids).fetchall()
    return {str(r[0]): sorted(str(r[1]).split(",")) for r in rows}


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
