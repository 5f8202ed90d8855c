"""The UI's read-only window on the read model (SQLite, written only by the engine).

Owns the UI's connection; every query is in ``sync.read_model.queries`` (shaped for
views: id windows for lazy models, rows by id, counts). The file may not exist yet (no
engine has run): every query then returns nothing, and ``reopen`` is tried again on the
next refresh.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sync.file_names import READ_MODEL_FILE
from sync.money import money_text, region_locale
from sync.read_model import queries as q
from sync.read_model.queries import (
    ORDER_SORTS,
    ConversationFilter,
    MessageFilter,
    OrderFilter,
    ProductFilter,
)

__all__ = ["ORDER_SORTS", "ConversationFilter", "MessageFilter", "OrderFilter", "ProductFilter",
           "ReadStore",
           "local_time_text", "parse_iso", "utc_iso"]

log = logging.getLogger("countertop.ui.read_store")

T = TypeVar("T")


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
            q.check_ready(conn)
        except sqlite3.Error as exc:
            log.info("read model not ready yet: %s", exc)
            return False
        self.conn = conn
        return True

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _connection(self) -> sqlite3.Connection | None:
        if self.conn is None and not self.reopen():
            return None
        return self.conn

    def _read(self, query: Callable[..., T], *args: Any, default: T) -> T:
        """``query(conn, *args)``; ``default`` when there is no read model yet, or when the
        query fails (logged): e.g. the engine is replacing a file of another schema."""
        conn = self._connection()
        if conn is None:
            return default
        try:
            return query(conn, *args)
        except sqlite3.OperationalError as exc:
            log.warning("read model query failed (%s): %s", exc, query.__name__)
            return default

    # ------------------------------------------------------------------ shop

    def shop(self, refresh: bool = False) -> dict[str, Any]:
        if self._shop is None or refresh:
            conn = self._connection()
            if conn is None:
                return {}
            try:
                self._shop = q.shop_info(conn)
            except sqlite3.Error:
                return {}
        return dict(self._shop)

    @property
    def currency(self) -> str:
        return str(self.shop().get("currency") or "EUR")

    @property
    def is_demo(self) -> bool:
        return bool(self.shop().get("setting.demo"))

    @property
    def locale(self) -> str:
        """How the shop reads amounts: its ``locale`` setting, else its region's (CLDR)."""
        shop = self.shop()
        return str(shop.get("setting.locale") or region_locale(str(shop.get("region") or "GB")))

    def money(self, minor: int | None) -> str:
        """An amount as the shop's people read it ("£1,234.50", "1.234,50 €")."""
        if minor is None:
            return ""
        return money_text(int(minor), self.currency, self.locale)

    def staff(self, active_only: bool = True) -> list[dict[str, Any]]:
        """The shop's staff (no PIN hashes: the read model never holds them)."""
        return self._read(q.list_staff, default=[]) if not active_only else \
            [s for s in self._read(q.list_staff, default=[]) if s.get("active")]

    def tills(self) -> list[dict[str, Any]]:
        return self._read(q.list_tills, default=[])

    # ------------------------------------------------------------------ orders

    def order_ids(self, f: OrderFilter, limit: int, offset: int = 0) -> list[str]:
        return self._read(q.order_ids, f, limit, offset, default=[])

    def order_ids_after(self, f: OrderFilter, last_id: str, limit: int) -> list[str] | None:
        """The next ``limit`` ids after ``last_id`` in time order (keyset paging). None when
        the sort is not by time (or the read fails): the model then pages by offset."""
        return self._read(q.order_ids_after, f, last_id, limit, default=None)

    def order_count(self, f: OrderFilter) -> int:
        return self._read(q.order_count, f, default=0)

    def orders_by_id(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return self._read(q.orders_by_id, ids, default={})

    def status_counts(self, since: str | None = None) -> dict[str, int]:
        return self._read(q.status_counts, since, default={})

    def order_detail(self, order_id: str) -> dict[str, Any] | None:
        conn = self._connection()
        return q.order_detail(conn, order_id) if conn is not None else None

    def assignees(self) -> list[str]:
        return self._read(q.assignees, default=[])

    def tags(self) -> list[str]:
        return self._read(q.order_tags, default=[])

    def latest_times(self) -> dict[str, str]:
        """When the newest order, incoming message and alert came ("" for none)."""
        return self._read(q.latest_times, default={"order": "", "message": "", "alert": ""})

    def orders_since(self, after: str, limit: int = 50) -> list[dict[str, Any]]:
        return self._read(q.orders_since, after, limit, default=[])

    # ------------------------------------------------------------------ messages

    def message_ids(self, f: MessageFilter, limit: int, offset: int = 0) -> list[str]:
        return self._read(q.message_ids, f, limit, offset, default=[])

    def message_count(self, f: MessageFilter) -> int:
        return self._read(q.message_count, f, default=0)

    def messages_by_id(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return self._read(q.messages_by_id, ids, default={})

    def message(self, mid: str) -> dict[str, Any] | None:
        return self.messages_by_id([mid]).get(mid)

    def unread_count(self) -> int:
        return self._read(q.unread_count, default=0)

    def messages_since(self, after: str, limit: int = 50) -> list[dict[str, Any]]:
        return self._read(q.messages_since, after, limit, default=[])

    def conversation(self, customer_id: str | None, contact: str | None,
                     limit: int = 200) -> list[dict[str, Any]]:
        """Every message and call with this customer (or this number), oldest first."""
        return self._read(q.conversation, customer_id, contact, limit, default=[])

    # ------------------------------------------------------------------ customers

    # -- conversations (issue 12)

    def conversation_keys(self, f: q.ConversationFilter, limit: int,
                          offset: int = 0) -> list[str]:
        return self._read(q.conversation_keys, f, _now(), limit, offset, default=[])

    def conversation_count(self, f: q.ConversationFilter) -> int:
        return self._read(q.conversation_count, f, _now(), default=0)

    def conversations_by_key(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        return self._read(q.conversations_by_key, keys, _now(), default={})

    def conversation_items(self, key: str) -> list[dict[str, Any]]:
        return self._read(q.conversation_items, key, default=[])

    def conversation_tags(self) -> list[str]:
        return self._read(q.conversation_tags, default=[])

    def conversation_assignees(self) -> list[str]:
        return self._read(q.conversation_assignees, default=[])

    def pending_drafts(self) -> list[dict[str, Any]]:
        return self._read(q.pending_drafts, default=[])

    def quick_replies(self) -> list[dict[str, Any]]:
        return self._read(q.quick_reply_rows, default=[])

    def edited_templates(self) -> dict[str, dict[str, Any]]:
        return self._read(q.template_rows, default={})

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        conn = self._connection()
        return q.customer_card(conn, customer_id) if conn is not None else None

    def customer_for_contact(self, contact: str | None) -> str | None:
        return self._read(q.first_customer_with_contact, contact, default=None)

    def customers(self, search: str = "", limit: int = 50) -> list[dict[str, Any]]:
        conn = self._connection()
        if conn is None:
            return []
        return q.list_customers(conn, search=search or None, limit=limit)

    # ------------------------------------------------------------------ catalog, stock, alerts

    def products(self, search: str = "") -> list[dict[str, Any]]:
        conn = self._connection()
        if conn is None:
            return []
        return q.list_products(conn, search=search or None, include_inactive=False)

    def stock(self) -> list[dict[str, Any]]:
        return self._read(q.stock_levels, default=[])

    def alerts(self, open_only: bool = True) -> list[dict[str, Any]]:
        return self._read(q.alerts_with_product_names, open_only, default=[])

    def alerts_since(self, after: str, limit: int = 3) -> list[dict[str, Any]]:
        return self._read(q.alerts_since, after, limit, default=[])

    # ------------------------------------------------------------------ catalog (issue 11)

    def product_skus(self, f: q.ProductFilter, limit: int, offset: int = 0) -> list[str]:
        return self._read(q.product_skus, f, limit, offset, default=[])

    def product_count(self, f: q.ProductFilter) -> int:
        return self._read(q.product_count, f, default=0)

    def products_by_sku(self, skus: list[str]) -> dict[str, dict[str, Any]]:
        return self._read(q.products_by_sku, skus, default={})

    def suppliers(self, include_archived: bool = False) -> list[dict[str, Any]]:
        return self._read(lambda c: q.list_suppliers(c, include_archived=include_archived),
                          default=[])

    def purchase_orders(self) -> list[dict[str, Any]]:
        return self._read(q.purchase_orders, default=[])

    def purchase_order(self, ref: str) -> dict[str, Any] | None:
        return self._read(q.purchase_order, ref, default=None)

    def reorder_suggestions(self, days: int = 28) -> list[dict[str, Any]]:
        since = utc_iso(dt.datetime.now(dt.UTC) - dt.timedelta(days=days))
        return self._read(lambda c: q.reorder_suggestions(c, since=since, days=days),
                          default=[])

    def stock_move(self, move_id: str) -> dict[str, Any] | None:
        return self._read(q.stock_move, move_id, default=None)

    def customer_duplicates(self, customer_id: str | None = None) -> list[dict[str, Any]]:
        return self._read(q.customer_duplicates, customer_id, default=[])

    def customer_orders(self, customer_id: str, limit: int = 500) -> list[dict[str, Any]]:
        return self._read(lambda c: q.list_orders(c, customer_id=customer_id, limit=limit),
                          default=[])

    def calls(self, limit: int = 50) -> list[dict[str, Any]]:
        conn = self._connection()
        if conn is None:
            return []
        return q.list_calls(conn, limit=limit)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


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
