"""Messages, calls, quarantine and overbooking alerts in the ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from sync.errors import CommandRejected, NotFound
from sync.ledger import ShopLedger
from tests.sync.ledger_shop import NOW, corner_shop, new_ledger


@pytest.fixture
def ledger(tmp_path: Path) -> ShopLedger:
    return corner_shop(tmp_path)


def message(ledger: ShopLedger, mid: str) -> dict[str, object]:
    stored, obj = ledger.inbox._message_tx(mid)
    from sync.am_doc import Reader

    return dict(Reader(stored.doc).to_py(obj))


def sms(ledger: ShopLedger, key: str | None = "sms:1", body: str = "2 bread pls") -> str:
    changes = ledger.inbox.record_message(channel="sms", direction="in", sender="+447700900123",
                                   recipient="", body=body, received_at=NOW, raw="PDU",
                                   dedupe_key=key, missing_parts=[2], meta={"smsc": "x"})
    assert changes.created is not None
    return changes.created


def test_record_message_is_stored_once_per_key(ledger: ShopLedger) -> None:
    mid = sms(ledger)
    again = ledger.inbox.record_message(channel="sms", direction="in", sender="x", recipient="",
                                        body="other", received_at=NOW, dedupe_key="sms:1")
    assert again.created == mid and again.messages == set()
    m = message(ledger, mid)
    assert (m["body"], m["from"], m["read"], m["state"]) == ("2 bread pls", "+447700900123",
                                                             False, "received")
    assert m["missing_parts"] == [2] and m["meta"] == {"smsc": "x"}
    assert ledger.inbox.message_by_key("sms:1") == mid


def test_message_dedupe_survives_reopening(tmp_path: Path) -> None:
    ledger = corner_shop(tmp_path)
    mid = sms(ledger)
    doc = ledger.shop_doc_id
    ledger.store.close()
    again = new_ledger(tmp_path, shop_doc=doc)
    assert again.inbox.message_by_key("sms:1") == mid
    assert sms(again) == mid


def test_messages_without_a_key_are_all_kept(ledger: ShopLedger) -> None:
    assert sms(ledger, key=None) != sms(ledger, key=None)


@pytest.mark.parametrize("kw, text", [({"channel": "fax"}, "unknown channel 'fax'"),
                                      ({"direction": "up"}, "direction is in or out")])
def test_record_message_refuses(ledger: ShopLedger, kw: dict[str, str], text: str) -> None:
    args = {"channel": "sms", "direction": "in", **kw}
    with pytest.raises(CommandRejected, match=text):
        ledger.inbox.record_message(sender="x", recipient="", body="b", received_at=NOW, **args)


def test_update_message_and_link_to_an_order(ledger: ShopLedger) -> None:
    mid = sms(ledger)
    ledger.inbox.update_message(mid, state="drafted", attempts=1)
    assert message(ledger, mid)["state"] == "drafted"
    with pytest.raises(CommandRejected, match="cannot change body of a message"):
        ledger.inbox.update_message(mid, body="changed")
    with pytest.raises(NotFound, match="no message msg_nope"):
        ledger.inbox.update_message("msg_nope", read=True)
    changes = ledger.orders.create(customer_id=None, source_message_ids=[mid, "msg_unseen"])
    oid = changes.created
    assert changes.messages == {mid}
    m = message(ledger, mid)
    assert m["order_id"] == oid and m["read"] is True
    assert ledger.orders.get(str(oid))["source_messages"] == {mid: True, "msg_unseen": True}


def test_outbound_messages_start_read(ledger: ShopLedger) -> None:
    mid = ledger.inbox.record_message(channel="email", direction="out", sender="shop@x.com",
                                      recipient="ann@x.com", body="ready", received_at=NOW,
                                      subject="Your order", state="queued").created
    assert mid is not None and message(ledger, mid)["read"] is True


def test_record_call(ledger: ShopLedger) -> None:
    changes = ledger.inbox.record_call(number="+447700900123", name="ANN", at=NOW,
                                       presentation="available", raw="NMBR=07700900123",
                                       answered=True, line="1")
    assert changes.calls == {changes.created}
    from sync.am_doc import Reader, Root

    calls = {}
    for d in ledger.store.ids():
        calls.update(Reader(ledger.store.get(d).doc).value(Root, "calls") or {})
    call = calls[str(changes.created)]
    assert (call["number"], call["answered"], call["till"]) == ("+447700900123", True, "till-a")


@pytest.mark.parametrize("source, channel", [("sms", "sms"), ("callerid", "phone"),
                                             ("email", "email"), ("web", "web")])
def test_quarantine_keeps_unreadable_input_once(ledger: ShopLedger, source: str,
                                                channel: str) -> None:
    changes = ledger.inbox.quarantine(source=source, raw="\x00garbage", reason="bad PDU", at=NOW)
    mid = str(changes.created)
    m = message(ledger, mid)
    assert (m["channel"], m["state"], m["raw"]) == (channel, "quarantined", "\x00garbage")
    assert "bad PDU" in str(m["body"])
    again = ledger.inbox.quarantine(source=source, raw="\x00garbage", reason="bad PDU", at=NOW)
    assert again.created == mid and again.messages == set()


def test_messages_go_to_the_period_of_their_month(ledger: ShopLedger) -> None:
    old = NOW - dt.timedelta(days=62)
    ledger.inbox.record_message(channel="sms", direction="in", sender="x", recipient="",
                                body="old", received_at=old, dedupe_key="old")
    assert sorted(ledger.docs.periods()) == ["2026-09", "2026-11"]


def test_overbooking_alert_is_raised_once_until_resolved(ledger: ShopLedger) -> None:
    first = ledger.alerts.raise_overbooking("BREAD", "main", Decimal("-1.5"))
    (aid,) = first.alerts
    assert ledger.alerts.raise_overbooking("BREAD", "main", Decimal(-2)).empty()
    from sync.am_doc import Reader

    r = Reader(ledger.shop_doc.doc)
    alert = r.to_py(r.path("alerts", aid))
    assert (alert["sku"], alert["level"], alert["resolved_at"]) == ("BREAD", "-1.5", None)
    ledger.alerts.resolve(aid, note="baked more", by="sam")
    alert = r.to_py(r.path("alerts", aid))
    assert alert["resolved_by"] == "sam" and alert["note"] == "baked more"
    assert alert["resolved_at"] is not None
    # a new shortfall after resolving raises it again
    assert ledger.alerts.raise_overbooking("BREAD", "main", Decimal(-1)).alerts == {aid}
    with pytest.raises(NotFound, match="no alert nope"):
        ledger.alerts.resolve("nope")
