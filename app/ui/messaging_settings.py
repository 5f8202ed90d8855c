"""Settings pages for talking to customers: this till's mailbox, and the shop's
notifications (when to send them, the templates with a live preview, feedback requests)
and quick replies. Everything goes through the engine; the mailbox password is handed
to this till's engine only, which keeps it in a file only this user can read."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import protocol as p
from app.ui import operations as ops
from app.ui.engine_link import EngineLink
from app.ui.read_store import ReadStore

TEMPLATE_LABELS = {"confirmed": "Order confirmed", "ready": "Ready for pickup",
                   "out_for_delivery": "Out for delivery", "delayed": "Delayed",
                   "cancelled": "Cancelled", "feedback": "Feedback request"}
NOTIFY_MODES = (("confirm", "Ask first: one key (Enter) sends it"),
                ("auto", "Send at once"), ("off", "Never"))
EXAMPLE = {"customer": "Ann", "order": "A-0042", "total": "24.50", "ready_at": "18:30 on Fri",
           "carrier": "DPD", "tracking": "1Z999AA1", "shop": "your shop"}
TLS = (("implicit", "TLS (port 993 / 465)"), ("starttls", "STARTTLS (143 / 587)"),
       ("none", "None (this machine only)"))


def _muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("Muted")
    label.setWordWrap(True)
    return label


def _tls_combo(value: str) -> QComboBox:
    combo = QComboBox()
    for key, label in TLS:
        combo.addItem(label, key)
    combo.setCurrentIndex(max(0, combo.findData(value)))
    return combo


class MailboxPage(QWidget):
    """This till's mailbox: servers, account, Save and Test, and what the engine says."""

    def __init__(self, link: EngineLink, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        lay = QVBoxLayout(self)
        lay.addWidget(_muted("The till that owns the shop's mailbox reads it and sends every "
                             "till's email replies. The password stays on this till, in a "
                             "file only you can read; it is never shared with other tills."))
        box = QGroupBox("Incoming mail (IMAP)")
        form = QFormLayout(box)
        self.imap_host = QLineEdit()
        self.imap_host.setPlaceholderText("imap.example.com")
        self.imap_port = QSpinBox()
        self.imap_port.setRange(0, 65535)
        self.imap_port.setSpecialValueText("default")
        self.imap_tls = _tls_combo("implicit")
        self.user = QLineEdit()
        self.user.setPlaceholderText("orders@yourshop.com")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("password or app password (unchanged if empty)")
        self.folder = QLineEdit("INBOX")
        self.processed = QLineEdit()
        self.processed.setPlaceholderText("empty: mark handled mail as read")
        for label, widget in (("Server", self.imap_host), ("Port", self.imap_port),
                              ("Security", self.imap_tls), ("User", self.user),
                              ("Password", self.password), ("Folder", self.folder),
                              ("Move handled mail to", self.processed)):
            form.addRow(label, widget)
        lay.addWidget(box)
        out = QGroupBox("Outgoing mail (SMTP)")
        out_form = QFormLayout(out)
        self.smtp_host = QLineEdit()
        self.smtp_host.setPlaceholderText("empty: the IMAP server")
        self.smtp_port = QSpinBox()
        self.smtp_port.setRange(0, 65535)
        self.smtp_port.setSpecialValueText("default")
        self.smtp_tls = _tls_combo("starttls")
        self.from_address = QLineEdit()
        self.from_address.setPlaceholderText("empty: the user name")
        for label, widget in (("Server", self.smtp_host), ("Port", self.smtp_port),
                              ("Security", self.smtp_tls), ("From", self.from_address)):
            out_form.addRow(label, widget)
        lay.addWidget(out)
        buttons = QHBoxLayout()
        self.status = _muted("")
        buttons.addWidget(self.status, 1)
        self.test_button = QPushButton("Test")
        self.test_button.clicked.connect(self.test)
        self.save_button = QPushButton("Save mailbox")
        self.save_button.setObjectName("Primary")
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.save_button)
        lay.addLayout(buttons)
        lay.addStretch(1)
        self.load()

    def load(self) -> None:
        call = self.link.send(ops.mailbox_status())
        call.sig_done.connect(self._show)
        call.sig_failed.connect(lambda message, _k: self.status.setText(
            "The engine is not running the mailbox here." if "needs the running" in message
            else message))

    def _show(self, status: Any) -> None:
        status = status or {}
        settings = status.get("settings") or {}
        if settings:
            self.imap_host.setText(str(settings.get("imap_host") or ""))
            self.imap_port.setValue(int(settings.get("imap_port") or 0))
            self.imap_tls.setCurrentIndex(max(0, self.imap_tls.findData(settings["imap_tls"])))
            self.user.setText(str(settings.get("user") or ""))
            self.folder.setText(str(settings.get("folder") or "INBOX"))
            self.processed.setText(str(settings.get("processed_folder") or ""))
            self.smtp_host.setText(str(settings.get("smtp_host") or ""))
            self.smtp_port.setValue(int(settings.get("smtp_port") or 0))
            self.smtp_tls.setCurrentIndex(max(0, self.smtp_tls.findData(settings["smtp_tls"])))
            self.from_address.setText(str(settings.get("from_address") or ""))
        imap = status.get("imap") or {}
        if not status.get("configured"):
            self.status.setText("No mailbox on this till yet.")
        else:
            state = imap.get("state") or "stopped"
            words = {"ok": "Connected", "connecting": "Connecting…",
                     "disconnected": "Not connected"}.get(state, state.capitalize())
            detail = imap.get("detail") or status.get("error") or ""
            self.status.setText(f"{words}. {imap.get('fetched', 0)} messages brought in since "
                                f"the engine started. {detail}".strip())

    def params(self) -> p.MailboxSet:
        return p.MailboxSet(
            imap_host=self.imap_host.text().strip(), imap_port=self.imap_port.value(),
            imap_tls=str(self.imap_tls.currentData()), user=self.user.text().strip(),
            password=self.password.text(), folder=self.folder.text().strip() or "INBOX",
            smtp_host=self.smtp_host.text().strip(), smtp_port=self.smtp_port.value(),
            smtp_tls=str(self.smtp_tls.currentData()),
            from_address=self.from_address.text().strip(),
            processed_folder=self.processed.text().strip())

    def save(self) -> None:
        self.status.setText("Saving…")
        call = self.link.send(ops.mailbox_set(self.params()))
        call.sig_done.connect(lambda result: (self.password.clear(), self._show(result)))
        call.sig_failed.connect(lambda message, _k: self.status.setText(message))

    def test(self) -> None:
        self.status.setText("Logging in to both servers…")
        call = self.link.send(ops.mailbox_test())

        def done(result: Any) -> None:
            result = result or {}
            if result.get("ok"):
                self.status.setText(f"Both servers answer. {result.get('unseen', 0)} unread "
                                    f"in {result.get('folder')}.")
            else:
                self.status.setText(" ".join(str(result.get(k) or "") for k in
                                             ("imap_error", "smtp_error")).strip())

        call.sig_done.connect(done)
        call.sig_failed.connect(lambda message, _k: self.status.setText(message))


