"""The Reports page, the cash-up dialog, the backup label and the printer and backup
settings, against the session's real engine (the demo pizzeria)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QTableWidget

from tests.ui.test_screenshots import not_blank, save


def shown(qtbot: Any, window: Any) -> dict[str, Any]:
    with qtbot.waitSignal(window.reports.sig_shown, timeout=15_000) as blocker:
        window.reports.run()
    report: dict[str, Any] = blocker.args[0]
    return report


def test_reports_page_shows_tables_and_charts_and_exports(qtbot: Any, window: Any,
                                                         tmp_path: Path) -> None:
    page = window.reports
    qtbot.keyClick(window, Qt.Key.Key_8, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is page
    page.by.setCurrentIndex(page.by.findData("product"))
    report = shown(qtbot, window)
    assert report["report"] == "sales" and report["totals"]["sales"] > 0
    tables = page.body.findChildren(QTableWidget)
    assert tables and tables[0].rowCount() == len(report["tables"][0]["rows"]) + 1
    assert tables[0].item(tables[0].rowCount() - 1, 0).text() == "Total"
    import pyqtgraph as pg

    assert page.body.findChildren(pg.PlotWidget)
    assert report["totals"]["sales_text"] in page.status.text()
    shots = [save(window, "reports")]
    page.kind.setCurrentIndex(page.kind.findData("messages"))
    report = shown(qtbot, window)
    assert report["report"] == "messages"
    shots.append(save(window, "reports-messages"))
    for path in shots:
        assert not_blank(path)
    out = tmp_path / "messages.xlsx"
    page.export("xlsx", str(out))
    qtbot.waitUntil(out.exists, timeout=10_000)
    qtbot.waitUntil(lambda: "Written to" in page.status.text(), timeout=10_000)


def test_a_backwards_range_is_said_plainly(qtbot: Any, window: Any) -> None:
    page = window.reports
    window.show_page(7)
    page.date_from.setDate(QDate(2026, 11, 20))
    page.date_to.setDate(QDate(2026, 11, 1))
    page.run()
    qtbot.waitUntil(lambda: "after it ends" in page.status.text(), timeout=10_000)


def test_cash_up_dialog_refuses_bad_counts_and_closes_the_day(qtbot: Any, window: Any,
                                                              tmp_path: Path) -> None:
    dialog = window.open_cashup()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10_000)
    dialog.close_button.click()
    assert "Type the cash counted" in dialog.error.text()
    dialog.counted.setText("lots")
    dialog.close_button.click()
    qtbot.waitUntil(lambda: "not an amount of money" in dialog.error.text(), timeout=10_000)
    dialog.counted.setText("-3")
    dialog.close_button.click()
    qtbot.waitUntil(lambda: "cannot be negative" in dialog.error.text(), timeout=10_000)
    dialog.opening.setText("20")
    dialog.counted.setText("25.50")
    dialog.by.setText("Sam")
    with qtbot.waitSignal(dialog.sig_closed, timeout=10_000) as closed:
        dialog.close_button.click()
    assert closed.args[0]["closed"]["closed_by"] == "Sam"
    assert closed.args[0]["totals"]["counted_cash"] == 2550
    dialog.resize(640, 620)
    assert not_blank(save(dialog, "cashup"))
    pdf = tmp_path / "z.pdf"
    dialog.save_pdf(str(pdf))
    qtbot.waitUntil(pdf.exists, timeout=10_000)
    dialog.accept()


def test_backup_label_and_settings_validation(qtbot: Any, window: Any, tmp_path: Path) -> None:
    window.status.poll_backup()
    qtbot.waitUntil(lambda: "ackup" in window.status.backup.text(), timeout=10_000)
    window.back_up_now()
    qtbot.waitUntil(lambda: "ago" in window.status.backup.text()
                    and "No backup" not in window.status.backup.text(), timeout=15_000)
    dialog = window.open_settings()
    dialog.fields["receipt_printer"].setText("lpt1")
    dialog.save()
    assert "is not a printer address" in dialog.error.text()
    assert window.settings.get("receipt_printer") == ""
    (tmp_path / "afile").write_text("x")
    dialog.fields["receipt_printer"].setText("tcp://127.0.0.1:9100")
    dialog.fields["backup_folder"].setText(str(tmp_path / "afile"))
    dialog.save()
    assert "is a file, not a folder" in dialog.error.text()
    dialog.fields["backup_folder"].setText(str(tmp_path / "usb"))
    dialog.fields["backup_keep"].setValue(5)
    dialog.save()
    assert window.settings.get("receipt_printer") == "tcp://127.0.0.1:9100"
    assert window.settings.get("backup_keep") == 5
