"""Qt models of orders: the sortable orders table and one model per board column."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from app.ui.id_window_model import IdWindowModel
from app.ui.pyside_compat import emit
from app.ui.read_store import OrderFilter, ReadStore, local_time_text, parse_iso
from app.ui.theme import CHANNEL_LABELS, STATUS_COLOURS, STATUS_LABELS
from sync.lifecycle import OPEN

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
ORDER_MIME = "application/x-countertop-order-ids"
SOON = dt.timedelta(minutes=20)

Index = QModelIndex | QPersistentModelIndex


def due_state(row: dict[str, Any], now: dt.datetime | None = None) -> str:
    """"overdue", "soon" or "" for an order row."""
    if row.get("status") not in OPEN:
        return ""
    due = parse_iso(row.get("due_at"))
    if due is None:
        return ""
    now = now or dt.datetime.now(dt.UTC)
    if due < now:
        return "overdue"
    if due - now <= SOON:
        return "soon"
    return ""


def due_text(row: dict[str, Any], now: dt.datetime | None = None) -> str:
    due = parse_iso(row.get("due_at"))
    if due is None:
        return ""
    now = now or dt.datetime.now(dt.UTC)
    mins = int((due - now).total_seconds() // 60)
    if row.get("status") in OPEN and -600 < mins < 0:
        return f"{-mins} min late"
    if row.get("status") in OPEN and 0 <= mins < 90:
        return f"in {mins} min"
    return local_time_text(row.get("due_at"))


class OrdersTableModel(IdWindowModel):
    """Every order matching a filter; sorting re-queries (the database sorts, not Qt)."""

    COLUMNS = (("number", "Order"), ("status", "Status"), ("customer_name", "Customer"),
               ("channel", "Channel"), ("total", "Total"), ("balance", "Due"),
               ("due_at", "Wanted"), ("assignee", "Assignee"), ("tags", "Tags"),
               ("created_at", "Created"))

    def __init__(self, store: ReadStore, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self.filter = OrderFilter()

    def set_filter(self, f: OrderFilter) -> None:
        self.filter = f
        self.reset()

    def query_ids(self, limit: int, offset: int = 0) -> list[str]:
        return self.store.order_ids(self.filter, limit, offset)

    def query_count(self) -> int:
        return self.store.order_count(self.filter)

    def query_more(self, last_id: str, limit: int) -> list[str] | None:
        return self.store.order_ids_after(self.filter, last_id, limit)

    def query_rows(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return self.store.orders_by_id(ids)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.COLUMNS):
            return
        key = self.COLUMNS[column][0]
        if key == "tags":
            key = "created_at"
        desc = order == Qt.SortOrder.DescendingOrder
        self.filter.order_by = f"{key} DESC" if desc else key
        if self.filter.order_by == "created_at DESC" or key == "created_at":
            self.filter.order_by = "created_at DESC" if desc else "created_at"
        emit(self.layoutAboutToBeChanged)
        self._cache.clear()
        self._total = self.query_count()
        old = {x: i for i, x in enumerate(self._ids)}
        new = self.query_ids(max(len(self._ids), self.CHUNK))
        persistent = self.persistentIndexList()
        where = {x: i for i, x in enumerate(new)}
        for idx in persistent:
            ident = self._ids[idx.row()] if 0 <= idx.row() < len(self._ids) else None
            target = where.get(ident or "", -1)
            self.changePersistentIndex(
                idx, self.index(target, idx.column()) if target >= 0 else QModelIndex())
        del old
        self._ids = new
        emit(self.layoutChanged)

    def cell(self, row: dict[str, Any], column: int, role: int) -> Any:
        key = self.COLUMNS[column][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key in ("total", "balance"):
                return self.store.money(row.get(key))
            if key == "status":
                return STATUS_LABELS.get(row.get("status") or "", row.get("status"))
            if key == "channel":
                return CHANNEL_LABELS.get(row.get("channel") or "", row.get("channel"))
            if key == "due_at":
                return due_text(row)
            if key == "created_at":
                return local_time_text(row.get("created_at"))
            if key == "tags":
                return " ".join("#" + t for t in row.get("tags") or [])
            if key == "customer_name" and not row.get("customer_name"):
                return "Walk-in"
            return str(row.get(key) or "")
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("total", "balance"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if key == "status":
                return QBrush(QColor(STATUS_COLOURS.get(row.get("status") or "", "#888")))
            if key == "due_at" and due_state(row) == "overdue":
                return QBrush(QColor("#d93636"))
            if key == "due_at" and due_state(row) == "soon":
                return QBrush(QColor("#c27c0e"))
            if key == "balance" and int(row.get("balance") or 0) > 0 \
                    and row.get("status") not in ("cancelled", "returned"):
                return QBrush(QColor("#c27c0e"))
            if (row.get("status") in ("cancelled", "returned") and key != "status") or \
                    (key == "customer_name" and not row.get("customer_name")):
                return QBrush(QColor("#8a93a3"))
        if role == Qt.ItemDataRole.FontRole and key in ("number", "status"):
            font = QFont()
            font.setBold(True)
            return font
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ToolTipRole and key == "due_at" and row.get("due_at"):
            return "Wanted " + local_time_text(row.get("due_at"), with_date=True)
        return None


class BoardColumnModel(IdWindowModel):
    """The orders of one board column (one or more statuses), soonest due first."""

    COLUMNS = (("number", "Order"),)

    def __init__(self, store: ReadStore, key: str, statuses: tuple[str, ...],
                 parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self.key = key
        self.statuses = statuses
        self.base = OrderFilter(statuses=statuses, order_by="board")
        self.recent_only = key == "delivered"

    def current_filter(self) -> OrderFilter:
        f = OrderFilter(statuses=self.statuses, search=self.base.search, tag=self.base.tag,
                        assignee=self.base.assignee, channel=self.base.channel,
                        since=self.base.since, order_by="board")
        if self.recent_only:
            day = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=24)).isoformat()
            f.since = max(f.since or day, day)
            f.order_by = "updated_at DESC"
        return f

    def set_filter(self, f: OrderFilter) -> None:
        self.base = f
        self.reset()

    def query_ids(self, limit: int, offset: int = 0) -> list[str]:
        return self.store.order_ids(self.current_filter(), limit, offset)

    def query_count(self) -> int:
        return self.store.order_count(self.current_filter())

    def query_rows(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return self.store.orders_by_id(ids)

    def cell(self, row: dict[str, Any], column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{row.get('number')} {row.get('customer_name') or ''}".strip()
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{row.get('number')} · {STATUS_LABELS.get(row.get('status') or '', '')}"
                    f" · {self.store.money(row.get('total'))}")
        return None

    # -- drag and drop: rows carry order ids; the board view handles drops

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid():
            return base | Qt.ItemFlag.ItemIsDragEnabled
        return base | Qt.ItemFlag.ItemIsDropEnabled

    def mimeTypes(self) -> list[str]:
        return [ORDER_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        data = QMimeData()
        ids = [self._ids[i.row()] for i in indexes if i.isValid()]
        data.setData(ORDER_MIME, "\n".join(dict.fromkeys(ids)).encode())
        return data

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: Index) -> bool:
        return data.hasFormat(ORDER_MIME)

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: Index) -> bool:
        # the board view asks the engine; rows move when the change event arrives
        handler = getattr(self, "drop_handler", None)
        if handler is None or not data.hasFormat(ORDER_MIME):
            return False
        ids = bytes(data.data(ORDER_MIME).data()).decode().split("\n")
        handler([i for i in ids if i], self.key)
        return False