def fill_example(text: str) -> str:
    return re.sub(r"\{([a-z_]+)\}", lambda m: EXAMPLE.get(m.group(1), m.group(0)), text)


class NotificationsPage(QWidget):
    """When customers are told, the words for each moment (with a preview), feedback."""

    def __init__(self, link: EngineLink, store: ReadStore,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.store = store
        self.templates: dict[str, dict[str, Any]] = {}
        lay = QVBoxLayout(self)
        top = QFormLayout()
        shop = store.shop(refresh=True)
        self.mode = QComboBox()
        for key, label in NOTIFY_MODES:
            self.mode.addItem(label, key)
        self.mode.setCurrentIndex(max(0, self.mode.findData(
            shop.get("setting.notify_mode") or "confirm")))
        self.mode.currentIndexChanged.connect(lambda _i: self._setting(
            "notify_mode", str(self.mode.currentData())))
        top.addRow("When an order moves", self.mode)
        self.feedback = QCheckBox("Ask for a rating after delivery or collection")
        self.feedback.setChecked(bool(shop.get("setting.feedback_request")))
        self.feedback.toggled.connect(lambda on: self._setting("feedback_request", on))
        top.addRow("Feedback", self.feedback)
        self.low = QSpinBox()
        self.low.setRange(1, 4)
        self.low.setValue(int(shop.get("setting.low_rating") or 2))
        self.low.valueChanged.connect(lambda v: self._setting("low_rating", v))
        top.addRow("Alert at a rating of", self.low)
        lay.addLayout(top)
        lay.addWidget(_muted("Customers who opted out (they texted STOP, or staff said so on "
                             "their card) are never sent these."))
        row = QHBoxLayout()
        self.names = QListWidget()
        self.names.setMaximumWidth(170)
        self.names.setMaximumHeight(170)
        for name, label in TEMPLATE_LABELS.items():
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.names.addItem(item)
        row.addWidget(self.names, 0, Qt.AlignmentFlag.AlignTop)
        editor = QVBoxLayout()
        self.enabled = QCheckBox("Send this one")
        self.subject = QLineEdit()
        self.subject.setPlaceholderText("Email subject")
        self.text = QPlainTextEdit()
        self.text.setFixedHeight(90)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setObjectName("Card")
        self.preview.setContentsMargins(10, 6, 10, 6)
        self.save_button = QPushButton("Save template")
        self.save_button.setObjectName("Primary")
        self.save_button.clicked.connect(self.save_template)
        self.status = _muted("")
        editor.addWidget(self.enabled)
        editor.addWidget(self.subject)
        editor.addWidget(self.text)
        editor.addWidget(_muted("Placeholders: {customer} {order} {total} {ready_at} "
                                "{carrier} {tracking} {shop}"))
        editor.addWidget(QLabel("Preview (an example order)"))
        editor.addWidget(self.preview)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.save_button)
        editor.addLayout(buttons)
        editor.addStretch(1)
        row.addLayout(editor, 1)
        lay.addLayout(row, 1)
        self.text.textChanged.connect(self._preview)
        self.subject.textChanged.connect(self._preview)
        self.names.currentRowChanged.connect(lambda _r: self._show_current())
        call = self.link.send(ops.templates())
        call.sig_done.connect(self._loaded)
        call.sig_failed.connect(lambda message, _k: self.status.setText(message))

    def _setting(self, key: str, value: Any) -> None:
        self.link.send(ops.set_shop_setting(key, value))

    def _loaded(self, rows: Any) -> None:
        self.templates = {str(r["name"]): dict(r) for r in rows or []}
        self.names.setCurrentRow(max(0, self.names.currentRow()))
        self._show_current()

    def current(self) -> str:
        item = self.names.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else "confirmed"

    def _show_current(self) -> None:
        tpl = self.templates.get(self.current())
        if not tpl:
            return
        self.enabled.setChecked(bool(tpl.get("enabled", True)))
        self.subject.setText(str(tpl.get("subject") or ""))
        self.text.setPlainText(str(tpl.get("text") or ""))
        self._preview()

    def _preview(self) -> None:
        subject = fill_example(self.subject.text())
        self.preview.setText(f"<b>{subject}</b><br>{fill_example(self.text.toPlainText())}")

    def save_template(self) -> None:
        name = self.current()
        call = self.link.send(ops.set_template(name, text=self.text.toPlainText(),
                                               subject=self.subject.text(),
                                               enabled=self.enabled.isChecked()))
        call.sig_done.connect(lambda row: (self.templates.__setitem__(name, dict(row)),
                                           self.status.setText("Saved.")))
        call.sig_failed.connect(lambda message, _k: self.status.setText(message))


