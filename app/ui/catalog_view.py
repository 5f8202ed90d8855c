"""The Catalog page: every product in a lazy, sortable table, edited beside it.

The table holds SKUs and reads rows as it paints (``IdWindowModel``), so 10,000 products
scroll as smoothly as ten. The panel on the right edits the selected product (or a new
one): SKU, name, aliases, unit, price, tax rate, low-stock level, variants with their own
prices, option groups whose options add to the price, and whether it is still sold.
Several selected products get new prices at once (``BulkPriceDialog``, with a preview
and Ctrl+Z); catalog files come in through a preview of every row
(``catalog_dialogs.ImportDialog``) and go out as CSV or XLSX.

Keys: Ctrl+F search, Ins new product, Enter edit the selected one, Ctrl+S save it,
Ctrl+Shift+P change prices, Ctrl+I import, Ctrl+Shift+E export.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import protocol as p
from app.ui import operations as ops
from app.ui.catalog_dialogs import BulkPriceDialog, ImportDialog
from app.ui.id_window_model import IdWindowModel
from app.ui.order_actions import OrderActions, UndoStep
from app.ui.pages import EVERYTHING, Refresh
from app.ui.pyside_compat import emit
from app.ui.read_store import ProductFilter, ReadStore
from app.ui.widgets import FilterCombo, PageHeader, SearchField, bind_key, page_layout, plain_table
from sync.catalog_prices import options_text, variants_text
from sync.changes import Changes
from sync.money import format_money
from sync.vocabulary import UNITS

Index = QModelIndex | QPersistentModelIndex
SHOW = [("active", "Sold now"), ("archived", "Archived"), ("low", "Low or overbooked")]


def qty_text(milli: Any) -> str:
    text = format(Decimal(int(milli or 0)) / 1000, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class ProductModel(IdWindowModel):
    """Products matching a ``ProductFilter``; sorting re-queries (SQLite sorts)."""

    COLUMNS = (("name", "Product"), ("sku", "SKU"), ("price", "Price"), ("unit", "Unit"),
               ("tax_rate", "Tax %"), ("stock", "Stock"), ("low_stock", "Warn at"),
               ("choices", "Variants, options"), ("active", "Status"))

    def __init__(self, store: ReadStore, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self.filter = ProductFilter()

    def set_filter(self, f: ProductFilter) -> None:
        self.filter = f
        self.reset()

    def query_ids(self, limit: int, offset: int = 0) -> list[str]:
        return self.store.product_skus(self.filter, limit, offset)

    def query_count(self) -> int:
        return self.store.product_count(self.filter)

    def query_rows(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return self.store.products_by_sku(ids)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.COLUMNS[column][0] if 0 <= column < len(self.COLUMNS) else "name"
        key = {"low_stock": "stock", "choices": "name"}.get(key, key)
        desc = order == Qt.SortOrder.DescendingOrder
        self.filter.order_by = f"{key} DESC" if desc else key
        self.reset()

    def cell(self, row: dict[str, Any], column: int, role: int) -> Any:
        key = self.COLUMNS[column][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "price":
                return self.store.money(row.get("price"))
            if key == "stock":
                return qty_text(row.get("available_milli"))
            if key == "choices":
                bits = [f"{len(row.get('variants') or [])} variants"] if row.get("variants") \
                    else []
                bits += [g for g in (row.get("option_groups") or {})]
                return " · ".join(bits)
            if key == "active":
                return "Sold" if row.get("active") else "Archived"
            return str(row.get(key) if row.get(key) is not None else "")
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("price", "stock", "tax_rate",
                                                                 "low_stock"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if key == "active" and not row.get("active"):
                return QBrush(QColor("#8a93a3"))
            if key == "stock" and int(row.get("available_milli") or 0) < 0:
                return QBrush(QColor("#d93636"))
            if key == "stock" and row.get("is_low"):
                return QBrush(QColor("#c27c0e"))
        if role == Qt.ItemDataRole.ToolTipRole and key == "name":
            return str(row.get("name") or "")
        return None


class CatalogTable(QTableView):
    """Enter edits the current product; Ins starts a new one."""

    sig_key = Signal(str)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            emit(self.sig_key, "edit")
            return
        if event.key() == Qt.Key.Key_Insert:
            emit(self.sig_key, "new")
            return
        super().keyPressEvent(event)


class ProductForm(QWidget):
    """Edit one product (or a new one) and save it through the engine."""

    #: the product was saved (its SKU)
    sig_saved = Signal(str)

    def __init__(self, store: ReadStore, actions: OrderActions,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actions = actions
        self.product: dict[str, Any] | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 8, 16, 12)
        self.title = QLabel("New product")
        self.title.setObjectName("SectionTitle")
        self.title.setWordWrap(True)
        lay.addWidget(self.title)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.sku = QLineEdit()
        self.sku.setPlaceholderText("e.g. PZ-MARG (no spaces)")
        self.sku.setMaxLength(64)
        self.name = QLineEdit()
        self.name.setMaxLength(200)
        self.aliases = QLineEdit()
        self.aliases.setPlaceholderText("other words for it, comma-separated")
        self.unit = QComboBox()
        self.unit.addItems(list(UNITS))
        self.price = QLineEdit()
        self.price.setPlaceholderText("0.00")
        self.tax = QLineEdit()
        self.tax.setPlaceholderText("0")
        self.low = QLineEdit()
        self.low.setPlaceholderText("no warning")
        self.variants = QPlainTextEdit()
        self.variants.setPlaceholderText("one per line: Small, or Large=9.50 (its own price)")
        self.variants.setFixedHeight(64)
        self.options = QPlainTextEdit()
        self.options.setPlaceholderText("one group per line: Size=small,large=1.50 "
                                        "(an option may add to the price)")
        self.options.setFixedHeight(64)
        self.active = QCheckBox("Sold now (untick to archive)")
        self.active.setChecked(True)
        for label, widget in (("SKU", self.sku), ("Name", self.name), ("Aliases", self.aliases),
                              ("Unit", self.unit), ("Price", self.price),
                              ("Tax rate %", self.tax), ("Warn at", self.low),
                              ("Variants", self.variants), ("Options", self.options),
                              ("", self.active)):
            form.addRow(label, widget)
        lay.addLayout(form)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d93636;")
        lay.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.revert = QPushButton("Revert")
        self.revert.clicked.connect(lambda: self.show_product(self.product))
        self.save_button = QPushButton("Save  (Ctrl+S)")
        self.save_button.setObjectName("Primary")
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.revert)
        buttons.addWidget(self.save_button)
        lay.addLayout(buttons)
        lay.addStretch(1)
        self.shortcuts = [bind_key(self, "Ctrl+S", self.save)]
        for shortcut in self.shortcuts:
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    @property
    def currency(self) -> str:
        return self.store.currency

    def show_product(self, product: dict[str, Any] | None) -> None:
        """Fill the form with ``product`` (None: an empty new product)."""
        self.product = product
        self.error.setText("")
        cur = self.currency
        if product is None:
            self.title.setText("New product")
            for edit in (self.sku, self.name, self.aliases, self.price, self.tax, self.low):
                edit.clear()
            self.variants.clear()
            self.options.clear()
            self.unit.setCurrentText("each")
            self.active.setChecked(True)
            self.sku.setReadOnly(False)
            return
        self.title.setText(str(product.get("name") or product["sku"]))
        self.sku.setText(str(product["sku"]))
        self.sku.setReadOnly(True)
        self.name.setText(str(product.get("name") or ""))
        self.aliases.setText(", ".join(product.get("aliases") or []))
        self.unit.setCurrentText(str(product.get("unit") or "each"))
        self.price.setText(format_money(int(product.get("price") or 0), cur))
        self.tax.setText(str(product.get("tax_rate") or "0"))
        self.low.setText(str(product.get("low_stock") or ""))
        self.variants.setPlainText("\n".join(variants_text(
            product.get("variants") or [], product.get("variant_prices") or {}, cur)))
        self.options.setPlainText("\n".join(
            f"{g}={','.join(o)}" for g, o in options_text(
                product.get("option_groups") or {}, product.get("option_prices") or {},
                cur).items()))
        self.active.setChecked(bool(product.get("active")))

    def values(self) -> dict[str, Any]:
        """What the form says, as command parameters (text, checked by the engine)."""
        groups: dict[str, list[str]] = {}
        for line in self.options.toPlainText().splitlines():
            if line.strip():
                name, _, opts = line.partition("=")
                groups[name.strip()] = [o.strip() for o in opts.split(",") if o.strip()]
        return {
            "sku": self.sku.text().strip(), "name": self.name.text().strip(),
            "aliases": [a.strip() for a in self.aliases.text().split(",") if a.strip()],
            "unit": self.unit.currentText(), "price": self.price.text().strip(),
            "tax_rate": self.tax.text().strip() or "0", "low_stock": self.low.text().strip(),
            "variants": [v.strip() for v in self.variants.toPlainText().splitlines()
                         if v.strip()],
            "option_groups": groups, "active": self.active.isChecked()}

    def problem(self) -> str:
        """What is plainly wrong before asking the engine (which checks everything)."""
        v = self.values()
        if not v["sku"]:
            return "Give the product a SKU."
        if not v["name"]:
            return "Give the product a name."
        if not v["price"]:
            return "Give the product a price."
        for line in self.options.toPlainText().splitlines():
            if line.strip() and "=" not in line:
                return f"Write the option group as Group=a,b — not {line.strip()[:30]!r}."
        return ""

    def save(self) -> None:
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            return
        v = self.values()
        self.error.setText("")
        self.save_button.setEnabled(False)
        if self.product is None:
            request: Any = ops.add_product(p.ProductAdd(
                sku=v["sku"], name=v["name"], price=v["price"], aliases=v["aliases"],
                unit=v["unit"], tax_rate=v["tax_rate"], low_stock=v["low_stock"] or None,
                variants=v["variants"], option_groups=v["option_groups"] or None))
        else:
            request = ops.update_product(p.ProductUpdate(
                sku=v["sku"], name=v["name"], price=v["price"], aliases=v["aliases"],
                unit=v["unit"], tax_rate=v["tax_rate"], low_stock=v["low_stock"] or "none",
                variants=v["variants"], option_groups=v["option_groups"],
                archive=not v["active"], restore=v["active"]))

        def done(row: Any) -> None:
            self.save_button.setEnabled(True)
            self.show_product(dict(row))
            emit(self.sig_saved, str(row.get("sku")))

        def failed(message: str) -> None:
            self.save_button.setEnabled(True)
            self.error.setText(message[:1].upper() + message[1:] + ".")

        self.actions.run(request, done=done, failed=failed, info=f"Saved {v['sku']}")


class CatalogView(QWidget):
    """The catalog page."""

    def __init__(self, store: ReadStore, actions: OrderActions,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actions = actions
        self.header = PageHeader("Catalog", "")
        self.new_button = QPushButton("New product  (Ins)")
        self.new_button.setObjectName("Primary")
        self.new_button.clicked.connect(self.new_product)
        self.prices_button = QPushButton("Change prices…")
        self.prices_button.setToolTip("New prices for the selected products (Ctrl+Shift+P)")
        self.prices_button.clicked.connect(self.change_prices)
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("Products from a CSV or XLSX file (Ctrl+I)")
        self.import_button.clicked.connect(self.import_file)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("The catalog as CSV or XLSX (Ctrl+Shift+E)")
        self.export_button.clicked.connect(self.export_file)
        for b in (self.import_button, self.export_button, self.prices_button, self.new_button):
            self.header.add(b)
        lay = page_layout(self, self.header)
        bar = QHBoxLayout()
        bar.setContentsMargins(16, 0, 16, 8)
        self.search = SearchField("Search SKU, name or alias…  (Ctrl+F)")
        self.showing = FilterCombo("Every product", SHOW)
        self.showing.setCurrentIndex(1)
        bar.addWidget(self.search, 3)
        bar.addWidget(self.showing, 1)
        lay.addLayout(bar)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.model = ProductModel(store, self)
        self.table = CatalogTable()
        self.table.setModel(self.model)
        plain_table(self.table)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(30)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col, width in ((1, 100), (2, 76), (3, 62), (4, 60), (5, 58), (6, 72), (7, 140),
                           (8, 70)):
            self.table.setColumnWidth(col, width)
        self.table.sig_key.connect(self._key)
        split.addWidget(self.table)
        self.form = ProductForm(store, actions)
        self.form.sig_saved.connect(self._saved)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        scroll.setMinimumWidth(340)
        split.addWidget(scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([820, 380])
        lay.addWidget(split, 1)
        self.search.textChanged.connect(lambda _t: self.apply_filter())
        self.showing.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.table.selectionModel().currentRowChanged.connect(self._current)
        self.shortcuts = [bind_key(self, key, slot) for key, slot in (
            ("Ins", self.new_product), ("Ctrl+Shift+P", self.change_prices),
            ("Ctrl+I", self.import_file), ("Ctrl+Shift+E", self.export_file))]
        for shortcut in self.shortcuts:
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.import_dialog: ImportDialog | None = None

    # ------------------------------------------------------------------ list

    def apply_filter(self) -> None:
        order_by = self.model.filter.order_by
        self.model.set_filter(ProductFilter(search=self.search.text().strip(),
                                            show=self.showing.value() or "all",
                                            order_by=order_by))
        self._update_header()

    def _update_header(self) -> None:
        shown = self.model.total
        everything = self.store.product_count(ProductFilter(show="all"))
        self.header.subtitle.setText(
            f"{shown:,} shown of {everything:,} products · Enter edits · Ins adds · "
            "Ctrl+Shift+P changes the prices of the selection")

    def needs_refresh(self, changes: Changes) -> Refresh | None:
        """Products, and their stock levels."""
        if changes.touches("stock"):
            return Refresh.rows(changes.products | changes.stock) if not changes.everything \
                else EVERYTHING
        return Refresh.rows(changes.products) if changes.touches("products") else None

    def refresh(self, changed: set[str] | None = None) -> None:
        self.model.refresh(changed)
        self._update_header()
        product = self.form.product
        if product is not None and (changed is None or product["sku"] in changed):
            row = self.store.products_by_sku([str(product["sku"])]).get(str(product["sku"]))
            if row is not None:
                self.form.show_product(row)

    def reload(self) -> None:
        self.model.reset()
        self._update_header()

    def selected_skus(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [s for s in (self.model.id_at(r) for r in rows) if s]

    def _current(self, current: QModelIndex, _prev: QModelIndex) -> None:
        sku = self.model.id_at(current.row()) if current.isValid() else None
        if sku:
            self.form.show_product(self.model.row_at(current.row()))

    def _key(self, action: str) -> None:
        if action == "new":
            self.new_product()
        elif action == "edit":
            self.form.name.setFocus()
            self.form.name.selectAll()

    def _saved(self, sku: str) -> None:
        self.model.refresh({sku})
        row = self.model.row_for_id(sku)
        if row >= 0:
            self.table.selectRow(row)
        self._update_header()

    def new_product(self) -> None:
        self.table.clearSelection()
        self.form.show_product(None)
        self.form.sku.setFocus()

    # ------------------------------------------------------------------ bulk, files

    def change_prices(self) -> BulkPriceDialog | None:
        skus = self.selected_skus()
        if not skus:
            emit(self.actions.sig_error, "Select the products to reprice first (Shift or "
                                         "Ctrl with the arrows or the mouse).")
            return None
        rows = self.store.products_by_sku(skus)
        dialog = BulkPriceDialog([rows[s] for s in skus if s in rows], self.store, self)
        dialog.sig_apply.connect(self._apply_prices)
        dialog.open()
        return dialog

    def _apply_prices(self, new: dict[str, int], old: dict[str, int]) -> None:
        cur = self.store.currency
        text = {s: format_money(v, cur) for s, v in new.items()}
        back = {s: format_money(v, cur) for s, v in old.items()}
        self.actions.run(ops.set_prices(text), info=f"New prices for {len(new)} products",
                         undo=UndoStep(f"price change of {len(new)} products",
                                       ops.set_prices(back)))

    def import_file(self, path: str | None = None) -> ImportDialog:
        dialog = ImportDialog(self.actions, self)
        self.import_dialog = dialog
        dialog.open()
        if path:
            dialog.preview(path)
        else:
            dialog.choose()
        return dialog

    def export_file(self, path: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Export the catalog", "catalog.xlsx",
                                                  "Excel (*.xlsx);;CSV (*.csv)")
        if not path:
            return
        fmt = "csv" if path.lower().endswith(".csv") else "xlsx"
        if not path.lower().endswith((".csv", ".xlsx")):
            path += ".xlsx"
        self.actions.run(ops.export_products(path, fmt),
                         done=lambda r: emit(self.actions.sig_info,
                                             f"Exported {r['products']} products to {r['path']}"))
