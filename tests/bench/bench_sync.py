"""Till-to-till sync through real engine processes, and the same catch-up in JS automerge-repo.

Every Countertop figure here goes through what a shop runs: ``countertop engine``
processes with their own data dirs, paired by the real join flow, linked over TLS on
loopback, driven over IPC (``tests/sync/cluster.py``).

- **latency**: three tills; an order made on A (``order.add`` over IPC) until B's IPC
  subscriber receives the "changed" event naming it (B has merged, fsynced and projected
  it into its read model by then). One edit at a time, 1,000 edits.
- **catch-up**: two tills cut apart (B restarted with no peers), 2,000 orders made on
  each side, then B restarted with A as its peer. Measured from B's engine being ready
  until both tills hold the same heads and the same read-model rows, plus link bytes
  per change (frames incl. 5-byte headers, without TLS records) from ``peers.status``.
- **JS**: two JS automerge-repo peers (tests/sync/js) cut apart, 2,000 changes each
  (one key per change on a flat document), reconnected; the same figures. The
  Countertop/JS ratio is taken against the *same* one-key workload run through our
  Replicator and TLS links in-process (``replicator_flat``); the engine-with-orders
  ratio is reported too, but an order is far bigger than one key and is projected.
- **idle CPU**: what three linked, idle engines burn (busy polling would show here).

Convergence is detected by polling in the catch-up (a benchmark, not a test).
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.bench.harness import percentile, report
from tests.helpers.waiting import wait_until, wait_until_async
from tests.sync.cluster import (
    Cluster,
    Till,
    bakery_catalog,
    build_shop,
    copy_shop,
    run_concurrently,
    running_cluster,
)

BENCH = "sync"
LATENCY_EDITS = 1000
CHANGES_PER_SIDE = 2000
IDLE_SECONDS = 3.0


class Arrivals:
    """When each order id first showed up in a till's "changed" events."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self.changed = threading.Event()

    def __call__(self, at: float, event: dict[str, Any]) -> None:
        if event.get("event") != "changed":
            return
        for order in event["changes"].get("orders", ()):
            self.seen.setdefault(order, at)
        self.changed.set()

    def wait(self, order: str, timeout: float = 10.0) -> float:
        return wait_until(lambda: self.seen.get(order), timeout, wake=self.changed,
                          what=f"order {order} to reach the subscriber")


def _latency(cluster: Cluster) -> list[float]:
    a, b = cluster["A"], cluster["B"]
    arrivals = Arrivals()
    b.listeners.append(arrivals)
    for i in range(20):  # warm: period documents, caches
        arrivals.wait(a.call("order.add", notes=f"warm {i}")["id"])
    samples = []
    for i in range(LATENCY_EDITS):
        start = time.monotonic()
        order = a.call("order.add", notes=f"latency {i}", lines=[{"sku": "BUN", "qty": 1}])
        samples.append((arrivals.wait(order["id"]) - start) * 1000)
    return samples


def _idle_cpu(cluster: Cluster) -> float:
    """Percent of one core the linked engines use while nothing happens (all of them)."""
    engines = [t.engine for t in cluster.tills.values() if t.engine is not None]
    before = sum(e.cpu_seconds() for e in engines)
    time.sleep(IDLE_SECONDS)
    return (sum(e.cpu_seconds() for e in engines) - before) / IDLE_SECONDS * 100


def _fill(till: Till, tag: str) -> None:
    for i in range(CHANGES_PER_SIDE):
        till.call("order.add", notes=f"{tag} {i}")


def _until(predicate: Any, timeout: float = 300.0) -> None:
    wait_until(predicate, timeout, what="the tills to converge", interval=0.01)


