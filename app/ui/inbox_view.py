"""The unified inbox and the conversation with one customer across every channel.

Left: the message list (channel icon, name resolved from the number, unread in bold,
filters and search). Right: the conversation (SMS, email, calls in time order), the
customer's orders, the parser's proposal, and a reply box that queues an SMS.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.ui import operations as ops
from app.ui.inbox_model import STATE_LABELS, InboxModel, sender_label
from app.ui.order_actions import OrderActions
from app.ui.order_models import ROW_ROLE
from app.ui.pages import EVERYTHING, Refresh
from app.ui.pyside_compat import emit
from app.ui.read_store import MessageFilter, ReadStore, local_time_text
from app.ui.theme import CHANNEL_COLOURS, CHANNEL_LABELS, STATUS_COLOURS, STATUS_LABELS, Theme
from app.ui.widgets import (
    Avatar,
    EmptyState,
    FilterCombo,
    SearchField,
    bind_key,
    section_title,
)
from sync.changes import Changes

Index = QModelIndex | QPersistentModelIndex

STATE_FILTERS = [("unread", "Unread"), ("open", "Needs an order"), ("linked", "Has an order"),
                 ("queued", "Queued"), ("failed", "Failed to send")]
CHANNEL_FILTERS = [("sms", "SMS"), ("email", "Email"), ("phone", "Calls"), ("web", "Web"),
                   ("whatsapp", "WhatsApp")]


class InboxDelegate(QStyledItemDelegate):
    """Two lines per message: who and when, then a preview; a dot when unread."""

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
        unread = not row.get("read")
        channel = str(row.get("channel") or "sms")
        colour = CHANNEL_COLOURS.get(channel, p.muted)
        circle = QRect(rect.left() + 14, rect.top() + 14, 34, 34)
        painter.setPen(Qt.PenStyle.NoPen)
        bg = QColor(colour)
        bg.setAlpha(38)
        painter.setBrush(bg)
        painter.drawEllipse(circle)
        self.theme.icon(channel, colour, 36).paint(painter, circle.adjusted(8, 8, -8, -8))
        if unread:
            painter.setBrush(QColor(p.accent))
            painter.drawEllipse(QRect(rect.left() + 4, rect.top() + 27, 7, 7))
        x = circle.right() + 12
        w = rect.right() - x - 12
        base: QFont = QFont(option.font)  # type: ignore[attr-defined]
        name_font = QFont(base)
        name_font.setBold(unread)
        name_font.setWeight(QFont.Weight.Bold if unread else QFont.Weight.DemiBold)
        painter.setFont(base)
        when = local_time_text(row.get("received_at"))
        when_w = painter.fontMetrics().horizontalAdvance(when) + 4
        painter.setPen(QColor(p.muted))
        painter.drawText(QRect(rect.right() - 12 - when_w, rect.top() + 10, when_w, 20),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, when)
        painter.setFont(name_font)
        painter.setPen(QColor(p.text))
        name = sender_label(row)
        state = STATE_LABELS.get(str(row.get("state") or ""), "")
        painter.drawText(QRect(x, rect.top() + 10, w - when_w - 8, 20),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight,
                                                          w - when_w - 8))
        painter.setFont(base)
        prefix = "You: " if row.get("direction") == "out" else ""
        body = prefix + str(row.get("subject") or row.get("body") or "").replace("\n", " ")
        tail = ""
        if row.get("order_id"):
            tail = "  ✓ order"
        if state:
            tail = f"  · {state}"
        tail_w = painter.fontMetrics().horizontalAdvance(tail) if tail else 0
        painter.setPen(QColor(p.text if unread else p.muted))
        painter.drawText(QRect(x, rect.top() + 33, w - tail_w, 20),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(body, Qt.TextElideMode.ElideRight,
                                                          max(20, w - tail_w)))
        if tail:
            failed = row.get("state") in ("failed", "quarantined")
            painter.setPen(QColor(p.danger if failed else p.success if row.get("order_id")
                                  and not state else p.muted))
            painter.drawText(QRect(rect.right() - 12 - tail_w, rect.top() + 33, tail_w, 20),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, tail)
        painter.restore()


class Bubble(QFrame):
    """One message in the conversation."""

    def __init__(self, item: dict[str, Any], store: ReadStore, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        outgoing = item.get("direction") == "out"
        self.setObjectName("BubbleOut" if outgoing else "BubbleIn")
        self.setMaximumWidth(520)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 8, 12, 8)
        lay.setSpacing(3)
        if item.get("subject"):
            subject = QLabel(str(item["subject"]))
            subject.setStyleSheet("font-weight: 700;")
            subject.setWordWrap(True)
            lay.addWidget(subject)
        body = QLabel(str(item.get("body") or ""))
        body.setWordWrap(True)
        body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(body)
        meta = [CHANNEL_LABELS.get(str(item.get("channel")), str(item.get("channel") or "")),
                local_time_text(item.get("received_at"))]
        state = STATE_LABELS.get(str(item.get("state") or ""), "")
        if outgoing and state:
            meta.append(state)
        if item.get("error"):
            meta.append(str(item["error"]))
        if item.get("order_id"):
            order = store.orders_by_id([str(item["order_id"])]).get(str(item["order_id"]))
            if order:
                meta.append(f"→ {order.get('number')}")
        info = QLabel(" · ".join(m for m in meta if m))
        info.setObjectName("BubbleMeta")
        if item.get("state") == "failed":
            info.setStyleSheet("color: #d93636;")
        lay.addWidget(info)


class ConversationView(QWidget):
    """The selected message's customer: every channel, their orders, a reply box."""

    sig_make_order = Signal(dict)
    sig_open_order = Signal(str)
    sig_open_customer = Signal(str)

    def __init__(self, store: ReadStore, actions: OrderActions, theme: Theme,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actions = actions
        self.theme = theme
        self.message: dict[str, Any] | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack)
        self.empty = EmptyState("Select a message to see the whole conversation.\n\n"
                                "↑/↓ move through the inbox · Ctrl+Shift+N turns a message "
                                "into an order")
        self.stack.addWidget(self.empty)
        page = QWidget()
        self.stack.addWidget(page)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(16, 12, 16, 12)
        lay.setSpacing(10)

        head = QHBoxLayout()
        self.avatar = Avatar(44, font_pt=12, fallback="#")
        head.addWidget(self.avatar)
        names = QVBoxLayout()
        names.setSpacing(0)
        self.name = QLabel()
        self.name.setObjectName("SectionTitle")
        self.contact = QLabel()
        self.contact.setObjectName("Muted")
        self.contact.setWordWrap(True)
        self.contact.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        names.addWidget(self.name)
        names.addWidget(self.contact)
        head.addLayout(names, 1)
        self.customer_button = QPushButton("Customer card")
        self.customer_button.clicked.connect(self._open_customer)
        self.unread_button = QPushButton("Mark unread")
        self.unread_button.clicked.connect(self._mark_unread)
        self.order_button = QPushButton("Make order")
        self.order_button.setObjectName("Primary")
        self.order_button.setToolTip("Turn this message into a draft order (Ctrl+Shift+N)")
        self.order_button.clicked.connect(self.make_order)
        for b in (self.unread_button, self.customer_button, self.order_button):
            head.addWidget(b)
        lay.addLayout(head)

        self.proposal = QLabel()
        self.proposal.setWordWrap(True)
        self.proposal.setObjectName("Card")
        self.proposal.setContentsMargins(12, 8, 12, 8)
        lay.addWidget(self.proposal)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.thread = QWidget()
        self.thread_layout = QVBoxLayout(self.thread)
        self.thread_layout.setContentsMargins(4, 4, 12, 4)
        self.thread_layout.setSpacing(8)
        self.scroll.setWidget(self.thread)
        split.addWidget(self.scroll)
        side = QWidget()
        side_lay = QVBoxLayout(side)
        side_lay.setContentsMargins(8, 0, 0, 0)
        side_lay.addWidget(section_title("Orders"))
        self.orders = QListWidget()
        self.orders.setObjectName("SideList")
        self.orders.itemActivated.connect(
            lambda item: emit(self.sig_open_order, str(item.data(Qt.ItemDataRole.UserRole))))
        side_lay.addWidget(self.orders, 1)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([520, 200])
        lay.addWidget(split, 1)

        reply = QHBoxLayout()
        self.reply = QPlainTextEdit()
        self.reply.setPlaceholderText("Reply by SMS…  (Ctrl+Enter sends)")
        self.reply.setFixedHeight(64)
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("Primary")
        self.send_button.clicked.connect(self.send_reply)
        reply.addWidget(self.reply, 1)
        reply.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        lay.addLayout(reply)
        self.reply_status = QLabel("")
        self.reply_status.setObjectName("Muted")
        lay.addWidget(self.reply_status)
        self.send_key = bind_key(self.reply, "Ctrl+Return", self.send_reply)

    # ------------------------------------------------------------------ showing

    def show_message(self, message: dict[str, Any] | None) -> None:
        self.message = message
        if message is None:
            self.stack.setCurrentWidget(self.empty)
            return
        self.stack.setCurrentIndex(1)
        self.reload()

    def reload(self) -> None:
        message = self.message
        if message is None:
            return
        fresh = self.store.message(str(message["id"]))
        if fresh is not None:
            message = self.message = fresh
        customer_id = message.get("customer_id")
        contact = message.get("sender") if message.get("direction") == "in" \
            else message.get("recipient")
        name = sender_label(message)
        self.name.setText(name)
        self.avatar.set_person(name, CHANNEL_COLOURS.get(str(message.get("channel")), "#64748b"))
        card = self.store.customer(str(customer_id)) if customer_id else None
        bits = [str(contact or "")]
        if card is None:
            bits.append("not a customer yet")
        elif card.get("notes"):
            bits.append(str(card["notes"]))
        self.contact.setText(" · ".join(b for b in bits if b))
        self.customer_button.setEnabled(bool(customer_id))
        self._show_proposal(message)
        self._fill_thread(customer_id, str(contact or ""))
        self._fill_orders(card)
        phone = str(contact or "")
        can_reply = phone.startswith("+") or phone.replace(" ", "").isdigit()
        if phone != getattr(self, "_reply_to", None):
            # another conversation: a reply typed to the last one must not go to this one
            self.reply.clear()
            self._reply_to = phone
        self.reply.setEnabled(can_reply)
        self.send_button.setEnabled(can_reply)
        self.reply.setPlaceholderText(f"Reply by SMS to {phone}…  (Ctrl+Enter sends)"
                                      if can_reply else "No phone number to reply to")
        self.reply.viewport().update()  # Qt repaints a changed placeholder only when asked
        linked = message.get("order_id")
        self.order_button.setText("Open order" if linked else "Make order")

    def _show_proposal(self, message: dict[str, Any]) -> None:
        raw = message.get("intake")
        proposal: dict[str, Any] | None = None
        if isinstance(raw, str) and raw.strip():
            try:
                proposal = json.loads(raw)
            except ValueError:
                proposal = None
        if not proposal or not proposal.get("lines"):
            self.proposal.hide()
            return
        items = ", ".join(_proposed_line(ln) for ln in proposal["lines"] if isinstance(ln, dict))
        extra = []
        when = proposal.get("requested_time")
        if isinstance(when, dict) and when.get("at"):
            extra.append("wanted " + local_time_text(str(when["at"])))
        if proposal.get("fulfilment"):
            extra.append(str(proposal["fulfilment"]))
        conf = proposal.get("confidence")
        if isinstance(conf, (int, float)):
            extra.append(f"{round(conf * 100)}% sure")
        changes = [str(c.get("text")) for c in proposal.get("changes") or []
                   if isinstance(c, dict) and c.get("text")]
        if changes:
            extra.append("changes the open order: " + "; ".join(changes))
        unused = [str(u) for u in proposal.get("unparsed") or [] if str(u).strip()]
        if unused:
            extra.append("not understood: " + " / ".join(unused))
        self.proposal.setText(f"<b>Suggested order:</b> {items}"
                              + (f"<br><span style='color:gray'>{' · '.join(extra)}</span>"
                                 if extra else ""))
        self.proposal.show()

    def _fill_thread(self, customer_id: Any, contact: str) -> None:
        while self.thread_layout.count():
            item = self.thread_layout.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        items = self.store.conversation(str(customer_id) if customer_id else None, contact)
        for entry in items:
            row = QHBoxLayout()
            if entry.get("kind") == "call":
                answered = entry.get("answered")
                label = QLabel(f"☎  Call {local_time_text(entry.get('received_at'))}"
                               + ("" if answered is None else " · answered" if answered
                                  else " · missed"))
                label.setObjectName("Muted")
                row.addStretch(1)
                row.addWidget(label)
                row.addStretch(1)
            else:
                bubble = Bubble(entry, self.store)
                if entry.get("direction") == "out":
                    row.addStretch(1)
                    row.addWidget(bubble)
                else:
                    row.addWidget(bubble)
                    row.addStretch(1)
            holder = QWidget()
            holder.setLayout(row)
            row.setContentsMargins(0, 0, 0, 0)
            self.thread_layout.addWidget(holder)
            holder.show()
        self.thread_layout.addStretch(1)
        QTimer.singleShot(0, self, lambda: self.scroll.verticalScrollBar().setValue(
            self.scroll.verticalScrollBar().maximum()))

    def _fill_orders(self, card: dict[str, Any] | None) -> None:
        self.orders.clear()
        if not card:
            item = QListWidgetItem("No orders yet")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.orders.addItem(item)
            return
        for order in card.get("recent_orders") or []:
            status = str(order.get("status"))
            item = QListWidgetItem(f"{order.get('number')}  ·  {STATUS_LABELS.get(status, status)}"
                                   f"\n{self.store.money(order.get('total'))}  ·  "
                                   f"{local_time_text(order.get('created_at'))}")
            item.setData(Qt.ItemDataRole.UserRole, order.get("id"))
            item.setForeground(QColor(STATUS_COLOURS.get(status, "#888")))
            self.orders.addItem(item)
        if not card.get("recent_orders"):
            item = QListWidgetItem("No orders yet")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.orders.addItem(item)

    # ------------------------------------------------------------------ actions

    def make_order(self) -> None:
        if self.message is None:
            return
        if self.message.get("order_id"):
            emit(self.sig_open_order, str(self.message["order_id"]))
            return
        emit(self.sig_make_order, dict(self.message))

    def _open_customer(self) -> None:
        if self.message and self.message.get("customer_id"):
            emit(self.sig_open_customer, str(self.message["customer_id"]))

    def _mark_unread(self) -> None:
        if self.message:
            self.actions.mark_read(str(self.message["id"]), False)

    def send_reply(self) -> None:
        text = self.reply.toPlainText().strip()
        if not text or self.message is None:
            return
        to = self.message.get("sender") if self.message.get("direction") == "in" \
            else self.message.get("recipient")
        self.send_button.setEnabled(False)
        self.reply_status.setText("Queuing…")

        def done(_result: Any) -> None:
            self.reply.clear()
            self.send_button.setEnabled(True)
            self.reply_status.setText("Queued in the outbox; it goes out from the till with "
                                      "the modem.")

        def failed(message: str) -> None:
            self.send_button.setEnabled(True)
            self.reply_status.setText(message)

        self.actions.run(ops.send_sms(str(to or ""), text), done=done, failed=failed)


