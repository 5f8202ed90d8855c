"""Staff at the till: the quick switch (Ctrl+U) and the Staff section of Settings.

Both send staff commands (``operations``) and show the engine's refusals in plain words.
Adding or changing staff needs a manager once the shop has one: ``run_asking`` asks for
a manager's PIN on the spot when the engine says so.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui import operations as ops
from app.ui.money_dialogs import _error_label, _sentence, run_asking
from app.ui.pyside_compat import emit
from app.ui.read_store import ReadStore

ROLES = (("counter", "Counter"), ("manager", "Manager"))
MAX_NAME = 60


def _pin_field(placeholder: str) -> QLineEdit:
    pin = QLineEdit()
    pin.setEchoMode(QLineEdit.EchoMode.Password)
    pin.setPlaceholderText(placeholder)
    pin.setMaxLength(12)
    pin.setValidator(QRegularExpressionValidator(r"\d{0,12}", pin))
    return pin


def _staff_item(member: dict[str, Any]) -> QListWidgetItem:
    role = dict(ROLES).get(str(member.get("role")), str(member.get("role")))
    item = QListWidgetItem(f"{member.get('name')}   ·   {role}")
    item.setData(Qt.ItemDataRole.UserRole, member.get("name"))
    item.setToolTip(str(member.get("name")))
    return item


class StaffSwitcher(QDialog):
    """Who is working at this till: pick a name, type the PIN, Enter (Ctrl+U)."""

    #: the member now signed in (None: nobody)
    sig_signed = Signal(object)

    def __init__(self, link: Any, store: ReadStore, current: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.setWindowTitle("Who is at the till?")
        self.resize(380, 360)
        lay = QVBoxLayout(self)
        self.people = QListWidget()
        for member in store.staff():
            self.people.addItem(_staff_item(member))
            if member.get("name") == current:
                self.people.setCurrentRow(self.people.count() - 1)
        if self.people.currentRow() < 0 and self.people.count():
            self.people.setCurrentRow(0)
        lay.addWidget(self.people, 1)
        self.empty = QLabel("No staff yet: add them in Settings → Staff.")
        self.empty.setVisible(self.people.count() == 0)
        lay.addWidget(self.empty)
        self.pin = _pin_field("PIN, then Enter")
        lay.addWidget(self.pin)
        self.error = _error_label()
        lay.addWidget(self.error)
        buttons = QHBoxLayout()
        self.sign_out = QPushButton("Sign out")
        self.sign_out.setAutoDefault(False)
        self.sign_out.clicked.connect(self._sign_out)
        self.sign_in = QPushButton("Sign in")
        self.sign_in.setObjectName("Primary")
        self.sign_in.clicked.connect(self._sign_in)
        cancel = QPushButton("Cancel")
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons.addWidget(self.sign_out)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.sign_in)
        lay.addLayout(buttons)
        self.pin.returnPressed.connect(self._sign_in)
        self.pin.textChanged.connect(lambda _t: self.error.setText(""))
        self.people.itemActivated.connect(lambda _i: self.pin.setFocus())
        self.pin.setFocus()

    def _name(self) -> str:
        item = self.people.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    def _sign_in(self) -> None:
        name, pin = self._name(), self.pin.text().strip()
        if not name:
            self.error.setText("Pick who you are.")
            return
        if len(pin) < 4:
            self.error.setText("Type your PIN (4 to 12 digits).")
            return
        self.sign_in.setEnabled(False)
        call = self.link.send(ops.staff_sign_in(name, pin))
        call.sig_done.connect(self._signed)
        call.sig_failed.connect(self._failed)

    def _sign_out(self) -> None:
        call = self.link.send(ops.staff_sign_out())
        call.sig_done.connect(self._signed)
        call.sig_failed.connect(self._failed)

    def _signed(self, result: Any) -> None:
        emit(self.sig_signed, (result or {}).get("staff"))
        self.accept()

    def _failed(self, message: str, _kind: str) -> None:
        self.sign_in.setEnabled(True)
        self.pin.clear()
        self.error.setText(_sentence(message) + ".")


class AddStaffDialog(QDialog):
    """Name, role, and the PIN twice."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a staff member")
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.name.setMaxLength(MAX_NAME)
        self.name.setPlaceholderText("e.g. Ann")
        self.role = QComboBox()
        for key, label in ROLES:
            self.role.addItem(label, key)
        self.pin = _pin_field("4 to 12 digits")
        self.again = _pin_field("the same PIN again")
        form.addRow("Name", self.name)
        form.addRow("Role", self.role)
        form.addRow("PIN", self.pin)
        form.addRow("PIN again", self.again)
        self.error = _error_label()
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.name.setFocus()

    def problem(self) -> str:
        if not " ".join(self.name.text().split()):
            return "A staff member needs a name."
        if not 4 <= len(self.pin.text()) <= 12:
            return "A PIN has 4 to 12 digits."
        if self.pin.text() != self.again.text():
            return "The two PINs are not the same."
        return ""

    def _ok(self) -> None:
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            return
        self.accept()

    def request(self) -> Any:
        return ops.staff_add(" ".join(self.name.text().split()), str(self.role.currentData()),
                             self.pin.text())