def _catch_up(template: Path, root: Path) -> dict[str, float]:
    copy_shop(template, root)
    with Cluster(root) as cluster:
        a = cluster.add("A", root / "A").start()
        b = cluster.add("B", root / "B").start(peers=[a])
        cluster.wait_linked()
        cluster.wait_converged()
        b.kill()
        b.start(port=0)  # alone: nobody dials B, B dials nobody
        started = time.monotonic()
        run_concurrently(lambda: _fill(a, "A"), lambda: _fill(b, "B"))
        fill_s = time.monotonic() - started
        b.stop()
        restart = time.monotonic()
        b.start(peers=[a])
        assert b.engine is not None and b.engine.ready_at is not None
        ready = b.engine.ready_at
        _until(lambda: a.heads() == b.heads())
        heads_at = time.monotonic()
        _until(lambda: a.read_model_rows() == b.read_model_rows())
        rows_at = time.monotonic()
        row = next(r for r in b.call("peers.status")["peers"] if r["kind"] == "till")
        orders = len(b.call("order.list", limit=100_000))
        return {"catchup_s": rows_at - ready, "heads_s": heads_at - ready,
                "with_start_s": rows_at - restart, "fill_s": fill_s,
                "wire_bytes": float(row["bytes_sent"] + row["bytes_received"]),
                "orders": float(orders)}


class _Members:
    """Both bench tills are members of one made-up shop (no ledger in this comparison)."""

    def __init__(self, members: set[str]) -> None:
        self.members = members

    def is_member(self, till_id: Any) -> bool:
        return till_id in self.members

    def shop_id_hash(self) -> str:
        from sync.peers.membership import hash_shop_id

        return hash_shop_id("bench shop")

    def join_requested(self, request: Any) -> None:
        return None

    def admit(self, request: Any) -> str:
        return ""


def _flat_value(doc: Any, key: str) -> Any:
    from automerge.core import ROOT

    got = doc.get(ROOT, key)
    return None if got is None else got[0][1]


async def _replicator_flat(root: Path) -> dict[str, float]:
    """The JS scenario exactly, with our Replicator and TLS links: flat one-key changes.

    Same workload as the JS peers (2,000 one-key changes per side on one document), so
    the ratio compares the sync machinery itself: protocol, framing, fsync per burst.
    """
    from automerge.core import ROOT, ScalarType

    from sync.am_doc import new_doc_id
    from sync.doc_storage import DocumentStore
    from sync.identity import load_or_create
    from sync.peers.peer_set import Backoff, PeerSet
    from sync.replication import Replicator

    ids = [load_or_create(root / f"id-{n}") for n in "ab"]
    members = _Members({i.till_id for i in ids})
    stores = [DocumentStore(root / f"store-{n}") for n in "ab"]
    merged = asyncio.Event()
    repls = [Replicator(store, i.till_id, on_merged=lambda _ids: merged.set())
             for store, i in zip(stores, ids, strict=True)]
    fast = Backoff(initial=0.05, maximum=0.5)
    doc_id = new_doc_id()
    doc_a = stores[0].create(doc_id)
    with doc_a.doc.transaction() as tx:
        tx.put(ROOT, "base", ScalarType.Int, 0)
    doc_a.persist()

    async def until(predicate: Any) -> None:
        await wait_until_async(predicate, 120, what="the stores to converge", wake=merged)

    def peers_b() -> PeerSet:
        return PeerSet(repls[1], ids[1], members, listen_host="127.0.0.1",
                       static_peers=[f"127.0.0.1:{peers_a.port}"], backoff=fast)

    peers_a = PeerSet(repls[0], ids[0], members, listen_host="127.0.0.1", backoff=fast)
    await peers_a.start()
    link_b = peers_b()
    await link_b.start()
    try:
        await until(lambda: stores[1].exists(doc_id)
                    and _flat_value(stores[1].get(doc_id).doc, "base") == 0)
        await link_b.stop()
        for store, prefix in zip(stores, "ab", strict=True):
            stored = store.get(doc_id)
            for i in range(CHANGES_PER_SIDE):
                with stored.doc.transaction() as tx:
                    tx.put(ROOT, f"{prefix}{i}", ScalarType.Int, i)
            stored.persist()
        last = CHANGES_PER_SIDE - 1
        start = time.perf_counter()
        link_b = peers_b()
        await link_b.start()
        await until(lambda: _flat_value(stores[0].get(doc_id).doc, f"b{last}") == last
                    and _flat_value(stores[1].get(doc_id).doc, f"a{last}") == last)
        elapsed = time.perf_counter() - start
        row = next(r for r in link_b.status() if r["kind"] == "till")
        return {"catchup_s": elapsed,
                "wire_bytes": float(row["bytes_sent"] + row["bytes_received"])}
    finally:
        await link_b.stop()
        await peers_a.stop()
        for store in stores:
            store.close()


