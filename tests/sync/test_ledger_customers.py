"""Customer commands: add, update, merge, find (phones normalised to E.164)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.errors import CommandRejected, NotFound
from sync.ledger import ShopLedger
from tests.sync.ledger_shop import corner_shop


@pytest.fixture
def ledger(tmp_path: Path) -> ShopLedger:
    return corner_shop(tmp_path)


def add(ledger: ShopLedger, name: str, **kw: object) -> str:
    changes = ledger.customers.add(name, **kw)  # type: ignore[arg-type]
    assert changes.created is not None and changes.customers == {changes.created}
    return changes.created


def test_add_customer_normalises_contacts(ledger: ShopLedger) -> None:
    cid = add(ledger, " Ann Smith ", phones=["07700 900123"], emails=[" Ann@Example.COM "],
              addresses=["1 High St", " "], notes="gluten free", tags=["regular"])
    c = ledger.customers.get(cid)
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
        ledger.customers.add(**kw)  # type: ignore[arg-type]
    assert str(err.value).startswith(message)
    assert ledger.customers.all() == {}


def test_update_customer_adds_contacts_once(ledger: ShopLedger) -> None:
    cid = add(ledger, "Ann", phones=["07700900123"])
    ledger.customers.update(cid, name="Ann S", add_phones=["+44 7700 900123", "07700900456"],
                            add_emails=["ann@example.com"], add_addresses=["Flat 2"],
                            notes="vip", add_tags=["vip"])
    ledger.customers.update(cid, remove_tags=["vip"])
    c = ledger.customers.get(cid)
    assert c["name"] == "Ann S" and c["notes"] == "vip"
    assert c["phones"] == ["+447700900123", "+447700900456"]
    assert c["emails"] == ["ann@example.com"] and c["addresses"] == ["Flat 2"]
    assert c["tags"] == {"vip": False}
    with pytest.raises(CommandRejected, match="needs a name"):
        ledger.customers.update(cid, name=" ")
    with pytest.raises(NotFound, match="no customer cus_nope"):
        ledger.customers.update("cus_nope", name="X")
    with pytest.raises(CommandRejected, match="not a phone number"):
        ledger.customers.update(cid, add_phones=["hello"])


def test_merge_customers_folds_contacts_and_marks_the_other(ledger: ShopLedger) -> None:
    keep = add(ledger, "Ann", phones=["07700900123"], notes="likes rye", tags=["a"])
    other = add(ledger, "Ann Smith", phones=["07700900999", "07700900123"],
                emails=["ann@example.com"], notes="pays cash", tags=["b"])
    changes = ledger.customers.merge(keep, other)
    assert changes.customers == {keep, other}
    k = ledger.customers.get(keep)
    assert k["phones"] == ["+447700900123", "+447700900999"]
    assert k["emails"] == ["ann@example.com"]
    assert k["notes"] == "likes rye\npays cash"
    assert k["tags"] == {"a": True, "b": True}
    assert ledger.customers.get(other)["merged_into"] == keep
    # lookups by the merged customer's id or contacts land on the kept one
    assert ledger.customers.find(other) == keep
    assert ledger.customers.find("07700 900999") == keep
    with pytest.raises(CommandRejected, match="already merged into"):
        ledger.customers.merge(keep, other)
    with pytest.raises(CommandRejected, match="into itself"):
        ledger.customers.merge(keep, keep)
    with pytest.raises(NotFound):
        ledger.customers.merge(keep, "cus_nope")


def test_find_customer_by_id_phone_or_email(ledger: ShopLedger) -> None:
    cid = add(ledger, "Ann", phones=["07700900123"], emails=["ann@example.com"])
    assert ledger.customers.find(cid) == cid
    assert ledger.customers.find("+447700900123") == cid
    assert ledger.customers.find("07700 900123") == cid
    assert ledger.customers.find("ANN@example.com") == cid
    assert ledger.customers.find("07700900000") is None
    assert ledger.customers.find("not a phone") is None


def test_orders_for_a_merged_customer_go_to_the_kept_one(ledger: ShopLedger) -> None:
    keep = add(ledger, "Ann")
    other = add(ledger, "Annie")
    ledger.customers.merge(keep, other)
    oid = ledger.orders.create(customer_id=other).created
    assert oid is not None
    assert ledger.orders.get(oid)["customer_id"] == keep


def test_merging_into_a_merged_customer_folds_into_the_kept_one(ledger: ShopLedger) -> None:
    a = add(ledger, "Ann")
    b = add(ledger, "Annie", phones=["07700900123"])
    c = add(ledger, "A. Smith", emails=["as@example.com"])
    ledger.customers.merge(b, a)  # a -> b
    # a was merged away: merging into it lands on b, and never loops back
    assert ledger.customers.merge(a, c).customers == {b, c}
    assert ledger.customers.get(c)["merged_into"] == b
    assert ledger.customers.get(b)["emails"] == ["as@example.com"]
    with pytest.raises(CommandRejected, match="already the same customer"):
        ledger.customers.merge(a, b)
    assert ledger.customers.get(b)["merged_into"] is None