class StaffSection(QWidget):
    """Settings → Staff: who works here, their roles, new PINs."""

    def __init__(self, link: Any, store: ReadStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.store = store
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setFixedHeight(110)
        lay.addWidget(self.list)
        row = QHBoxLayout()
        self.add = QPushButton("Add…")
        self.add.clicked.connect(self.add_member)
        self.role = QComboBox()
        for key, label in ROLES:
            self.role.addItem(f"Make {label.lower()}", key)
        self.set_role = QPushButton("Set role")
        self.set_role.clicked.connect(self.change_role)
        self.new_pin = _pin_field("new PIN")
        self.set_pin = QPushButton("Set PIN")
        self.set_pin.clicked.connect(self.change_pin)
        self.leave = QPushButton("No longer works here")
        self.leave.clicked.connect(self.deactivate)
        for w in (self.add, self.role, self.set_role, self.new_pin, self.set_pin, self.leave):
            if isinstance(w, QPushButton):
                w.setAutoDefault(False)
            row.addWidget(w)
        lay.addLayout(row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.reload()

    def reload(self) -> None:
        self.store.shop(refresh=True)
        self.list.clear()
        for member in self.store.staff():
            self.list.addItem(_staff_item(member))
        if not self.list.count():
            self.list.addItem("No staff yet. Add a manager first: refunds, price changes "
                              "and large discounts then need one.")

    def selected(self) -> str:
        item = self.list.currentItem()
        data = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return str(data) if data else ""

    def _send(self, request: Any, done_text: str) -> None:
        def done(_result: Any) -> None:
            self.status.setStyleSheet("")
            self.status.setText(done_text)
            self.new_pin.clear()
            self.reload()

        def failed(message: str) -> None:
            self.status.setStyleSheet("color: #d93636;")
            self.status.setText(message)

        run_asking(self.link, request, parent=self, done=done, failed=failed)

    def add_member(self) -> None:
        dialog = AddStaffDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self._send(dialog.request(), f"{dialog.name.text().strip()} added.")

    def _need_selection(self) -> str:
        name = self.selected()
        if not name:
            self.status.setText("Pick a staff member in the list first.")
        return name

    def change_role(self) -> None:
        name = self._need_selection()
        if name:
            self._send(ops.staff_update(name, role=str(self.role.currentData())),
                       f"{name} is now {self.role.currentText()[5:]}.")

    def change_pin(self) -> None:
        name = self._need_selection()
        if not name:
            return
        if not 4 <= len(self.new_pin.text()) <= 12:
            self.status.setText("A PIN has 4 to 12 digits.")
            return
        self._send(ops.staff_update(name, pin=self.new_pin.text()), f"{name} has a new PIN.")

    def deactivate(self) -> None:
        name = self._need_selection()
        if name:
            self._send(ops.staff_update(name, active=False), f"{name} no longer works here.")