class InboxView(QWidget):
    """The inbox page: filters, the message list and the conversation."""

    sig_unread_changed = Signal(int)

    def __init__(self, store: ReadStore, actions: OrderActions, theme: Theme,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actions = actions
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
        self.search = SearchField("Search messages and names…  (Ctrl+F)")
        left_lay.addWidget(self.search)
        filters = QHBoxLayout()
        filters.setSpacing(6)
        self.channel = FilterCombo("All channels", CHANNEL_FILTERS)
        self.state = FilterCombo("Everything", STATE_FILTERS)
        filters.addWidget(self.channel)
        filters.addWidget(self.state)
        left_lay.addLayout(filters)
        filters2 = QHBoxLayout()
        filters2.setSpacing(6)
        self.tag = FilterCombo("Any order tag")
        self.assignee = FilterCombo("Anyone")
        filters2.addWidget(self.tag)
        filters2.addWidget(self.assignee)
        left_lay.addLayout(filters2)
        self.model = InboxModel(store, self)
        self.list = QListView()
        self.list.setObjectName("Inbox")
        self.list.setModel(self.model)
        self.list.setItemDelegate(InboxDelegate(theme, self))
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setAccessibleName("Messages")
        self.empty = EmptyState("No messages here.\nSMS, calls and email land in this list.")
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.list)
        self.list_stack.addWidget(self.empty)
        left_lay.addWidget(self.list_stack, 1)
        split.addWidget(left)
        self.conversation = ConversationView(store, actions, theme)
        split.addWidget(self.conversation)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([380, 640])
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        for combo in (self.channel, self.state, self.tag, self.assignee):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.search.textChanged.connect(lambda _t: self.apply_filter())
        self._read_timer = QTimer(self)
        self._read_timer.setSingleShot(True)
        self._read_timer.setInterval(1200)
        self._read_timer.timeout.connect(self._mark_current_read)

    def apply_filter(self) -> None:
        self.model.set_filter(MessageFilter(channel=self.channel.value(), state=self.state.value(),
                                            search=self.search.text().strip(),
                                            tag=self.tag.value(),
                                            assignee=self.assignee.value()))
        self._update_counts()

    def reload(self) -> None:
        self.tag.set_items([(t, "#" + t) for t in self.store.tags()])
        self.assignee.set_items([(a, a) for a in self.store.assignees()])
        self.model.reset()
        self._update_counts()

    def needs_refresh(self, changes: Changes) -> Refresh | None:
        """The list shows messages and calls with their customers' names."""
        if changes.touches("customers"):
            return EVERYTHING
        if changes.touches("messages", "calls"):
            return Refresh.rows(changes.messages)
        return None

    def refresh(self, changed: set[str] | None = None) -> None:
        self.model.refresh(changed)
        self._update_counts()
        msg = self.conversation.message
        if msg is not None and (changed is None or str(msg.get("id")) in changed or changed):
            self.conversation.reload()

    def _update_counts(self) -> None:
        unread = self.store.unread_count()
        self.count.setText(f"{unread} unread" if unread else "All read")
        self.list_stack.setCurrentWidget(self.list if self.model.total else self.empty)
        emit(self.sig_unread_changed, unread)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = current.data(ROW_ROLE) if current.isValid() else None
        self.conversation.show_message(row)
        if row is not None and not row.get("read"):
            self._read_timer.start()
        else:
            self._read_timer.stop()

    def _mark_current_read(self) -> None:
        index = self.list.currentIndex()
        row = index.data(ROW_ROLE) if index.isValid() else None
        if row is not None and not row.get("read"):
            self.actions.run(ops.mark_read(str(row["id"])))

    def select_first(self) -> None:
        if self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(0, 0))
        self.list.setFocus()

    def select_message(self, mid: str) -> bool:
        row = self.model.row_for_id(mid)
        if row < 0:
            return False
        self.list.setCurrentIndex(self.model.index(row, 0))
        return True


def _proposed_line(line: dict[str, Any]) -> str:
    """"2 × Croissant", "3 lb × Braising steak" (sold by the kg), "4 × Lamb chops (weigh)"."""
    name = line.get("product") or line.get("text")
    said = line.get("said")
    if line.get("quantity") is None:
        return f"{said or line.get('amount') or '?'} × {name} (weigh)"
    if said and line.get("amount_unit") and line.get("amount_unit") != line.get("unit"):
        return f"{said} × {name}"
    return f"{line.get('quantity', 1)} × {name}"
