"""The read model's tables, indexes and search tables, and creating them.

A file written by another ``SCHEMA_VERSION`` is dropped and created again: the read model
is a cache, so the engine projects every document into the new tables (a rebuild).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlite_utils

SCHEMA_VERSION = 13  # 5: FTS rowid; 6: customer_link; 7: stock held by orders derived;
#                     8: orders.seq, search rows in creation order (order_seq);
#                     9: tax, discounts, returns and refunds on orders; staff
#                    10: variant and option prices, purchase orders, stock moves
#                    11: line units and what was asked, option aliases
#                    12: email (message meta, preview), conversations, templates, feedback
#                    13: products.category, cashups, report indexes

TABLES: dict[str, tuple[dict[str, Any], str | tuple[str, ...]]] = {
    "shop": ({"key": str, "value": str}, "key"),
    "doc_state": ({"doc_id": str, "kind": str, "month": str, "till": str, "heads": str,
                   "projected_at": str}, "doc_id"),
    "tills": ({"id": str, "name": str, "prefix": str, "removed": int, "joined_at": str}, "id"),
    "products": ({"sku": str, "name": str, "aliases": str, "unit": str, "price": int,
                  "tax_rate": str, "active": int, "low_stock": str, "variants": str,
                  "option_groups": str, "created_at": str, "variant_prices": str,
                  "option_prices": str, "option_aliases": str, "category": str}, "sku"),
    # what each order holds (see order_stock); their sum is the stock part ORDERS_PART
    "order_stock": ({"order_id": str, "sku": str, "location": str, "on_hand_milli": int,
                     "reserved_milli": int}, ("order_id", "sku", "location")),
    "stock_parts": ({"doc_id": str, "sku": str, "location": str, "on_hand_milli": int,
                     "reserved_milli": int}, ("doc_id", "sku", "location")),
    "stock": ({"sku": str, "location": str, "on_hand": str, "reserved": str, "available": str,
               "on_hand_milli": int, "reserved_milli": int, "available_milli": int,
               "low_stock_milli": int, "is_low": int, "overbooked": int}, ("sku", "location")),
    "suppliers": ({"id": str, "name": str, "contact": str, "products": str,
                   "lead_time_days": int, "email": str, "phone": str, "notes": str,
                   "active": int}, "id"),
    "purchase_orders": ({"id": str, "number": str, "supplier_id": str, "state": str,
                         "notes": str, "created_at": str, "created_by": str, "till": str,
                         "sent_at": str, "sent_via": str, "cancelled_at": str}, "id"),
    "po_lines": ({"po_id": str, "line_id": str, "pos": int, "sku": str, "qty": str,
                  "qty_milli": int, "cost": int}, ("po_id", "line_id")),
    # every stock move (goods counted in or out, deliveries against purchase orders, undos)
    "stock_moves": ({"id": str, "doc_id": str, "sku": str, "location": str, "delta": str,
                     "delta_milli": int, "reason": str, "at": str, "till": str, "by": str,
                     "undoes": str, "po": str, "po_line": str}, "id"),
    "customers": ({"id": str, "name": str, "phones": str, "emails": str, "addresses": str,
                   "notes": str, "tags": str, "merged_into": str, "created_at": str,
                   "primary_phone": str, "primary_email": str, "opt_out": int,
                   "feedback": str}, "id"),
    "customer_contacts": ({"value": str, "customer_id": str, "kind": str},
                          ("value", "customer_id")),
    "orders": ({"id": str, "number": str, "doc_id": str, "till": str, "channel": str,
                "customer_id": str, "customer_name": str, "status": str, "total": int,
                "paid": int, "balance": int, "tags": str, "assignee": str, "due_at": str,
                "fulfilment": str, "address": str, "carrier": str, "tracking": str,
                "notes": str, "custom": str, "source_messages": str, "created_at": str,
                "updated_at": str, "line_count": int, "stock_state": str,
                "customer_link": str, "seq": int,
                # money beyond the total (sync.order_totals): balance = adjusted - paid
                "subtotal": int, "discount": int, "tax": int, "tax_lines": str,
                "returned": int, "adjusted_total": int, "refunded": int,
                "prices_include_tax": int, "order_discount": str, "exchange_of": str,
                "exchanged_for": str,
                "feedback": str, "notices": str}, "id"),
    "order_lines": ({"order_id": str, "line_id": str, "pos": int, "sku": str,
                     "description": str, "qty": str, "unit_price": int, "line_total": int,
                     "notes": str, "modifiers": str, "removed": int, "returned_qty": str,
                     "unit": str, "tax_rate": str, "discount": str, "discount_amount": int,
                     "amount": int, "returned_amount": int, "restocked_qty": str,
                     "written_off_qty": str,
                     # "" for lines from before units: qty is in the product's unit
                     "asked_qty": str, "asked_unit": str, "asked": str},
                    ("order_id", "line_id")),
    "payments": ({"id": str, "order_id": str, "kind": str, "method": str, "amount": int,
                  "reference": str, "at": str, "till": str, "by": str, "tendered": int,
                  "change": int}, "id"),
    # staff members (sync.ledger.staff), without their PIN hashes
    "staff": ({"id": str, "name": str, "role": str, "active": int, "created_at": str},
              "id"),
    "order_history": ({"order_id": str, "idx": int, "at": str, "till": str, "by": str,
                       "field": str, "old": str, "new": str, "detail": str},
                      ("order_id", "idx")),
    "messages": ({"id": str, "doc_id": str, "channel": str, "direction": str, "sender": str,
                  "recipient": str, "subject": str, "body": str, "received_at": str,
                  "read": int, "order_id": str, "customer_id": str, "state": str,
                  "dedupe_key": str, "missing_parts": str, "reference": str, "error": str,
                  "attempts": int, "till": str, "raw": str, "intake": str,
                  "customer_link": str, "preview": str, "meta": str, "sent_at": str},
                 "id"),
    "calls": ({"id": str, "doc_id": str, "number": str, "name": str, "at": str,
               "presentation": str, "customer_id": str, "answered": int, "line": str,
               "till": str, "customer_link": str}, "id"),
    # what staff decided about a conversation (sync/ledger/conversations.py)
    "conversation_state": ({"key": str, "assignee": str, "tags": str, "status": str,
                            "status_at": str, "snoozed_until": str, "updated_at": str},
                           "key"),
    "templates": ({"name": str, "subject": str, "text": str, "enabled": int}, "name"),
    "quick_replies": ({"id": str, "name": str, "text": str, "archived": int,
                       "created_at": str}, "id"),
    # days closed at the tills (Z reports), kept in the shop document
    "cashups": ({"id": str, "till": str, "day": str, "closed_at": str, "closed_by": str,
                 "expected_cash": int, "counted_cash": int, "difference": int,
                 "opening_float": int, "figures": str}, "id"),
    "alerts": ({"id": str, "kind": str, "sku": str, "location": str, "level": str,
                "raised_at": str, "raised_by": str, "resolved_at": str, "resolved_by": str,
                "note": str, "cause": str}, "id"),
}

INDEXES = [
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
    ("stock_moves", ["sku"]), ("stock_moves", ["doc_id"]), ("stock_moves", ["po"]),
    ("stock_moves", ["undoes"]), ("stock_moves", ["at"]), ("po_lines", ["sku"]),
    ("customer_contacts", ["kind"]),
    ("messages", ["channel", "direction", "state"]),  # the outbox's queue
    ("payments", ["at"]),  # takings and cash-ups read payments by when the money moved
    ("cashups", ["day"]),
]

#: partial indexes (sqlite-utils makes none): returns are rare, so indexing only them
#: keeps the refunds report off a scan of every order's history (1M rows at 300k orders)
PARTIAL_INDEXES = [
    "CREATE INDEX IF NOT EXISTS idx_order_history_returns ON order_history(at) "
    "WHERE field = 'return'",
]

# FTS rows: orders_fts rows have the order's seq (order_seq) as rowid, the others fts_rowid.
FTS = {
    "orders_fts": ("order_id", ["number", "customer", "body"]),
    "customers_fts": ("customer_id", ["name", "contacts", "notes"]),
    "messages_fts": ("message_id", ["sender", "subject", "body"]),
}


#: every table ``ensure_schema`` creates, search tables included
ALL_TABLES: tuple[str, ...] = (*TABLES, *FTS)


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create what is missing; first drop everything when the file has another version."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        drop_all(conn)
    db = sqlite_utils.Database(conn)
    for name, (columns, pk) in TABLES.items():
        table = db.table(name)
        if not table.exists():
            table.create(columns, pk=pk)
    for table_name, cols in INDEXES:
        db.table(table_name).create_index(cols, if_not_exists=True)
    for statement in PARTIAL_INDEXES:
        conn.execute(statement)
    for name, (key, cols) in FTS.items():
        conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5("
                     f"{key} UNINDEXED, {', '.join(cols)}, "
                     f"tokenize='unicode61 remove_diacritics 2', prefix='2 3')")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def drop_all(conn: sqlite3.Connection) -> None:
    for name in [*ALL_TABLES, "doc_files"]:  # doc_files: schema 6 only
        conn.execute(f"DROP TABLE IF EXISTS {name}")
