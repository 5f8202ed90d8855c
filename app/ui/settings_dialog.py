"""Settings, first run (create or join a shop) and pairing another till.

The till settings form is generated from ``till_settings.SCHEMA``; shop-wide values come
from the shop document through the engine. Pairing uses the ``pair.join`` and
``pair.approve`` commands when the engine has them and says plainly when it does not.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QProcess, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import protocol as p
from app.protocol import ShopCreate
from app.till_settings import SCHEMA, TillSettings
from app.ui import operations as ops
from app.ui.engine_link import EngineLink
from app.ui.messaging_settings import MailboxPage, NotificationsPage, QuickRepliesPage
from app.ui.pyside_compat import emit
from app.ui.read_store import ReadStore
from app.ui.staff_dialogs import StaffSection

CURRENCIES = ["EUR", "GBP", "USD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "JPY", "AUD",
              "CAD"]
REGIONS = [("GB", "United Kingdom"), ("IE", "Ireland"), ("DE", "Germany"), ("FR", "France"),
           ("IT", "Italy"), ("ES", "Spain"), ("NL", "Netherlands"), ("BE", "Belgium"),
           ("AT", "Austria"), ("CH", "Switzerland"), ("US", "United States"),
           ("CA", "Canada"), ("AU", "Australia")]
TIMEZONES = ["Europe/London", "Europe/Dublin", "Europe/Berlin", "Europe/Paris", "Europe/Rome",
             "Europe/Madrid", "Europe/Amsterdam", "Europe/Brussels", "Europe/Vienna",
             "Europe/Zurich", "America/New_York", "America/Chicago", "America/Los_Angeles",
             "America/Toronto", "Australia/Sydney", "UTC"]


def _not_available(kind: str) -> bool:
    return kind == "CommandUnavailable"


class ShopForm(QWidget):
    """Name, currency, region, time zone and this till's name for a new shop."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setSpacing(8)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Luigi's Pizzeria")
        self.currency = QComboBox()
        self.currency.addItems(CURRENCIES)
        self.region = QComboBox()
        for code, label in REGIONS:
            self.region.addItem(f"{label} ({code})", code)
        self.timezone = QComboBox()
        self.timezone.setEditable(True)
        self.timezone.addItems(TIMEZONES)
        self.till_name = QLineEdit("Till 1")
        form.addRow("Shop name", self.name)
        form.addRow("Currency", self.currency)
        form.addRow("Phone region", self.region)
        form.addRow("Time zone", self.timezone)
        form.addRow("This till", self.till_name)
        # the currency follows the region (CLDR, ``sync.regions``) until staff pick one
        self._currency_chosen = False
        self.currency.activated.connect(lambda _i: setattr(self, "_currency_chosen", True))
        self.region.currentIndexChanged.connect(lambda _i: self._region_changed())
        self._region_changed()

    def _region_changed(self) -> None:
        if self._currency_chosen:
            return
        from sync.regions import currency_for_region

        code = currency_for_region(str(self.region.currentData() or "GB"))
        if self.currency.findText(code) < 0:
            self.currency.addItem(code)
        self.currency.setCurrentText(code)

    def params(self) -> ShopCreate:
        """The ``shop.create`` parameters for what was chosen."""
        return ShopCreate(name=self.name.text().strip(), currency=self.currency.currentText(),
                          region=str(self.region.currentData()),
                          timezone=self.timezone.currentText().strip() or "UTC",
                          till_name=self.till_name.text().strip() or "Till 1")

    def problem(self) -> str:
        return "" if self.name.text().strip() else "The shop needs a name."


