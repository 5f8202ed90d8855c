"""The Catalog page against the session engine: list, search, sort, edit, add, bulk prices
(with undo), import with a preview and per-row errors, export; bad input for each field."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from tests.ui.test_screenshots import not_blank, save


def catalog(window: Any, qtbot: Any) -> Any:
    window.show_page(5)
    view = window.catalog
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=10_000)
    return view


def row_of(view: Any, sku: str) -> int:
    for r in range(view.model.rowCount()):
        if view.model.id_at(r) == sku:
            return r
    return -1


def test_catalog_lists_searches_and_sorts(qtbot: Any, window: Any) -> None:
    view = catalog(window, qtbot)
    assert window.nav.buttons[5].text() == "Catalog"
    total = view.model.rowCount()
    assert total >= 10 and "products" in view.header.subtitle.text()
    view.search.setText("marg")
    qtbot.waitUntil(lambda: view.model.rowCount() < total, timeout=5_000)
    assert "PZ-MARG" in view.model.ids()
    view.search.setText("")
    from PySide6.QtCore import Qt

    view.model.sort(2, Qt.SortOrder.DescendingOrder)  # by price, dearest first
    prices = [view.model.row_at(r)["price"] for r in range(view.model.rowCount())]
    assert prices == sorted(prices, reverse=True)
    view.model.sort(0)
    shot = save(window, "catalog")
    assert not_blank(shot)


def test_edit_a_product_and_see_it_saved(qtbot: Any, window: Any, store: Any) -> None:
    view = catalog(window, qtbot)
    r = row_of(view, "DR-COKE")
    view.table.selectRow(r)
    form = view.form
    assert form.sku.text() == "DR-COKE" and form.sku.isReadOnly()
    form.aliases.setText("coke, cola, 可乐")
    form.variants.setPlainText("Can\nBottle=2.20")
    form.options.setPlainText("Ice=no ice,extra ice=0.10")
    form.low.setText("4")
    form.save()
    qtbot.waitUntil(lambda: (store.products_by_sku(["DR-COKE"])["DR-COKE"]
                             .get("variant_prices") or {}).get("Bottle") == 220,
                    timeout=10_000)
    row = store.products_by_sku(["DR-COKE"])["DR-COKE"]
    assert row["aliases"] == ["coke", "cola", "可乐"]
    assert row["option_prices"] == {"Ice": {"extra ice": 10}}
    assert row["low_stock"] == "4"
    qtbot.waitUntil(lambda: form.error.text() == "", timeout=5_000)


@pytest.mark.parametrize("field, value, message", [
    ("price", "-1", "cannot be negative"),
    ("price", "12345678901234567890", "implausibly large"),
    ("price", "abc", "is not an amount of money"),
    ("name", "x" * 250, "longer than 200"),
    ("tax", "twenty", "tax rate"),
    ("low", "-3", "must be zero or more"),
    ("options", "Size", "Write the option group"),
    ("variants", "Big=-2", "cannot be negative"),
])
def test_bad_product_input_is_refused_in_plain_words(qtbot: Any, window: Any, field: str,
                                                     value: str, message: str) -> None:
    view = catalog(window, qtbot)
    view.new_product()
    form = view.form
    form.sku.setText("BAD-1")
    form.name.setText("Bad thing")
    form.price.setText("1.00")
    widget = getattr(form, field)
    if field == "name":
        form.name.setMaxLength(1000)  # what a paste past the limit would reach the engine as
    widget.setPlainText(value) if hasattr(widget, "setPlainText") else widget.setText(value)
    form.save()
    qtbot.waitUntil(lambda: message.lower() in form.error.text().lower(), timeout=10_000)
    assert "BAD-1" not in window.store.products_by_sku(["BAD-1"])


def test_new_product_with_unicode_and_empty_fields(qtbot: Any, window: Any, store: Any
                                                   ) -> None:
    view = catalog(window, qtbot)
    view.new_product()
    form = view.form
    form.save()
    assert form.error.text() == "Give the product a SKU."
    form.sku.setText("CR-BRULEE")
    form.save()
    assert form.error.text() == "Give the product a name."
    form.name.setText("Crème brûlée — 焦糖布丁")
    form.price.setText("4,50")
    form.unit.setCurrentText("each")
    form.save()
    qtbot.waitUntil(lambda: "CR-BRULEE" in store.products_by_sku(["CR-BRULEE"]),
                    timeout=10_000)
    assert store.products_by_sku(["CR-BRULEE"])["CR-BRULEE"]["price"] == 450
    qtbot.waitUntil(lambda: row_of(view, "CR-BRULEE") >= 0, timeout=10_000)


def test_bulk_price_change_with_preview_and_undo(qtbot: Any, window: Any, store: Any) -> None:
    view = catalog(window, qtbot)
    view.search.setText("DR-")
    qtbot.waitUntil(lambda: all(s.startswith("DR-") for s in view.model.ids()), timeout=5_000)
    view.table.selectAll()
    skus = view.selected_skus()
    before = {s: r["price"] for s, r in store.products_by_sku(skus).items()}
    dialog = view.change_prices()
    dialog.value.setText("abc")
    assert "percentage" in dialog.error.text() and not dialog.apply_button.isEnabled()
    dialog.value.setText("10")
    assert dialog.apply_button.isEnabled() and dialog.table.rowCount() == len(skus)
    dialog.mode_buttons["amount"].click()
    dialog.value.setText("-1000")
    assert "negative" in dialog.error.text()
    dialog.mode_buttons["percent"].click()
    dialog.value.setText("10")
    dialog.apply()
    qtbot.waitUntil(lambda: all(r["price"] != before[s] for s, r in
                                store.products_by_sku(skus).items() if before[s]),
                    timeout=10_000)
    qtbot.waitUntil(lambda: window.undo_action.isEnabled(), timeout=5_000)
    window.actions_.undo_last()
    qtbot.waitUntil(lambda: {s: r["price"] for s, r in store.products_by_sku(skus).items()}
                    == before, timeout=10_000)
    view.search.setText("")


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_import_previews_every_row_and_writes_only_when_asked(qtbot: Any, window: Any,
                                                             store: Any, tmp_path: Path
                                                             ) -> None:
    view = catalog(window, qtbot)
    path = write_csv(tmp_path / "sheet.csv", [
        ["SKU", "Description", "Unit price", "unit", "aliases", "stock"],
        ["IM-OIL", "Olive oil 1 l", "7.90", "l", "oil|olio", "12"],
        ["IM-SALT", "Sea salt", "-2", "each", "", ""],
        ["IM-OIL", "Olive oil again", "8", "l", "", ""],
        ["", "No sku", "1", "each", "", ""],
        ["IM-HUGE", "Huge", "99999999999999999999", "kg", "", ""],
        ["IM-UNIT", "Odd unit", "1", "furlong", "", ""],
        ["PZ-MARG", "", "11.50", "", "", ""],
    ])
    dialog = view.import_file(str(path))
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10_000)
    report = dialog.report
    assert (report["add"], report["update"], report["errors"]) == (1, 1, 5)
    assert "Nothing has been written yet" in dialog.summary.text()
    assert not dialog.import_button.isEnabled()
    errors = {r["row"]: r["errors"][0] for r in report["rows"] if r["action"] == "error"}
    assert "cannot be negative" in errors[3] and "twice" in errors[4]
    assert "must be non-empty" in errors[5] and "implausibly large" in errors[6]
    assert "unknown unit" in errors[7]
    assert "IM-OIL" not in store.products_by_sku(["IM-OIL"])  # a preview writes nothing
    save(dialog, "catalog-import-preview")
    dialog.skip.setChecked(True)
    assert dialog.import_button.isEnabled() and dialog.import_button.text() == \
        "Import 2 products"
    dialog.write()
    qtbot.waitUntil(lambda: "IM-OIL" in store.products_by_sku(["IM-OIL"]), timeout=10_000)
    oil = store.products_by_sku(["IM-OIL"])["IM-OIL"]
    assert oil["aliases"] == ["oil", "olio"] and oil["on_hand_milli"] == 12_000
    assert store.products_by_sku(["PZ-MARG"])["PZ-MARG"]["price"] == 1150


def test_import_refuses_files_it_cannot_read(qtbot: Any, window: Any, tmp_path: Path) -> None:
    view = catalog(window, qtbot)
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "fake.xlsx").write_bytes(b"not a zip")
    write_csv(tmp_path / "nosku.csv", [["name", "price"], ["Tea", "1"]])
    for name, words in (("empty.csv", "is empty"), ("fake.xlsx", "not a readable xlsx"),
                        ("nosku.csv", "has no sku column"), ("missing.csv", "no file")):
        dialog = view.import_file(str(tmp_path / name))
        qtbot.waitUntil(lambda d=dialog, w=words: w in d.summary.text().lower(), timeout=10_000)
        assert not dialog.import_button.isEnabled()
        dialog.reject()


def test_export_then_import_changes_nothing(qtbot: Any, window: Any, tmp_path: Path) -> None:
    view = catalog(window, qtbot)
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"catalog.{fmt}"
        view.export_file(str(out))
        qtbot.waitUntil(out.exists, timeout=10_000)
        dialog = view.import_file(str(out))
        qtbot.waitUntil(lambda d=dialog: d.report is not None, timeout=10_000)
        assert dialog.report["errors"] == 0 and dialog.report["add"] == 0
        assert dialog.report["update"] == 0, [r for r in dialog.report["rows"]
                                              if r["action"] == "update"][:3]
        dialog.reject()


def test_catalog_model_passes_the_model_tester(qtbot: Any, window: Any,
                                              qtmodeltester: Any) -> None:
    view = catalog(window, qtbot)
    qtmodeltester.check(view.model)
