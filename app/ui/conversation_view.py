"""One conversation: every message and call with a customer across channels, who has it,
its tags, done and snoozed, a notice waiting for a one-key confirm, and a reply box that
knows the channel it will use and inserts quick replies by keyboard ("/" or Ctrl+/).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.ui import operations as ops
from app.ui.conversation_model import conversation_label
from app.ui.inbox_model import STATE_LABELS
from app.ui.order_actions import OrderActions
from app.ui.pyside_compat import emit
from app.ui.read_store import ReadStore, local_time_text
from app.ui.theme import CHANNEL_COLOURS, CHANNEL_LABELS, STATUS_COLOURS, STATUS_LABELS, Theme
from app.ui.widgets import Avatar, EmptyState, bind_key, section_title

SNOOZES = (("For an hour", 1), ("For 3 hours", 3), ("Until tomorrow", 24),
           ("For a week", 24 * 7))


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


class Bubble(QFrame):
    """One message: an email's subject, its own words (the quote folded away), its
    attachments and defects; an outgoing one's state (sent, failed, bounced)."""

    def __init__(self, item: dict[str, Any], store: ReadStore,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outgoing = item.get("direction") == "out"
        self.setObjectName("BubbleOut" if outgoing else "BubbleIn")
        self.setMaximumWidth(560)
        meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 8, 12, 8)
        lay.setSpacing(3)
        if item.get("subject"):
            subject = QLabel(str(item["subject"]))
            subject.setStyleSheet("font-weight: 700;")
            subject.setWordWrap(True)
            lay.addWidget(subject)
        full = str(item.get("body") or "")
        short = str(item.get("preview") or "") or full
        self.body = QLabel(short)
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.body)
        if short.strip() != full.strip():
            toggle = QPushButton("Show quoted text")
            toggle.setObjectName("Link")
            toggle.setFlat(True)
            toggle.setCheckable(True)
            toggle.toggled.connect(lambda on: (self.body.setText(full if on else short),
                                               toggle.setText("Hide quoted text" if on
                                                              else "Show quoted text")))
            lay.addWidget(toggle, 0, Qt.AlignmentFlag.AlignLeft)
        attachments = json.loads(meta.get("attachments") or "[]") if meta else []
        for att in attachments:
            label = QLabel(f"📎 {att.get('name')} · {_size_text(int(att.get('size') or 0))}")
            label.setObjectName("Muted")
            label.setToolTip(str(att.get("path") or ""))
            lay.addWidget(label)
        bits = [CHANNEL_LABELS.get(str(item.get("channel")), str(item.get("channel") or "")),
                local_time_text(item.get("received_at"))]
        state = str(item.get("state") or "")
        if state == "draft":
            bits.append("waiting for you to send it")
        elif outgoing and STATE_LABELS.get(state):
            bits.append(STATE_LABELS[state])
        if item.get("error"):
            bits.append(str(item["error"]))
        if meta and meta.get("defects"):
            bits.append("repaired: " + ", ".join(json.loads(meta["defects"]))[:120])
        if item.get("order_id"):
            order = store.orders_by_id([str(item["order_id"])]).get(str(item["order_id"]))
            if order:
                bits.append(f"→ {order.get('number')}")
        info = QLabel(" · ".join(b for b in bits if b))
        info.setObjectName("BubbleMeta")
        info.setWordWrap(True)
        if state in ("failed", "bounced", "quarantined"):
            info.setStyleSheet("color: #d93636;")
        lay.addWidget(info)


class QuickReplyPicker(QListWidget):
    """The saved answers, filtered as staff type; Enter inserts, Esc closes."""

    sig_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("QuickReplies")
        self.itemActivated.connect(self._activate)

    def fill(self, replies: list[dict[str, Any]], typed: str) -> int:
        self.clear()
        needle = typed.lower()
        for reply in replies:
            if needle and needle not in str(reply["name"]).lower() \
                    and needle not in str(reply["text"]).lower():
                continue
            item = QListWidgetItem(f"/{reply['name']}   {str(reply['text'])[:80]}")
            item.setData(Qt.ItemDataRole.UserRole, reply["id"])
            self.addItem(item)
        if self.count():
            self.setCurrentRow(0)
            self.setFixedHeight(min(150, self.count() * 26 + 12))
        return self.count()

    def _activate(self, item: QListWidgetItem) -> None:
        emit(self.sig_chosen, str(item.data(Qt.ItemDataRole.UserRole)))


