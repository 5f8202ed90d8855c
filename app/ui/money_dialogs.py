"""The order editor's money dialogs: return, refund, discount, exchange; and the two
questions the engine may ask back (confirm an unusual amount, a manager's PIN).

Each dialog builds one typed request (``operations``) from what staff chose and checks
what it can before sending (a quantity beyond what is left, a refund beyond what was
paid); the engine checks again and has the last word. ``run_asking`` sends a request
and, when the engine answers ``NeedsConfirmation`` or ``NeedsManager``, asks the person
at the till and sends it again with ``confirm`` or the manager's PIN. Everything works
from the keyboard: the first field has focus, Enter accepts, Escape cancels.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.protocol import Request
from app.ui import operations as ops
from app.ui.pyside_compat import emit
from app.ui.read_store import ReadStore
from sync import units
from sync.money import parse_money
from sync.vocabulary import PAYMENT_METHODS, SAME_WAY_REFUNDS

log = logging.getLogger("countertop.ui.money")

RETURN_REASONS = ["changed mind", "dropped", "wrong item", "damaged", "not as described",
                  "other"]
MAX_REASON = 200


def _error_label() -> QLabel:
    label = QLabel("")
    label.setWordWrap(True)
    label.setObjectName("Error")
    label.setStyleSheet("color: #d93636;")
    return label


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def live_lines(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's lines still on it, numbered as ``order show`` numbers them."""
    return [ln for ln in detail.get("lines") or [] if not ln.get("removed")]


# ---------------------------------------------------------------------- asking back


class ConfirmDialog(QDialog):
    """"Are you sure?" for an amount or quantity the engine found unusual."""

    def __init__(self, message: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Please check")
        lay = QVBoxLayout(self)
        text = QLabel(_sentence(message) + ".")
        text.setWordWrap(True)
        lay.addWidget(text)
        buttons = QDialogButtonBox()
        self.yes = buttons.addButton("Yes, go ahead", QDialogButtonBox.ButtonRole.AcceptRole)
        self.no = buttons.addButton("No, let me fix it", QDialogButtonBox.ButtonRole.RejectRole)
        self.no.setDefault(True)  # Enter on a slip must not confirm it
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)