class QuickRepliesPage(QWidget):
    """Saved answers: staff type "/" in a reply to insert one."""

    def __init__(self, link: EngineLink, store: ReadStore,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.store = store
        lay = QVBoxLayout(self)
        lay.addWidget(_muted("In a reply, type / and a few letters of the name (or press "
                             "Ctrl+/) and Enter: the answer goes in with the customer's "
                             "name and order filled in."))
        self.list = QListWidget()
        lay.addWidget(self.list, 1)
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText("hours")
        self.text = QPlainTextEdit()
        self.text.setFixedHeight(70)
        self.text.setPlaceholderText("Hi {customer}, we are open 11-23 every day.")
        form.addRow("Name", self.name)
        form.addRow("Text", self.text)
        lay.addLayout(form)
        buttons = QHBoxLayout()
        self.status = _muted("")
        buttons.addWidget(self.status, 1)
        archive = QPushButton("Remove selected")
        archive.clicked.connect(self.archive)
        add = QPushButton("Add quick reply")
        add.setObjectName("Primary")
        add.clicked.connect(self.add)
        buttons.addWidget(archive)
        buttons.addWidget(add)
        lay.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        self.list.clear()
        for reply in self.store.quick_replies():
            item = QListWidgetItem(f"/{reply['name']}   {reply['text']}")
            item.setData(Qt.ItemDataRole.UserRole, reply["id"])
            self.list.addItem(item)

    def add(self) -> None:
        call = self.link.send(ops.add_quick_reply(self.name.text(), self.text.toPlainText()))
        call.sig_done.connect(lambda _r: (self.name.clear(), self.text.clear(),
                                          self.status.setText("Added."), self.reload()))
        call.sig_failed.connect(lambda message, _k: self.status.setText(message))

    def archive(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        call = self.link.send(ops.archive_quick_reply(str(item.data(Qt.ItemDataRole.UserRole))))
        call.sig_done.connect(lambda _r: self.reload())