class ReplyBox(QPlainTextEdit):
    """The reply text; "/" at the start (or Ctrl+/) offers the quick replies."""

    sig_slash = Signal(str)
    sig_move = Signal(int)
    sig_pick = Signal()
    sig_close = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.picking = False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.picking:
            key = event.key()
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                emit(self.sig_move, -1 if key == Qt.Key.Key_Up else 1)
                return
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab):
                emit(self.sig_pick)
                return
            if key == Qt.Key.Key_Escape:
                emit(self.sig_close)
                return
        super().keyPressEvent(event)
        text = self.toPlainText()
        if text.startswith("/") and "\n" not in text:
            emit(self.sig_slash, text[1:])
        elif self.picking:
            emit(self.sig_close)


class ConversationView(QWidget):
    """The selected conversation: thread, who has it, its notices, the reply box."""

    sig_make_order = Signal(dict)
    sig_open_order = Signal(str)
    sig_open_customer = Signal(str)

    def __init__(self, store: ReadStore, actions: OrderActions, theme: Theme,
                 staff: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actions = actions
        self.theme = theme
        self.staff = staff or (lambda: "")
        self.row: dict[str, Any] | None = None
        self.message: dict[str, Any] | None = None  # the latest message of the conversation
        self.drafts: list[dict[str, Any]] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack)
        self.empty = EmptyState("Select a conversation to see every message with that "
                                "customer.\n\n↑/↓ move through the inbox · Ctrl+R reply · "
                                "Ctrl+D done · Ctrl+Shift+A take it · Ctrl+Shift+N make an "
                                "order")
        self.stack.addWidget(self.empty)
        page = QWidget()
        self.stack.addWidget(page)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(16, 12, 16, 12)
        lay.setSpacing(8)
        lay.addLayout(self._header())
        self.chips = QLabel()
        self.chips.setObjectName("Muted")
        self.chips.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.chips)
        lay.addWidget(self._notice_bar())
        self.proposal = QLabel()
        self.proposal.setWordWrap(True)
        self.proposal.setObjectName("Card")
        self.proposal.setContentsMargins(12, 8, 12, 8)
        lay.addWidget(self.proposal)
        lay.addWidget(self._thread_and_orders(), 1)
        self.picker = QuickReplyPicker()
        self.picker.hide()
        lay.addWidget(self.picker)
        reply = QHBoxLayout()
        self.reply = ReplyBox()
        self.reply.setFixedHeight(70)
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
        bind_key(self.reply, "Ctrl+/", lambda: self._open_picker(""))
        self.reply.sig_slash.connect(self._open_picker)
        self.reply.sig_move.connect(lambda d: self.picker.setCurrentRow(
            max(0, min(self.picker.count() - 1, self.picker.currentRow() + d))))
        self.reply.sig_pick.connect(self._pick_current)
        self.reply.sig_close.connect(self._close_picker)
        self.picker.sig_chosen.connect(self.insert_quick_reply)

    # ------------------------------------------------------------------ layout

    def _header(self) -> QHBoxLayout:
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
        self.assign_button = QPushButton("Assign")
        self.assign_button.setToolTip("Give this conversation to someone (Ctrl+Shift+A: take "
                                      "it yourself)")
        self.assign_button.clicked.connect(self._assign_menu)
        self.tag_button = QPushButton("Tag")
        self.tag_button.setToolTip("Tag this conversation (Ctrl+T)")
        self.tag_button.clicked.connect(self.ask_tag)
        self.snooze_button = QPushButton("Snooze")
        self.snooze_button.setToolTip("Hide it until later or until the customer writes "
                                      "(Ctrl+Shift+S)")
        self.snooze_button.clicked.connect(self._snooze_menu)
        self.done_button = QPushButton("Done")
        self.done_button.setToolTip("Mark it done; a new message opens it again (Ctrl+D)")
        self.done_button.clicked.connect(self.toggle_done)
        self.customer_button = QPushButton("Customer")
        self.customer_button.clicked.connect(self._open_customer)
        self.order_button = QPushButton("Make order")
        self.order_button.setObjectName("Primary")
        self.order_button.setToolTip("Turn the latest message into a draft order "
                                     "(Ctrl+Shift+N)")
        self.order_button.clicked.connect(self.make_order)
        for b in (self.assign_button, self.tag_button, self.snooze_button, self.done_button,
                  self.customer_button, self.order_button):
            head.addWidget(b)
        return head

    def _notice_bar(self) -> QFrame:
        self.notice = QFrame()
        self.notice.setObjectName("Card")
        row = QHBoxLayout(self.notice)
        row.setContentsMargins(12, 6, 8, 6)
        self.notice_text = QLabel()
        self.notice_text.setWordWrap(True)
        row.addWidget(self.notice_text, 1)
        self.notice_send = QPushButton("Send  ⏎")
        self.notice_send.setObjectName("Primary")
        self.notice_send.clicked.connect(self.confirm_notice)
        self.notice_skip = QPushButton("Skip  Esc")
        self.notice_skip.clicked.connect(self.discard_notice)
        row.addWidget(self.notice_skip)
        row.addWidget(self.notice_send)
        self.notice.installEventFilter(self)
        self.notice.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.notice.hide()
        return self.notice

    def _thread_and_orders(self) -> QSplitter:
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
        split.setSizes([540, 200])
        return split

    # ------------------------------------------------------------------ showing

    def show_conversation(self, row: dict[str, Any] | None) -> None:
        self.row = row
        self.picker.hide()
        self.reply.picking = False
        if row is None:
            self.message = None
            self.stack.setCurrentWidget(self.empty)
            return
        self.stack.setCurrentIndex(1)
        self.reload()

    def reload(self) -> None:
        row = self.row
        if row is None:
            return
        key = str(row["key"])
        fresh = self.store.conversations_by_key([key]).get(key)
        if fresh is not None:
            row = self.row = fresh
        items = self.store.conversation_items(key)
        messages = [i for i in items if i.get("kind") == "message"]
        incoming = [m for m in messages if m.get("direction") == "in"
                    and m.get("state") != "bounce"]
        self.message = (incoming or messages or [None])[-1]
        name = conversation_label(row)
        self.name.setText(name)
        channel = str(row.get("last_channel") or "sms")
        self.avatar.set_person(name, CHANNEL_COLOURS.get(channel, "#64748b"))
        customer_id = row.get("customer_id")
        card = self.store.customer(str(customer_id)) if customer_id else None
        bits = [str(row.get("contact") or "")]
        bits.append(", ".join(CHANNEL_LABELS.get(c, c) for c in row.get("channels") or []))
        if card is None:
            bits.append("not a customer yet")
        elif card.get("opt_out"):
            bits.append("opted out of notifications")
        self.contact.setText(" · ".join(b for b in bits if b))
        chips = []
        status = str(row.get("status") or "open")
        if status != "open":
            chips.append(f"<b>{status.capitalize()}</b>"
                         + (f" until {local_time_text(row.get('snoozed_until'))}"
                            if status == "snoozed" else ""))
        chips.append(f"Assigned to <b>{row['assignee']}</b>" if row.get("assignee")
                     else "Unassigned")
        chips += [f"#{t}" for t in row.get("tags") or []]
        self.chips.setText("  ·  ".join(chips))
        self.done_button.setText("Reopen" if status == "done" else "Done")
        self.customer_button.setEnabled(bool(customer_id))
        self.order_button.setEnabled(self.message is not None)
        self.order_button.setText("Open order" if self.message and self.message.get("order_id")
                                  else "Make order")
        self._show_proposal(self.message)
        self._fill_thread(items)
        self._fill_orders(card)
        self._show_notice([i for i in messages if i.get("state") == "draft"])
        self._reply_route(items, card)

    def _reply_route(self, items: list[dict[str, Any]], card: dict[str, Any] | None) -> None:
        """Tell staff how the reply will travel, before they type it."""
        route = None
        for item in reversed(items):
            if item.get("kind") == "message" and item.get("direction") == "in" \
                    and item.get("channel") in ("sms", "email") \
                    and item.get("state") not in ("quarantined", "bounce"):
                meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
                route = (str(item["channel"]), str(meta.get("reply_to") or item["sender"]))
                break
        if route is None and card:
            if card.get("phones"):
                route = ("sms", str(card["phones"][0]))
            elif card.get("emails"):
                route = ("email", str(card["emails"][0]))
        if route is None and self.row is not None:
            key = str(self.row["key"])
            route = ("sms", key) if key.startswith("+") else ("email", key) if "@" in key \
                else None
        if route != getattr(self, "route", None):
            # another conversation: a reply typed to the last one must not go to this one
            self.reply.clear()
        self.route = route
        self.reply.setEnabled(route is not None)
        self.send_button.setEnabled(route is not None)
        if route is None:
            self.reply.setPlaceholderText("No phone number or email address to reply to")
        else:
            how = "email" if route[0] == "email" else "SMS"
            self.reply.setPlaceholderText(f"Reply by {how} to {route[1]}…   "
                                          f"/ quick replies · Ctrl+Enter sends")
        self.reply.viewport().update()  # Qt repaints a changed placeholder only when asked

    def _show_proposal(self, message: dict[str, Any] | None) -> None:
        raw = message.get("intake") if message else None
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

    def _fill_thread(self, items: list[dict[str, Any]]) -> None:
        while self.thread_layout.count():
            item = self.thread_layout.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
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
            elif entry.get("state") == "bounce":
                meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
                label = QLabel(f"⚠  Returned by the mail server: "
                               f"{meta.get('bounce_reason') or entry.get('subject')}")
                label.setStyleSheet("color: #d93636;")
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
        orders = (card or {}).get("recent_orders") or []
        for order in orders:
            status = str(order.get("status"))
            item = QListWidgetItem(f"{order.get('number')}  ·  {STATUS_LABELS.get(status, status)}"
                                   f"\n{self.store.money(order.get('total'))}  ·  "
                                   f"{local_time_text(order.get('created_at'))}")
            item.setData(Qt.ItemDataRole.UserRole, order.get("id"))
            item.setForeground(QColor(STATUS_COLOURS.get(status, "#888")))
            self.orders.addItem(item)
        if not orders:
            item = QListWidgetItem("No orders yet")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.orders.addItem(item)

    # ------------------------------------------------------------------ notices

    def _show_notice(self, drafts: list[dict[str, Any]]) -> None:
        self.drafts = drafts
        if not drafts:
            self.notice.hide()
            return
        draft = drafts[0]
        how = "email" if draft.get("channel") == "email" else "SMS"
        more = f" (+{len(drafts) - 1} more)" if len(drafts) > 1 else ""
        self.notice_text.setText(f"<b>Ready to send by {how}</b>{more}: "
                                 f"{str(draft.get('body') or '')[:160]}")
        self.notice.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.notice and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.confirm_notice()
                return True
            if key == Qt.Key.Key_Escape:
                self.discard_notice()
                return True
        return super().eventFilter(watched, event)

    def confirm_notice(self) -> None:
        if self.drafts:
            self.actions.run(ops.confirm_notice(str(self.drafts[0]["id"])),
                             info="Notification queued")

    def discard_notice(self) -> None:
        if self.drafts:
            self.actions.run(ops.discard_notice(str(self.drafts[0]["id"])),
                             info="Notification skipped")

    # ------------------------------------------------------------------ quick replies

    def _open_picker(self, typed: str) -> None:
        if self.picker.fill(self.store.quick_replies(), typed):
            self.picker.show()
            self.reply.picking = True
        else:
            self._close_picker()

    def _close_picker(self) -> None:
        self.picker.hide()
        self.reply.picking = False

    def _pick_current(self) -> None:
        item = self.picker.currentItem()
        if item is not None:
            self.insert_quick_reply(str(item.data(Qt.ItemDataRole.UserRole)))

    def insert_quick_reply(self, rid: str) -> None:
        """Replace the "/name" typed with the saved answer, placeholders filled in."""
        self._close_picker()
        if self.row is None:
            return

        def done(result: Any) -> None:
            text = str((result or {}).get("text") or "")
            current = self.reply.toPlainText()
            self.reply.setPlainText(text if current.startswith("/") or not current
                                    else f"{current} {text}")
            cursor = self.reply.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            self.reply.setTextCursor(cursor)
            self.reply.setFocus()

        self.actions.run(ops.fill_quick_reply(rid, str(self.row["key"])), done=done)

    # ------------------------------------------------------------------ actions

    def make_order(self) -> None:
        if self.message is None:
            return
        if self.message.get("order_id"):
            emit(self.sig_open_order, str(self.message["order_id"]))
            return
        message = dict(self.message)
        message.setdefault("customer_name", (self.row or {}).get("customer_name"))
        emit(self.sig_make_order, message)

    def _open_customer(self) -> None:
        if self.row and self.row.get("customer_id"):
            emit(self.sig_open_customer, str(self.row["customer_id"]))

    def _key(self) -> str | None:
        return str(self.row["key"]) if self.row else None

    def _assign_menu(self) -> None:
        key = self._key()
        if key is None:
            return
        menu = QMenu(self)
        me = self.staff()
        if me:
            menu.addAction(f"Me ({me})", lambda: self.assign(me))
        for name in self.store.conversation_assignees() + self.store.assignees():
            if name and name != me:
                menu.addAction(name, lambda n=name: self.assign(n))
        menu.addAction("Someone else…", self._ask_assignee)
        menu.addAction("Nobody", lambda: self.assign(""))
        menu.exec(self.assign_button.mapToGlobal(self.assign_button.rect().bottomLeft()))

    def _ask_assignee(self) -> None:
        name, ok = QInputDialog.getText(self, "Assign", "Staff member:")
        if ok:
            self.assign(name.strip())

    def assign(self, name: str) -> None:
        key = self._key()
        if key is not None:
            self.actions.run(ops.assign(key, name),
                             info=f"Assigned to {name}" if name else "Unassigned")

    def take(self) -> None:
        me = self.staff()
        if not me:
            emit(self.actions.sig_error, "Set your name in Settings (Staff name) first")
            return
        self.assign(me)

    def ask_tag(self) -> None:
        key = self._key()
        if key is None:
            return
        text, ok = QInputDialog.getText(self, "Tag", "Tag (a leading - removes it):")
        text = text.strip().lstrip("#")
        if not ok or not text:
            return
        if text.startswith("-"):
            self.actions.run(ops.tag(key, remove=[text[1:].strip()]))
        else:
            self.actions.run(ops.tag(key, add=[text]))

    def _snooze_menu(self) -> None:
        if self._key() is None:
            return
        menu = QMenu(self)
        for label, hours in SNOOZES:
            menu.addAction(label, lambda h=hours: self.snooze(h))
        menu.exec(self.snooze_button.mapToGlobal(self.snooze_button.rect().bottomLeft()))

    def snooze(self, hours: int) -> None:
        key = self._key()
        if key is not None:
            self.actions.run(ops.set_conversation_status(key, "snoozed", hours),
                             info="Snoozed")

    def toggle_done(self) -> None:
        key = self._key()
        if key is None or self.row is None:
            return
        status = "open" if self.row.get("status") == "done" else "done"
        self.actions.run(ops.set_conversation_status(key, status),
                         info="Done" if status == "done" else "Opened again")

    def send_reply(self) -> None:
        text = self.reply.toPlainText().strip()
        if not text or self.row is None or text.startswith("/"):
            return
        self.send_button.setEnabled(False)
        self.reply_status.setText("Queuing…")
        how = self.route[0] if getattr(self, "route", None) else ""

        def done(result: Any) -> None:
            self.reply.clear()
            self.send_button.setEnabled(True)
            channel = (result or {}).get("channel") or how
            self.reply_status.setText(
                "Queued in the outbox; the till with the mailbox sends it." if channel == "email"
                else "Queued in the outbox; it goes out from the till with the modem.")

        def failed(message: str) -> None:
            self.send_button.setEnabled(True)
            self.reply_status.setText(message)

        latest = self.message
        if latest is not None and latest.get("direction") == "in" \
                and latest.get("channel") in ("sms", "email"):
            request: Any = ops.reply(str(latest["id"]), text)
        else:
            request = ops.reply_conversation(str(self.row["key"]), text)
        self.actions.run(request, done=done, failed=failed)


def _proposed_line(line: dict[str, Any]) -> str:
    """"2 × Croissant", "3 lb × Braising steak" (sold by the kg), "4 × Lamb chops (weigh)"."""
    name = line.get("product") or line.get("text")
    said = line.get("said")
    if line.get("quantity") is None:
        return f"{said or line.get('amount') or '?'} × {name} (weigh)"
    if said and line.get("amount_unit") and line.get("amount_unit") != line.get("unit"):
        return f"{said} × {name}"
    return f"{line.get('quantity', 1)} × {name}"
