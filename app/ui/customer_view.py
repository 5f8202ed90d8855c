"""Customers: the card (contacts, notes, open orders, last messages), the customers page,
and the screen-pop that shows the card when the phone rings.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.ui.pages import EVERYTHING, Refresh
from app.ui.pyside_compat import emit
from app.ui.read_store import ReadStore, local_time_text
from app.ui.theme import CHANNEL_LABELS, STATUS_COLOURS, STATUS_LABELS, Theme
from app.ui.widgets import (
    Avatar,
    ElidedLabel,
    EmptyState,
    SearchField,
    bind_key,
    section_title,
)
from sync.changes import Changes

Index = QModelIndex | QPersistentModelIndex


class CustomerListModel(QAbstractListModel):
    """Customers matching a search (name, phone, email, notes), by name."""

    LIMIT = 500

    def __init__(self, store: ReadStore, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self.search = ""
        self._rows: list[dict[str, Any]] = []

    def reload(self, search: str | None = None) -> None:
        if search is not None:
            self.search = search
        self.beginResetModel()
        self._rows = self.store.customers(self.search, limit=self.LIMIT)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            contact = (row.get("phones") or row.get("emails") or [""])[0]
            return f"{row['name']}\n{contact}"
        if role == Qt.ItemDataRole.UserRole:
            return row["id"]
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.get("notes") or None
        return None

    def id_at(self, row: int) -> str | None:
        return str(self._rows[row]["id"]) if 0 <= row < len(self._rows) else None


class CustomerCard(QWidget):
    """Everything staff need about one customer on one screen."""

    sig_new_order = Signal(str)
    sig_open_order = Signal(str)
    #: staff asked to edit (customer id) or to merge (customer id, the other one or "")
    sig_edit = Signal(str)
    sig_merge = Signal(str, str)

    def __init__(self, store: ReadStore, parent: QWidget | None = None, *,
                 full: bool = False) -> None:
        super().__init__(parent)
        self.store = store
        self.full = full
        self.customer_id: str | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(10)
        head = QHBoxLayout()
        self.avatar = Avatar(52, font_pt=14, fallback="?")
        head.addWidget(self.avatar)
        names = QVBoxLayout()
        names.setSpacing(2)
        self.name = ElidedLabel()
        self.name.setObjectName("CallerName")
        self.phone = ElidedLabel()
        self.phone.setObjectName("CallerNumber")
        self.phone.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        names.addWidget(self.name)
        names.addWidget(self.phone)
        head.addLayout(names, 1)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip("Change the name, phones, emails, addresses, note")
        self.edit_button.clicked.connect(lambda: self.customer_id
                                         and emit(self.sig_edit, self.customer_id))
        self.merge_button = QPushButton("Merge…")
        self.merge_button.setToolTip("Fold another card for the same person into this one")
        self.merge_button.clicked.connect(lambda: self.customer_id
                                          and emit(self.sig_merge, self.customer_id, ""))
        for b in (self.edit_button, self.merge_button):
            b.setVisible(full)
            head.addWidget(b, 0, Qt.AlignmentFlag.AlignTop)
        self.new_order = QPushButton("New order  (N)")
        self.new_order.setObjectName("Primary")
        self.new_order.clicked.connect(self._new_order)
        head.addWidget(self.new_order, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(head)
        self.duplicate = QPushButton("")
        self.duplicate.setObjectName("Chip")
        self.duplicate.setStyleSheet("text-align: left; padding: 6px 10px; "
                                     "background: rgba(217, 54, 54, 0.10);")
        self.duplicate.clicked.connect(self._merge_duplicate)
        self.duplicate.hide()
        self._duplicate_of = ""
        lay.addWidget(self.duplicate)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("background: rgba(245, 158, 11, 0.14); border-radius: 8px; "
                                 "padding: 8px 10px;")
        lay.addWidget(self.notes)
        self.details = QLabel()
        self.details.setObjectName("Muted")
        self.details.setWordWrap(True)
        lay.addWidget(self.details)
        cols = QHBoxLayout()
        cols.setSpacing(12)
        orders_box = QVBoxLayout()
        self.orders_title = section_title("Orders" if full else "Open orders")
        orders_box.addWidget(self.orders_title)
        self.orders = QListWidget()
        self.orders.setObjectName("SideList")
        self.orders.itemActivated.connect(
            lambda item: item.data(Qt.ItemDataRole.UserRole)
            and emit(self.sig_open_order, str(item.data(Qt.ItemDataRole.UserRole))))
        orders_box.addWidget(self.orders, 1)
        msgs_box = QVBoxLayout()
        msgs_box.addWidget(section_title("Messages and calls" if full
                                         else "Last messages and calls"))
        self.messages = QListWidget()
        self.messages.setObjectName("SideList")
        self.messages.setWordWrap(True)
        msgs_box.addWidget(self.messages, 1)
        cols.addLayout(orders_box, 1)
        cols.addLayout(msgs_box, 1)
        lay.addLayout(cols, 1)

    def show_customer(self, customer_id: str | None, number: str = "",
                      caller_name: str = "") -> None:
        self.customer_id = customer_id
        card = self.store.customer(customer_id) if customer_id else None
        self.orders.clear()
        self.messages.clear()
        self.duplicate.hide()
        self.edit_button.setEnabled(card is not None)
        self.merge_button.setEnabled(card is not None)
        if card is None:
            self.name.setText(caller_name or "Unknown caller")
            self.phone.setText(number or "Number withheld")
            self.notes.setText("Not a customer yet: take the order and the number is kept "
                               "with it.")
            self.details.setText("")
            self.avatar.set_person(caller_name or "?", "#64748b")
            self.orders.addItem(_muted_item("No orders"))
            self.messages.addItem(_muted_item("No messages"))
            return
        self.name.setText(str(card.get("name") or ""))
        phones = card.get("phones") or []
        self.phone.setText(" · ".join(phones + (card.get("emails") or [])) or number)
        self.avatar.set_person(str(card.get("name") or "?"), "#2f6fed")
        self.notes.setText(str(card.get("notes") or ""))
        self.notes.setVisible(bool(card.get("notes")))
        bits = []
        if card.get("addresses"):
            bits.append(" / ".join(card["addresses"]))
        if card.get("tags"):
            bits.append(" ".join("#" + t for t in card["tags"]))
        n_orders = len(card.get("recent_orders") or [])
        if n_orders:
            spent = sum(int(o.get("total") or 0) for o in card.get("recent_orders") or []
                        if o.get("status") not in ("cancelled",))
            bits.append(f"{n_orders} recent orders · {self.store.money(spent)}")
        self.details.setText("   ".join(bits))
        if self.full:
            self._show_everything(card)
            return
        for order in card.get("open_orders") or []:
            status = str(order.get("status"))
            item = QListWidgetItem(
                f"{order.get('number')}  ·  {STATUS_LABELS.get(status, status)}  ·  "
                f"{self.store.money(order.get('total'))}")
            item.setData(Qt.ItemDataRole.UserRole, order.get("id"))
            item.setForeground(QColor(STATUS_COLOURS.get(status, "#888")))
            self.orders.addItem(item)
        if not card.get("open_orders"):
            last = (card.get("recent_orders") or [None])[0]
            self.orders.addItem(_muted_item(
                "No open orders" + (f" · last {last.get('number')} "
                                    f"{local_time_text(last.get('created_at'))}" if last else "")))
        entries = [("m", m) for m in card.get("messages") or []] + \
            [("c", c) for c in card.get("calls") or []]
        entries.sort(key=lambda e: str(e[1].get("received_at") or e[1].get("at") or ""),
                     reverse=True)
        for kind, entry in entries[:8]:
            if kind == "m":
                arrow = "→" if entry.get("direction") == "out" else "←"
                text = (f"{arrow} {CHANNEL_LABELS.get(str(entry.get('channel')), '')} "
                        f"{local_time_text(entry.get('received_at'))}: "
                        f"{str(entry.get('body') or '')[:90]}")
            else:
                text = f"☎ Call {local_time_text(entry.get('at'))}"
            self.messages.addItem(text)
        if not entries:
            self.messages.addItem(_muted_item("No messages"))

    def _show_everything(self, card: dict[str, Any]) -> None:
        """The customers page: every order (newest first) and the whole conversation,
        and a flag when another card shares a phone or an email."""
        cid = str(card["id"])
        orders = self.store.customer_orders(cid)
        self.orders_title.setText(f"Orders ({len(orders)})" if orders else "Orders")
        for order in orders:
            status = str(order.get("status"))
            item = QListWidgetItem(
                f"{order.get('number')}  ·  {STATUS_LABELS.get(status, status)}  ·  "
                f"{self.store.money(order.get('total'))}  ·  "
                f"{local_time_text(order.get('created_at'))}")
            item.setData(Qt.ItemDataRole.UserRole, order.get("id"))
            item.setForeground(QColor(STATUS_COLOURS.get(status, "#888")))
            self.orders.addItem(item)
        if not orders:
            self.orders.addItem(_muted_item("No orders yet"))
        entries = list(reversed(self.store.conversation(cid, None)))
        for entry in entries:
            if entry.get("kind") == "call":
                self.messages.addItem(f"☎ Call {local_time_text(entry.get('at'))}")
                continue
            arrow = "→" if entry.get("direction") == "out" else "←"
            self.messages.addItem(
                f"{arrow} {CHANNEL_LABELS.get(str(entry.get('channel')), '')} "
                f"{local_time_text(entry.get('received_at'))}: "
                f"{' '.join(str(entry.get('body') or '').split())[:140]}")
        if not entries:
            self.messages.addItem(_muted_item("No messages"))
        groups = self.store.customer_duplicates(cid)
        others = [(g, c) for g in groups for c in g["customers"] if c["id"] != cid]
        if others:
            group, other = others[0]
            self._duplicate_of = str(other["id"])
            more = f" (and {len(others) - 1} more)" if len(others) > 1 else ""
            self.duplicate.setText(f"⚠  {other['name'][:60]} has the same {group['kind']} "
                                   f"{group['contact']}{more}. Merge them…")
            self.duplicate.show()

    def _merge_duplicate(self) -> None:
        if self.customer_id:
            emit(self.sig_merge, self.customer_id, self._duplicate_of)

    def _new_order(self) -> None:
        emit(self.sig_new_order, self.customer_id or "")


def _muted_item(text: str) -> QListWidgetItem:
    item = QListWidgetItem(text)
    item.setFlags(Qt.ItemFlag.NoItemFlags)
    item.setForeground(QColor("#8a93a3"))
    return item


class CustomersView(QWidget):
    """The customers page: search on the left, the card on the right."""

    def __init__(self, store: ReadStore, actions: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actions = actions
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Horizontal)
        lay.addWidget(split)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(16, 16, 8, 16)
        title = QLabel("Customers")
        title.setObjectName("PageTitle")
        ll.addWidget(title)
        self.search = SearchField("Search name, phone, email, notes…  (Ctrl+F)")
        ll.addWidget(self.search)
        self.model = CustomerListModel(store, self)
        self.list = QListView()
        self.list.setObjectName("CustomerList")
        self.list.setModel(self.model)
        ll.addWidget(self.list, 1)
        split.addWidget(left)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(16, 16, 16, 16)
        self.stack = QStackedWidget()
        self.empty = EmptyState("Pick a customer to see their card.")
        self.card = CustomerCard(store, full=actions is not None)
        self.card.sig_edit.connect(self.edit_customer)
        self.card.sig_merge.connect(self.merge_customer)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.card)
        rl.addWidget(self.stack)
        split.addWidget(right)
        split.setSizes([320, 700])
        self.search.textChanged.connect(lambda text: self.model.reload(text.strip()))
        self.list.selectionModel().currentChanged.connect(self._current)

    def _current(self, current: QModelIndex, _prev: QModelIndex) -> None:
        cid = self.model.id_at(current.row()) if current.isValid() else None
        if cid:
            self.card.show_customer(cid)
            self.stack.setCurrentWidget(self.card)
        else:
            self.stack.setCurrentWidget(self.empty)

    def needs_refresh(self, changes: Changes) -> Refresh | None:
        """Customers, and the orders on their cards."""
        return EVERYTHING if changes.touches("customers", "orders") else None

    def refresh(self, changed: set[str] | None = None) -> None:
        self.reload()

    def reload(self) -> None:
        current = self.card.customer_id
        self.model.reload()
        if current:
            self.card.show_customer(current)

    def show_customer(self, customer_id: str) -> None:
        self.card.show_customer(customer_id)
        self.stack.setCurrentWidget(self.card)

    def edit_customer(self, customer_id: str) -> Any:
        from app.ui.customer_dialogs import CustomerEditDialog

        card = self.store.customer(customer_id)
        if card is None or self.actions is None:
            return None
        dialog = CustomerEditDialog(card, self.actions, self)
        dialog.open()
        self.dialog = dialog
        return dialog

    def merge_customer(self, keep: str, other: str = "") -> Any:
        from app.ui.customer_dialogs import MergeDialog

        if self.actions is None:
            return None
        dialog = MergeDialog(self.store, self.actions, keep, other, self)
        dialog.open()
        self.dialog = dialog
        return dialog


class ScreenPop(QDialog):
    """The caller's card, up front when the phone rings. N starts an order, Esc closes."""

    sig_new_order = Signal(str, str)  # customer id ("" if unknown), number

    def __init__(self, store: ReadStore, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Incoming call")
        self.setObjectName("ScreenPop")
        self.setModal(False)
        self.resize(640, 460)
        self.number = ""
        lay = QVBoxLayout(self)
        lay.setContentsMargins(20, 16, 20, 16)
        lay.setSpacing(10)
        ring = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(theme.icon("phone", theme.palette.success).pixmap(22, 22))
        self.heading = QLabel("Incoming call")
        self.heading.setStyleSheet(f"color: {theme.palette.success}; font-weight: 700;")
        self.when = QLabel("")
        self.when.setObjectName("Muted")
        ring.addWidget(icon)
        ring.addWidget(self.heading)
        ring.addStretch(1)
        ring.addWidget(self.when)
        lay.addLayout(ring)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setStyleSheet(f"color: {theme.palette.border};")
        lay.addWidget(line)
        self.card = CustomerCard(store)
        self.card.sig_new_order.connect(self._new_order)
        lay.addWidget(self.card, 1)
        hint = QLabel("N  new order for this caller   ·   Esc  close")
        hint.setObjectName("Muted")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(hint)
        self.shortcuts = [
            bind_key(self, "N", lambda: self._new_order(self.card.customer_id or "")),
            bind_key(self, "Ctrl+N", lambda: self._new_order(self.card.customer_id or ""))]

    def show_call(self, call: dict[str, Any], customer_id: str) -> None:
        self.number = str(call.get("number") or "")
        self.card.show_customer(customer_id or None, self.number, str(call.get("name") or ""))
        self.when.setText(local_time_text(call.get("at")) or "now")
        line = call.get("line")
        self.heading.setText("Incoming call" + (f" on line {line}" if line else ""))
        self.show()
        self.raise_()
        self.activateWindow()

    def _new_order(self, customer_id: str) -> None:
        emit(self.sig_new_order, customer_id, self.number)
        self.hide()
