"""The Reports page: choose a report, a date range and a till; see each table with the
chart that suits it beside it; export it as CSV, XLSX or PDF; close the day (cash-up).

Reports are built by the engine (``report.*`` commands, off the GUI thread through the
``EngineLink``) on its read model, so the page never blocks. Charts are pyqtgraph
(bars for categories and rankings, a line for days): a small pure-Python library that
draws thousands of points without a stutter, where QtCharts needs PySide6-Addons.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import protocol as p
from app.reports.tables import cell_text
from app.ui.engine_link import EngineLink
from app.ui.pages import EVERYTHING, Refresh
from app.ui.pyside_compat import emit
from app.ui.read_store import ReadStore
from sync.changes import Changes

REPORTS = (("sales", "Sales"), ("orders", "Orders and timings"), ("customers", "Customers"),
           ("refunds", "Refunds and returns"), ("tax", "Tax"), ("stock", "Stock"),
           ("messages", "Messages"))
BY = (("day", "Day"), ("week", "Week"), ("month", "Month"), ("product", "Product"),
      ("category", "Category"), ("channel", "Channel"), ("staff", "Staff member"),
      ("till", "Till"))
COMMANDS: dict[str, p.Command[Any, p.Report]] = {
    "sales": p.REPORT_SALES, "orders": p.REPORT_ORDERS, "customers": p.REPORT_CUSTOMERS,
    "refunds": p.REPORT_REFUNDS, "tax": p.REPORT_TAX, "stock": p.REPORT_STOCK,
    "messages": p.REPORT_MESSAGES}
ACCENT = "#2563eb"
SERIES = ("#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777")


def report_request(kind: str, date_from: str, date_to: str, till: str, by: str = "day",
                   out: str = "") -> p.Request[Any, p.Report]:
    """The ``report.*`` request for what the page shows (``out``: also write a file)."""
    if kind == "sales":
        return p.REPORT_SALES.request(p.ReportSales(date_from=date_from, date_to=date_to,
                                                    till=till, out=out, group_by=by))
    return COMMANDS[kind].request(p.ReportRange(date_from=date_from, date_to=date_to,
                                                till=till, out=out))


def chart_widget(table: p.ReportTable) -> pg.PlotWidget | None:
    """The table's chart (``ReportTable.chart``) as a pyqtgraph plot; None without one."""
    spec = table.get("chart")
    rows = table.get("rows") or []
    if not spec or not rows:
        return None
    plot = pg.PlotWidget(background="w")
    plot.setMinimumHeight(220)
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    item = plot.getPlotItem()
    item.showGrid(y=True, alpha=0.2)
    if spec.get("title"):
        item.setTitle(spec["title"], color="#333", size="10pt")
    x_key = spec["x"]
    series = [k for k in spec["y"] if any(isinstance(r.get(k), (int, float)) for r in rows)]
    money = {c["key"] for c in table["columns"] if c["kind"] == "money"}
    if spec["kind"] == "hbar":
        top = sorted(rows, key=lambda r: -float(r.get(series[0]) or 0))[:12][::-1]
        values = [float(r.get(series[0]) or 0) / (100 if series[0] in money else 1)
                  for r in top]
        plot.addItem(pg.BarGraphItem(x0=0, y=list(range(len(top))), height=0.7,
                                     width=values, brush=ACCENT, pen=None))
        axis = item.getAxis("left")
        axis.setTicks([[(n, str(r.get(x_key) or "")[:20]) for n, r in enumerate(top)]])
        axis.setWidth(130)
        axis.setStyle(autoExpandTextSpace=False)
        return plot
    labels = [str(r.get(x_key) or "") for r in rows]
    step = max(1, len(labels) // 12)
    item.getAxis("bottom").setTicks([[(n, labels[n][-5:] if spec["kind"] == "line"
                                       else labels[n][:12]) for n in range(0, len(labels), step)]])
    width = 0.8 / max(1, len(series))
    for s, key in enumerate(series):
        values = [float(r.get(key) or 0) / (100 if key in money else 1) for r in rows]
        colour = SERIES[s % len(SERIES)]
        if spec["kind"] == "line":
            plot.plot(list(range(len(values))), values, pen=pg.mkPen(colour, width=2),
                      symbol="o", symbolSize=5, symbolBrush=colour, name=key)
        else:
            xs = [n - 0.4 + width * (s + 0.5) for n in range(len(values))]
            plot.addItem(pg.BarGraphItem(x=xs, height=values, width=width * 0.9, brush=colour,
                                         pen=None, name=key))
    if len(series) > 1:
        legend = item.addLegend(offset=(-10, 10))
        for s, key in enumerate(series):
            legend.addItem(pg.BarGraphItem(x=[0], height=[0], width=1,
                                           brush=SERIES[s % len(SERIES)]), key)
    return plot


def table_widget(table: p.ReportTable, currency: str) -> QTableWidget:
    cols = table["columns"]
    rows = table.get("rows") or []
    totals = table.get("totals") or {}
    has_totals = any(c["key"] in totals for c in cols)
    w = QTableWidget(len(rows) + (1 if has_totals else 0), len(cols))
    w.setHorizontalHeaderLabels([c["label"] or "" for c in cols])
    w.verticalHeader().hide()
    w.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    w.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    w.setAlternatingRowColors(True)
    for r, row in enumerate(rows):
        for n, c in enumerate(cols):
            _set_cell(w, r, n, cell_text(row.get(c["key"]), c["kind"], row, c["key"], currency),
                      c["kind"])
    if has_totals:
        for n, c in enumerate(cols):
            text = cell_text(totals[c["key"]], c["kind"], totals, c["key"], currency) \
                if c["key"] in totals else ("Total" if n == 0 else "")
            _set_cell(w, len(rows), n, text, c["kind"], bold=True)
    header = w.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    w.setMinimumHeight(min(420, 30 + 26 * (len(rows) + 1)))
    w.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return w


def _set_cell(w: QTableWidget, r: int, n: int, text: str, kind: str, bold: bool = False) -> None:
    item = QTableWidgetItem(text)
    if kind != "text":
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if bold:
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    w.setItem(r, n, item)


class ReportsView(QWidget):
    """The Reports page (keyboard first: every control has a mnemonic; Enter runs)."""

    #: a report arrived and is shown (its JSON)
    sig_shown = Signal(object)
    #: the cash-up dialog was asked for
    sig_cashup = Signal()

    def __init__(self, store: ReadStore, link: EngineLink, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.link = link
        self.report: p.Report | None = None
        self._asked = 0
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 8)
        title = QLabel("Reports")
        title.setObjectName("PageTitle")
        lay.addWidget(title)
        bar = QHBoxLayout()
        self.kind = QComboBox()
        for key, label in REPORTS:
            self.kind.addItem(label, key)
        self.by = QComboBox()
        for key, label in BY:
            self.by.addItem(label, key)
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-29))
        self.date_to = QDateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.till = QComboBox()
        self.run_button = QPushButton("&Show")
        self.run_button.setObjectName("Primary")
        for text, widget in (("&Report", self.kind), ("&By", self.by), ("&From", self.date_from),
                             ("&To", self.date_to), ("T&ill", self.till)):
            label = QLabel(text)
            label.setBuddy(widget)
            bar.addWidget(label)
            bar.addWidget(widget)
        bar.addWidget(self.run_button)
        bar.addStretch(1)
        self.exports = {}
        for fmt, text in (("csv", "CS&V"), ("xlsx", "&XLSX"), ("pdf", "&PDF")):
            button = QPushButton(text)
            button.setToolTip(f"Export this report as {fmt.upper()}")
            button.clicked.connect(lambda _c=False, f=fmt: self.export(f))
            self.exports[fmt] = button
            bar.addWidget(button)
        self.cashup_button = QPushButton("&Cash-up…")
        self.cashup_button.clicked.connect(lambda: emit(self.sig_cashup))
        bar.addWidget(self.cashup_button)
        lay.addLayout(bar)
        self.status = QLabel("")
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.addStretch(1)
        self.scroll.setWidget(self.body)
        lay.addWidget(self.scroll, 1)
        self.run_button.clicked.connect(self.run)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.by.currentIndexChanged.connect(lambda _n: self.run())
        self.till.currentIndexChanged.connect(lambda _n: self.run())
        for edit in (self.date_from, self.date_to):
            edit.editingFinished.connect(self.run)
        self._kind_changed()

    # ------------------------------------------------------------------ page protocol

    def needs_refresh(self, changes: Changes) -> Refresh | None:
        return EVERYTHING if changes.touches("orders", "messages", "stock", "cashups") \
            or changes.tills else None

    def refresh(self, changed: set[str] | None = None) -> None:
        self.run()

    def reload(self) -> None:
        current = self.till.currentData()
        self.till.blockSignals(True)
        self.till.clear()
        self.till.addItem("Whole shop", "")
        for t in self.store.tills():
            if not t.get("removed"):
                self.till.addItem(f"{t['name']} ({t['prefix']})", t["id"])
        self.till.setCurrentIndex(max(0, self.till.findData(current)))
        self.till.blockSignals(False)
        self.run()

    # ------------------------------------------------------------------ running

    def _kind_changed(self) -> None:
        self.by.setEnabled(self.kind.currentData() == "sales")
        self.run()

    def request(self, out: str = "") -> p.Request[Any, p.Report]:
        return report_request(str(self.kind.currentData()),
                              self.date_from.date().toString("yyyy-MM-dd"),
                              self.date_to.date().toString("yyyy-MM-dd"),
                              str(self.till.currentData() or ""), str(self.by.currentData()),
                              out)

    def run(self) -> None:
        if not self.link.connected:
            self.status.setText("Waiting for the engine…")
            return
        self.status.setText("Working…")
        self._asked += 1
        asked = self._asked
        call = self.link.send(self.request())
        # only the answer to the last question is shown (filters change faster than it)
        call.sig_done.connect(lambda r: self.show_report(r) if asked == self._asked else None)
        call.sig_failed.connect(lambda m, k: self._failed(m, k) if asked == self._asked
                                else None)

    def _failed(self, message: str, _kind: str) -> None:
        self.status.setText(message[:1].upper() + message[1:])
        self.status.setStyleSheet("color: #d93636;")

    def show_report(self, report: Any) -> None:
        self.report = report
        self.status.setStyleSheet("")
        totals = report.get("totals") or {}
        bits = [f"{report['title']} · {report['date_from']} – {report['date_to']}"]
        for key in ("sales", "orders", "takings", "stock_value", "messages", "refunded"):
            if key in totals:
                bits.append(f"{key.replace('_', ' ')} {totals.get(key + '_text', totals[key])}")
        self.status.setText("   ·   ".join(bits))
        while self.body_layout.count() > 1:
            item = self.body_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setParent(None)
                widget.deleteLater()
        for n, t in enumerate(report["tables"]):
            section = QWidget()
            sl = QVBoxLayout(section)
            sl.setContentsMargins(0, 8, 0, 8)
            heading = QLabel(t["title"])
            heading.setStyleSheet("font-weight: 600; font-size: 11pt;")
            sl.addWidget(heading)
            row = QHBoxLayout()
            plot = chart_widget(t)
            table = table_widget(t, report["currency"])
            row.addWidget(table, 3)
            if plot is not None:
                row.addWidget(plot, 2)
            sl.addLayout(row)
            self.body_layout.insertWidget(n, section)
        emit(self.sig_shown, report)

    def export(self, fmt: str, path: str | None = None) -> None:
        """Write the report as ``fmt`` (asks where, unless ``path`` is given)."""
        if path is None:
            name = f"{self.kind.currentData()}-{dt.date.today():%Y%m%d}.{fmt}"
            path, _ = QFileDialog.getSaveFileName(self, "Export report", str(Path.home() / name),
                                                  f"{fmt.upper()} (*.{fmt})")
            if not path:
                return
        call = self.link.send(self.request(out=str(path)))
        call.sig_done.connect(lambda r: self.status.setText(f"Written to {r.get('written')}"))
        call.sig_failed.connect(self._failed)
