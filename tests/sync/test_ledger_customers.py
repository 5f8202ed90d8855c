"""Customer commands: add, update, merge, find (phones normalised to E.164)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.errors import CommandRejected, NotFound
from sync.shop_ledger import ShopLedger
from tests.sync.ledger_shop import shop_ledger


@pytest.fixture
def ledger(tmp_path: Path) -> ShopLedger:
    return shop_ledger(tmp_path)


def add(ledger: ShopLedger, name: str, **kw: object) -> str:
    changes = ledger.add_customer(name, **kw)  # type: ignore[arg-type]
    assert changes.created is not None and changes.customers == {changes.created}
    return changes.created


def test_add_customer_normalises_contacts(ledger: ShopLedger) -> None:
    cid = add(ledger, " Ann Smith ", phones=["07700 900123"], emails=[" Ann@Example.COM "],
              addresses=["1 High St", " "], notes="gluten free", tags=["regular"])
    c = ledger.customer(cid)
    assert c["name"] == "Ann Smith"
    assert c["phones"] == ["+447700900123"]
    assert c["emails"] == ["ann@example.com"]
    assert c["addresses"] == ["1 High St"]
    assert c["tags"] == {"regular": True} and c["merged_into"] is None


@pytest.mark.parametrize("kw, message", [
    ({"name": " "}, "the customer needs a name"),
    ({"name": "Bo", "phones": ["abc"]}, "'abc' is not a phone number"),
    ({"name": "Bo", "phones": ["12"]}, "'12' is not a possible phone number for region GB"),
    ({"name": "Bo", "phones": [" "]}, "phone number is empty"),
    ({"name": "Bo", "emails": ["bo@localhost"]}, "'bo@localhost' is not an email address"),
    ({"name": "Bo", "emails": ["b o@x.com"]}, "'b o@x.com' is not an email address"),
])
def test_add_customer_refuses(ledger: ShopLedger, kw: dict[str, object], message: str) -> None:
    with pytest.raises(CommandRejected) as err:
        ledger.add_customer(**kw)  # type: ignore[arg-type]
    assert str(err.value).startswith(message)
    assert ledger.customers() == {}


def test_update_customer_adds_contacts_once(ledger: ShopLedger) -> None:
    cid = add(ledger, "Ann", phones=["07700900123"])
    ledger.update_customer(cid, name="Ann S", add_phones=["+44 7700 900123", "07700900456"],
                           add_emails=["ann@example.com"], add_addresses=["Flat 2"],
                           notes="vip", add_tags=["vip"])
    ledger.update_customer(cid, remove_tags=["vip"])
    c = ledger.customer(cid)
    assert c["name"] == "Ann S" and c["notes"] == "vip"
    assert c["phones"] == ["+447700900123", "+447700900456"]
    assert c["emails"] == ["ann@example.com"] and c["addresses"] == ["Flat 2"]
    assert c["tags"] == {"vip": False}
    with pytest.raises(CommandRejected, match="needs a name"):
        ledger.update_customer(cid, name=" ")
    with pytest.raises(NotFound, match="no customer cus_nope"):
        ledger.update_customer("cus_nope", name="X")
    with pytest.raises(CommandRejected, match="not a phone number"):
        ledger.update_customer(cid, add_phones=["hello"])


def test_merge_customers_folds_contacts_and_marks_the_other(ledger: ShopLedger) -> None:
    keep = add(ledger, "Ann", phones=["07700900123"], notes="likes rye", tags=["a"])
    other = add(ledger, "Ann Smith", phones=["07700900999", "07700900123"],
                emails=["ann@example.com"], notes="pays cash", tags=["b"])
    changes = ledger.merge_customers(keep, other)
    assert changes.customers == {keep, other}
    k = ledger.customer(keep)
    assert k["phones"] == ["+447700900123", "+447700900999"]
    assert k["emails"] == ["ann@example.com"]
    assert k["notes"] == "likes rye\npays cash"
    assert k["tags"] == {"a": True, "b": True}
    assert ledger.customer(other)["merged_into"] == keep
    # lookups by the merged customer's id or contacts land on the kept one
    assert ledger.find_customer(other) == keep
    assert ledger.find_customer("07700 900999") == keep
    with pytest.raises(CommandRejected, match="already merged into"):
        ledger.merge_customers(keep, other)
    with pytest.raises(CommandRejected, match="into itself"):
        ledger.merge_customers(keep, keep)
    with pytest.raises(NotFound):
        ledger.merge_customers(keep, "cus_nope")


def test_find_customer_by_id_phone_or_email(ledger: ShopLedger) -> None:
    cid = add(ledger, "Ann", phones=["07700900123"], emails=["ann@example.com"])
    assert ledger.find_customer(cid) == cid
    assert ledger.find_customer("+447700900123") == cid
    assert ledger.find_customer("07700 900123") == cid
    assert ledger.find_customer("ANN@example.com") == cid
    assert ledger.find_customer("07700900000") is None
    assert ledger.find_customer("not a phone") is None


def test_orders_for_a_merged_customer_go_to_the_kept_one(ledger: ShopLedger) -> None:
    keep = add(ledger, "Ann")
    other = add(ledger, "Annie")
    ledger.merge_customers(keep, other)
    oid = ledger.create_order(customer_id=other).created
    assert oid is not None
    assert ledger.order(oid)["customer_id"] == keep


def test_merging_into_a_merged_customer_folds_into_the_kept_one(ledger: ShopLedger) -> None:
    a = add(ledger, "Ann")
    b = add(ledger, "Annie", phones=["07700900123"])
    c = add(ledger, "A. Smith", emails=["as@example.com"])
    ledger.merge_customers(b, a)  # a -> b
    # a was merged away: merging into it lands on b, and never loops back
    assert ledger.merge_customers(a, c).customers == {b, c}
    assert ledger.customer(c)["merged_into"] == b
    assert ledger.customer(b)["emails"] == ["as@example.com"]
    with pytest.raises(CommandRejected, match="already the same customer"):
        ledger.merge_customers(a, b)
    assert ledger.customer(b)["merged_into"] is None
