"""The one-key confirm: a bar along the bottom of the window, on every page, showing a
notification the engine prepared (shop setting ``notify_mode: confirm``) after staff
moved an order. Enter sends it, Esc skips it; the bar takes the keyboard when a new one
appears, unless staff are typing somewhere."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QWidget,
)

from app.ui import operations as ops
from app.ui.order_actions import OrderActions
from app.ui.read_store import ReadStore


class NoticeBar(QFrame):
    """The oldest prepared notification; Enter sends, Esc skips."""

    def __init__(self, store: ReadStore, actions: OrderActions,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actions = actions
        self.setObjectName("NoticeBar")
        self.setStyleSheet("#NoticeBar { background: #fff7e0; border-top: 1px solid #f0c96b; }")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 8, 16, 8)
        row.setSpacing(10)
        # buttons first: the window's toasts stack in the bottom-right corner
        self.send = QPushButton("Send  ⏎")
        self.send.setObjectName("Primary")
        self.send.clicked.connect(self.confirm)
        self.skip = QPushButton("Skip  Esc")
        self.skip.clicked.connect(self.discard)
        row.addWidget(self.send)
        row.addWidget(self.skip)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setStyleSheet("color: #4a3b00;")
        row.addWidget(self.text, 1)
        self.installEventFilter(self)
        self.draft: dict[str, Any] | None = None
        self._seen: set[str] = set()
        self.hide()

    def refresh(self) -> None:
        drafts = self.store.pending_drafts()
        if not drafts:
            self.draft = None
            self.hide()
            return
        self.draft = drafts[0]
        how = "email" if self.draft.get("channel") == "email" else "SMS"
        who = self.draft.get("customer_name") or self.draft.get("recipient")
        order = self.draft.get("order_number")
        more = f"  (+{len(drafts) - 1} more)" if len(drafts) > 1 else ""
        self.text.setText(f"<b>Tell {who}{f' about {order}' if order else ''} by {how}?</b>"
                          f"{more}<br>{str(self.draft.get('body') or '')[:200]}")
        self.show()
        fresh = str(self.draft["id"]) not in self._seen
        self._seen.add(str(self.draft["id"]))
        if fresh and not _typing():
            self.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.confirm()
                return True
            if key == Qt.Key.Key_Escape:
                self.discard()
                return True
        return super().eventFilter(watched, event)

    def confirm(self) -> None:
        if self.draft is not None:
            self.actions.run(ops.confirm_notice(str(self.draft["id"])),
                             info="Notification queued")

    def discard(self) -> None:
        if self.draft is not None:
            self.actions.run(ops.discard_notice(str(self.draft["id"])),
                             info="Notification skipped")


def _typing() -> bool:
    focus = QApplication.focusWidget()
    return isinstance(focus, (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox))
