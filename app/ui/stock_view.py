"""Stock: levels per product and location, low-stock and overbooking alerts, adjustments."""

from __future__ import annotations

import html
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.ui.order_actions import OrderActions
from app.ui.pages import EVERYTHING, Refresh
from app.ui.pyside_compat import emit
from app.ui.read_store import ReadStore, local_time_text
from app.ui.widgets import (
    EmptyState,
    PageHeader,
    SearchField,
    page_layout,
    plain_table,
    section_title,
)
from sync.changes import Changes
from sync.vocabulary import STOCK_REASONS

Index = QModelIndex | QPersistentModelIndex
REASONS = list(STOCK_REASONS)
#: a change bigger than this (or than twice what is on hand) asks "are you sure?"
LARGE_CHANGE = 50


class StockModel(QAbstractTableModel):
    """One row per product and location; overbooked first, then low, then by name."""

    COLUMNS = (("name", "Product"), ("sku", "SKU"), ("location", "Location"),
               ("on_hand", "On hand"), ("reserved", "Reserved"), ("available", "Available"),
               ("state", "State"))

    def __init__(self, store: ReadStore, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self.search = ""
        self._rows: list[dict[str, Any]] = []

    def reload(self) -> None:
        rows = self.store.stock()
        if self.search:
            s = self.search.lower()
            rows = [r for r in rows if s in str(r.get("name") or "").lower()
                    or s in str(r.get("sku") or "").lower()]
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section][1]
        return None

    def row(self, index: int) -> dict[str, Any] | None:
        return self._rows[index] if 0 <= index < len(self._rows) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        key = self.COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "state":
                if row.get("overbooked"):
                    return "Overbooked"
                if row.get("is_low"):
                    return "Low"
                return "OK"
            if key == "name":
                return str(row.get("name") or row.get("sku"))
            return str(row.get(key) if row.get(key) is not None else "")
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("on_hand", "reserved",
                                                                 "available"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and key in ("state", "available"):
            if row.get("overbooked"):
                return QBrush(QColor("#d93636"))
            if row.get("is_low"):
                return QBrush(QColor("#c27c0e"))
            if key == "state":
                return QBrush(QColor("#138a5e"))
        if role == Qt.ItemDataRole.FontRole and key in ("state", "available") and \
                (row.get("overbooked") or row.get("is_low")):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.UserRole:
            return row.get("sku")
        return None


class AlertsModel(QAbstractTableModel):
    """Open overbooking and low-stock alerts."""

    COLUMNS = ("Alert", "Raised", "Level")

    def __init__(self, store: ReadStore, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self._rows: list[dict[str, Any]] = []

    def reload(self) -> None:
        self.beginResetModel()
        self._rows = self.store.alerts(open_only=True)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section]
        return None

    def alert_at(self, row: int) -> dict[str, Any] | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                kind = {"overbooking": "Overbooked", "low_stock": "Low stock"}.get(
                    str(row.get("kind")), str(row.get("kind") or "Alert").capitalize())
                return f"{kind}: {row.get('name') or row.get('sku')} ({row.get('location')})"
            if index.column() == 1:
                return local_time_text(row.get("raised_at"))
            return str(row.get("level") or "")
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 0:
            return QBrush(QColor("#d93636"))
        if role == Qt.ItemDataRole.UserRole:
            return row.get("id")
        return None


class AdjustStockDialog(QDialog):
    """Add or remove stock with a reason staff choose (none is assumed for them: a default
    of "delivery received" once booked breakages as deliveries); a large change asks
    first. The reason and an optional note are kept with the move in the ledger."""

    def __init__(self, sku: str, name: str, location: str, parent: QWidget | None = None,
                 on_hand: str = "0") -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Adjust stock: {name}")
        self.sku = sku
        self.location = location
        self.on_hand = on_hand
        form = QFormLayout(self)
        title = QLabel(f"<b>{html.escape(name)}</b> <span style='color:gray'>"
                       f"{html.escape(sku)} · {html.escape(location)} · {on_hand} on hand"
                       "</span>")
        title.setWordWrap(True)
        form.addRow(title)
        self.delta = QLineEdit()
        self.delta.setPlaceholderText("+12 counted in, -2 spoiled")
        form.addRow("Change", self.delta)
        self.reason = QComboBox()
        self.reason.addItem("Choose a reason…", "")
        for reason in REASONS:
            self.reason.addItem(reason.capitalize(), reason)
        self.reason.setCurrentIndex(0)
        form.addRow("Reason", self.reason)
        self.note = QLineEdit()
        self.note.setPlaceholderText("optional: who, which delivery note, …")
        self.note.setMaxLength(200)
        form.addRow("Note", self.note)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #d93636;")
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, str]:
        reason = str(self.reason.currentData() or "")
        note = self.note.text().strip()
        if reason and note:
            reason = f"{reason}: {note}"
        return self.delta.text().strip().replace(",", "."), reason

    def check(self) -> str:
        delta, reason = self.values()
        try:
            number = Decimal(delta)
        except InvalidOperation:
            return "Type how much to add (12) or remove (-2)."
        if not number.is_finite():
            return "Type how much to add (12) or remove (-2)."
        if number == 0:
            return "A change of zero changes nothing."
        if abs(number) > 1_000_000:
            return "That is more than any shop counts in at once; check the number."
        if not reason:
            return "Choose why the stock changes."
        return ""

    def is_large(self) -> bool:
        try:
            number = abs(Decimal(self.values()[0]))
            held = abs(Decimal(self.on_hand or "0"))
        except InvalidOperation:
            return False
        return number > max(Decimal(LARGE_CHANGE), 2 * held)

    def confirm_large(self) -> bool:
        """Ask before a large change; tests replace this to answer for staff."""
        answer = QMessageBox.question(
            self, "A large change",
            f"Change the stock of {self.sku} by {self.values()[0]}? There are "
            f"{self.on_hand} on hand.")
        return answer == QMessageBox.StandardButton.Yes

    def _ok(self) -> None:
        problem = self.check()
        if problem:
            self.error.setText(problem)
            return
        if self.is_large() and not self.confirm_large():
            self.error.setText("Not changed: check the amount.")
            return
        self.accept()


