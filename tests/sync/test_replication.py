"""The automerge-repo protocol peer over real engines (in one process, pipe transport).

The TLS/TCP transport and discovery are tested in tests/sync/peers; here the protocol and
the ledger semantics across tills: convergence, concurrent edits, counters, overbooking.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import cbor2
import pytest

from app.engine.till_engine import TillEngine
from sync.read_model import queries
from sync.replication import ProtocolError, Replicator
from tests.helpers.commands import run
from tests.helpers.waiting import wait_until_async


class Pipe:
    """One end of an in-memory duplex byte pipe (a real Transport, no network)."""

    def __init__(self, inbox: asyncio.Queue[bytes | None], outbox: asyncio.Queue[bytes | None]):
        self.inbox, self.outbox = inbox, outbox

    async def send(self, msg: bytes) -> None:
        await self.outbox.put(msg)

    async def recv(self) -> bytes:
        msg = await self.inbox.get()
        if msg is None:
            raise ConnectionError("pipe closed")
        return msg

    async def close(self) -> None:
        await self.outbox.put(None)


def in_loop(fn: Any) -> Any:
    """Run an async test body on a fresh event loop (no pytest-asyncio needed)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(asyncio.wait_for(fn(*args, **kwargs), 30))
    return wrapper


def pipe_pair() -> tuple[Pipe, Pipe]:
    a: asyncio.Queue[bytes | None] = asyncio.Queue()
    b: asyncio.Queue[bytes | None] = asyncio.Queue()
    return Pipe(a, b), Pipe(b, a)


class Till:
    def __init__(self, root: Path, name: str) -> None:
        self.engine = TillEngine(root)
        self.repl = Replicator(self.engine.store, name, on_merged=self._merged)
        self.engine.subscribe(lambda ch: self.repl.local_change())
        self.merges = 0

    def _merged(self, doc_ids: list[Any]) -> None:
        self.merges += 1
        if self.engine.ledger.shop_doc_id is None:
            return
        self.engine.merged_remote(doc_ids)

    def adopt_shop(self, other: Till) -> None:
        """What joining does: point this till at the shop document it received."""
        ledger = self.engine.ledger
        ledger.shop_doc_id = other.engine.ledger.shop_doc_id
        ledger.open_shop()
        self.engine.catch_up()

    def cmd(self, command: str, /, **args: Any) -> Any:
        return run(self.engine, command, args)


async def link(a: Till, b: Till) -> list[asyncio.Task[str]]:
    pa, pb = pipe_pair()
    return [asyncio.create_task(a.repl.connect(pa)), asyncio.create_task(b.repl.accept(pb))]


async def settle(*tills: Till, timeout: float = 5.0) -> None:
    """Wait until every till holds the same documents with the same heads."""

    def converged() -> bool:
        ids = [sorted(t.engine.store.ids()) for t in tills]
        if not (all(i == ids[0] for i in ids) and ids[0]):
            return False
        heads = [[t.engine.store.get(d).doc.get_heads() for d in ids[0]] for t in tills]
        return all(sorted(map(sorted, h)) == sorted(map(sorted, heads[0])) for h in heads)

    await wait_until_async(converged, timeout, what="the tills to converge", interval=0.005)
    await asyncio.sleep(0.02)  # as the old loop did: a moment for messages still in flight


def rows(till: Till, table: str) -> list[tuple[Any, ...]]:
    return till.engine.read_model.snapshot()[table]


@pytest.fixture
def tills(tmp_path: Path) -> list[Till]:
    out = [Till(tmp_path / n, n) for n in ("a", "b", "c")]
    yield out
    for t in out:
        t.engine.close()


@in_loop
async def test_new_till_receives_the_shop_and_its_orders(tills: list[Till]) -> None:
    a, b, _ = tills
    a.cmd("shop.create", name="Deli")
    a.cmd("product.add", sku="BREAD", name="Bread", price="2.50", stock=10)
    a.cmd("customer.add", name="Ann", phones=["+447700900123"])
    order = a.cmd("order.add", customer="+447700900123", lines=["BREAD:2"])
    tasks = await link(a, b)
    await settle(a, b)
    b.adopt_shop(a)
    assert b.cmd("order.show", order=order["number"])["total"] == 500
    # live: an order typed on A appears in B's read model
    later = a.cmd("order.add", customer="+447700900123", lines=["BREAD:1"])
    await settle(a, b)
    assert queries.locate_order(b.engine.read_model.conn, later["id"]) is not None
    for t in tasks:
        t.cancel()


