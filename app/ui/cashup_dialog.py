"""The end-of-day cash-up dialog: see the day's Z report for a till or the shop, type the
cash counted and close the day (``report.cashup`` with ``counted``: a record in the shop
document), then save it as PDF. Bad input is said in the dialog, the day stays open."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import protocol as p
from app.ui.engine_link import EngineLink
from app.ui.pyside_compat import emit
from app.ui.read_store import ReadStore
from app.ui.reports_view import table_widget


class CashupDialog(QDialog):
    """Count the drawer and close the day."""

    #: the day was closed (the report JSON with its record)
    sig_closed = Signal(object)

    def __init__(self, store: ReadStore, link: EngineLink, staff: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.link = link
        self.report: Any = None
        self.setWindowTitle("Cash-up (end of day)")
        self.resize(640, 620)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.till = QComboBox()
        self.till.addItem("Whole shop", "")
        for t in store.tills():
            if not t.get("removed"):
                self.till.addItem(f"{t['name']} ({t['prefix']})", t["id"])
        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.opening = QLineEdit()
        self.opening.setPlaceholderText("0.00")
        self.counted = QLineEdit()
        self.counted.setPlaceholderText("cash in the drawer now")
        self.by = QLineEdit(staff)
        for text, widget in (("&Till", self.till), ("&Day", self.date),
                             ("Opening &float", self.opening), ("Cash &counted", self.counted),
                             ("Closed &by", self.by)):
            form.addRow(text, widget)
        lay.addLayout(form)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #d93636;")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        self.summary = QVBoxLayout()
        lay.addLayout(self.summary, 1)
        buttons = QHBoxLayout()
        self.preview_button = QPushButton("&Preview")
        self.close_button = QPushButton("C&lose the day")
        self.close_button.setObjectName("Primary")
        self.pdf_button = QPushButton("Save P&DF…")
        done = QPushButton("Done")
        done.clicked.connect(self.accept)
        for b in (self.preview_button, self.pdf_button, done, self.close_button):
            buttons.addWidget(b)
        lay.addLayout(buttons)
        self.preview_button.clicked.connect(lambda: self.run(close=False))
        self.close_button.clicked.connect(lambda: self.run(close=True))
        self.pdf_button.clicked.connect(self.save_pdf)
        self.till.currentIndexChanged.connect(lambda _n: self.run(close=False))
        self.date.editingFinished.connect(lambda: self.run(close=False))
        self.run(close=False)

    def params(self, *, close: bool, out: str = "") -> p.ReportCashup:
        return p.ReportCashup(
            till=str(self.till.currentData() or ""),
            date=self.date.date().toString("yyyy-MM-dd"),
            counted=self.counted.text().strip() if close else None,
            opening_float=self.opening.text().strip() or None,
            by=self.by.text().strip(), out=out)

    def run(self, *, close: bool, out: str = "") -> None:
        if close and not self.counted.text().strip():
            self.error.setText("Type the cash counted in the drawer first.")
            self.counted.setFocus()
            return
        self.error.setText("")
        call = self.link.send(p.REPORT_CASHUP.request(self.params(close=close, out=out)))
        call.sig_done.connect(lambda r: self._shown(r, close))
        call.sig_failed.connect(lambda msg, _t: self.error.setText(msg[:1].upper() + msg[1:]))

    def _shown(self, report: Any, closed: bool) -> None:
        self.report = report
        while self.summary.count():
            item = self.summary.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setParent(None)
                widget.deleteLater()
        heading = QLabel(report["title"])
        heading.setStyleSheet("font-weight: 600;")
        self.summary.addWidget(heading)
        for t in report["tables"][:2]:
            self.summary.addWidget(table_widget(t, report["currency"]))
        if report.get("written"):
            self.error.setStyleSheet("color: #22a06b;")
            self.error.setText(f"Saved to {report['written']}")
        if closed:
            emit(self.sig_closed, report)

    def save_pdf(self, path: str | None = None) -> None:
        if path is None:
            from PySide6.QtWidgets import QFileDialog

            day = self.date.date().toString("yyyyMMdd")
            path, _ = QFileDialog.getSaveFileName(self, "Save the cash-up", f"cashup-{day}.pdf",
                                                  "PDF (*.pdf)")
            if not path:
                return
        self.run(close=False, out=str(path))
