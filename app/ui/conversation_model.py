"""The inbox list: one row per conversation (a customer, or a sender who is not one yet),
across SMS, email, calls and pasted chats, newest activity first; rows read lazily."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from app.ui.id_window_model import IdWindowModel
from app.ui.order_models import ROW_ROLE
from app.ui.read_store import ConversationFilter, ReadStore, local_time_text
from app.ui.theme import CHANNEL_LABELS


def conversation_label(row: dict[str, Any]) -> str:
    """Who the conversation is with: the customer's name, else their number or address."""
    if row.get("customer_name"):
        return str(row["customer_name"])
    if row.get("last_state") == "quarantined":
        return "Unreadable message"
    return str(row.get("contact") or row.get("key") or "Unknown sender")


class ConversationModel(IdWindowModel):
    """Conversation keys for a filter; bold while they have unread messages."""

    COLUMNS = (("who", "With"), ("last_text", "Latest"), ("last_at", "When"))

    def __init__(self, store: ReadStore, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self.filter = ConversationFilter()

    def set_filter(self, f: ConversationFilter) -> None:
        self.filter = f
        self.reset()

    def query_ids(self, limit: int, offset: int = 0) -> list[str]:
        return self.store.conversation_keys(self.filter, limit, offset)

    def query_count(self) -> int:
        return self.store.conversation_count(self.filter)

    def query_rows(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return self.store.conversations_by_key(ids)

    def cell(self, row: dict[str, Any], column: int, role: int) -> Any:
        key = self.COLUMNS[column][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "who":
                return conversation_label(row)
            if key == "last_at":
                return local_time_text(row.get("last_at"))
            return str(row.get("last_text") or "").replace("\n", " ")[:200]
        if role == Qt.ItemDataRole.FontRole and row.get("unread"):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            channels = ", ".join(CHANNEL_LABELS.get(c, c) for c in row.get("channels") or [])
            return f"{channels} · {local_time_text(row.get('last_at'), with_date=True)}"
        if role == ROW_ROLE:
            return row
        return None