@in_loop
async def test_concurrent_edits_converge_with_identical_rows(tills: list[Till]) -> None:
    a, b, c = tills
    a.cmd("shop.create", name="Deli")
    a.cmd("product.add", sku="MILK", name="Milk", price="1.20", stock=5)
    a.cmd("customer.add", name="Ann", phones=["+447700900123"])
    tasks = await link(a, b) + await link(b, c)
    await settle(a, b, c)
    b.adopt_shop(a)
    c.adopt_shop(a)
    a.engine.execute(lambda L: L.tills.add(b.engine.identity.till_id, "Till B"))
    a.engine.execute(lambda L: L.tills.add(c.engine.identity.till_id, "Till C"))
    # the same order edited on two tills at once, different fields
    o = a.cmd("order.add", customer="+447700900123", lines=["MILK:1"])
    await settle(a, b, c)
    for t in tasks:
        t.cancel()
    await asyncio.sleep(0.01)
    a.cmd("order.update", order=o["number"], notes="ring the bell")
    b.cmd("order.update", order=o["number"], assignee="Sam")
    c.cmd("order.add", customer="+447700900123", lines=["MILK:2"])
    b.cmd("customer.add", name="Bob", phones=["+447700900999"])
    tasks = await link(a, b) + await link(b, c)
    await settle(a, b, c)
    shown = c.cmd("order.show", order=o["number"])
    assert (shown["notes"], shown["assignee"]) == ("ring the bell", "Sam")
    assert {r["number"] for r in a.cmd("order.list")} == {"A-0001", "C-0001"}
    for table in ("orders", "order_lines", "customers", "stock", "order_history"):
        assert rows(a, table) == rows(b, table) == rows(c, table), table
    for t in tasks:
        t.cancel()


@in_loop
async def test_sales_on_two_tills_both_count_and_overbooking_is_raised(tills: list[Till]) -> None:
    a, b, _ = tills
    a.cmd("shop.create", name="Deli")
    a.cmd("product.add", sku="CAKE", name="Cake", price="20", stock=3)
    a.cmd("customer.add", name="Ann", phones=["+447700900123"])
    tasks = await link(a, b)
    await settle(a, b)
    b.adopt_shop(a)
    a.engine.execute(lambda L: L.tills.add(b.engine.identity.till_id, "Till B"))
    await settle(a, b)
    for t in tasks:
        t.cancel()
    await asyncio.sleep(0.01)
    # partitioned: each till sells two cakes of the three
    oa = a.cmd("order.add", customer="+447700900123", lines=["CAKE:2"])
    ob = b.cmd("order.add", customer="+447700900123", lines=["CAKE:2"])
    a.cmd("order.set_status", order=oa["id"], status="collected")
    b.cmd("order.set_status", order=ob["id"], status="collected")
    assert a.cmd("alert.list") == [] and b.cmd("alert.list") == []
    tasks = await link(a, b)
    await settle(a, b)
    await asyncio.sleep(0.05)
    await settle(a, b)
    stock = {r["sku"]: r for r in a.cmd("stock.list")}
    assert stock["CAKE"]["on_hand"] == "-1"
    alerts = b.cmd("alert.list")
    assert [x["sku"] for x in alerts] == ["CAKE"]
    assert rows(a, "alerts") == rows(b, "alerts")
    for t in tasks:
        t.cancel()


@in_loop
async def test_request_for_unknown_document_is_answered_unavailable(tmp_path: Path) -> None:
    till = Till(tmp_path / "x", "x")
    try:
        ours, theirs = pipe_pair()
        task = asyncio.create_task(till.repl.accept(ours))
        await theirs.send(cbor2.dumps({"type": "join", "senderId": "js",
                                       "supportedProtocolVersions": ["1"], "peerMetadata": {}}))
        reply = cbor2.loads(await theirs.recv())
        assert reply["type"] == "peer" and reply["selectedProtocolVersion"] == "1"
        from automerge.core import Document, SyncState

        from sync.am_doc import new_doc_id
        doc_id = new_doc_id()
        await theirs.send(cbor2.dumps({"type": "request", "senderId": "js", "targetId": "x",
                                       "documentId": doc_id,
                                       "data": Document().generate_sync_message(
                                           SyncState()).encode()}))
        reply = cbor2.loads(await theirs.recv())
        assert reply == {"type": "doc-unavailable", "senderId": "x", "targetId": "js",
                         "documentId": doc_id}
        await theirs.send(b"\xff\x00garbage")
        with pytest.raises(ProtocolError, match="undecodable"):
            await asyncio.wait_for(task, 5)
    finally:
        till.engine.close()


@in_loop
async def test_wrong_protocol_version_is_refused(tmp_path: Path) -> None:
    till = Till(tmp_path / "x", "x")
    try:
        ours, theirs = pipe_pair()
        task = asyncio.create_task(till.repl.accept(ours))
        await theirs.send(cbor2.dumps({"type": "join", "senderId": "old",
                                       "supportedProtocolVersions": ["0"]}))
        reply = cbor2.loads(await theirs.recv())
        assert reply["type"] == "error" and "unsupported" in reply["message"]
        with pytest.raises(ProtocolError, match="protocol versions"):
            await asyncio.wait_for(task, 5)
    finally:
        till.engine.close()
