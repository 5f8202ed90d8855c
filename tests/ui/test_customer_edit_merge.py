"""Customers: edit every field, flag and merge duplicates with a preview, every order and
message on the card, orders found by the customer's phone number (issue 11)."""

from __future__ import annotations

from typing import Any

from app.ui.read_store import OrderFilter
from tests.ui.conftest import new_order
from tests.ui.test_screenshots import save


def test_edit_merge_and_find_by_phone(qtbot: Any, window: Any, store: Any,
                                      shop_engine: Any) -> None:
    keep = shop_engine.call("customer.add", {"name": "Dana Okafor",
                                             "phones": ["07700 900555"]})
    dupe = shop_engine.call("customer.add", {"name": "D. Okafor", "phones": ["+447700900555"],
                                             "emails": ["dana@example.com"]})
    order = new_order(shop_engine, customer=dupe["id"])
    window.open_customer(keep["id"])
    card = window.customers.card
    qtbot.waitUntil(lambda: card.customer_id == keep["id"], timeout=5_000)
    assert card.duplicate.isVisible() and "same phone" in card.duplicate.text()
    save(window, "customers-duplicate")

    dialog = window.customers.edit_customer(keep["id"])
    dialog.name.setText("")
    dialog.save()
    assert dialog.error.text() == "The customer needs a name."
    dialog.name.setText("Dana Okafor-Smith")
    dialog.phones.setPlainText("07700 900555\nnot a phone")
    dialog.save()
    qtbot.waitUntil(lambda: "phone" in dialog.error.text().lower(), timeout=10_000)
    dialog.phones.setPlainText("07700 900555\n07700 900556")
    dialog.addresses.setPlainText("3 Mill Lane, Leeds")
    dialog.notes.setPlainText("Allergic to nuts — 🥜")
    dialog.save()
    qtbot.waitUntil(lambda: store.customer(keep["id"])["name"] == "Dana Okafor-Smith",
                    timeout=10_000)
    edited = store.customer(keep["id"])
    assert edited["phones"] == ["+447700900555", "+447700900556"]
    assert edited["notes"] == "Allergic to nuts — 🥜"
    again = window.customers.edit_customer(keep["id"])
    again.phones.setPlainText("07700 900555")  # take one off
    again.save()
    qtbot.waitUntil(lambda: store.customer(keep["id"])["phones"] == ["+447700900555"],
                    timeout=10_000)

    merge = window.customers.merge_customer(keep["id"], dupe["id"])
    qtbot.waitUntil(lambda: merge.merge_button.isEnabled(), timeout=10_000)
    assert "1 orders" in merge.preview_label.text()
    assert "dana@example.com" in merge.preview_label.text()
    save(merge, "customer-merge-preview")
    merge.merge()
    qtbot.waitUntil(lambda: store.customer(dupe["id"])["merged_into"] == keep["id"],
                    timeout=10_000)
    assert "dana@example.com" in store.customer(keep["id"])["emails"]
    qtbot.waitUntil(lambda: order["id"] in store.order_ids(
        OrderFilter(customer_id=keep["id"]), 50), timeout=10_000)
    window.customers.show_customer(keep["id"])
    orders = [card.orders.item(i).text() for i in range(card.orders.count())]
    assert any(order["number"] in t for t in orders)
    assert not card.duplicate.isVisible()
    # orders are found by the customer's phone number, typed as staff type it
    found = store.order_ids(OrderFilter(search="07700 900555"), 50)
    assert order["id"] in found
    assert order["id"] in store.order_ids(OrderFilter(search="+44 7700 900555"), 50)
    assert order["id"] not in store.order_ids(OrderFilter(search="07700 900999"), 50)


def test_merge_refuses_the_same_customer(qtbot: Any, shop_engine: Any) -> None:
    import pytest

    c = shop_engine.call("customer.add", {"name": "Solo"})
    with pytest.raises(Exception, match="already the same customer"):
        shop_engine.call("customer.merge", {"keep": c["id"], "merge": c["id"],
                                            "preview": True})
