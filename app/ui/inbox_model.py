"""The unified inbox model: SMS, calls' voicemail, email, web in one newest-first list."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from app.ui.id_window_model import IdWindowModel
from app.ui.order_models import ROW_ROLE
from app.ui.read_store import MessageFilter, ReadStore, local_time_text
from app.ui.theme import CHANNEL_LABELS

STATE_LABELS = {"received": "", "queued": "Queued", "sending": "Sending…", "sent": "Sent",
                "delivered": "Delivered", "failed": "Failed", "quarantined": "Unreadable",
                "incomplete": "Parts missing"}


def sender_label(row: dict[str, Any]) -> str:
    if row.get("customer_name"):
        return str(row["customer_name"])
    who = row.get("sender") if row.get("direction") == "in" else row.get("recipient")
    return str(who or "Unknown sender")


class InboxModel(IdWindowModel):
    """Message ids for a filter, rows read lazily; bold when unread."""

    COLUMNS = (("sender", "From"), ("body", "Message"), ("received_at", "Received"))

    def __init__(self, store: ReadStore, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self.filter = MessageFilter()

    def set_filter(self, f: MessageFilter) -> None:
        self.filter = f
        self.reset()

    def query_ids(self, limit: int, offset: int = 0) -> list[str]:
        return self.store.message_ids(self.filter, limit, offset)

    def query_count(self) -> int:
        return self.store.message_count(self.filter)

    def query_rows(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return self.store.messages_by_id(ids)

    def cell(self, row: dict[str, Any], column: int, role: int) -> Any:
        key = self.COLUMNS[column][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "sender":
                return sender_label(row)
            if key == "received_at":
                return local_time_text(row.get("received_at"))
            body = str(row.get("subject") or row.get("body") or "")
            return body.replace("\n", " ")[:200]
        if role == Qt.ItemDataRole.FontRole and not row.get("read"):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{CHANNEL_LABELS.get(str(row.get('channel')), row.get('channel'))} · "
                    f"{local_time_text(row.get('received_at'), with_date=True)}")
        if role == ROW_ROLE:
            return row
        return None
