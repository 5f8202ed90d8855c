"""Real engines syncing only through a standard sync server (`--relay wss://...`).

Issue 15, point 9: two tills of one shop (engine processes, paired for real), with no
link between them, converge through the published 1.x sync server and through a 2.x
one, each behind a TLS + token proxy; a stranger with the relay's token, who fetches the
shop document from the relay (a standard sync server reads what it stores and hands it
to anyone it lets in) and writes into it, gets nothing accepted by either till.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from automerge.core import ROOT, ObjType, ScalarType

from sync.doc_storage import DocumentStore
from sync.ids import DocId
from sync.peers.relay import RelayTransport
from sync.replication import Replicator
from tests.helpers.waiting import wait_until_async
from tests.sync.cluster import Cluster, cluster_template_fixture, copy_shop
from tests.sync.peers.js_peer import js_unavailable_reason
from tests.sync.peers.test_relay import TOKEN, sync_server


@pytest.fixture(scope="module")
def cluster_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cluster_template_fixture(tmp_path_factory)


async def stranger_writes(url: str, ca: str, shop_doc: DocId, root: Path) -> None:
    """Fetch the shop document through the relay and write a customer into it."""
    store = DocumentStore(root)
    repl = Replicator(store, "stranger")
    repl.want(shop_doc)
    link = await RelayTransport.open(url, token=TOKEN, ca_file=ca)
    task = asyncio.create_task(repl.connect(link))
    try:
        await wait_until_async(lambda: store.exists(shop_doc) and store.get(shop_doc).doc.get(
            ROOT, "customers") is not None, 20, what="the stranger to fetch the shop document")
        stored = store.get(shop_doc)
        customers = stored.doc.get(ROOT, "customers")
        assert customers is not None
        with stored.doc.transaction() as tx:
            record = tx.put_object(bytes(customers[1]), "cust_intruder", ObjType.Map)
            tx.put(record, "id", ScalarType.Str, "cust_intruder")
            tx.put(record, "name", ScalarType.Str, "Intruder")
        stored.persist()
        repl.local_change()
        await asyncio.sleep(1.0)  # let it reach the relay
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await link.close()


@pytest.mark.parametrize("kind", ["1.x", "2.x"])
def test_two_engines_converge_through_a_relay_and_a_stranger_writes_nothing(
        kind: str, cluster_template: Path, tmp_path: Path) -> None:
    reason = js_unavailable_reason()
    if reason:
        pytest.skip(reason)
    copy_shop(cluster_template, tmp_path)

    async def scenario() -> None:
        async with sync_server(kind, tmp_path / "relay") as (_server, proxy):
            extra = ["--relay", proxy.url, "--relay-token", TOKEN,
                     "--relay-ca", str(proxy.ca_file)]
            with Cluster(tmp_path) as cluster:
                a, b = cluster.add("A"), cluster.add("B")
                await asyncio.to_thread(a.start, extra=extra)
                await asyncio.to_thread(b.start, extra=extra)

                def relay_state(till: object) -> str:
                    rows = till.call("peers.status")["peers"]  # type: ignore[attr-defined]
                    return str(next(r["state"] for r in rows if r["kind"] == "relay"))

                order = await asyncio.to_thread(a.call, "order.add", notes="via the relay")
                made_b = await asyncio.to_thread(b.call, "customer.add", name="Bea")

                def both_arrived() -> bool:
                    on_b = {o["id"] for o in b.call("order.list")}
                    on_a = {c["id"] for c in a.call("customer.list")}
                    return order["id"] in on_b and made_b["id"] in on_a

                await asyncio.to_thread(cluster.wait_until, both_arrived, 40,
                                        f"A and B to sync through the {kind} relay")
                assert a.linked_tills() == set() and b.linked_tills() == set()
                assert relay_state(a) == relay_state(b) == "connected"
                shop_doc = DocId(a.call("shop.info")["shop_doc"])
                await stranger_writes(proxy.url, str(proxy.ca_file), shop_doc,
                                      tmp_path / "stranger")

                def refused(till: object) -> bool:
                    sessions = till.call("peers.status")["sessions"]  # type: ignore[attr-defined]
                    return any(s.get("refused_changes") for s in sessions)

                await asyncio.to_thread(cluster.wait_until, lambda: refused(a) and refused(b),
                                        30, "both tills to refuse the stranger's change")
                for till in (a, b):
                    names = {c["name"] for c in till.call("customer.list")}
                    assert "Intruder" not in names and "Bea" in names

    asyncio.run(asyncio.wait_for(scenario(), 150))