class ManagerPinDialog(QDialog):
    """A manager types their PIN on the spot to let one action through."""

    #: the PIN typed
    sig_pin = Signal(str)

    def __init__(self, message: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Manager's PIN")
        lay = QVBoxLayout(self)
        self.message = QLabel(_sentence(message) + ".")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText("Manager's PIN")
        self.pin.setMaxLength(12)
        self.pin.setValidator(QRegularExpressionValidator(r"\d{0,12}", self.pin))
        lay.addWidget(self.pin)
        self.error = _error_label()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.pin.setFocus()

    def _ok(self) -> None:
        pin = self.pin.text().strip()
        if not (pin.isascii() and pin.isdigit()) or not 4 <= len(pin) <= 12:
            self.error.setText("A PIN has 4 to 12 digits.")
            return
        emit(self.sig_pin, pin)
        self.accept()


def run_asking(link: Any, request: Request[Any, Any], *, parent: QWidget,
               done: Callable[[Any], None], failed: Callable[[str], None]) -> None:
    """Send ``request``; answer the engine's questions (confirm, a manager's PIN) by
    asking, then send it again. ``failed`` gets any other refusal in plain words."""
    call = link.send(request)

    def refused(message: str, kind: str) -> None:
        if kind == "NeedsConfirmation" and not getattr(request.params, "confirm", True):
            ask = ConfirmDialog(message, parent)
            ask.accepted.connect(lambda: run_asking(link, ops.with_confirm(request),
                                                    parent=parent, done=done, failed=failed))
            ask.rejected.connect(lambda: failed("Not done: " + message))
            ask.open()
        elif kind == "NeedsManager" and hasattr(request.params, "manager_pin"):
            pin = ManagerPinDialog(message, parent)
            pin.sig_pin.connect(lambda code: run_asking(
                link, ops.with_manager_pin(request, code), parent=parent, done=done,
                failed=failed))
            pin.rejected.connect(lambda: failed("Not done: " + message))
            pin.open()
        else:
            failed(_sentence(message))

    call.sig_done.connect(done)
    call.sig_failed.connect(refused)


# ---------------------------------------------------------------------- return


class ReturnDialog(QDialog):
    """Which lines come back, how many, why, and whether they go back on the shelf."""

    def __init__(self, detail: dict[str, Any], store: ReadStore,
                 parent: QWidget | None = None, *, title: str = "Return items") -> None:
        super().__init__(parent)
        self.detail = detail
        self.store = store
        self.setWindowTitle(f"{title} — order {detail.get('number')}")
        self.resize(640, 420)
        lay = QVBoxLayout(self)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Item", "Sold", "Already back", "Return now"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().hide()
        self.spins: list[tuple[str, QDoubleSpinBox | QSpinBox, Decimal]] = []
        for line in live_lines(detail):
            sold = Decimal(str(line.get("qty") or "0"))
            back = Decimal(str(line.get("returned_qty") or "0"))
            left = sold - back
            row = self.table.rowCount()
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(str(line.get("description") or "")))
            self.table.setItem(row, 1, QTableWidgetItem(_qty(sold)))
            self.table.setItem(row, 2, QTableWidgetItem(_qty(back)))
            spin: QDoubleSpinBox | QSpinBox
            if units.unit(str(line.get("unit") or "each")).measured:
                spin = QDoubleSpinBox()
                spin.setDecimals(3)
                spin.setMaximum(float(left))
            else:
                spin = QSpinBox()
                spin.setMaximum(int(left))
            spin.setEnabled(left > 0)
            spin.valueChanged.connect(self._update)
            self.table.setCellWidget(row, 3, spin)
            self.spins.append((str(line["line_id"]), spin, left))
        lay.addWidget(self.table, 1)
        form = QFormLayout()
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.addItems(RETURN_REASONS)
        self.reason.setCurrentText("")
        self.reason.lineEdit().setMaxLength(MAX_REASON)
        self.reason.lineEdit().setPlaceholderText("Why did it come back?")
        self.reason.currentTextChanged.connect(self._update)
        form.addRow("Reason", self.reason)
        fate = QHBoxLayout()
        self.restock = QRadioButton("Back on the shelf")
        self.write_off = QRadioButton("Write off (needs a manager)")
        group = QButtonGroup(self)
        group.addButton(self.restock)
        group.addButton(self.write_off)
        self.restock.setChecked(True)
        fate.addWidget(self.restock)
        fate.addWidget(self.write_off)
        fate.addStretch(1)
        form.addRow("Goods", fate)
        lay.addLayout(form)
        self.summary = QLabel("")
        lay.addWidget(self.summary)
        self.error = _error_label()
        lay.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton("Record return", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("Primary")
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        if self.spins:
            first = next((s for _, s, left in self.spins if left > 0), self.spins[0][1])
            first.setFocus()
        self._update()

    def chosen(self) -> dict[str, str]:
        """line id -> quantity to return now (lines with none left out)."""
        return {lid: _qty(Decimal(str(spin.value()))) for lid, spin, _ in self.spins
                if spin.value() > 0}

    def _update(self, *_args: Any) -> None:
        if hasattr(self, "error"):
            self.error.setText("")
        back = 0
        amounts = {str(ln["line_id"]): ln for ln in live_lines(self.detail)}
        for lid, spin, _left in self.spins:
            line = amounts[lid]
            qty = Decimal(str(line.get("qty") or "1")) or Decimal(1)
            back += int(Decimal(int(line.get("amount") or 0)) * Decimal(str(spin.value())) / qty)
        self.summary.setText(f"Comes to about {self.store.money(back)} back" if back else
                             "Choose how many of each item come back.")

    def problem(self) -> str:
        if not self.chosen():
            return "Choose at least one item to return."
        if not self.reason.currentText().strip():
            return "Say why it came back."
        return ""

    def _ok(self) -> None:
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            return
        self.accept()

    def request(self) -> Request[Any, Any]:
        return ops.return_lines(str(self.detail["id"]), self.chosen(),
                                restock=self.restock.isChecked(),
                                reason=self.reason.currentText().strip())


def _qty(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value else "0"
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---------------------------------------------------------------------- refund


def paid_by_method(detail: dict[str, Any]) -> dict[str, int]:
    """method -> money taken less money given back on this order."""
    out: dict[str, int] = {}
    for pay in detail.get("payments") or []:
        sign = -1 if pay.get("kind") == "refund" else 1
        method = str(pay.get("method") or "other")
        out[method] = out.get(method, 0) + sign * int(pay.get("amount") or 0)
    return out


class RefundDialog(QDialog):
    """Money given back: how much and how, never more than was paid (by that method)."""

    def __init__(self, detail: dict[str, Any], store: ReadStore,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail = detail
        self.store = store
        self.setWindowTitle(f"Refund — order {detail.get('number')}")
        lay = QVBoxLayout(self)
        self.by_method = {m: v for m, v in paid_by_method(detail).items() if v > 0}
        paid = sum(self.by_method.values())
        taken = ", ".join(f"{store.money(v)} by {m}" for m, v in self.by_method.items())
        info = QLabel(f"Paid on this order: <b>{store.money(paid)}</b>"
                      + (f" ({taken})" if taken else ""))
        info.setTextFormat(Qt.TextFormat.RichText)
        info.setWordWrap(True)
        lay.addWidget(info)
        form = QFormLayout()
        self.amount = QLineEdit()
        self.amount.setMaxLength(24)
        owed_back = max(0, -int(detail.get("balance") or 0))
        suggestion = min(owed_back or paid, paid)
        self.amount.setText(store.money(suggestion) if suggestion else "")
        self.amount.selectAll()
        form.addRow("Amount", self.amount)
        self.method = QComboBox()
        methods = list(self.by_method) or ["cash"]
        for m in PAYMENT_METHODS:
            if m not in methods and m not in SAME_WAY_REFUNDS:
                methods.append(m)
        self.method.addItems([m for m in methods if m != "exchange"])
        form.addRow("Given back by", self.method)
        lay.addLayout(form)
        note = QLabel("A card or transfer refund goes back the way it was paid. "
                      "Refunds need a manager.")
        note.setObjectName("Muted")
        note.setWordWrap(True)
        lay.addWidget(note)
        self.error = _error_label()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.addButton("Refund", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setObjectName("Primary")
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.amount.setFocus()

    def minor(self) -> int:
        """The amount typed, in minor units (raises ``CommandRejected`` when unreadable)."""
        return parse_money(self.amount.text(), self.store.currency, self.store.locale)

    def problem(self) -> str:
        from sync.errors import CommandRejected

        text = self.amount.text().strip()
        if not text:
            return "Type the amount to give back."
        try:
            minor = self.minor()
        except CommandRejected as exc:
            return _sentence(str(exc)) + "."
        if minor <= 0:
            return "The amount must be more than zero."
        paid = sum(self.by_method.values())
        method = self.method.currentText()
        if minor > paid:
            return f"That is more than the {self.store.money(paid)} paid on this order."
        if method in SAME_WAY_REFUNDS and minor > self.by_method.get(method, 0):
            return (f"That is more than the {self.store.money(self.by_method.get(method, 0))} "
                    f"paid by {method}.")
        return ""

    def _ok(self) -> None:
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            return
        self.accept()

    def request(self) -> Request[Any, Any]:
        from sync.money import format_money

        return ops.pay(str(self.detail["id"]), format_money(self.minor(), self.store.currency),
                       self.method.currentText(), refund=True)


# ---------------------------------------------------------------------- discount


class DiscountDialog(QDialog):
    """A percentage or an amount off the whole order or one line."""

    def __init__(self, detail: dict[str, Any], store: ReadStore,
                 parent: QWidget | None = None, *, line_id: str | None = None) -> None:
        super().__init__(parent)
        self.detail = detail
        self.store = store
        self.setWindowTitle(f"Discount — order {detail.get('number')}")
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.target = QComboBox()
        self.target.addItem("The whole order", None)
        for line in live_lines(detail):
            self.target.addItem(f"{line.get('qty')} × {line.get('description')}",
                                str(line["line_id"]))
        if line_id is not None:
            self.target.setCurrentIndex(max(0, self.target.findData(line_id)))
        form.addRow("Off", self.target)
        kind = QHBoxLayout()
        self.percent = QRadioButton("Percentage")
        self.amount = QRadioButton("Amount")
        group = QButtonGroup(self)
        group.addButton(self.percent)
        group.addButton(self.amount)
        self.percent.setChecked(True)
        kind.addWidget(self.percent)
        kind.addWidget(self.amount)
        kind.addStretch(1)
        form.addRow("Kind", kind)
        self.value = QLineEdit()
        self.value.setMaxLength(24)
        self.value.setPlaceholderText("e.g. 10 (0 takes a discount away)")
        form.addRow("Value", self.value)
        lay.addLayout(form)
        note = QLabel("Discounts above the shop's limit need a manager.")
        note.setObjectName("Muted")
        lay.addWidget(note)
        self.error = _error_label()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.addButton("Give discount", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setObjectName("Primary")
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.value.setFocus()

    def problem(self) -> str:
        from sync.errors import CommandRejected

        text = self.value.text().strip().rstrip("%").strip()
        if not text:
            return "Type the discount."
        if self.percent.isChecked():
            try:
                pct = Decimal(text.replace(",", "."))
            except InvalidOperation:
                return f"{text} is not a percentage."
            if not pct.is_finite() or pct < 0 or pct > 100:
                return "A percentage is between 0 and 100."
            return ""
        try:
            minor = parse_money(text, self.store.currency, self.store.locale)
        except CommandRejected as exc:
            return _sentence(str(exc)) + "."
        return "A discount cannot be negative." if minor < 0 else ""

    def _ok(self) -> None:
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            return
        self.accept()

    def request(self) -> Request[Any, Any]:
        from sync.money import format_money

        text = self.value.text().strip().rstrip("%").strip()
        line = self.target.currentData()
        if self.percent.isChecked():
            return ops.discount(str(self.detail["id"]), percent=text.replace(",", "."),
                                line=line)
        minor = parse_money(text, self.store.currency, self.store.locale)
        return ops.discount(str(self.detail["id"]),
                            amount=format_money(minor, self.store.currency), line=line)


# ---------------------------------------------------------------------- exchange


class ExchangeDialog(ReturnDialog):
    """A return plus what goes out instead: a new order, paid with the credit."""

    def __init__(self, detail: dict[str, Any], store: ReadStore,
                 parent: QWidget | None = None) -> None:
        super().__init__(detail, store, parent, title="Exchange")
        self.ok.setText("Make exchange")
        self.products = store.products()
        box = QHBoxLayout()
        self.product = QComboBox()
        self.product.setEditable(True)
        for prod in self.products:
            self.product.addItem(f"{prod['name']}  ·  {store.money(prod.get('price'))}",
                                 prod["sku"])
        self.qty = QSpinBox()
        self.qty.setRange(1, 999)
        add = QPushButton("Add item")
        add.setAutoDefault(False)
        add.clicked.connect(self.add_item)
        box.addWidget(QLabel("In its place"))
        box.addWidget(self.product, 1)
        box.addWidget(self.qty)
        box.addWidget(add)
        self.given = QListWidget()
        self.given.setFixedHeight(80)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertLayout(layout.count() - 3, box)
        layout.insertWidget(layout.count() - 3, self.given)
        self.new_lines: list[str] = []

    def add_item(self) -> None:
        sku = self.product.currentData()
        if not sku:
            self.error.setText("Pick a product from the list.")
            return
        self.new_lines.append(f"{sku}:{self.qty.value()}")
        self.given.addItem(f"{self.qty.value()} × {self.product.currentText()}")
        self.error.setText("")

    def problem(self) -> str:
        return super().problem() or ("" if self.new_lines else
                                     "Add what the customer takes instead.")

    def request(self) -> Request[Any, Any]:
        return ops.exchange(str(self.detail["id"]), self.chosen(), list(self.new_lines),
                            reason=self.reason.currentText().strip(),
                            restock=self.restock.isChecked())
