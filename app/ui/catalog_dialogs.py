"""The Catalog page's dialogs: new prices for many products, and importing a file.

Both show what will happen before anything is written: the price dialog lists every
old and new price (worked out by ``sync.catalog_prices.repriced``, the engine's own
rule), the import dialog asks the engine for a dry run and lists each row's action or
its errors. Nothing is written until staff press the button that says what it does.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui import operations as ops
from app.ui.order_actions import OrderActions
from app.ui.pyside_compat import emit
from app.ui.read_store import ReadStore
from app.ui.widgets import plain_table
from sync.catalog_prices import repriced
from sync.errors import CommandRejected
from sync.money import format_money

MODES = (("percent", "By a percentage", "+5 or -10"),
         ("amount", "By an amount", "+0.20 or -0.50"),
         ("to", "Set the price", "3.50"))


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    plain_table(table)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    return table


class BulkPriceDialog(QDialog):
    """New prices for the selected products: by %, by an amount, or one price."""

    #: (SKU -> new price, SKU -> old price), minor units; only products that change
    sig_apply = Signal(dict, dict)

    def __init__(self, products: list[dict[str, Any]], store: ReadStore,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.products = products
        self.currency = store.currency
        self.setWindowTitle(f"Change the prices of {len(products)} products")
        self.resize(560, 460)
        lay = QVBoxLayout(self)
        modes = QHBoxLayout()
        self.group = QButtonGroup(self)
        self.mode_buttons: dict[str, QRadioButton] = {}
        for n, (key, label, _hint) in enumerate(MODES):
            button = QRadioButton(label)
            self.group.addButton(button, n)
            self.mode_buttons[key] = button
            modes.addWidget(button)
        self.mode_buttons["percent"].setChecked(True)
        lay.addLayout(modes)
        self.value = QLineEdit()
        self.value.setPlaceholderText(MODES[0][2])
        lay.addWidget(self.value)
        self.table = _table(["SKU", "Product", "Now", "New"])
        lay.addWidget(self.table, 1)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #d93636;")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.apply_button = QPushButton("Change prices")
        self.apply_button.setObjectName("Primary")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        buttons.addWidget(cancel)
        buttons.addWidget(self.apply_button)
        lay.addLayout(buttons)
        self.value.textChanged.connect(lambda _t: self.update_preview())
        self.group.idClicked.connect(lambda _i: self._mode_changed())
        self.new: dict[str, int] = {}
        self.update_preview()

    def mode(self) -> str:
        return next(k for k, b in self.mode_buttons.items() if b.isChecked())

    def _mode_changed(self) -> None:
        self.value.setPlaceholderText(next(h for k, _l, h in MODES if k == self.mode()))
        self.update_preview()

    def update_preview(self) -> None:
        """The new price of every product, or why there is none."""
        text = self.value.text().strip()
        self.new = {}
        problem = ""
        if text:
            try:
                for product in self.products:
                    new = repriced(int(product["price"]), self.currency,
                                   **{self.mode(): text})
                    if new != int(product["price"]):
                        self.new[str(product["sku"])] = new
            except CommandRejected as exc:
                problem = str(exc)[:1].upper() + str(exc)[1:] + "."
                self.new = {}
        self.error.setText(problem)
        self.table.setRowCount(len(self.products))
        for r, product in enumerate(self.products):
            sku = str(product["sku"])
            new = self.new.get(sku)
            cells = [sku, str(product.get("name") or ""),
                     format_money(int(product["price"]), self.currency),
                     format_money(new, self.currency) if new is not None else "unchanged"]
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if c == 3 and new is not None:
                    item.setForeground(QBrush(QColor("#138a5e" if new > int(product["price"])
                                                     else "#c27c0e")))
                if c >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.apply_button.setEnabled(bool(self.new))
        self.apply_button.setText(f"Change {len(self.new)} prices" if self.new
                                  else "Change prices")

    def apply(self) -> None:
        if not self.new:
            return
        old = {str(p["sku"]): int(p["price"]) for p in self.products
               if str(p["sku"]) in self.new}
        emit(self.sig_apply, dict(self.new), old)
        self.accept()


ACTION_WORDS = {"add": "new", "update": "changes", "unchanged": "no change", "error": "error"}
ACTION_COLOURS = {"add": "#138a5e", "update": "#2f6fed", "unchanged": "#8a93a3",
                  "error": "#d93636"}


class ImportDialog(QDialog):
    """A catalog file: every row's fate, shown before anything is written."""

    #: the import was written (its report)
    sig_imported = Signal(dict)

    def __init__(self, actions: OrderActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actions = actions
        self.path = ""
        self.report: dict[str, Any] | None = None
        self.setWindowTitle("Import products")
        self.resize(760, 540)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.file_label = QLabel("Choose a CSV or XLSX file: one product per row, the first "
                                 "row naming the columns (sku, name, price, unit, tax_rate, "
                                 "low_stock, active, aliases, variants, options, stock).")
        self.file_label.setWordWrap(True)
        top.addWidget(self.file_label, 1)
        self.choose_button = QPushButton("Choose file…")
        self.choose_button.clicked.connect(self.choose)
        top.addWidget(self.choose_button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(top)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.table = _table(["Row", "SKU · name", "Action", "What"])
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 50)
        self.table.setColumnWidth(1, 240)
        self.table.setColumnWidth(2, 90)
        lay.addWidget(self.table, 1)
        self.skip = QCheckBox("Leave out the rows with errors and import the others")
        self.skip.setVisible(False)
        self.skip.toggled.connect(lambda _c: self._update_button())
        lay.addWidget(self.skip)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.import_button = QPushButton("Import")
        self.import_button.setObjectName("Primary")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.write)
        buttons.addWidget(cancel)
        buttons.addWidget(self.import_button)
        lay.addLayout(buttons)

    def choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import products", "",
                                              "Catalog files (*.csv *.xlsx);;All files (*)")
        if path:
            self.preview(path)

    def preview(self, path: str) -> None:
        """Ask the engine what importing ``path`` would do (nothing is written)."""
        self.path = path
        self.report = None
        self.file_label.setText(path)
        self.summary.setText("Reading the file…")
        self.import_button.setEnabled(False)
        self.actions.run(ops.import_products(path, dry_run=True), done=self._previewed,
                         failed=self._failed)

    def _failed(self, message: str) -> None:
        self.summary.setStyleSheet("color: #d93636;")
        self.summary.setText(message[:1].upper() + message[1:] + ".")
        self.import_button.setEnabled(False)

    def _previewed(self, report: Any) -> None:
        self.report = dict(report)
        self.summary.setStyleSheet("")
        rows = self.report["rows"]
        errors = self.report["errors"]
        self.summary.setText(
            f"{len(rows):,} rows: {self.report['add']:,} new, {self.report['update']:,} "
            f"with changes, {self.report['unchanged']:,} unchanged"
            + (f", <b style='color:#d93636'>{errors:,} with errors</b>" if errors else "")
            + ". Nothing has been written yet.")
        shown = sorted(rows, key=lambda r: (r["action"] != "error", r["row"]))[:2000]
        self.table.setRowCount(len(shown))
        for r, row in enumerate(shown):
            what = "; ".join(row.get("errors") or []) or ", ".join(row.get("changes") or [])
            cells = [str(row["row"]), f"{row.get('sku')} · {row.get('name') or ''}",
                     ACTION_WORDS.get(row["action"], row["action"]), what]
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                if c == 2:
                    item.setForeground(QBrush(QColor(ACTION_COLOURS.get(row["action"],
                                                                        "#888"))))
                self.table.setItem(r, c, item)
        self.skip.setVisible(bool(errors))
        self._update_button()

    def writable(self) -> int:
        if self.report is None:
            return 0
        return int(self.report["add"]) + int(self.report["update"])

    def _update_button(self) -> None:
        report = self.report
        blocked = report is None or (report["errors"] and not self.skip.isChecked())
        n = self.writable()
        self.import_button.setEnabled(not blocked and n > 0)
        self.import_button.setText(f"Import {n:,} products" if n else "Import")

    def write(self) -> None:
        if not self.import_button.isEnabled():
            return
        self.import_button.setEnabled(False)
        self.summary.setText("Importing…")

        def done(report: Any) -> None:
            emit(self.sig_imported, dict(report))
            emit(self.actions.sig_info, f"Imported {report['add']:,} new and updated "
                                        f"{report['update']:,} products")
            self.accept()

        self.actions.run(ops.import_products(self.path, dry_run=False,
                                             skip_errors=self.skip.isChecked()),
                         done=done, failed=self._failed)