class PairingDialog(QDialog):
    """Let a till that asked to join in (on a manager till).

    The new till shows a 6-digit code; this dialog lists the tills waiting
    (``pair.pending``, polled). Staff pick the one, type the code its screen shows and
    approve (``pair.approve``): the tills then prove to each other that they hold the
    same code (SPAKE2), so a machine in between cannot pass for either. Or decline it.
    """

    POLL_MS = 1500

    def __init__(self, link: EngineLink, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.setWindowTitle("Pair another till")
        self.resize(480, 340)
        lay = QVBoxLayout(self)
        lay.setSpacing(10)
        intro = QLabel("On the new till choose “Join a shop” and give it this till's address. "
                       "It shows a code: pick its request below, type that code here and "
                       "approve.")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        #: this till's address(es), from ``peers.status``: what the new till types
        self.address = QLabel("This till's address: asking the engine…")
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.address.setStyleSheet("font-size: 13pt; font-weight: 600; padding: 4px 0;")
        self.address.setWordWrap(True)
        lay.addWidget(self.address)
        self.requests = QListWidget()
        lay.addWidget(self.requests, 1)
        self.code = QLineEdit()
        self.code.setPlaceholderText("the code on the new till's screen, e.g. 123 456")
        self.code.setMaxLength(11)
        lay.addWidget(self.code)
        self.status = QLabel("Waiting for a till to ask…")
        self.status.setWordWrap(True)
        self.status.setObjectName("Muted")
        lay.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        self.decline = QPushButton("Decline")
        self.decline.clicked.connect(lambda: self._answer(approve=False))
        self.approve = QPushButton("Approve")
        self.approve.setObjectName("Primary")
        self.approve.clicked.connect(lambda: self._answer(approve=True))
        for b in (close, self.decline, self.approve):
            buttons.addWidget(b)
        lay.addLayout(buttons)
        self.requests.currentRowChanged.connect(lambda _r: self._update_buttons())
        self.code.textChanged.connect(lambda _t: self._update_buttons())
        self._timer = QTimer(self)
        self._timer.setInterval(self.POLL_MS)
        self._timer.timeout.connect(self.poll)
        self._timer.start()
        self.available = True
        self._update_buttons()
        self.poll()
        call = self.link.send(ops.peers_status())
        call.sig_done.connect(self._show_address)
        call.sig_failed.connect(lambda m, _k: self.address.setText(
            f"This till's address is not known: {m}"))

    def _show_address(self, status: Any) -> None:
        status = status or {}
        addresses = list(status.get("addresses") or [])
        if not addresses and status.get("listen_port"):
            addresses = [f"{status.get('listen_host') or '127.0.0.1'}:{status['listen_port']}"]
        if addresses:
            self.address.setText("This till's address: " + "   or   ".join(addresses))
        else:
            self.address.setText("This till is not listening for other tills yet; its "
                                 "address appears here once it does.")

    def poll(self) -> None:
        call = self.link.send(ops.pending_joins())
        call.sig_done.connect(self._pending)
        call.sig_failed.connect(self._failed)

    def _pending(self, result: Any) -> None:
        current = self._selected()
        self.requests.clear()
        for req in result or []:
            item = QListWidgetItem(f"{req.get('name') or 'New till'}   ·   {req.get('ref')}   ·   "
                                   f"{req.get('address') or ''}")
            item.setData(Qt.ItemDataRole.UserRole, req.get("till_id"))
            self.requests.addItem(item)
            if req.get("till_id") == current:
                self.requests.setCurrentItem(item)
        if self.requests.count() and self.requests.currentRow() < 0:
            self.requests.setCurrentRow(0)
        self.status.setText("Type the code the new till shows." if
                            self.requests.count() else "Waiting for a till to ask…")
        self._update_buttons()

    def _selected(self) -> str:
        item = self.requests.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    def _typed(self) -> str:
        return "".join(ch for ch in self.code.text() if ch.isdigit())

    def _update_buttons(self) -> None:
        has = bool(self._selected()) and self.available
        self.approve.setEnabled(has and len(self._typed()) == 6)
        self.decline.setEnabled(has)

    def _answer(self, *, approve: bool) -> None:
        till = self._selected()
        if not till:
            return
        call = self.link.send(ops.approve_join(self._typed(), till) if approve
                              else ops.decline_join(till))
        self.status.setText("Checking the code with the new till…" if approve else "")
        call.sig_done.connect(lambda r: self.status.setText(
            f"{(r or {}).get('name') or 'The till'} "
            f"{'is now a member of the shop' if approve else 'was declined'}."))
        call.sig_failed.connect(self._failed)
        call.sig_done.connect(lambda _r: self.poll())
        self.code.clear()

    def _failed(self, message: str, kind: str) -> None:
        if _not_available(kind):
            self.available = False
            self._timer.stop()
            self.status.setText("Pairing is not available in this version of the engine.")
        else:
            self.status.setText(message[:1].upper() + message[1:])
        self._update_buttons()


class JoinShopDialog(QDialog):
    """Join an existing shop from this (new) till: runs ``countertop join`` and shows the
    pairing code it prints, until a member till approves.

    The join runs without an engine on this data dir, so the caller stops the engine
    first (``before``) and starts it again afterwards (``after``, with success or not).
    """

    def __init__(self, data_dir: Path, *, before: Any = None, after: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.before = before
        self.after = after
        self.setWindowTitle("Join a shop")
        self.resize(480, 300)
        lay = QVBoxLayout(self)
        lay.setSpacing(10)
        intro = QLabel("Type the address of a till of your shop (its Settings show it). "
                       "This till then shows a code: type it on that till to let this one in.")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        self.address = QLineEdit()
        self.address.setPlaceholderText("e.g. 192.168.1.20:47321")
        self.name = QLineEdit("Till 2")
        form.addRow("Shop till", self.address)
        form.addRow("This till's name", self.name)
        lay.addLayout(form)
        self.code = QLabel("– – –")
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code.setStyleSheet("font-size: 22pt; font-weight: 700; letter-spacing: 3px;")
        lay.addWidget(self.code)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setObjectName("Muted")
        lay.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        close = QPushButton("Cancel")
        close.clicked.connect(self.reject)
        self.start = QPushButton("Ask to join")
        self.start.setObjectName("Primary")
        self.start.clicked.connect(self.begin)
        buttons.addWidget(close)
        buttons.addWidget(self.start)
        lay.addLayout(buttons)
        self.process: QProcess | None = None
        self.joined = False

    def begin(self) -> None:
        address = self.address.text().strip()
        if not address:
            self.status.setText("Type the address of a till of the shop.")
            return
        self.start.setEnabled(False)
        if self.before is not None:
            self.before()
        self.status.setText("Asking the shop's till…")
        proc = QProcess(self)
        proc.setProgram(sys.executable)
        proc.setArguments(["-m", "app.cli", "--data-dir", str(self.data_dir), "join", address,
                           "--name", self.name.text().strip() or "Till"])
        proc.setWorkingDirectory(str(Path(__file__).resolve().parents[2]))
        proc.readyReadStandardOutput.connect(self._output)
        proc.finished.connect(self._finished)
        self.process = proc
        proc.start()

    def _output(self) -> None:
        assert self.process is not None
        text = bytes(self.process.readAllStandardOutput().data()).decode(errors="replace")
        for line in text.splitlines():
            if line.startswith("Pairing code:"):
                self.code.setText(line.split(":", 1)[1].strip())
                self.status.setText("Type this code on the shop's till "
                                    "(Settings → Pair another till) and approve it there.")

    def _finished(self, code: int, _status: Any) -> None:
        assert self.process is not None
        err = bytes(self.process.readAllStandardError().data()).decode(errors="replace")
        self.joined = code == 0
        self.start.setEnabled(not self.joined)
        if self.joined:
            self.status.setText("Joined the shop.")
        else:
            self.status.setText(err.strip().removeprefix("countertop: ")
                                or f"Joining failed (exit {code}).")
        if self.after is not None:
            self.after(self.joined)
        if self.joined:
            self.accept()

    def reject(self) -> None:
        if self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.terminate()
            self.process.waitForFinished(3000)
        super().reject()


class FirstRunDialog(QDialog):
    """No shop on this till yet: create one, or join an existing shop."""

    sig_created = Signal(dict)
    #: staff chose to join an existing shop
    sig_join = Signal()

    def __init__(self, link: EngineLink, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.setWindowTitle("Welcome to Countertop")
        self.resize(520, 420)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 20)
        lay.setSpacing(12)
        title = QLabel("Set up this till")
        title.setObjectName("PageTitle")
        lay.addWidget(title)
        sub = QLabel("Create a new shop, or join the shop your other tills already use.")
        sub.setObjectName("Muted")
        sub.setWordWrap(True)
        lay.addWidget(sub)
        choice = QHBoxLayout()
        self.create_choice = QPushButton("Create a shop")
        self.join_choice = QPushButton("Join a shop")
        for b in (self.create_choice, self.join_choice):
            b.setCheckable(True)
            b.setObjectName("Chip")
            choice.addWidget(b)
        choice.addStretch(1)
        lay.addLayout(choice)
        self.stack = QStackedWidget()
        self.shop_form = ShopForm()
        self.stack.addWidget(self.shop_form)
        join = QWidget()
        jl = QVBoxLayout(join)
        jl.addWidget(QLabel("Pair this till with a till of your shop: this till shows a short "
                            "code, which you type on that till."))
        self.pair_button = QPushButton("Start pairing…")
        self.pair_button.clicked.connect(self._pair)
        jl.addWidget(self.pair_button, 0, Qt.AlignmentFlag.AlignLeft)
        jl.addStretch(1)
        self.stack.addWidget(join)
        lay.addWidget(self.stack, 1)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #d93636;")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton("Create shop", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("Primary")
        buttons.accepted.connect(self.create)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.create_choice.clicked.connect(lambda: self._choose(0))
        self.join_choice.clicked.connect(lambda: self._choose(1))
        self._choose(0)

    def _choose(self, page: int) -> None:
        self.stack.setCurrentIndex(page)
        self.create_choice.setChecked(page == 0)
        self.join_choice.setChecked(page == 1)
        self.ok.setVisible(page == 0)

    def create(self) -> None:
        problem = self.shop_form.problem()
        if problem:
            self.error.setText(problem)
            return
        self.ok.setEnabled(False)
        self.error.setText("")
        call = self.link.send(p.SHOP_CREATE.request(self.shop_form.params()))
        call.sig_done.connect(self._created)
        call.sig_failed.connect(self._failed)

    def _created(self, result: Any) -> None:
        emit(self.sig_created, dict(result or {}))
        self.accept()

    def _failed(self, message: str, _kind: str) -> None:
        self.ok.setEnabled(True)
        self.error.setText(message[:1].upper() + message[1:])

    def _pair(self) -> None:
        emit(self.sig_join)
        self.accept()


class LeaveDemoDialog(QDialog):
    """Leave the demo: the demo data is moved aside and a real shop is created."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Start using Countertop for real")
        lay = QVBoxLayout(self)
        text = QLabel("The demo shop is moved aside (not deleted) and a new, empty shop is "
                      "created with these details.")
        text.setWordWrap(True)
        lay.addWidget(text)
        self.shop_form = ShopForm()
        lay.addWidget(self.shop_form)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #d93636;")
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.addButton("Create my shop", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setObjectName("Primary")
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def _ok(self) -> None:
        problem = self.shop_form.problem()
        if problem:
            self.error.setText(problem)
            return
        self.accept()


class SettingsDialog(QDialog):
    """This till's settings (from the schema) and the shop's details."""

    sig_saved = Signal()

    def __init__(self, settings: TillSettings, store: ReadStore, link: EngineLink,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.store = store
        self.link = link
        self.setWindowTitle("Settings")
        self.resize(720, 760)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 16, 20, 16)
        outer.setSpacing(12)
        title = QLabel("Settings")
        title.setObjectName("PageTitle")
        outer.addWidget(title)
        self.tabs = QTabWidget()
        outer.addWidget(self.tabs, 1)
        general = QWidget()
        lay = QVBoxLayout(general)
        self.tabs.addTab(general, "General")
        till_box = QGroupBox("This till")
        form = QFormLayout(till_box)
        form.setSpacing(6)
        self.fields: dict[str, QWidget] = {}
        for setting in SCHEMA:
            widget: QWidget
            value = settings.get(setting.name)
            if setting.type is bool:
                box = QCheckBox(setting.help)
                box.setChecked(bool(value))
                widget = box
                form.addRow(setting.label, widget)
            elif setting.type is int:
                spin = QSpinBox()
                spin.setRange(1, 365)
                spin.setValue(int(value))
                widget = spin
                form.addRow(setting.label, widget)
                form.addRow("", _help(setting.help))
            elif setting.choices:
                combo = QComboBox()
                for key, label in setting.choices:
                    combo.addItem(label, key)
                combo.setCurrentIndex(max(0, combo.findData(value)))
                widget = combo
                form.addRow(setting.label, widget)
                form.addRow("", _help(setting.help))
            else:
                edit = QLineEdit(str(value))
                edit.setPlaceholderText(str(setting.default) or "not set")
                widget = edit
                form.addRow(setting.label, widget)
                form.addRow("", _help(setting.help))
            self.fields[setting.name] = widget
        lay.addWidget(till_box)
        shop_box = QGroupBox("Shop (shared by every till)")
        shop_form = QFormLayout(shop_box)
        shop = store.shop()
        for key, label in (("name", "Name"), ("currency", "Currency"), ("region", "Phone region"),
                           ("timezone", "Time zone")):
            shop_form.addRow(label, QLabel(str(shop.get(key) or "–")))
        tills = ", ".join(f"{t.get('name')} ({t.get('prefix')})" for t in store.tills()
                          if not t.get("removed"))
        shop_form.addRow("Tills", QLabel(tills or "–"))
        pair = QPushButton("Pair another till…")
        pair.clicked.connect(lambda: PairingDialog(self.link, self).exec())
        shop_form.addRow("", pair)
        lay.addWidget(shop_box)
        lay.addStretch(1)
        note = _help("Ports and the till name take effect when the engine restarts.")
        lay.addWidget(note)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #d93636;")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        staff_page = QWidget()
        staff_lay = QVBoxLayout(staff_page)
        staff_lay.addWidget(_help("Staff are shared by every till; who is signed in is this "
                                  "till's own (Ctrl+U)."))
        self.staff = StaffSection(self.link, store)
        staff_lay.addWidget(self.staff, 1)
        self.tabs.addTab(staff_page, "Staff")
        self.mailbox = MailboxPage(link)
        self.tabs.addTab(self.mailbox, "Mailbox")
        self.notifications = NotificationsPage(link, store)
        self.tabs.addTab(self.notifications, "Customer messages")
        self.quick_replies = QuickRepliesPage(link, store)
        self.tabs.addTab(self.quick_replies, "Quick replies")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        outer.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for setting in SCHEMA:
            widget = self.fields[setting.name]
            if isinstance(widget, QCheckBox):
                out[setting.name] = widget.isChecked()
            elif isinstance(widget, QSpinBox):
                out[setting.name] = int(widget.value())
            elif isinstance(widget, QComboBox):
                out[setting.name] = str(widget.currentData())
            elif isinstance(widget, QLineEdit):
                out[setting.name] = widget.text().strip()
        return out

    def save(self) -> None:
        from app.till_settings import problem

        values = self.values()
        for name, value in values.items():
            trouble = problem(name, value)
            if trouble:
                self.error.setText(trouble)
                self.fields[name].setFocus()
                return
        for name, value in values.items():
            self.settings.set(name, value)
        self.settings.save()
        emit(self.sig_saved)
        self.accept()


def _help(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("Muted")
    label.setWordWrap(True)
    label.setStyleSheet("font-size: 8.5pt;")
    return label
