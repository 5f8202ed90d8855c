"""Saves every main screen as PNG (for review, and for the README via ``make screenshots``).

They go to ``build/screenshots/`` (``tests/helpers/screenshots.py``); ``make screenshots``
sends them to the tracked ``docs/screenshots/`` instead.

Each screen is filled with the demo pizzeria from the session engine and grabbed at a
fixed window size; the test checks every file is a real, non-blank image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from tests.helpers.screenshots import screenshots_dir


def save(widget: Any, name: str) -> Path:
    QApplication.processEvents()
    shots = screenshots_dir()
    shots.mkdir(parents=True, exist_ok=True)
    path = shots / f"{name}.png"
    assert widget.grab().save(str(path)), path
    return path


def not_blank(path: Path) -> bool:
    image = QImage(str(path))
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37)
               for y in range(0, image.height(), 29)}
    return image.width() > 300 and len(colours) > 8


def test_save_every_main_screen(qtbot: Any, window: Any, store: Any) -> None:
    saved = []
    window.show_page(1)
    window.board.columns[0].list.setCurrentIndex(window.board.columns[0].model.index(0, 0))
    saved.append(save(window, "board"))
    window.show_page(2)
    saved.append(save(window, "orders-table"))
    window.show_page(0)
    model = window.inbox.model
    email = next(r for r in range(model.rowCount()) if model.row_at(r)["last_channel"] == "email")
    window.inbox.list.setCurrentIndex(model.index(email, 0))
    saved.append(save(window, "inbox-conversation"))
    window.show_page(3)
    customer = store.customers("Ann Smith")[0]
    window.customers.search.setText("")
    window.customers.show_customer(customer["id"])
    saved.append(save(window, "customers"))
    window.show_page(4)
    saved.append(save(window, "stock"))
    window.show_page(5)
    window.catalog.table.selectRow(0)
    saved.append(save(window, "catalog"))
    window.show_page(6)
    saved.append(save(window, "suppliers"))
    window.show_page(7)
    window.reports.by.setCurrentIndex(window.reports.by.findData("product"))
    qtbot.waitUntil(lambda: (window.reports.report or {}).get("title") == "Sales by product",
                    timeout=15_000)
    saved.append(save(window, "reports"))

    order_id = window.board.columns[2].model.id_at(0)
    editor = window.open_order(order_id)
    editor.resize(1060, 700)
    saved.append(save(editor, "order-editor"))
    editor.discard_and_close()
    draft_editor = window.new_order()
    draft_editor.resize(1060, 700)
    draft_editor._product_picked({"sku": "PZ-MARG", "name": "Margherita"})
    draft_editor._add_free_line()
    draft_editor.lines_model.setData(draft_editor.lines_model.index(1, 0), "Birthday candles")
    draft_editor.delivery.setChecked(True)
    draft_editor.save()
    assert "needs an address" in draft_editor.problems.text()
    saved.append(save(draft_editor, "order-editor-validation"))
    draft_editor.discard_and_close()

    window.on_incoming_call({"number": customer["phones"][0], "name": "ANN SMITH",
                             "at": "2026-11-23T18:42:00+00:00", "presentation": "ok"},
                            customer["id"])
    window.screen_pop.resize(640, 460)
    saved.append(save(window.screen_pop, "screen-pop"))
    window.screen_pop.hide()

    settings = window.open_settings()
    settings.resize(620, 640)
    saved.append(save(settings, "settings"))
    settings.reject()
    from app.ui.theme import Theme

    dark = Theme("dark")
    dark.apply(QApplication.instance())  # type: ignore[arg-type]
    window.theme.set_mode("dark")
    window.nav.set_current(1)
    window.show_page(1)
    saved.append(save(window, "board-dark"))
    window.theme.set_mode("light")
    Theme("light").apply(QApplication.instance())  # type: ignore[arg-type]
    for path in saved:
        assert not_blank(path), path
