"""Shop and till commands of the ledger: create_shop, add/remove/rename till, settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.errors import CommandRejected, NoShop, NotFound
from tests.sync.ledger_shop import new_ledger, shop_ledger


def test_create_shop_records_settings_and_first_till(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path, "till-a")
    changes = ledger.create_shop("  Corner Shop ", currency="gbp", region="gb",
                                 timezone="Europe/London", till_name="Front")
    assert changes.shop and changes.tills and changes.created == ledger.shop_doc_id
    s = ledger.settings
    assert (s["name"], s["currency"], s["region"], s["timezone"]) == (
        "Corner Shop", "GBP", "GB", "Europe/London")
    assert ledger.tills()["till-a"]["prefix"] == "A"
    assert ledger.members() == {"till-a"}


def test_shop_survives_reopening(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path)
    ledger.create_shop("Corner Shop")
    doc = ledger.shop_doc_id
    ledger.store.close()
    again = new_ledger(tmp_path, shop_doc=doc)
    assert again.settings["name"] == "Corner Shop"


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
        ledger.create_shop(**kwargs)
    assert str(err.value) == message
    assert ledger.shop_doc_id is None and ledger.store.ids() == []


def test_second_shop_is_refused(tmp_path: Path) -> None:
    ledger = shop_ledger(tmp_path)
    with pytest.raises(CommandRejected, match="already belongs to a shop"):
        ledger.create_shop("Another")


def test_commands_without_a_shop_say_so(tmp_path: Path) -> None:
    ledger = new_ledger(tmp_path)
    with pytest.raises(NoShop, match="shop create"):
        ledger.add_customer("Ann")


def test_opening_a_document_that_is_not_a_shop_is_refused(tmp_path: Path) -> None:
    ledger = shop_ledger(tmp_path)
    ledger.create_order(customer_id=None)
    period = next(d for d in ledger.store.ids() if d != ledger.shop_doc_id)
    ledger.store.close()
    with pytest.raises(NoShop, match="is not a shop document"):
        new_ledger(tmp_path, shop_doc=period)


def test_tills_get_distinct_prefixes_and_can_be_removed(tmp_path: Path) -> None:
    ledger = shop_ledger(tmp_path)
    assert ledger.add_till("till-b", "Back").tills
    ledger.add_till("till-c", "Market stall")
    prefixes = {t: info["prefix"] for t, info in ledger.tills().items()}
    assert prefixes == {"till-a": "A", "till-b": "B", "till-c": "C"}
    with pytest.raises(CommandRejected, match="already a member"):
        ledger.add_till("till-b", "Again")
    ledger.remove_till("till-b")
    assert ledger.members() == {"till-a", "till-c"}
    # a removed till may rejoin; it never reuses a prefix still recorded
    ledger.add_till("till-b", "Back again")
    assert ledger.tills()["till-b"]["prefix"] == "D"
    with pytest.raises(NotFound, match="no till nope"):
        ledger.remove_till("nope")
    with pytest.raises(CommandRejected, match="cannot remove itself"):
        ledger.remove_till("till-a")


def test_rename_till_and_settings(tmp_path: Path) -> None:
    ledger = shop_ledger(tmp_path)
    assert ledger.rename_till("Front counter").tills
    assert ledger.tills()["till-a"]["name"] == "Front counter"
    assert ledger.set_setting("auto_draft_confidence", 0.6).shop
    from sync.am_doc import Reader, Root

    assert Reader(ledger.shop.doc).value(Root, "settings")["auto_draft_confidence"] == 0.6
