"""The order editor: customer, lines, fulfilment, tags, payments, history, ticket.

It edits an ``OrderDraft`` in memory; Save sends ``order.add`` (new) or the minimal
update commands (existing) in order, stopping at the first refusal and showing the
engine's reason. Ctrl+Z undoes the last edit, closing with unsaved changes asks first.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QStringListModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QCloseEvent, QColor, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.protocol import CustomerAdd, CustomerRow, Request
from app.ui import money_dialogs
from app.ui import operations as ops
from app.ui.order_actions import OrderActions
from app.ui.order_draft import (
    DraftLine,
    OrderDraft,
    draft_from_order,
    draft_money,
    edit_commands,
    line_total,
    parse_price,
    to_order_add,
    validate,
)
from app.ui.pyside_compat import emit
from app.ui.read_store import ReadStore, local_time_text, parse_iso
from app.ui.theme import CHANNEL_LABELS, STATUS_COLOURS, STATUS_LABELS
from app.ui.widgets import bind_key
from sync.errors import CommandRejected
from sync.money import format_money
from sync.order_history import history_text
from sync.order_totals import OrderMoney
from sync.vocabulary import PAYMENT_METHODS

log = logging.getLogger("countertop.ui.editor")

Index = QModelIndex | QPersistentModelIndex
PAY_METHODS = list(PAYMENT_METHODS)


class LinesModel(QAbstractTableModel):
    """The live lines of a draft: item, qty, price, options and notes, total."""

    COLUMNS = ("Item", "Qty", "Price", "Options / notes", "Total")
    #: emitted before an edit changes the draft (so the editor can keep an undo step)
    sig_about_to_edit = Signal()
    sig_edited = Signal()

    def __init__(self, store: ReadStore, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self.draft = OrderDraft()
        self.prices: dict[str, int] = {}
        self.error: str = ""
        #: the draft's figures (``draft_money``), set by the editor after each edit
        self.money: OrderMoney | None = None

    def _key(self, line: DraftLine) -> str:
        """The line's key in ``money`` (as ``draft_money`` names it)."""
        return line.line_id or f"new{self.draft.lines.index(line)}"

    def set_draft(self, draft: OrderDraft, prices: dict[str, int]) -> None:
        self.beginResetModel()
        self.draft = draft
        self.prices = prices
        self.endResetModel()

    def _live(self) -> list[DraftLine]:
        return self.draft.live_lines()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._live())

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        line = self._live()[index.row()]
        if index.column() in (1, 2, 3) or (index.column() == 0 and not line.sku):
            base |= Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._live()):
            return None
        line = self._live()[index.row()]
        col = index.column()
        price = line.unit_price if line.unit_price is not None else self.prices.get(line.sku or "")
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == 0:
                if role == Qt.ItemDataRole.EditRole:
                    return line.description
                name = line.description or line.sku or ""
                return name if not line.sku or line.sku in name else f"{name}"
            if col == 1:
                back = line.returned_qty not in ("", "0")
                if role == Qt.ItemDataRole.DisplayRole and back:
                    return f"{line.qty}  ({line.returned_qty} back)"
                return line.qty
            if col == 2:
                if price is None:
                    return "" if role == Qt.ItemDataRole.EditRole else "price?"
                return self.store.money(price) if role == Qt.ItemDataRole.DisplayRole else \
                    format_money(price, self.store.currency)
            if col == 3:
                mods = ", ".join(line.modifiers)
                if role == Qt.ItemDataRole.EditRole:
                    return line.notes
                off = self._discount_text(line)
                return " · ".join(x for x in (mods, line.notes, off) if x)
            if col == 4:
                m = self.money.lines.get(self._key(line)) if self.money else None
                if m is None:
                    return self.store.money(line_total(line, self.prices))
                return self.store.money(m.subtotal - m.discount)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (1, 2, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 0 and line.sku and line.sku not in self.prices:
                return QColor("#d93636")
            if col == 2 and price is None:
                return QColor("#d93636")
            if col == 3:
                return QColor("#6b7585")
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            return f"SKU {line.sku}" if line.sku else "Free-text item"
        return None

    def _discount_text(self, line: DraftLine) -> str:
        d = line.discount or {}
        if d.get("kind") == "percent":
            return f"−{d.get('value')}%"
        if d.get("kind") == "amount":
            return f"−{self.store.money(int(d.get('value') or 0))}"
        return ""

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        line = self._live()[index.row()]
        text = str(value).strip()
        self.error = ""
        if index.column() == 1:
            if text == line.qty:
                return False
            emit(self.sig_about_to_edit)
            line.qty = text
        elif index.column() == 2:
            try:
                price = parse_price(text, self.store.currency, self.store.locale)
            except CommandRejected as exc:
                self.error = str(exc)
                emit(self.sig_edited)
                return False
            if price == line.unit_price:
                return False
            emit(self.sig_about_to_edit)
            line.unit_price = price
        elif index.column() == 3:
            if text == line.notes:
                return False
            emit(self.sig_about_to_edit)
            line.notes = text
        elif index.column() == 0 and not line.sku:
            if text == line.description:
                return False
            emit(self.sig_about_to_edit)
            line.description = text
        else:
            return False
        emit(self.dataChanged, self.index(index.row(), 0), self.index(index.row(), 4))
        emit(self.sig_edited)
        return True

    def remove_row(self, row: int) -> None:
        live = self._live()
        if not 0 <= row < len(live):
            return
        emit(self.sig_about_to_edit)
        self.beginRemoveRows(QModelIndex(), row, row)
        line = live[row]
        if line.line_id:
            line.removed = True
        else:
            self.draft.lines.remove(line)
        self.endRemoveRows()
        emit(self.sig_edited)

    def add_line(self, line: DraftLine) -> int:
        emit(self.sig_about_to_edit)
        # one more of a product already on the order adds to its quantity
        for row, existing in enumerate(self._live()):
            if line.sku and existing.sku == line.sku and not existing.line_id \
                    and existing.modifiers == line.modifiers and not existing.notes:
                qty = existing.quantity()
                if qty is not None:
                    existing.qty = str(qty + (line.quantity() or 1)).rstrip("0").rstrip(".") \
                        if "." in str(qty) else str(int(qty) + int(line.quantity() or 1))
                    emit(self.dataChanged, self.index(row, 0), self.index(row, 4))
                    emit(self.sig_edited)
                    return row
        # drop the empty placeholder line a message draft starts with
        empties = [ln for ln in self._live() if not ln.sku and not ln.description
                   and ln.unit_price is None and not ln.line_id]
        if empties:
            self.beginResetModel()
            for ln in empties:
                self.draft.lines.remove(ln)
            self.draft.lines.append(line)
            self.endResetModel()
        else:
            row = len(self._live())
            self.beginInsertRows(QModelIndex(), row, row)
            self.draft.lines.append(line)
            self.endInsertRows()
        emit(self.sig_edited)
        return len(self._live()) - 1


class ProductPicker(QLineEdit):
    """Type a SKU, a name or an alias; Enter adds the best match as a line."""

    sig_picked = Signal(dict)

    def __init__(self, store: ReadStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setPlaceholderText("Add item: type a SKU, name or alias and press Enter  (Ctrl+L)")
        self.setClearButtonEnabled(True)
        self._products: list[dict[str, Any]] = []
        self._just_picked = False
        self._labels = QStringListModel(self)
        self.completer_ = QCompleter(self._labels, self)
        self.completer_.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer_.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer_.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(self.completer_)
        self.completer_.activated[str].connect(self._activated)  # type: ignore[index]
        self.returnPressed.connect(self._enter)
        self.textEdited.connect(lambda _t: self._reset())

    def event(self, e: QEvent) -> bool:
        # Ctrl+Z in an empty search field undoes the last order edit, not the typing
        if e.type() == QEvent.Type.ShortcutOverride and isinstance(e, QKeyEvent) and \
                e.matches(QKeySequence.StandardKey.Undo) and not self.text():
            e.ignore()
            return True
        return super().event(e)

    def reload(self) -> None:
        self._products = self.store.products()
        self._labels.setStringList([self.label(p) for p in self._products])

    def label(self, p: dict[str, Any]) -> str:
        aliases = ", ".join(p.get("aliases") or [])
        return (f"{p['name']}  ·  {p['sku']}  ·  {self.store.money(p.get('price'))}"
                + (f"  ({aliases})" if aliases else ""))

    def find(self, text: str) -> dict[str, Any] | None:
        text = text.strip().lower()
        if not text:
            return None
        for p in self._products:
            if self.label(p).lower() == text:
                return p
        for key in ("sku", "name"):
            for p in self._products:
                if str(p.get(key) or "").lower() == text:
                    return p
        for p in self._products:
            if text in [a.lower() for a in p.get("aliases") or []]:
                return p
        hits = [p for p in self._products if text in self.label(p).lower()]
        return hits[0] if len(hits) == 1 else None

    def _activated(self, text: str) -> None:
        product = self.find(text)
        if product is not None and not self._just_picked:
            self._pick(product)

    def _enter(self) -> None:
        product = self.find(self.text())
        if product is not None and not self._just_picked:
            self._pick(product)

    def _pick(self, product: dict[str, Any]) -> None:
        # Enter on a highlighted completion fires both activated and returnPressed
        self._just_picked = True
        self.completer_.popup().hide()
        self.clear()
        emit(self.sig_picked, product)
        QTimer.singleShot(0, self, self._reset)

    def _reset(self) -> None:
        self._just_picked = False


class CustomerPicker(QLineEdit):
    """Search customers by name, phone or email; picks one on Enter or click."""

    sig_picked = Signal(dict)

    def __init__(self, store: ReadStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setPlaceholderText("Find customer: name, phone or email")
        self.setClearButtonEnabled(True)
        self._found: list[dict[str, Any]] = []
        self._labels = QStringListModel(self)
        self.completer_ = QCompleter(self._labels, self)
        self.completer_.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer_.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCompleter(self.completer_)
        self.completer_.activated[str].connect(self._activated)  # type: ignore[index]
        self.textEdited.connect(self._search)
        self.returnPressed.connect(lambda: self._activated(self.text()))

    @staticmethod
    def label(c: dict[str, Any]) -> str:
        contact = ", ".join((c.get("phones") or []) + (c.get("emails") or []))
        return f"{c['name']}  ·  {contact}" if contact else str(c["name"])

    def _search(self, text: str) -> None:
        if len(text.strip()) < 2:
            return
        query = text.strip()
        if query.startswith(("+", "0")):
            query = query.lstrip("+0")
        self._found = self.store.customers(query, limit=20)
        self._labels.setStringList([self.label(c) for c in self._found])

    def _activated(self, text: str) -> None:
        for c in self._found:
            if self.label(c) == text or c["name"].lower() == text.strip().lower():
                emit(self.sig_picked, c)
                return
        if len(self._found) == 1:
            emit(self.sig_picked, self._found[0])


class NewCustomerDialog(QDialog):
    """Name and phone (and optionally email, address) for a new customer."""

    def __init__(self, name: str = "", phone: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New customer")
        form = QFormLayout(self)
        self.name = QLineEdit(name)
        self.phone = QLineEdit(phone)
        self.email = QLineEdit()
        self.address = QLineEdit()
        self.notes = QLineEdit()
        form.addRow("Name", self.name)
        form.addRow("Phone", self.phone)
        form.addRow("Email", self.email)
        form.addRow("Address", self.address)
        form.addRow("Notes", self.notes)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #d93636;")
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _ok(self) -> None:
        if not self.name.text().strip():
            self.error.setText("A customer needs a name.")
            return
        self.accept()

    def request(self) -> Request[CustomerAdd, CustomerRow]:
        """The ``customer.add`` request for what was typed."""
        def one(text: str) -> list[str]:
            return [text.strip()] if text.strip() else []

        return ops.add_customer(self.name.text().strip(), phones=one(self.phone.text()),
                                emails=one(self.email.text()),
                                addresses=one(self.address.text()),
                                notes=self.notes.text().strip())


class LinesTable(QTableView):
    """Delete removes the selected line."""

    sig_delete = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Delete and self.state() != \
                QAbstractItemView.State.EditingState:
            emit(self.sig_delete)
            return
        super().keyPressEvent(event)


class OrderEditor(QDialog):
    """Create or edit one order."""

    #: the order id after a successful save
    sig_saved = Signal(str)

    def __init__(self, store: ReadStore, actions: OrderActions, draft: OrderDraft,
                 *, print_ticket: Callable[[str], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actions = actions
        self.print_ticket = print_ticket
        self.saved = draft.copy()  # what the engine has (for a new order: the start)
        self.draft = draft
        self._undo: list[OrderDraft] = []
        self._loading = False
        self._saving = False
        self._force_close = False
        self.products = {p["sku"]: p for p in store.products()}
        self.prices = {sku: int(p.get("price") or 0) for sku, p in self.products.items()}
        self.setWindowTitle(self._title())
        self.resize(1060, 700)
        self.setModal(False)
        self._build()
        self._load_into_widgets()
        self._commit_timer = QTimer(self)
        self._commit_timer.setSingleShot(True)
        self._commit_timer.setInterval(350)
        self._commit_timer.timeout.connect(self._commit_widgets)
        self._update_state()

    # ------------------------------------------------------------------ layout

    def _title(self) -> str:
        if self.draft.order_id:
            return f"Order {self.draft.number}"
        return "New order"

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(18, 14, 18, 14)
        root.setSpacing(10)
        head = QHBoxLayout()
        self.title = QLabel(self._title())
        self.title.setObjectName("PageTitle")
        head.addWidget(self.title)
        self.status_chip = QLabel()
        head.addWidget(self.status_chip)
        self.channel = QComboBox()
        for key, label in CHANNEL_LABELS.items():
            self.channel.addItem(label, key)
        self.channel.setToolTip("Where the order came from")
        head.addStretch(1)
        head.addWidget(QLabel("Channel"))
        head.addWidget(self.channel)
        root.addLayout(head)

        body = QHBoxLayout()
        body.setSpacing(16)
        root.addLayout(body, 1)

        left = QVBoxLayout()
        left.setSpacing(8)
        body.addLayout(left, 3)
        cust_row = QHBoxLayout()
        self.customer_picker = CustomerPicker(self.store)
        self.customer_picker.sig_picked.connect(self._customer_picked)
        self.new_customer = QPushButton("New customer…")
        self.new_customer.clicked.connect(self._create_customer)
        cust_row.addWidget(self.customer_picker, 1)
        cust_row.addWidget(self.new_customer)
        left.addLayout(cust_row)
        self.customer_label = QLabel()
        self.customer_label.setObjectName("SectionTitle")
        self.customer_label.setTextFormat(Qt.TextFormat.RichText)
        # a long name wraps inside the editor instead of widening it (issue 11)
        self.customer_label.setWordWrap(True)
        self.customer_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                          QSizePolicy.Policy.Preferred)
        left.addWidget(self.customer_label)

        self.picker = ProductPicker(self.store)
        self.picker.reload()
        self.picker.sig_picked.connect(self._product_picked)
        left.addWidget(self.picker)
        self.lines_model = LinesModel(self.store, self)
        self.lines_model.sig_about_to_edit.connect(self._push_undo)
        self.lines_model.sig_edited.connect(self._lines_edited)
        self.lines = LinesTable()
        self.lines.setModel(self.lines_model)
        self.lines.verticalHeader().hide()
        self.lines.verticalHeader().setDefaultSectionSize(32)
        self.lines.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.lines.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.lines.setShowGrid(False)
        self.lines.setAlternatingRowColors(True)
        hh = self.lines.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        hh.setHighlightSections(False)
        for col, width in ((1, 60), (2, 90), (3, 200), (4, 90)):
            self.lines.setColumnWidth(col, width)
        self.lines.sig_delete.connect(self._remove_selected)
        left.addWidget(self.lines, 1)
        line_buttons = QHBoxLayout()
        self.free_line = QPushButton("Free-text item")
        self.free_line.setToolTip("An item that is not in the catalog, with its own price")
        self.free_line.clicked.connect(self._add_free_line)
        self.remove_line = QPushButton("Remove item")
        self.remove_line.clicked.connect(self._remove_selected)
        line_buttons.addWidget(self.free_line)
        line_buttons.addWidget(self.remove_line)
        line_buttons.addStretch(1)
        self.total_label = QLabel()
        self.total_label.setObjectName("SectionTitle")
        line_buttons.addWidget(self.total_label)
        left.addLayout(line_buttons)

        self.tabs = QTabWidget()
        body.addWidget(self.tabs, 2)
        details = QWidget()
        form = QFormLayout(details)
        form.setContentsMargins(12, 12, 12, 12)
        form.setSpacing(8)
        fulfil_row = QHBoxLayout()
        self.pickup = QRadioButton("Pickup")
        self.delivery = QRadioButton("Delivery")
        self._fulfil_group = QButtonGroup(self)
        self._fulfil_group.addButton(self.pickup)
        self._fulfil_group.addButton(self.delivery)
        fulfil_row.addWidget(self.pickup)
        fulfil_row.addWidget(self.delivery)
        fulfil_row.addStretch(1)
        form.addRow("Fulfilment", fulfil_row)
        self.address = QLineEdit()
        self.address.setPlaceholderText("Delivery address")
        form.addRow("Address", self.address)
        due_row = QHBoxLayout()
        self.has_due = QCheckBox()
        self.due = QDateTimeEdit()
        self.due.setDisplayFormat("ddd d MMM  HH:mm")
        self.due.setCalendarPopup(True)
        due_row.addWidget(self.has_due)
        due_row.addWidget(self.due, 1)
        form.addRow("Wanted at", due_row)
        self.assignee = QComboBox()
        self.assignee.setEditable(True)
        self.assignee.addItems(["", *self.store.assignees()])
        form.addRow("Assignee", self.assignee)
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("e.g. vip, allergy")
        form.addRow("Tags", self.tags)
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("Notes for the kitchen or the driver")
        self.notes.setFixedHeight(70)
        form.addRow("Notes", self.notes)
        self.custom = QTableWidget(0, 2)
        self.custom.setHorizontalHeaderLabels(["Field", "Value"])
        self.custom.horizontalHeader().setStretchLastSection(True)
        self.custom.verticalHeader().hide()
        self.custom.setFixedHeight(96)
        add_field = QPushButton("Add field")
        add_field.clicked.connect(self._add_custom_field)
        custom_box = QVBoxLayout()
        custom_box.addWidget(self.custom)
        custom_box.addWidget(add_field, 0, Qt.AlignmentFlag.AlignLeft)
        form.addRow("Custom", custom_box)
        self.tabs.addTab(details, "Details")

        pay = QWidget()
        pay_lay = QVBoxLayout(pay)
        pay_lay.setContentsMargins(12, 12, 12, 12)
        self.balance_label = QLabel()
        self.balance_label.setTextFormat(Qt.TextFormat.RichText)
        pay_lay.addWidget(self.balance_label)
        self.payments = QListWidget()
        pay_lay.addWidget(self.payments, 1)
        pay_row = QGridLayout()
        self.pay_amount = QLineEdit()
        self.pay_amount.setPlaceholderText("Amount")
        self.pay_method = QComboBox()
        self.pay_method.addItems(PAY_METHODS)
        self.pay_button = QPushButton("Take payment")
        self.pay_button.clicked.connect(self._take_payment)
        pay_row.addWidget(self.pay_amount, 0, 0)
        pay_row.addWidget(self.pay_method, 0, 1)
        pay_row.addWidget(self.pay_button, 0, 2)
        pay_lay.addLayout(pay_row)
        self.pay_hint = QLabel("")
        self.pay_hint.setObjectName("Muted")
        self.pay_hint.setWordWrap(True)
        pay_lay.addWidget(self.pay_hint)
        money_row = QHBoxLayout()
        self.return_button = QPushButton("Return…  (Ctrl+R)")
        self.return_button.setToolTip("Goods coming back: how many, why, restock or write off")
        self.return_button.clicked.connect(self.open_return)
        self.refund_button = QPushButton("Refund…")
        self.refund_button.setToolTip("Give money back (never more than was paid)")
        self.refund_button.clicked.connect(self.open_refund)
        self.exchange_button = QPushButton("Exchange…  (Ctrl+E)")
        self.exchange_button.clicked.connect(self.open_exchange)
        for b in (self.return_button, self.refund_button, self.exchange_button):
            money_row.addWidget(b)
        money_row.addStretch(1)
        pay_lay.addLayout(money_row)
        self.tabs.addTab(pay, "Payments")

        self.history = QListWidget()
        self.tabs.addTab(self.history, "History")

        self.problems = QLabel("")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #d93636;")
        root.addWidget(self.problems)

        buttons = QHBoxLayout()
        self.discount_button = QPushButton("Discount…  (Ctrl+D)")
        self.discount_button.clicked.connect(self.open_discount)
        self.print_button = QPushButton("Print ticket")
        self.print_button.clicked.connect(self._print)
        self.undo_button = QPushButton("Undo")
        self.undo_button.clicked.connect(self.undo)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.discount_button)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        self.save_button = QPushButton("Save order  (Ctrl+S)")
        self.save_button.setObjectName("Primary")
        self.save_button.setDefault(False)
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.save_button)
        root.addLayout(buttons)

        # Enter belongs to the item and customer search fields, never to a button
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.shortcuts = [bind_key(self, QKeySequence.StandardKey.Save, self.save),
                          bind_key(self, QKeySequence.StandardKey.Undo, self.undo),
                          bind_key(self, "Ctrl+L", self.picker.setFocus),
                          bind_key(self, "Ctrl+P", self._print),
                          bind_key(self, "Ctrl+R", self.open_return),
                          bind_key(self, "Ctrl+D", self.open_discount),
                          bind_key(self, "Ctrl+E", self.open_exchange)]
        for widget in (self.address, self.tags):
            widget.textEdited.connect(self._widget_changed)
        self.notes.textChanged.connect(self._widget_changed)
        self.assignee.currentTextChanged.connect(self._widget_changed)
        self.channel.currentIndexChanged.connect(self._widget_changed)
        self.pickup.toggled.connect(self._widget_changed)
        self.has_due.toggled.connect(self._widget_changed)
        self.due.dateTimeChanged.connect(self._widget_changed)
        self.custom.itemChanged.connect(self._widget_changed)

    # ------------------------------------------------------------------ draft <-> widgets

    def _load_into_widgets(self) -> None:
        self._loading = True
        d = self.draft
        self.lines_model.set_draft(d, self.prices)
        pos = self.channel.findData(d.channel)
        self.channel.setCurrentIndex(max(0, pos))
        self.channel.setEnabled(d.order_id is None)
        (self.delivery if d.fulfilment == "delivery" else self.pickup).setChecked(True)
        self.address.setText(d.address)
        due = parse_iso(d.due_at)
        self.has_due.setChecked(due is not None)
        self.due.setDateTime(QDateTime(due.astimezone()) if due else
                             QDateTime.currentDateTime().addSecs(30 * 60))
        self.assignee.setCurrentText(d.assignee)
        self.tags.setText(", ".join(d.tags))
        if self.notes.toPlainText() != d.notes:
            self.notes.setPlainText(d.notes)
        self.custom.setRowCount(0)
        for key, value in d.custom_fields.items():
            row = self.custom.rowCount()
            self.custom.insertRow(row)
            self.custom.setItem(row, 0, QTableWidgetItem(key))
            self.custom.setItem(row, 1, QTableWidgetItem(value))
        self._show_customer()
        self._loading = False

    def _read_widgets(self, d: OrderDraft) -> None:
        d.channel = str(self.channel.currentData() or "counter")
        d.fulfilment = "delivery" if self.delivery.isChecked() else "pickup"
        d.address = self.address.text().strip()
        if self.has_due.isChecked():
            when = self.due.dateTime().toPython()
            assert isinstance(when, dt.datetime)
            d.due_at = when.astimezone().astimezone(dt.UTC).isoformat(timespec="seconds")
        else:
            d.due_at = None
        d.assignee = self.assignee.currentText().strip()
        d.tags = [t.strip().lstrip("#") for t in self.tags.text().split(",") if t.strip()]
        d.notes = self.notes.toPlainText().strip()
        fields: dict[str, str] = {}
        for row in range(self.custom.rowCount()):
            key_item, value_item = self.custom.item(row, 0), self.custom.item(row, 1)
            key = key_item.text().strip() if key_item else ""
            if key:
                fields[key] = value_item.text() if value_item else ""
        d.custom_fields = fields

    def _widget_changed(self, *_args: Any) -> None:
        if self._loading:
            return
        self.address.setEnabled(self.delivery.isChecked())
        self.due.setEnabled(self.has_due.isChecked())
        self._commit_timer.start()

    def _commit_widgets(self) -> None:
        """Fold widget edits into the draft, keeping the previous state for undo."""
        if self._loading:
            return
        before = self.draft.copy()
        self._read_widgets(self.draft)
        if _comparable(before) != _comparable(self.draft):
            self._undo.append(before)
        self._update_state()

    def _push_undo(self) -> None:
        self._commit_timer.stop()
        self._read_widgets(self.draft)
        self._undo.append(self.draft.copy())

    def undo(self) -> None:
        """Undo the last edit (Ctrl+Z)."""
        self._commit_widgets()
        if not self._undo:
            self.problems.setText("Nothing to undo.")
            return
        self.draft = self._undo.pop()
        self._load_into_widgets()
        self._update_state()

    # ------------------------------------------------------------------ state

    def is_dirty(self) -> bool:
        self._commit_timer.stop()
        if not self._loading:
            self._read_widgets(self.draft)
        return _comparable(self.draft) != _comparable(self.saved)

    def problems_now(self) -> list[str]:
        problems = validate(self.draft, set(self.prices))
        for line in self.draft.live_lines():
            if line.sku and line.sku in self.products:
                stock = self.products[line.sku].get("available_milli")
                qty = line.quantity()
                if isinstance(stock, int) and qty is not None and stock < qty * 1000 \
                        and self.products[line.sku].get("low_stock") is not None:
                    problems.append(f"Only {stock / 1000:g} {line.description or line.sku} "
                                    "in stock; the order will be overbooked.")
        if self.lines_model.error:
            problems.insert(0, self.lines_model.error)
        return problems

    def draft_money(self) -> OrderMoney:
        """The draft's figures as the engine will have them (tax, discounts, returns)."""
        inclusive = self.store.shop().get("setting.prices_include_tax")
        return draft_money(self.draft, self.products,
                           True if inclusive is None else bool(inclusive))

    def _money_html(self, money: OrderMoney) -> str:
        m = self.store.money
        d = self.draft
        rows = [("Subtotal", m(money.subtotal))] if money.discount or money.tax_lines() else []
        if money.discount:
            rows.append(("Discounts", "−" + m(money.discount)))
        for tax in money.tax_lines():
            word = "incl." if money.prices_include_tax else "plus"
            rows.append((f"Tax {tax['rate']}% ({word})", m(tax["tax"])))
        rows.append(("<b>Total</b>", f"<b>{m(money.total)}</b>"))
        if money.returned:
            rows.append(("Returned", "−" + m(money.returned)))
            rows.append(("Comes to", m(money.adjusted)))
        rows.append(("Paid", m(d.paid)))
        if d.refunded:
            rows.append(("of which refunded", m(d.refunded)))
        balance = money.adjusted - d.paid
        if balance > 0:
            rows.append(("<span style='color:#c27c0e'><b>To pay</b></span>",
                         f"<span style='color:#c27c0e'><b>{m(balance)}</b></span>"))
        elif balance < 0:
            rows.append(("<span style='color:#d93636'><b>To give back</b></span>",
                         f"<span style='color:#d93636'><b>{m(-balance)}</b></span>"))
        else:
            rows.append(("<span style='color:#138a5e'><b>Settled</b></span>", ""))
        cells = "".join(f"<tr><td>{a}</td><td align='right'>&nbsp;&nbsp;{b}</td></tr>"
                        for a, b in rows)
        return f"<table>{cells}</table>"

    def _update_state(self) -> None:
        d = self.draft
        money = self.draft_money()
        self.lines_model.money = money
        total = money.total
        tax = sum(money.tax.values())
        self.total_label.setText(f"Total  {self.store.money(total)}"
                                 + (f"  ·  tax {self.store.money(tax)}" if tax else ""))
        balance = money.adjusted - d.paid
        self.balance_label.setText(self._money_html(money))
        self.address.setEnabled(self.delivery.isChecked())
        self.due.setEnabled(self.has_due.isChecked())
        saved = d.order_id is not None
        self.pay_button.setEnabled(saved)
        self.pay_amount.setEnabled(saved)
        self.pay_hint.setText("" if saved else "Save the order first, then take payment.")
        if saved and not self.pay_amount.text() and balance > 0:
            self.pay_amount.setPlaceholderText(self.store.money(balance))
        self.print_button.setEnabled(saved)
        finished = d.status in ("delivered", "collected", "closed", "returned")
        self.return_button.setEnabled(saved and finished and d.status != "returned")
        self.exchange_button.setEnabled(saved and finished and d.status != "returned")
        self.refund_button.setEnabled(saved and d.paid > 0)
        self.discount_button.setEnabled(saved and d.status not in (
            "delivered", "collected", "closed", "returned", "cancelled"))
        self.undo_button.setEnabled(bool(self._undo))
        status = d.status
        colour = STATUS_COLOURS.get(status, "#888")
        self.status_chip.setText(STATUS_LABELS.get(status, status) if saved else "Draft")
        self.status_chip.setStyleSheet(
            f"background: {colour if saved else '#94a3b8'}; color: white; border-radius: 9px; "
            "padding: 2px 10px; font-weight: 600;")
        problems = self.problems_now()
        self.problems.setText("  ".join(problems[:3]) if self._shown_problems else "")
        self.payments.clear()
        for p in d.payments:
            sign = "−" if p.get("kind") == "refund" else ""
            change = f"  ·  {self.store.money(p['change'])} change" if p.get("change") else ""
            who = f"  ·  {p['by']}" if p.get("by") else ""
            self.payments.addItem(f"{sign}{self.store.money(p.get('amount'))}  ·  "
                                  f"{p.get('method')}  ·  {local_time_text(p.get('at'))}"
                                  + change + who)
        if not d.payments:
            self.payments.addItem("No payments yet")
        self.history.clear()
        for h in d.history:
            self.history.addItem(f"{local_time_text(h.get('at'))}  ·  "
                                 f"{history_text(h, self.store.money)}")
        if not d.history:
            self.history.addItem("Saved changes appear here.")
        self.setWindowTitle(self._title() + (" •" if self.is_dirty() else ""))

    _shown_problems = False

    def _show_customer(self) -> None:
        d = self.draft
        if d.customer_id:
            card = self.store.customer(d.customer_id) or {}
            phones = ", ".join(card.get("phones") or [])
            name = card.get("name") or d.customer_name or "Customer"
            open_n = len(card.get("open_orders") or [])
            extra = f" · {open_n} open order{'s' if open_n != 1 else ''}" if open_n else ""
            notes = f"<br><span style='color:#c27c0e'>{card['notes']}</span>" \
                if card.get("notes") else ""
            self.customer_label.setText(f"{name} <span style='color:gray; font-weight:400'>"
                                        f"{phones}{extra}</span>{notes}")
            if card.get("addresses") and not self.address.text():
                self.address.setText(str(card["addresses"][0]))
        elif d.customer_phone:
            self.customer_label.setText(f"{d.customer_phone} <span style='color:gray; "
                                        "font-weight:400'>· not a customer yet</span>")
        else:
            self.customer_label.setText("<span style='color:gray; font-weight:400'>"
                                        "Walk-in (no customer)</span>")

    # ------------------------------------------------------------------ edits

    def _product_picked(self, product: dict[str, Any]) -> None:
        row = self.lines_model.add_line(DraftLine(sku=product["sku"],
                                                  description=str(product["name"]), qty="1"))
        self.lines.selectRow(row)

    def _add_free_line(self) -> None:
        row = self.lines_model.add_line(DraftLine(description="", qty="1", unit_price=None))
        index = self.lines_model.index(row, 0)
        self.lines.setCurrentIndex(index)
        self.lines.setFocus()  # typing now starts editing the description

    def _remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.lines.selectionModel().selectedRows()},
                      reverse=True)
        if not rows and self.lines.currentIndex().isValid():
            rows = [self.lines.currentIndex().row()]
        for row in rows:
            self.lines_model.remove_row(row)

    def _lines_edited(self) -> None:
        self._update_state()

    def _customer_picked(self, customer: dict[str, Any]) -> None:
        self._push_undo()
        self.draft.customer_id = str(customer["id"])
        self.draft.customer_name = str(customer.get("name") or "")
        self.customer_picker.clear()
        self._show_customer()
        self._update_state()

    def _create_customer(self) -> None:
        dialog = NewCustomerDialog(self.customer_picker.text().strip()
                                   if not self.customer_picker.text().strip()[:1].isdigit()
                                   else "", self.draft.customer_phone, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.new_customer.setEnabled(False)

        def done(result: Any) -> None:
            self.new_customer.setEnabled(True)
            self._customer_picked(result)

        def failed(message: str) -> None:
            self.new_customer.setEnabled(True)
            self.problems.setText(message)

        self.actions.run(dialog.request(), done=done, failed=failed, info="Customer added")

    def set_customer_by_id(self, customer_id: str) -> None:
        card = self.store.customer(customer_id)
        if card is not None:
            self._customer_picked(card)

    def _add_custom_field(self) -> None:
        row = self.custom.rowCount()
        self.custom.insertRow(row)
        self.custom.setItem(row, 0, QTableWidgetItem(""))
        self.custom.setItem(row, 1, QTableWidgetItem(""))
        self.custom.editItem(self.custom.item(row, 0))

    # ------------------------------------------------------------------ save

    def save(self) -> None:
        if self._saving:
            return
        self._commit_timer.stop()
        self._read_widgets(self.draft)
        self._shown_problems = True
        self.problems.setStyleSheet("color: #d93636;")
        problems = self.problems_now()
        hard = validate(self.draft, set(self.prices))
        if hard:
            self.problems.setText("  ".join(problems[:4]))
            return
        self._saving = True
        self.save_button.setEnabled(False)
        self.problems.setStyleSheet("color: #6b7585;")
        self.problems.setText("Saving…")
        currency = self.store.currency
        if self.draft.order_id is None:
            self.actions.run(ops.add_order(to_order_add(self.draft, currency)),
                             done=self._saved, failed=self._save_failed, info="Order saved")
            return
        commands = edit_commands(self.saved, self.draft, currency)
        self._run_chain(commands)

    def _run_chain(self, commands: list[Request[Any, Any]], last: Any = None) -> None:
        if not commands:
            if last is None:
                self._saving = False
                self.save_button.setEnabled(True)
                self.problems.setText("Nothing changed.")
                self.saved = self.draft.copy()
                self._update_state()
                return
            self._saved(last)
            return
        self.actions.run(commands[0], done=lambda result: self._run_chain(commands[1:], result),
                         failed=self._save_failed)

    def _saved(self, detail: Any) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        self._shown_problems = False
        self.problems.setText("")
        fresh = draft_from_order(detail)
        self.draft = fresh
        self.saved = fresh.copy()
        self._undo.clear()
        self.title.setText(self._title())
        self._load_into_widgets()
        self._update_state()
        emit(self.sig_saved, str(detail["id"]))

    def _save_failed(self, message: str) -> None:
        self.problems.setStyleSheet("color: #d93636;")
        self._saving = False
        self.save_button.setEnabled(True)
        self.problems.setText(message[:1].upper() + message[1:])
        if self.draft.order_id:
            # part of the edit may be saved: show what the engine has now
            detail = self.store.order_detail(self.draft.order_id)
            if detail is not None:
                self.saved = draft_from_order(detail)

    def _take_payment(self) -> None:
        if not self.draft.order_id:
            return
        text = self.pay_amount.text().strip() or self.pay_amount.placeholderText()
        if not text or text == "Amount":
            self.problems.setText("Type the amount paid.")
            return
        try:
            minor = parse_price(text, self.store.currency, self.store.locale)
        except CommandRejected as exc:
            self.problems.setText(str(exc)[:1].upper() + str(exc)[1:] + ".")
            return
        if minor is None or minor <= 0:
            self.problems.setText("The amount must be more than zero.")
            return
        method = self.pay_method.currentText()

        def done(detail: Any) -> None:
            self.pay_amount.clear()
            self._refreshed(detail)
            change = int(detail.get("change_due") or 0)
            self.pay_hint.setText(f"Change due: {self.store.money(change)}" if change else
                                  f"{self.store.money(minor)} by {method} taken.")
            if change:
                self.pay_hint.setStyleSheet("font-size: 16pt; font-weight: 700; "
                                            "color: #138a5e;")
            else:
                self.pay_hint.setStyleSheet("")

        money_dialogs.run_asking(
            self.actions.link, ops.pay(self.draft.order_id,
                                       format_money(minor, self.store.currency), method),
            parent=self, done=done, failed=self._money_failed)

    # ------------------------------------------------------------------ money dialogs

    def _refreshed(self, detail: Any) -> None:
        """The engine changed the saved order (payment, return, discount): show it as it
        is now, keeping nothing stale."""
        fresh = draft_from_order(detail)
        self.draft = fresh
        self.saved = fresh.copy()
        self._undo.clear()
        self._load_into_widgets()
        self._update_state()

    def _money_failed(self, message: str) -> None:
        self.problems.setStyleSheet("color: #d93636;")
        self.problems.setText(message)

    def _ready_for_money(self) -> dict[str, Any] | None:
        """The saved order, or None (and a word why) while there are unsaved edits."""
        if not self.draft.order_id:
            self.problems.setText("Save the order first.")
            return None
        if self.is_dirty():
            self.problems.setText("Save or undo your changes first.")
            return None
        return self.store.order_detail(self.draft.order_id)

    def _open_money_dialog(self, dialog: QDialog) -> None:
        def accepted() -> None:
            request = dialog.request()  # type: ignore[attr-defined]
            money_dialogs.run_asking(self.actions.link, request, parent=self,
                                     done=self._money_done, failed=self._money_failed)

        dialog.accepted.connect(accepted)
        dialog.open()
        self.money_dialog = dialog

    def _money_done(self, detail: Any) -> None:
        self.problems.setText("")
        if str(detail.get("id")) != self.draft.order_id:  # an exchange: the new order
            emit(self.sig_saved, str(detail["id"]))
            own = self.store.order_detail(str(self.draft.order_id))
            if own is not None:
                self._refreshed(own)
            self.pay_hint.setText(f"Exchange: new order {detail.get('number')}.")
            self.exchanged = str(detail["id"])
            return
        self._refreshed(detail)

    def open_return(self) -> None:
        detail = self._ready_for_money()
        if detail is not None and self.return_button.isEnabled():
            self._open_money_dialog(money_dialogs.ReturnDialog(detail, self.store, self))

    def open_refund(self) -> None:
        detail = self._ready_for_money()
        if detail is not None and self.refund_button.isEnabled():
            self._open_money_dialog(money_dialogs.RefundDialog(detail, self.store, self))

    def open_discount(self) -> None:
        detail = self._ready_for_money()
        if detail is None or not self.discount_button.isEnabled():
            return
        current = self.lines.currentIndex()
        live = self.draft.live_lines()
        line_id = live[current.row()].line_id if current.isValid() and \
            current.row() < len(live) else None
        self._open_money_dialog(money_dialogs.DiscountDialog(detail, self.store, self,
                                                             line_id=line_id))

    def open_exchange(self) -> None:
        detail = self._ready_for_money()
        if detail is not None and self.exchange_button.isEnabled():
            self._open_money_dialog(money_dialogs.ExchangeDialog(detail, self.store, self))

    def _print(self) -> None:
        if self.draft.order_id and self.print_ticket is not None:
            self.print_ticket(self.draft.order_id)

    # ------------------------------------------------------------------ closing

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._force_close or not self.is_dirty():
            event.accept()
            return
        answer = QMessageBox.question(
            self, "Unsaved changes", "This order has changes that are not saved. Save them?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Discard:
            event.accept()
        elif answer == QMessageBox.StandardButton.Save:
            self.save()
            event.ignore()
        else:
            event.ignore()

    def reject(self) -> None:  # Escape
        self.close()

    def discard_and_close(self) -> None:
        self._force_close = True
        self.close()


def _comparable(d: OrderDraft) -> tuple[Any, ...]:
    """What counts as a change (due times compared as instants to the minute)."""
    due = parse_iso(d.due_at)
    return (d.customer_id, d.channel, [(ln.sku, ln.description, ln.qty, ln.unit_price, ln.notes,
                                         ln.modifiers, ln.removed) for ln in d.lines],
            d.notes, d.tags, d.assignee, due.replace(second=0, microsecond=0) if due else None,
            d.fulfilment, d.address if d.fulfilment == "delivery" else "", d.custom_fields)
