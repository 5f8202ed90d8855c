"""The unified inbox: one conversation per customer (or unknown sender) across SMS,
email, calls and pasted chats, newest first, the Chatwoot way.

Left: the conversation list (channel of the latest message, name resolved from the
number or address, unread count, who has it), with filters: open/snoozed/done, mine,
unassigned, unread, channel, tag, and search. Right: the conversation
(``conversation_view``). Keys: Ctrl+R reply, Ctrl+D done, Ctrl+Shift+A take it,
Ctrl+Shift+S snooze, Ctrl+T tag.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.ui import operations as ops
from app.ui.conversation_model import ConversationModel, conversation_label
from app.ui.conversation_view import ConversationView
from app.ui.inbox_model import STATE_LABELS
from app.ui.order_actions import OrderActions
from app.ui.order_models import ROW_ROLE
from app.ui.pages import EVERYTHING, Refresh
from app.ui.pyside_compat import emit
from app.ui.read_store import ConversationFilter, ReadStore, local_time_text
from app.ui.theme import CHANNEL_COLOURS, Theme
from app.ui.widgets import (
    EmptyState,
    FilterCombo,
    SearchField,
    bind_key,
)
from sync.changes import Changes

Index = QModelIndex | QPersistentModelIndex

STATUS_FILTERS = [("snoozed", "Snoozed"), ("done", "Done"), ("all", "All")]
VIEW_FILTERS = [("mine", "Mine"), ("unassigned", "Unassigned"), ("unread", "Unread")]
CHANNEL_FILTERS = [("sms", "SMS"), ("email", "Email"), ("phone", "Calls"), ("web", "Web"),
                   ("whatsapp", "WhatsApp")]


class InboxDelegate(QStyledItemDelegate):
    """Two lines per conversation: who and when, then the latest words; an unread count,
    and who has it."""

    HEIGHT = 64

    def __init__(self, theme: Theme, parent: Any = None) -> None:
        super().__init__(parent)
        self.theme = theme

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(280, self.HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        row: dict[str, Any] | None = index.model().index(index.row(), 0).data(ROW_ROLE)
        if row is None:
            return
        p = self.theme.palette
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect: QRect = option.rect  # type: ignore[attr-defined]
        if option.state & QStyle.StateFlag.State_Selected:  # type: ignore[attr-defined]
            painter.fillRect(rect, QColor(p.selection))
        painter.setPen(QColor(p.surface2))
        painter.drawLine(rect.left() + 12, rect.bottom(), rect.right() - 12, rect.bottom())
        unread = int(row.get("unread") or 0)
        channel = str(row.get("last_channel") or "sms")
        colour = CHANNEL_COLOURS.get(channel, p.muted)
        circle = QRect(rect.left() + 14, rect.top() + 14, 34, 34)
        painter.setPen(Qt.PenStyle.NoPen)
        bg = QColor(colour)
        bg.setAlpha(38)
        painter.setBrush(bg)
        painter.drawEllipse(circle)
        self.theme.icon(channel, colour, 36).paint(painter, circle.adjusted(8, 8, -8, -8))
        if unread:
            badge = QRect(circle.right() - 12, circle.top() - 4, 18, 16)
            painter.setBrush(QColor(p.accent))
            painter.drawRoundedRect(badge, 8, 8)
            small = QFont(option.font)  # type: ignore[attr-defined]
            small.setPointSizeF(max(6.5, small.pointSizeF() * 0.75))
            small.setBold(True)
            painter.setFont(small)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter,
                             str(unread) if unread < 100 else "99+")
            painter.setPen(Qt.PenStyle.NoPen)
        x = circle.right() + 12
        w = rect.right() - x - 12
        base: QFont = QFont(option.font)  # type: ignore[attr-defined]
        name_font = QFont(base)
        name_font.setBold(unread)
        name_font.setWeight(QFont.Weight.Bold if unread else QFont.Weight.DemiBold)
        painter.setFont(base)
        when = local_time_text(row.get("last_at"))
        when_w = painter.fontMetrics().horizontalAdvance(when) + 4
        painter.setPen(QColor(p.muted))
        painter.drawText(QRect(rect.right() - 12 - when_w, rect.top() + 10, when_w, 20),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, when)
        painter.setFont(name_font)
        painter.setPen(QColor(p.text))
        name = conversation_label(row)
        state = STATE_LABELS.get(str(row.get("last_state") or ""), "")
        painter.drawText(QRect(x, rect.top() + 10, w - when_w - 8, 20),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight,
                                                          w - when_w - 8))
        painter.setFont(base)
        prefix = "You: " if row.get("last_direction") == "out" else ""
        body = prefix + str(row.get("last_text") or "").replace("\n", " ")
        tail = ""
        if row.get("assignee"):
            tail = f"  {row['assignee']}"
        if row.get("tags"):
            tail += "  " + " ".join(f"#{t}" for t in row["tags"][:2])
        if state and row.get("last_direction") == "out":
            tail = f"  · {state}"
        tail_w = painter.fontMetrics().horizontalAdvance(tail) if tail else 0
        painter.setPen(QColor(p.text if unread else p.muted))
        painter.drawText(QRect(x, rect.top() + 33, w - tail_w, 20),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(body, Qt.TextElideMode.ElideRight,
                                                          max(20, w - tail_w)))
        if tail:
            failed = row.get("last_state") in ("failed", "bounced", "quarantined")
            painter.setPen(QColor(p.danger if failed else p.muted))
            painter.drawText(QRect(rect.right() - 12 - tail_w, rect.top() + 33, tail_w, 20),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, tail)
        painter.restore()


class InboxView(QWidget):
    """The inbox page: filters, the conversation list and the conversation."""

    sig_unread_changed = Signal(int)

    def __init__(self, store: ReadStore, actions: OrderActions, theme: Theme,
                 staff: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actions = actions
        self.staff = staff or (lambda: "")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Horizontal)
        lay.addWidget(split)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(16, 16, 8, 16)
        left_lay.setSpacing(8)
        title_row = QHBoxLayout()
        title = QLabel("Inbox")
        title.setObjectName("PageTitle")
        self.count = QLabel("")
        self.count.setObjectName("Muted")
        title_row.addWidget(title)
        title_row.addStretch(1)
        title_row.addWidget(self.count)
        left_lay.addLayout(title_row)
        self.search = SearchField("Search messages, names, numbers…  (Ctrl+F)")
        left_lay.addWidget(self.search)
        filters = QHBoxLayout()
        filters.setSpacing(6)
        self.status = FilterCombo("Open", STATUS_FILTERS)
        self.view = FilterCombo("Everyone's", VIEW_FILTERS)
        filters.addWidget(self.status)
        filters.addWidget(self.view)
        left_lay.addLayout(filters)
        filters2 = QHBoxLayout()
        filters2.setSpacing(6)
        self.channel = FilterCombo("All channels", CHANNEL_FILTERS)
        self.tag = FilterCombo("Any tag")
        filters2.addWidget(self.channel)
        filters2.addWidget(self.tag)
        left_lay.addLayout(filters2)
        self.model = ConversationModel(store, self)
        self.list = QListView()
        self.list.setObjectName("Inbox")
        self.list.setModel(self.model)
        self.list.setItemDelegate(InboxDelegate(theme, self))
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setAccessibleName("Conversations")
        self.empty = EmptyState("No conversations here.\nSMS, email, calls and pasted chats "
                                "land in this list, one per customer.")
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.list)
        self.list_stack.addWidget(self.empty)
        left_lay.addWidget(self.list_stack, 1)
        split.addWidget(left)
        self.conversation = ConversationView(store, actions, theme, staff=self.staff)
        split.addWidget(self.conversation)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([380, 640])
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        for combo in (self.status, self.view, self.channel, self.tag):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        for key, slot in (("Ctrl+D", self.conversation.toggle_done),
                          ("Ctrl+Shift+A", self.conversation.take),
                          ("Ctrl+Shift+S", self.conversation._snooze_menu),
                          ("Ctrl+T", self.conversation.ask_tag),
                          ("Ctrl+R", self.focus_reply)):
            bind_key(self, key, slot)
        self.search.textChanged.connect(lambda _t: self.apply_filter())
        self._read_timer = QTimer(self)
        self._read_timer.setSingleShot(True)
        self._read_timer.setInterval(1200)
        self._read_timer.timeout.connect(self._mark_current_read)

    def current_filter(self) -> ConversationFilter:
        view = self.view.value()
        status = self.status.value() or "open"
        return ConversationFilter(status="" if status == "all" else status, me=self.staff(),
                                  mine=view == "mine", unassigned=view == "unassigned",
                                  unread=view == "unread", channel=self.channel.value(),
                                  tag=self.tag.value(), search=self.search.text().strip())

    def apply_filter(self) -> None:
        self.model.set_filter(self.current_filter())
        self._update_counts()

    def reload(self) -> None:
        self.tag.set_items([(t, "#" + t) for t in self.store.conversation_tags()])
        self.model.set_filter(self.current_filter())
        self._update_counts()

    def needs_refresh(self, changes: Changes) -> Refresh | None:
        """Any message, call, customer or conversation change can move a row: the
        list re-reads the rows it holds (a page of aggregates)."""
        if changes.touches("customers", "messages", "calls", "conversations"):
            return EVERYTHING
        return None

    def refresh(self, changed: set[str] | None = None) -> None:
        self.model.refresh(None)
        self._update_counts()
        if self.conversation.row is not None:
            self.conversation.reload()

    def focus_reply(self) -> None:
        if self.conversation.row is not None and self.conversation.reply.isEnabled():
            self.conversation.reply.setFocus()

    def _update_counts(self) -> None:
        unread = self.store.unread_count()
        self.count.setText(f"{unread} unread" if unread else "All read")
        self.list_stack.setCurrentWidget(self.list if self.model.total else self.empty)
        emit(self.sig_unread_changed, unread)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = current.data(ROW_ROLE) if current.isValid() else None
        self.conversation.show_conversation(row)
        if row is not None and row.get("unread"):
            self._read_timer.start()
        else:
            self._read_timer.stop()

    def _mark_current_read(self) -> None:
        index = self.list.currentIndex()
        row = index.data(ROW_ROLE) if index.isValid() else None
        if row is not None and row.get("unread"):
            self.actions.run(ops.read_conversation(str(row["key"])))

    def select_first(self) -> None:
        if self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(0, 0))
        self.list.setFocus()

    def select_conversation(self, key: str) -> bool:
        row = self.model.row_for_id(key)
        if row < 0:
            return False
        self.list.setCurrentIndex(self.model.index(row, 0))
        return True
