"""Changes checked by author (issue 15, point 3): real engines, real Automerge, real seals.

Three tills of one shop (A the manager, B and C plain tills) replicate over in-memory
pipes through the same ``Replicator`` + ``Authority`` the engine runs (what a relay or a
member passes on arrives exactly like this). Each attack writes what a hostile till
could write, bypassing its own ledger's checks, and the receiving till must refuse it:
roll it back, keep it in quarantine, raise an alert.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from automerge.core import Document

from app.engine.till_engine import TillEngine
from sync.am_doc import Root
from sync.authority import Authority, Refusal
from sync.data_dir import ShopPointer
from sync.identity import certificate_der, load_or_create
from sync.ids import DocId
from sync.read_model import queries
from sync.replication import Replicator
from sync.seals import actor_prefix
from tests.helpers.commands import run
from tests.helpers.waiting import wait_until_async
from tests.sync.test_replication import pipe_pair


class Till:
    """One till's engine with the engine's replication wiring (judge, alerts)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.engine = TillEngine(root)
        self.refusals: list[Refusal] = []
        self.authority = Authority(self._shop)
        self.repl = Replicator(self.engine.store, self.engine.identity.till_id,
                               on_merged=self._merged, judge=self.authority.judge,
                               on_refused=self._refused, accepts=lambda d: True)
        self.engine.subscribe(lambda ch: self.repl.local_change())

    @property
    def till_id(self) -> str:
        return self.engine.identity.till_id

    def _shop(self) -> tuple[DocId, Any] | None:
        ledger = self.engine.ledger
        return None if ledger.shop_doc_id is None else (ledger.shop_doc_id, ledger.shop_doc.doc)

    def _merged(self, doc_ids: list[DocId]) -> None:
        if self.engine.has_shop:
            self.engine.merged_remote(doc_ids)

    def _refused(self, doc_id: DocId, refusals: list[Refusal]) -> None:
        # what PeerService._refused does
        self.refusals.extend(refusals)
        for r in refusals:
            if r.permanent:
                self.engine.execute(lambda L, r=r: L.alerts.raise_refused(
                    r.author, doc_id, r.reason, 1))

    def cmd(self, command: str, /, **args: Any) -> Any:
        return run(self.engine, command, args)

    def reopen(self) -> None:
        self.engine.close()
        self.__init__(self.root)  # type: ignore[misc]

    def customers(self) -> set[str]:
        return {c["name"] for c in queries.list_customers(self.engine.read_model.conn)}

    def alerts(self) -> list[dict[str, Any]]:
        return [a for a in queries.list_alerts(self.engine.read_model.conn)
                if a["kind"] == "refused_changes"]


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[dict[str, Till]]:
    """A (manager) with B and C admitted the way pairing admits them."""
    a = Till(tmp_path / "a")
    a.cmd("shop.create", name="Deli")
    others = {}
    for name in ("b", "c"):
        identity = load_or_create(tmp_path / name / "identity")
        a.engine.execute(lambda L, i=identity, n=name: L.tills.add(
            i.till_id, f"Till {n.upper()}", cert=certificate_der(i)))
        others[name] = identity
    a.engine.execute(lambda L: L.tills.vouch(a.engine.held_heads()))
    shop_doc = a.engine.ledger.shop_doc
    tills = {"a": a}
    for name in others:
        engine = TillEngine(tmp_path / name)
        engine.store.create(shop_doc.doc_id, Document.load(shop_doc.doc.save()))
        engine.data_dir.write_pointer(ShopPointer(shop_doc.doc_id, engine.identity.till_id))
        engine.close()
        tills[name] = Till(tmp_path / name)
    yield tills
    for till in tills.values():
        till.engine.close()


async def link(x: Till, y: Till) -> list[asyncio.Task[str]]:
    px, py = pipe_pair()
    return [asyncio.create_task(x.repl.connect(px)), asyncio.create_task(y.repl.accept(py))]


