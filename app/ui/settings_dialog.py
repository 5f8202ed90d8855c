"""Settings, first run (create or join a shop) and pairing another till.

The till settings form is generated from ``till_settings.SCHEMA``; shop-wide values come
from the shop document through the engine. Pairing uses the ``pair.join`` and
``pair.approve`` commands when the engine has them and says plainly when it does not.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
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
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.ui.engine_link import EngineLink
from app.ui.read_store import ReadStore
from app.ui.till_settings import SCHEMA, TillSettings

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


def _not_available(message: str) -> bool:
    return "unknown command" in message


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

    def args(self) -> dict[str, Any]:
        return {"name": self.name.text().strip(), "currency": self.currency.currentText(),
                "region": str(self.region.currentData()),
                "timezone": self.timezone.currentText().strip() or "UTC",
                "till_name": self.till_name.text().strip() or "Till 1"}

    def problem(self) -> str:
        return "" if self.name.text().strip() else "The shop needs a name."


class PairingDialog(QDialog):
    """Join a shop from a new till, or approve a new till from this one.

    Both screens show a short code derived from both certificates; staff compare them.
    """

    sig_joined = Signal()

    def __init__(self, link: EngineLink, mode: str = "join", parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.link = link
        self.mode = mode
        self.setWindowTitle("Join a shop" if mode == "join" else "Pair another till")
        self.resize(460, 260)
        lay = QVBoxLayout(self)
        lay.setSpacing(10)
        intro = QLabel(
            "On a till that already belongs to the shop, open Settings → Pair another till. "
            "Both screens show the same short code; check they match, then confirm."
            if mode == "join" else
            "Start “Join a shop” on the new till. When its request arrives, compare the "
            "code on both screens before approving.")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        self.address = QLineEdit()
        self.address.setPlaceholderText("Found automatically on this network, or host:port")
        if mode == "join":
            form.addRow("Existing till", self.address)
        lay.addLayout(form)
        self.code = QLabel("– – –")
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code.setStyleSheet("font-size: 22pt; font-weight: 700; letter-spacing: 4px;")
        lay.addWidget(self.code)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setObjectName("Muted")
        lay.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.start = QPushButton("Look for the shop" if mode == "join" else "Wait for a till")
        self.start.setObjectName("Primary")
        self.start.clicked.connect(self.begin)
        self.confirm = QPushButton("Codes match: confirm")
        self.confirm.setEnabled(False)
        self.confirm.clicked.connect(self.approve)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons.addWidget(close)
        buttons.addWidget(self.start)
        buttons.addWidget(self.confirm)
        lay.addLayout(buttons)
        self._request: dict[str, Any] = {}

    def begin(self) -> None:
        self.status.setText("Asking the engine…")
        self.start.setEnabled(False)
        cmd = "pair.join" if self.mode == "join" else "pair.approve"
        args: dict[str, Any] = {"address": self.address.text().strip()} \
            if self.mode == "join" else {"wait": True}
        call = self.link.run(cmd, args)
        call.sig_done.connect(self._started)
        call.sig_failed.connect(self._failed)

    def _started(self, result: Any) -> None:
        self._request = dict(result or {})
        code = self._request.get("code") or self._request.get("short_code")
        if code:
            self.code.setText(str(code))
            self.confirm.setEnabled(True)
            self.status.setText("Check that the other screen shows the same code.")
        else:
            self.status.setText("Waiting for the other till…")
        if self._request.get("joined"):
            self.sig_joined.emit()
            self.accept()

    def _failed(self, message: str, _kind: str) -> None:
        self.start.setEnabled(True)
        if _not_available(message):
            self.status.setText("Pairing is not available in this version of the engine yet. "
                                "Create a shop for now; tills can be paired once it is.")
            self.start.setEnabled(False)
        else:
            self.status.setText(message)

    def approve(self) -> None:
        args = dict(self._request, confirm=True)
        call = self.link.run("pair.approve" if self.mode != "join" else "pair.join", args)
        call.sig_done.connect(lambda r: self._started(dict(r or {}, joined=True)))
        call.sig_failed.connect(self._failed)


class FirstRunDialog(QDialog):
    """No shop on this till yet: create one, or join an existing shop."""

    sig_created = Signal(dict)

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
        jl.addWidget(QLabel("Pair this till with a till of your shop. You will compare a short "
                            "code on both screens."))
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
        call = self.link.run("shop.create", self.shop_form.args())
        call.sig_done.connect(self._created)
        call.sig_failed.connect(self._failed)

    def _created(self, result: Any) -> None:
        self.sig_created.emit(dict(result or {}))
        self.accept()

    def _failed(self, message: str, _kind: str) -> None:
        self.ok.setEnabled(True)
        self.error.setText(message[:1].upper() + message[1:])

    def _pair(self) -> None:
        dialog = PairingDialog(self.link, "join", self)
        dialog.sig_joined.connect(self.accept)
        dialog.exec()


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
        self.resize(620, 640)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(20, 16, 20, 16)
        lay.setSpacing(12)
        title = QLabel("Settings")
        title.setObjectName("PageTitle")
        lay.addWidget(title)
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
        pair.clicked.connect(lambda: PairingDialog(self.link, "approve", self).exec())
        shop_form.addRow("", pair)
        lay.addWidget(shop_box)
        lay.addStretch(1)
        note = _help("Ports and the till name take effect when the engine restarts.")
        lay.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for setting in SCHEMA:
            widget = self.fields[setting.name]
            if isinstance(widget, QCheckBox):
                out[setting.name] = widget.isChecked()
            elif isinstance(widget, QComboBox):
                out[setting.name] = str(widget.currentData())
            elif isinstance(widget, QLineEdit):
                out[setting.name] = widget.text().strip()
        return out

    def save(self) -> None:
        for name, value in self.values().items():
            self.settings.set(name, value)
        self.settings.save()
        self.sig_saved.emit()
        self.accept()


def _help(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("Muted")
    label.setWordWrap(True)
    label.setStyleSheet("font-size: 8.5pt;")
    return label
