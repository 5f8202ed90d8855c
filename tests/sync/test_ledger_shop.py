"""Shop and till commands of the ledger: create_shop, add/remove/rename till, settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.errors import CommandRejected, NoShop, NotFound
from tests.sync.ledger_shop import corner_shop, new_ledger


def test_create_shop_records_settings_and_first_till(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path, "till-a")
    changes = ledger.shop.create("  Corner Shop ", currency="gbp", region="gb",
                                 timezone="Europe/London", till_name="Front")
    assert changes.shop and changes.tills and changes.created == ledger.shop_doc_id
    s = ledger.shop.info()
    assert (s["name"], s["currency"], s["region"], s["timezone"]) == (
        "Corner Shop", "GBP", "GB", "Europe/London")
    assert ledger.tills.all()["till-a"]["prefix"] == "A"
    assert ledger.tills.members() == {"till-a"}


def test_shop_survives_reopening(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path)
    ledger.shop.create("Corner Shop")
    doc = ledger.shop_doc_id
    ledger.store.close()
    again = new_ledger(tmp_path, shop_doc=doc)
    assert again.shop.info()["name"] == "Corner Shop"


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "  "}, "the shop needs a name"),
    ({"name": "X", "currency": "EURO"}, "'EURO' is not an ISO 4217 currency code"),
    ({"name": "X", "currency": "E1R"}, "'E1R' is not an ISO 4217 currency code"),
    ({"name": "X", "region": "XX"}, "'XX' is not a region code such as GB, DE or US"),
    ({"name": "X", "timezone": "Mars/Base"}, "unknown timezone 'Mars/Base'"),
])
def test_create_shop_refuses_bad_settings(tmp_path: Path, kwargs: dict[str, str],
                                          message: str) -> None:
    ledger = new_ledger(tmp_path)
    with pytest.raises(CommandRejected) as err:
        ledger.shop.create(**kwargs)
    assert str(err.value) == message
    assert ledger.shop_doc_id is None and ledger.store.ids() == []


def test_second_shop_is_refused(tmp_path: Path) -> None:
    ledger = corner_shop(tmp_path)
    with pytest.raises(CommandRejected, match="already belongs to a shop"):
        ledger.shop.create("Another")


def test_commands_without_a_shop_say_so(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path)
    with pytest.raises(NoShop, match="shop create"):
        ledger.customers.add("Ann")


def test_opening_a_document_that_is_not_a_shop_is_refused(tmp_path: Path) -> None:
    ledger = corner_shop(tmp_path)
    ledger.orders.create(customer_id=None)
    period = next(d for d in ledger.store.ids() if d != ledger.shop_doc_id)
    ledger.store.close()
    with pytest.raises(NoShop, match="is not a shop document"):
        new_ledger(tmp_path, shop_doc=period)


def test_tills_get_distinct_prefixes_and_can_be_removed(tmp_path: Path) -> None:
    ledger = corner_shop(tmp_path)
    assert ledger.tills.add("till-b", "Back").tills
    ledger.tills.add("till-c", "Market stall")
    prefixes = {t: info["prefix"] for t, info in ledger.tills.all().items()}
    assert prefixes == {"till-a": "A", "till-b": "B", "till-c": "C"}
    with pytest.raises(CommandRejected, match="already a member"):
        ledger.tills.add("till-b", "Again")
    ledger.tills.remove("till-b")
    assert ledger.tills.members() == {"till-a", "till-c"}
    # a removed till may rejoin; it never reuses a prefix still recorded
    ledger.tills.add("till-b", "Back again")
    assert ledger.tills.all()["till-b"]["prefix"] == "D"
    with pytest.raises(NotFound, match="no till nope"):
        ledger.tills.remove("nope")
    with pytest.raises(CommandRejected, match="cannot remove itself"):
        ledger.tills.remove("till-a")


def test_rename_till_and_settings(tmp_path: Path) -> None:
    ledger = corner_shop(tmp_path)
    assert ledger.tills.rename("Front counter").tills
    assert ledger.tills.all()["till-a"]["name"] == "Front counter"
    assert ledger.shop.set_setting("auto_draft_confidence", 0.6).shop
    from sync.am_doc import Reader, Root

    assert Reader(ledger.shop_doc.doc).value(Root, "settings")["auto_draft_confidence"] == 0.6