class StockView(QWidget):
    """The stock page."""

    def __init__(self, store: ReadStore, actions: OrderActions,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actions = actions
        self.header = PageHeader("Stock", "")
        self.adjust_button = QPushButton("Adjust stock…")
        self.adjust_button.setObjectName("Primary")
        self.adjust_button.setToolTip("Change the level of the selected product (Ctrl+J)")
        self.adjust_button.clicked.connect(self.adjust_selected)
        self.header.add(self.adjust_button)
        lay = page_layout(self, self.header)
        body = QVBoxLayout()
        body.setContentsMargins(16, 4, 16, 16)
        body.setSpacing(10)
        self.alerts_title = section_title("Alerts")
        body.addWidget(self.alerts_title)
        alerts_row = QHBoxLayout()
        self.alerts_model = AlertsModel(store, self)
        self.alerts = QTableView()
        self.alerts.setModel(self.alerts_model)
        plain_table(self.alerts)
        self.alerts.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.alerts.setFixedHeight(130)
        alerts_row.addWidget(self.alerts, 1)
        self.resolve_button = QPushButton("Resolve")
        self.resolve_button.setToolTip("Mark the selected alert as dealt with")
        self.resolve_button.clicked.connect(self.resolve_selected)
        alerts_row.addWidget(self.resolve_button, 0, Qt.AlignmentFlag.AlignTop)
        body.addLayout(alerts_row)
        self.no_alerts = EmptyState("No open alerts.")
        self.no_alerts.setFixedHeight(40)
        body.addWidget(self.no_alerts)
        self.search = SearchField("Filter products…  (Ctrl+F)")
        body.addWidget(self.search)
        self.model = StockModel(store, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        plain_table(self.table)
        self.table.verticalHeader().setDefaultSectionSize(32)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col, width in ((1, 110), (2, 90), (3, 90), (4, 90), (5, 90), (6, 130)):
            self.table.setColumnWidth(col, width)
        self.table.doubleClicked.connect(lambda _i: self.adjust_selected())
        body.addWidget(self.table, 1)
        lay.addLayout(body, 1)
        self.search.textChanged.connect(self._search)

    def _search(self, text: str) -> None:
        self.model.search = text.strip()
        self.model.reload()

    def needs_refresh(self, changes: Changes) -> Refresh | None:
        """Levels, products and their alerts."""
        return EVERYTHING if changes.touches("stock", "products", "alerts") else None

    def refresh(self, changed: set[str] | None = None) -> None:
        self.reload()

    def reload(self) -> None:
        self.model.reload()
        self.alerts_model.reload()
        n_alerts = self.alerts_model.rowCount()
        self.alerts.setVisible(n_alerts > 0)
        self.resolve_button.setVisible(n_alerts > 0)
        self.no_alerts.setVisible(n_alerts == 0)
        self.alerts_title.setText(f"Alerts ({n_alerts})" if n_alerts else "Alerts")
        rows = [self.model.row(i) for i in range(self.model.rowCount())]
        low = sum(1 for r in rows if r and r.get("is_low") and not r.get("overbooked"))
        over = sum(1 for r in rows if r and r.get("overbooked"))
        self.header.subtitle.setText(f"{len(rows)} stocked products · {low} low · "
                                     f"{over} overbooked")
        self.no_alerts.setText(
            "No open alerts: nothing is overbooked." if not over else
            "No open alerts. Overbooking that staff already resolved stays marked in the "
            "list until stock comes in.")

    def adjust_selected(self) -> None:
        index = self.table.currentIndex()
        row = self.model.row(index.row()) if index.isValid() else None
        if row is None:
            emit(self.actions.sig_error, "Select a product in the list first.")
            return
        dialog = AdjustStockDialog(str(row["sku"]), str(row.get("name") or row["sku"]),
                                   str(row.get("location") or "main"), self,
                                   on_hand=str(row.get("on_hand") or "0"))
        self.dialog = dialog
        if dialog.exec() == QDialog.DialogCode.Accepted:
            delta, reason = dialog.values()
            self.actions.adjust_stock(dialog.sku, delta, reason, dialog.location)

    def resolve_selected(self) -> None:
        index = self.alerts.currentIndex()
        alert = self.alerts_model.alert_at(index.row()) if index.isValid() else \
            self.alerts_model.alert_at(0)
        if alert is not None:
            self.actions.resolve_alert(str(alert["id"]))
