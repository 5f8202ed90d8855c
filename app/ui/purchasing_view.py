"""The Suppliers page: who the shop buys from, what to reorder, and purchase orders.

Three parts on one page: suppliers (add, edit, archive), the reorder suggestion (products
at or near their low-stock level, from recent sales and each supplier's lead time, with a
quantity staff may change), and purchase orders (send as a PDF, receive a delivery in
full or in part, cancel). Receiving adds the stock; the page refreshes from the
``changed`` events like every other.

Keys: Ctrl+F search suppliers, Ctrl+Shift+N new supplier, Ctrl+Shift+O draft an order from
the ticked suggestions, Ctrl+R receive the selected order.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import protocol as p
from app.ui import operations as ops
from app.ui.order_actions import OrderActions
from app.ui.pages import EVERYTHING, Refresh
from app.ui.purchase_order_pdf import qty, write_purchase_order_pdf
from app.ui.pyside_compat import emit
from app.ui.read_store import ReadStore, local_time_text
from app.ui.widgets import PageHeader, SearchField, bind_key, page_layout, plain_table
from app.ui.widgets import section_title as title
from sync.changes import Changes

STATE_COLOURS = {"draft": "#8a93a3", "sent": "#2f6fed", "partly received": "#c27c0e",
                 "received": "#138a5e", "cancelled": "#d93636"}


def _cell(text: str, *, right: bool = False, colour: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if colour:
        item.setForeground(QBrush(QColor(colour)))
    return item


def _table(headers: list[str], stretch: int = 1) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    plain_table(table)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().setDefaultSectionSize(28)
    return table


class SupplierDialog(QDialog):
    """Add or edit a supplier."""

    def __init__(self, supplier: dict[str, Any] | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.supplier = supplier
        self.setWindowTitle("Edit supplier" if supplier else "New supplier")
        self.resize(460, 420)
        form = QFormLayout(self)
        s = supplier or {}
        self.name = QLineEdit(str(s.get("name") or ""))
        self.name.setMaxLength(120)
        self.contact = QLineEdit(str(s.get("contact") or ""))
        self.email = QLineEdit(str(s.get("email") or ""))
        self.email.setPlaceholderText("where purchase orders go")
        self.phone = QLineEdit(str(s.get("phone") or ""))
        self.lead = QSpinBox()
        self.lead.setRange(0, 365)
        self.lead.setSuffix(" days")
        self.lead.setValue(int(s.get("lead_time_days") or 0))
        self.products = QLineEdit(", ".join(s.get("products") or []))
        self.products.setPlaceholderText("SKUs they supply, comma-separated")
        self.notes = QPlainTextEdit(str(s.get("notes") or ""))
        self.notes.setFixedHeight(60)
        self.active = QCheckBox("We buy from them (untick to archive)")
        self.active.setChecked(bool(s.get("active", 1)))
        for label, widget in (("Name", self.name), ("Contact", self.contact),
                              ("Email", self.email), ("Phone", self.phone),
                              ("Lead time", self.lead), ("Products", self.products),
                              ("Notes", self.notes), ("", self.active)):
            form.addRow(label, widget)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #d93636;")
        self.error.setWordWrap(True)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def skus(self) -> list[str]:
        return [x.strip() for x in self.products.text().replace(";", ",").split(",")
                if x.strip()]

    def _ok(self) -> None:
        if not self.name.text().strip():
            self.error.setText("Give the supplier a name.")
            return
        self.accept()

    def request(self) -> Any:
        if self.supplier is None:
            return ops.add_supplier(p.SupplierAdd(
                name=self.name.text().strip(), contact=self.contact.text().strip(),
                email=self.email.text().strip(), phone=self.phone.text().strip(),
                lead_time_days=self.lead.value(), products=self.skus(),
                notes=self.notes.toPlainText()))
        active = self.active.isChecked()
        return ops.update_supplier(p.SupplierUpdate(
            supplier=str(self.supplier["id"]), name=self.name.text().strip(),
            contact=self.contact.text().strip(), email=self.email.text().strip(),
            phone=self.phone.text().strip(), lead_time_days=self.lead.value(),
            products=self.skus(), notes=self.notes.toPlainText(), archive=not active,
            restore=active))


class ReceiveDialog(QDialog):
    """What came in against a purchase order: each line's quantity, all by default."""

    def __init__(self, po: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.po = po
        self.setWindowTitle(f"Receive {po.get('number')}")
        self.resize(620, 380)
        lay = QVBoxLayout(self)
        intro = QLabel(f"Delivery from <b>{po.get('supplier_name') or 'the supplier'}</b>. "
                       "Type what actually came in; what is missing stays on order.")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.table = _table(["SKU", "Product", "Ordered", "Came before", "Came now"])
        open_lines = [ln for ln in po.get("lines") or [] if ln["outstanding_milli"] > 0]
        self.lines = open_lines
        self.table.setRowCount(len(open_lines))
        for r, line in enumerate(open_lines):
            self.table.setItem(r, 0, _cell(str(line["sku"])))
            self.table.setItem(r, 1, _cell(str(line.get("name") or "")))
            self.table.setItem(r, 2, _cell(qty(line["qty_milli"]), right=True))
            self.table.setItem(r, 3, _cell(qty(line["received_milli"]), right=True))
            now = QTableWidgetItem(qty(line["outstanding_milli"]))
            now.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(r, 4, now)
        lay.addWidget(self.table, 1)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #d93636;")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton("Book in and add to stock",
                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("Primary")
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def set_received(self, row: int, text: str) -> None:
        item = self.table.item(row, 4)
        assert item is not None
        item.setText(text)

    def counts(self) -> tuple[list[str], str]:
        """``LINE:QTY`` for every line with something in, or why not."""
        out = []
        for r, line in enumerate(self.lines):
            item = self.table.item(r, 4)
            text = (item.text() if item is not None else "").strip().replace(",", ".") or "0"
            try:
                amount = Decimal(text)
            except InvalidOperation:
                return [], f"{text!r} is not a quantity ({line['sku']})."
            if not amount.is_finite() or amount < 0:
                return [], f"The quantity of {line['sku']} cannot be negative."
            if amount * 1000 > line["outstanding_milli"]:
                return [], (f"Only {qty(line['outstanding_milli'])} of {line['sku']} is still "
                            "to come; book the rest as a stock adjustment.")
            if amount:
                out.append(f"{line['line_id']}:{text}")
        return (out, "") if out else ([], "Nothing came in? Type the quantities that did.")

    def _ok(self) -> None:
        _lines, problem = self.counts()
        if problem:
            self.error.setText(problem)
            return
        self.accept()


class PurchasingView(QWidget):
    """The suppliers and purchase orders page."""

    sig_pdf = Signal(str)  # the path of a purchase order PDF just written

    def __init__(self, store: ReadStore, actions: OrderActions, data_dir: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actions = actions
        self.data_dir = Path(data_dir)
        self.header = PageHeader("Suppliers and purchase orders", "")
        self.add_button = QPushButton("New supplier…")
        self.add_button.clicked.connect(lambda: self.edit_supplier(None))
        self.edit_button = QPushButton("Edit supplier…")
        self.edit_button.clicked.connect(self.edit_selected)
        for b in (self.add_button, self.edit_button):
            self.header.add(b)
        lay = page_layout(self, self.header)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(16, 0, 8, 16)
        self.search = SearchField("Find a supplier…  (Ctrl+F)")
        ll.addWidget(self.search)
        self.suppliers = QListWidget()
        self.suppliers.setObjectName("SideList")
        self.suppliers.setWordWrap(True)
        self.suppliers.itemActivated.connect(lambda _i: self.edit_selected())
        ll.addWidget(self.suppliers, 1)
        split.addWidget(left)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(8, 0, 16, 16)
        head = QHBoxLayout()
        self.reorder_title = title("Reorder suggestion")
        head.addWidget(self.reorder_title)
        head.addStretch(1)
        self.draft_button = QPushButton("Draft purchase order  (Ctrl+Shift+O)")
        self.draft_button.setObjectName("Primary")
        self.draft_button.clicked.connect(self.draft_from_suggestions)
        head.addWidget(self.draft_button)
        rl.addLayout(head)
        self.reorder = _table(["", "Product", "Supplier", "Available", "Warn at", "On order",
                               "Sold/day", "Order"], stretch=1)
        self.reorder.setColumnWidth(0, 28)
        self.reorder.setColumnWidth(2, 180)
        rl.addWidget(self.reorder, 2)
        head2 = QHBoxLayout()
        head2.addWidget(title("Purchase orders"))
        head2.addStretch(1)
        self.pdf_button = QPushButton("PDF and mark sent")
        self.pdf_button.clicked.connect(self.send_selected)
        self.receive_button = QPushButton("Receive delivery…  (Ctrl+R)")
        self.receive_button.clicked.connect(self.receive_selected)
        self.cancel_button = QPushButton("Cancel order")
        self.cancel_button.clicked.connect(self.cancel_selected)
        for b in (self.pdf_button, self.receive_button, self.cancel_button):
            head2.addWidget(b)
        rl.addLayout(head2)
        self.orders = _table(["Number", "Supplier", "State", "Lines", "Total", "Created",
                              "Sent"])
        self.orders.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.orders.itemDoubleClicked.connect(lambda _i: self.receive_selected())
        rl.addWidget(self.orders, 2)
        split.addWidget(right)
        split.setSizes([300, 900])
        lay.addWidget(split, 1)
        self.search.textChanged.connect(lambda _t: self._fill_suppliers())
        self.shortcuts = [bind_key(self, key, slot) for key, slot in (
            ("Ctrl+Shift+N", lambda: self.edit_supplier(None)),
            ("Ctrl+Shift+O", self.draft_from_suggestions), ("Ctrl+R", self.receive_selected))]
        for shortcut in self.shortcuts:
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._suggestions: list[dict[str, Any]] = []
        self._pos: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ refresh

    def needs_refresh(self, changes: Changes) -> Refresh | None:
        kinds = ("suppliers", "purchase_orders", "stock", "products")
        return EVERYTHING if changes.touches(*kinds) or changes.touches("orders") else None

    def refresh(self, changed: set[str] | None = None) -> None:
        self.reload()

    def reload(self) -> None:
        self._fill_orders()
        self._fill_suppliers()
        self._fill_reorder()

    def _fill_suppliers(self) -> None:
        current = self.selected_supplier_id()
        rows = self.store.suppliers(include_archived=True)
        words = self.search.text().strip().lower()
        self.suppliers.clear()
        for s in rows:
            if words and words not in f"{s['name']} {s.get('contact')} {s.get('email')}".lower():
                continue
            lead = f"{s['lead_time_days']} days" if s.get("lead_time_days") else "lead time ?"
            item = QListWidgetItem(f"{s['name']}\n{len(s['products'])} products · {lead}"
                                   + ("" if s.get("active") else " · archived"))
            item.setData(Qt.ItemDataRole.UserRole, s["id"])
            item.setToolTip(" · ".join(str(x) for x in (s.get("contact"), s.get("email"),
                                                       s.get("phone")) if x))
            if not s.get("active"):
                item.setForeground(QColor("#8a93a3"))
            self.suppliers.addItem(item)
            if s["id"] == current:
                self.suppliers.setCurrentItem(item)
        active = sum(1 for s in rows if s.get("active"))
        self.header.subtitle.setText(f"{active} suppliers · {len(self._pos)} purchase orders")

    def _fill_reorder(self) -> None:
        self._suggestions = self.store.reorder_suggestions()
        table = self.reorder
        table.setRowCount(len(self._suggestions))
        for r, row in enumerate(self._suggestions):
            tick = QTableWidgetItem()
            tick.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            tick.setCheckState(Qt.CheckState.Checked if row["supplier_id"]
                               else Qt.CheckState.Unchecked)
            table.setItem(r, 0, tick)
            table.setItem(r, 1, _cell(f"{row['name']}  ({row['sku']})"))
            table.setItem(r, 2, _cell(row["supplier_name"] or "no supplier yet",
                                      colour=None if row["supplier_name"] else "#c27c0e"))
            table.setItem(r, 3, _cell(qty(row["available_milli"]), right=True,
                                      colour="#d93636" if row["available_milli"] < 0 else None))
            table.setItem(r, 4, _cell(str(row["low_stock"] or "–"), right=True))
            table.setItem(r, 5, _cell(qty(row["on_order_milli"]), right=True))
            table.setItem(r, 6, _cell(f"{row['sold_per_day']:g}", right=True))
            order = QTableWidgetItem(str(row["suggested"]))
            order.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, 7, order)
        self.reorder_title.setText(f"Reorder suggestion ({len(self._suggestions)})"
                                   if self._suggestions else
                                   "Reorder suggestion: nothing needs ordering now")

    def _fill_orders(self) -> None:
        current = self.selected_po()
        self._pos = self.store.purchase_orders()
        table = self.orders
        table.setRowCount(len(self._pos))
        for r, po in enumerate(self._pos):
            state = str(po["state"])
            table.setItem(r, 0, _cell(str(po["number"])))
            table.setItem(r, 1, _cell(str(po.get("supplier_name") or "")))
            table.setItem(r, 2, _cell(state, colour=STATE_COLOURS.get(state)))
            table.setItem(r, 3, _cell(str(len(po["lines"])), right=True))
            costed = any(ln.get("cost") is not None for ln in po["lines"])
            table.setItem(r, 4, _cell(self.store.money(po.get("total_cost")) if costed else "–",
                                      right=True))
            table.setItem(r, 5, _cell(local_time_text(po.get("created_at"))))
            sent = f"{po.get('sent_via')} {local_time_text(po.get('sent_at'))}" \
                if po.get("sent_at") else ""
            table.setItem(r, 6, _cell(sent))
            if current is not None and po["id"] == current["id"]:
                table.selectRow(r)

    # ------------------------------------------------------------------ suppliers

    def selected_supplier_id(self) -> str | None:
        item = self.suppliers.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def edit_selected(self) -> SupplierDialog | None:
        sid = self.selected_supplier_id()
        supplier = next((s for s in self.store.suppliers(include_archived=True)
                         if s["id"] == sid), None)
        if supplier is None:
            emit(self.actions.sig_error, "Select a supplier first.")
            return None
        return self.edit_supplier(supplier)

    def edit_supplier(self, supplier: dict[str, Any] | None) -> SupplierDialog:
        dialog = SupplierDialog(supplier, self)

        def accepted() -> None:
            self.actions.run(dialog.request(), info="Supplier saved")

        dialog.accepted.connect(accepted)
        dialog.open()
        return dialog

    # ------------------------------------------------------------------ ordering

    def ticked(self) -> dict[str, list[str]]:
        """Supplier id -> ``SKU:QTY`` of each ticked suggestion with a quantity."""
        out: dict[str, list[str]] = {}
        for r, row in enumerate(self._suggestions):
            tick = self.reorder.item(r, 0)
            amount = self.reorder.item(r, 7)
            if tick is None or tick.checkState() != Qt.CheckState.Checked:
                continue
            text = (amount.text() if amount is not None else "").strip()
            if row["supplier_id"] and text and text not in ("0", "-"):
                out.setdefault(str(row["supplier_id"]), []).append(f"{row['sku']}:{text}")
        return out

    def draft_from_suggestions(self) -> None:
        groups = self.ticked()
        if not groups:
            emit(self.actions.sig_error, "Tick the suggestions to order (products need a "
                                         "supplier: add them to one first).")
            return
        for supplier, lines in groups.items():
            self.actions.run(ops.create_po(supplier, lines),
                             info=f"Drafted {len(groups)} purchase order"
                                  + ("s" if len(groups) > 1 else ""))

    def selected_po(self) -> dict[str, Any] | None:
        rows = self.orders.selectionModel().selectedRows() if self.orders.selectionModel() \
            else []
        if not rows or not 0 <= rows[0].row() < len(self._pos):
            return None
        return self._pos[rows[0].row()]

    def _need_po(self) -> dict[str, Any] | None:
        po = self.selected_po()
        if po is None:
            emit(self.actions.sig_error, "Select a purchase order first.")
        return po

    def send_selected(self) -> Path | None:
        po = self._need_po()
        if po is None:
            return None
        full = self.store.purchase_order(str(po["id"])) or po
        path = self.data_dir / "purchase-orders" / f"{full['number']}.pdf"
        try:
            write_purchase_order_pdf(full, self.store.shop(), self.store.money, path)
        except OSError as exc:
            emit(self.actions.sig_error, f"The PDF could not be written: {exc}")
            return None
        emit(self.sig_pdf, str(path))
        if full["state"] in ("draft", "sent"):
            self.actions.run(ops.send_po(str(full["id"]), "pdf"),
                             info=f"{full['number']} saved as {path}")
        return path

    def receive_selected(self) -> ReceiveDialog | None:
        po = self._need_po()
        if po is None:
            return None
        if po["state"] in ("received", "cancelled"):
            emit(self.actions.sig_error, f"{po['number']} is {po['state']}: nothing is "
                                         "still to come.")
            return None
        dialog = ReceiveDialog(po, self)

        def accepted() -> None:
            lines, _problem = dialog.counts()
            self.actions.run(ops.receive_po(str(po["id"]), lines),
                             info=f"Delivery for {po['number']} booked in")

        dialog.accepted.connect(accepted)
        dialog.open()
        return dialog

    def cancel_selected(self) -> None:
        po = self._need_po()
        if po is not None:
            self.actions.run(ops.cancel_po(str(po["id"])), info=f"{po['number']} cancelled")