async def unlink(tasks: list[asyncio.Task[str]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def in_loop(fn: Any) -> Any:
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(asyncio.wait_for(fn(*args, **kwargs), 60))
    return wrapper


def hostile_write(till: Till, *puts: tuple[tuple[str, ...], Any]) -> None:
    """Write into the shop document as a hostile till would: its own ledger's rules
    bypassed, sealed with its own key (a till always can)."""
    ledger = till.engine.ledger
    with ledger.docs.write(ledger.shop_doc) as w:
        for path, value in puts:
            *parents, key = path
            obj = w.path(*parents) if parents else Root
            assert obj is not None, path
            w.put(obj, key, value)


@in_loop
async def test_sealed_changes_of_members_flow_both_ways(shop: dict[str, Till]) -> None:
    a, b = shop["a"], shop["b"]
    tasks = await link(a, b)
    a.cmd("customer.add", name="Ann")
    b.cmd("customer.add", name="Bob")
    await wait_until_async(lambda: a.customers() == b.customers() == {"Ann", "Bob"}, 10,
                           what="both customers on both tills")
    assert a.refusals == [] and b.refusals == []
    await unlink(tasks)


@in_loop
async def test_a_removed_till_writes_nothing_the_others_accept(shop: dict[str, Till]) -> None:
    a, b, c = shop["a"], shop["b"], shop["c"]
    tasks = await link(a, b) + await link(a, c)
    c.cmd("customer.add", name="Before removal")
    await wait_until_async(lambda: "Before removal" in b.customers(), 10, what="C's customer")
    await unlink(tasks)
    a.cmd("customer.add", name="Marker")  # not needed, but A keeps writing
    a.engine.execute(lambda L: L.tills.remove(c.till_id))
    a.engine.execute(lambda L: L.tills.vouch(a.engine.held_heads()))
    tasks = await link(a, b)
    await wait_until_async(lambda: c.till_id not in b.engine.ledger.tills.members(), 10,
                           what="B to learn of the removal")
    await unlink(tasks)
    # C never hears of it, writes on, and reaches B the way a relay would bring it
    c.cmd("customer.add", name="After removal")
    hostile_write(c, (("tills", b.till_id, "removed"), True))  # and tries to remove B as well
    tasks = await link(c, b)
    await wait_until_async(lambda: b.refusals, 10, what="B to refuse C's changes")
    await asyncio.sleep(0.1)
    assert "After removal" not in b.customers()
    assert "Before removal" in b.customers()  # its work from before stays
    assert b.till_id in b.engine.ledger.tills.members()
    assert {r.author for r in b.refusals} == {c.till_id}
    assert any("removed" in r.reason for r in b.refusals)
    assert b.alerts() and b.alerts()[0]["sku"] == c.till_id
    kept = list((b.root / "quarantine").glob("*-refused-*.change"))
    assert kept and all(p.with_suffix(".reason").read_text() for p in kept)
    await unlink(tasks)


@in_loop
async def test_a_plain_till_cannot_change_the_member_list(shop: dict[str, Till]) -> None:
    a, b, c = shop["a"], shop["b"], shop["c"]
    assert not b.engine.ledger.tills.is_manager()
    with pytest.raises(Exception, match="only a manager"):
        b.engine.execute(lambda L: L.tills.remove(c.till_id))  # its own ledger says no
    # so it writes the change itself: remove C, make itself a manager
    b.cmd("customer.add", name="Harmless")
    hostile_write(b, (("tills", c.till_id, "removed"), True))
    hostile_write(b, (("tills", b.till_id, "role"), "manager"))
    b.cmd("customer.add", name="After")  # builds on its refused changes: refused too
    tasks = await link(a, b)
    await wait_until_async(lambda: "Harmless" in a.customers(), 10, what="B's honest change")
    await asyncio.sleep(0.1)
    assert c.till_id in a.engine.ledger.tills.members()
    assert a.engine.ledger.tills.roles()[b.till_id] == "till"
    assert "After" not in a.customers()
    reasons = {r.reason for r in a.refusals if r.permanent}
    assert any("without being a manager" in r for r in reasons)
    assert "builds on a refused change" in reasons
    assert a.alerts()
    await unlink(tasks)


@in_loop
async def test_a_change_under_another_tills_actor_id_is_refused(shop: dict[str, Till]) -> None:
    a, b, c = shop["a"], shop["b"], shop["c"]
    # B writes with A's actor prefix (A is the manager): a forged "A" removing C
    forged_actor = actor_prefix(a.till_id) + b"\x99" * 8
    stored = b.engine.ledger.shop_doc
    stored.doc.set_actor(forged_actor)
    hostile_write(b, (("tills", c.till_id, "removed"), True))
    tasks = await link(b, c)
    await wait_until_async(lambda: c.refusals, 10, what="C to refuse the forgery")
    assert c.till_id in c.engine.ledger.tills.members()
    assert any("not sealed by the till it names" in r.reason and r.author == a.till_id
               for r in c.refusals)
    await unlink(tasks)


@in_loop
async def test_documents_beyond_the_per_till_quota_are_refused(shop: dict[str, Till]) -> None:
    a, b = shop["a"], shop["b"]
    for i in range(4):  # B lists four period documents for one month
        hostile_write(b, (("periods", f"fake{i}"), {"month": "2031-01", "till": b.till_id}))
    hostile_write(b, (("periods", "forC"), {"month": "2031-02", "till": shop["c"].till_id}))
    tasks = await link(a, b)
    await wait_until_async(lambda: len([r for r in a.refusals if r.permanent]) >= 3, 10,
                           what="A to refuse the extra listings")
    listed = set(a.engine.ledger.docs.periods().get("2031-01", {}))
    assert len(listed) == 2  # the quota, not one more
    assert "forC" not in a.engine.ledger.docs.periods().get("2031-02", {})
    reasons = " ".join(r.reason for r in a.refusals)
    assert "quota" in reasons and "for another till" in reasons
    await unlink(tasks)


@in_loop
async def test_a_stranger_knowing_a_document_id_writes_nothing(shop: dict[str, Till],
                                                               tmp_path: Path) -> None:
    """What a stranger with the relay's address and a document id can do: sync that id
    with its own (valid, sealed) changes. The tills take none of them."""
    a = shop["a"]
    stranger = TillEngine(tmp_path / "stranger")
    shop_doc = a.engine.ledger.shop_doc
    stranger.store.create(shop_doc.doc_id, Document.load(shop_doc.doc.save()))
    stranger.data_dir.write_pointer(ShopPointer(shop_doc.doc_id, stranger.identity.till_id))
    stranger.close()
    s = Till(tmp_path / "stranger")
    hostile_write(s, (("shop", "name"), "Hacked"))
    s.cmd("customer.add", name="Intruder")
    tasks = await link(s, a)
    await wait_until_async(lambda: a.refusals, 10, what="A to refuse the stranger")
    await asyncio.sleep(0.1)
    assert a.engine.ledger.shop.info()["name"] == "Deli"
    assert "Intruder" not in a.customers()
    assert all(r.author is None for r in a.refusals)
    await unlink(tasks)
    s.engine.close()
