"""Every order in one sortable table, loaded lazily so 300,000 orders scroll smoothly."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.ui.board_view import OrderFilterBar
from app.ui.order_actions import OrderActions
from app.ui.order_models import OrdersTableModel
from app.ui.pages import EVERYTHING, Refresh
from app.ui.pyside_compat import emit
from app.ui.read_store import ReadStore
from app.ui.theme import STATUS_LABELS
from app.ui.widgets import PageHeader, page_layout, plain_table
from sync.changes import Changes
from sync.lifecycle import OPEN_STATUSES

STATUS_CHIPS = [("", "All"), ("open", "Open"), ("new", "New"), ("ready", "Ready"),
                ("delivered", "Delivered"), ("cancelled", "Cancelled")]


class OrdersTable(QTableView):
    """Enter opens the order; Ctrl+Right moves it on."""

    sig_key = Signal(str)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            emit(self.sig_key, "open")
            return
        if event.key() == Qt.Key.Key_Right and \
                event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            emit(self.sig_key, "advance")
            return
        super().keyPressEvent(event)


class OrdersTableView(QWidget):
    """The orders table page."""

    sig_open_order = Signal(str)

    def __init__(self, store: ReadStore, actions: OrderActions,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actions = actions
        self.header = PageHeader("All orders", "")
        lay = page_layout(self, self.header)
        self.filters = OrderFilterBar(store)
        lay.addWidget(self.filters)
        chips = QHBoxLayout()
        chips.setContentsMargins(16, 0, 16, 8)
        chips.setSpacing(6)
        self.chips: list[QPushButton] = []
        for key, label in STATUS_CHIPS:
            chip = QPushButton(label)
            chip.setObjectName("Chip")
            chip.setCheckable(True)
            chip.setProperty("status_key", key)
            chip.clicked.connect(lambda _c=False, b=chip: self._chip(b))
            chips.addWidget(chip)
            self.chips.append(chip)
        self.chips[0].setChecked(True)
        chips.addStretch(1)
        lay.addLayout(chips)
        self.model = OrdersTableModel(store, self)
        self.table = OrdersTable()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(9, Qt.SortOrder.DescendingOrder)
        plain_table(self.table)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(34)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        hh = self.table.horizontalHeader()
        hh.setStretchLastSection(False)
        for col, width in enumerate((90, 130, 200, 90, 90, 90, 110, 100, 140, 110)):
            self.table.setColumnWidth(col, width)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._open_index)
        self.table.sig_key.connect(self._key)
        body = QVBoxLayout()
        body.setContentsMargins(16, 0, 16, 16)
        body.addWidget(self.table)
        lay.addLayout(body, 1)
        self._status_key = ""
        self.filters.sig_changed.connect(self.apply_filter)

    def _chip(self, button: QPushButton) -> None:
        for chip in self.chips:
            chip.setChecked(chip is button)
        self._status_key = str(button.property("status_key") or "")
        self.apply_filter()

    def apply_filter(self) -> None:
        f = self.filters.value()
        f.order_by = self.model.filter.order_by
        if self._status_key == "open":
            f.statuses = OPEN_STATUSES
        elif self._status_key == "delivered":
            f.statuses = ("delivered", "collected", "closed")
        elif self._status_key:
            f.statuses = (self._status_key,)
        self.model.set_filter(f)
        self._update_subtitle()

    def _update_subtitle(self) -> None:
        n = self.model.total
        what = STATUS_LABELS.get(self._status_key, "").lower() or (
            "open" if self._status_key == "open" else "")
        self.header.subtitle.setText(f"{n:,} {what + ' ' if what else ''}"
                                     f"order{'s' if n != 1 else ''} · click a column to sort")

    def needs_refresh(self, changes: Changes) -> Refresh | None:
        """Rows show orders and their customers' names."""
        if changes.touches("customers"):
            return EVERYTHING
        return Refresh.rows(changes.orders) if changes.touches("orders") else None

    def refresh(self, changed: set[str] | None = None) -> None:
        self.model.refresh(changed)
        self._update_subtitle()

    def reload(self) -> None:
        self.filters.reload_choices()
        self.model.reset()
        self._update_subtitle()

    def _open_index(self, index: QModelIndex) -> None:
        oid = self.model.id_at(index.row())
        if oid:
            emit(self.sig_open_order, oid)

    def _key(self, action: str) -> None:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        ids = [x for x in (self.model.id_at(r) for r in rows) if x]
        if action == "open" and self.table.currentIndex().isValid():
            self._open_index(self.table.currentIndex())
        elif action == "advance" and ids:
            self.actions.advance(ids)