async def _js() -> dict[str, float] | None:
    from tests.sync.peers.js_peer import JsPeer, js_unavailable_reason

    reason = js_unavailable_reason()
    if reason:
        print(f"# JS side skipped: {reason}")
        return None
    server = await JsPeer.start("--listen", "0")
    client = await JsPeer.start("--offline")
    try:
        url = (await server.call("create", doc={"base": 0}))["url"]
        await client.call("connect", url=server.url)
        await client.call("wait", url=url, key="base", value=0)
        await client.call("disconnect")
        last = CHANGES_PER_SIDE - 1
        await asyncio.gather(
            server.call("fill", url=url, n=CHANGES_PER_SIDE, prefix="a", timeout=120),
            client.call("fill", url=url, n=CHANGES_PER_SIDE, prefix="b", timeout=120),
        )
        before = await server.call("stats")
        start = time.perf_counter()
        await client.call("connect", url=server.url)
        await asyncio.gather(
            server.call("wait", url=url, key=f"b{last}", value=last, timeout=120),
            client.call("wait", url=url, key=f"a{last}", value=last, timeout=120),
        )
        elapsed = time.perf_counter() - start
        after = await server.call("stats")
        wire = (after["bytesIn"] - before["bytesIn"]) + (after["bytesOut"] - before["bytesOut"])
        return {"catchup_s": elapsed, "wire_bytes": float(wire)}
    finally:
        await client.stop()
        await server.stop()


def main() -> None:
    changes = 2 * CHANGES_PER_SIDE
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        template = base / "template"
        template.mkdir()
        build_shop(template, setup=bakery_catalog)

        with running_cluster(template, base / "latency") as cluster:
            samples = _latency(cluster)
            idle = _idle_cpu(cluster)
        report(BENCH, "edit_to_remote_read_model_p50", percentile(samples, 50), "ms",
               goal="p99 < 50 ms", edits=len(samples), tills=3)
        report(BENCH, "edit_to_remote_read_model_p99", percentile(samples, 99), "ms",
               goal="< 50 ms", edits=len(samples), tills=3)
        report(BENCH, "edit_to_remote_read_model_max", max(samples), "ms")
        report(BENCH, "idle_cpu_three_linked_engines", idle, "%", goal="~0 (no busy polling)")

        ours = _catch_up(template, base / "catchup")
        report(BENCH, "countertop_catchup_time", ours["catchup_s"], "s",
               goal="< 5 s for 2x2,000 changes", changes=changes,
               heads_equal_s=round(ours["heads_s"], 3),
               including_engine_start_s=round(ours["with_start_s"], 3))
        report(BENCH, "countertop_wire_bytes_per_change", ours["wire_bytes"] / changes, "B")
        report(BENCH, "countertop_fill_rate", changes / ours["fill_s"], "orders/s",
               note="both tills writing at once over IPC while apart")
        if ours["orders"] < changes:
            print(f"# WARNING: only {ours['orders']:.0f} orders on B after catch-up")

    with tempfile.TemporaryDirectory() as tmp:
        flat = asyncio.run(_replicator_flat(Path(tmp)))
    report(BENCH, "replicator_flat_catchup_time", flat["catchup_s"], "s", changes=changes,
           note="JS workload (one-key changes) through our Replicator over TLS")
    report(BENCH, "replicator_flat_wire_bytes_per_change", flat["wire_bytes"] / changes, "B")
    theirs = asyncio.run(_js())
    if theirs is not None:
        report(BENCH, "js_catchup_time", theirs["catchup_s"], "s", changes=changes)
        report(BENCH, "js_wire_bytes_per_change", theirs["wire_bytes"] / changes, "B")
        report(BENCH, "catchup_time_ratio_countertop_to_js",
               flat["catchup_s"] / theirs["catchup_s"], "x", goal="<= 2",
               note="same one-key workload on both sides")
        report(BENCH, "wire_bytes_ratio_countertop_to_js",
               flat["wire_bytes"] / theirs["wire_bytes"], "x")
        report(BENCH, "catchup_time_ratio_engine_orders_to_js",
               ours["catchup_s"] / theirs["catchup_s"], "x",
               note="whole engines syncing real orders (projection, fsync) vs JS one-key")


if __name__ == "__main__":
    main()
