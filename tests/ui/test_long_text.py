"""Long text elides or wraps: a 250-character name must not widen the window (issue 11)."""

from __future__ import annotations

from typing import Any

from tests.ui.conftest import new_order

LONG = ("Bartholomew " * 21)[:250]


def test_a_250_character_name_leaves_the_window_its_size(qtbot: Any, window: Any,
                                                         shop_engine: Any) -> None:
    customer = shop_engine.call("customer.add", {"name": LONG, "phones": ["07700 900991"],
                                                 "addresses": ["Flat 9, " + "Long Road " * 30]})
    order = new_order(shop_engine, customer=customer["id"])
    window.resize(1360, 820)
    window.open_customer(customer["id"])
    qtbot.wait(50)
    for page in range(len(window._pages())):
        window.show_page(page)
        qtbot.wait(20)
        assert window.minimumSizeHint().width() < 1360, page
        assert window.width() <= 1360, page
    window.on_incoming_call({"number": "+447700900991", "at": "2026-11-23T18:42:00+00:00"},
                            customer["id"])
    assert window.screen_pop.width() < 1000
    assert window.screen_pop.card.name.text() == LONG  # the whole name, elided when painted
    editor = window.open_order(order["id"])
    qtbot.wait(20)
    assert editor.minimumSizeHint().width() < 1300
    editor.discard_and_close()
    window.screen_pop.hide()
