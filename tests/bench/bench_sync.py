"""Sync catch-up after a partition, Countertop (Repo over TLS PeerSets) vs JS automerge-repo.

Scenario: two peers share one document, are cut apart, each makes 2,000 separate changes
(one key each), then reconnect. Measured: time from reconnect until both hold all 4,000
changes, and bytes on the wire per change (Countertop: link frames incl. 5-byte headers,
without TLS record overhead; JS: websocket message payloads, counted at the server).
Also: one-change propagation latency over a live link (p50/p95); samod's actor loops wait
on queues with 0.1 s timeouts, so this is the number that shows any added delay.
Convergence is detected by polling every 2 ms: a benchmark, so polling is fine here.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from automerge.repo import InMemoryStorage, Repo

from sync.identity import load_or_create
from sync.peers.membership import JoinRequest, hash_shop_id
from sync.peers.peer_set import Backoff, PeerSet
from tests.bench.harness import percentile, report

CHANGES_PER_SIDE = 2000
LATENCY_SAMPLES = 40
BENCH = "sync"


class _Members:
    def __init__(self, members: set[str]) -> None:
        self.members = members

    def is_member(self, till_id: Any) -> bool:
        return till_id in self.members

    def shop_id_hash(self) -> str:
        return hash_shop_id("bench shop")

    def join_requested(self, request: JoinRequest) -> None:
        pass

    def admit(self, request: JoinRequest) -> str:
        return ""


def _get(handle: Any, key: str) -> Any:
    doc = handle.doc()
    return doc[key] if key in list(doc.keys()) else None


async def _until(predicate: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("did not converge")
        await asyncio.sleep(0.002)


async def _countertop(tmp: Path) -> dict[str, float]:
    a_id, b_id = load_or_create(tmp / "a"), load_or_create(tmp / "b")
    members = _Members({a_id.till_id, b_id.till_id})
    repo_a, repo_b = await Repo.load(InMemoryStorage()), await Repo.load(InMemoryStorage())
    await repo_a.start()
    await repo_b.start()
    fast = Backoff(initial=0.05, maximum=0.5)
    peers_a = PeerSet(repo_a, a_id, members, listen_host="127.0.0.1", backoff=fast)
    await peers_a.start()
    static = [f"127.0.0.1:{peers_a.port}"]
    peers_b = PeerSet(repo_b, b_id, members, listen_host="127.0.0.1", static_peers=static,
                      backoff=fast)
    await peers_b.start()
    results: dict[str, float] = {}
    try:
        handle_a = await repo_a.create()
        with handle_a.change() as doc:
            doc["base"] = 0
        await peers_b.wait_linked({a_id.till_id}, 10)
        handle_b: Any = None

        async def found() -> bool:
            nonlocal handle_b
            handle_b = await repo_b.find(str(handle_a.url))
            return handle_b is not None and _get(handle_b, "base") == 0

        deadline = time.perf_counter() + 10
        while not await found():
            if time.perf_counter() > deadline:
                raise TimeoutError("B never got the document")
            await asyncio.sleep(0.01)

        # Latency of one change over the live link.
        latencies = []
        for i in range(LATENCY_SAMPLES):
            start = time.perf_counter()
            with handle_a.change() as doc:
                doc["ping"] = i
            await _until(lambda i=i: _get(handle_b, "ping") == i, 10)
            latencies.append((time.perf_counter() - start) * 1000)
        results["latency_p50_ms"] = percentile(latencies, 50)
        results["latency_p95_ms"] = percentile(latencies, 95)

        # Partition: B's network goes away; both sides keep working.
        await peers_b.stop()
        await _until(lambda: not peers_a.linked_tills(), 10)
        for i in range(CHANGES_PER_SIDE):
            with handle_a.change() as doc:
                doc[f"a{i}"] = i
            with handle_b.change() as doc:
                doc[f"b{i}"] = i
        last = CHANGES_PER_SIDE - 1

        start = time.perf_counter()
        peers_b = PeerSet(repo_b, b_id, members, listen_host="127.0.0.1", static_peers=static,
                          backoff=fast)
        await peers_b.start()
        await _until(lambda: _get(handle_a, f"b{last}") == last
                     and _get(handle_b, f"a{last}") == last)
        results["catchup_s"] = time.perf_counter() - start
        row = next(r for r in peers_b.status() if r["till_id"] == a_id.till_id)
        results["wire_bytes"] = row["bytes_sent"] + row["bytes_received"]
    finally:
        await peers_b.stop()
        await peers_a.stop()
        await repo_b.stop()
        await repo_a.stop()
    return results


async def _js(tmp: Path) -> dict[str, float] | None:
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
    with tempfile.TemporaryDirectory() as tmp:
        ours = asyncio.run(_countertop(Path(tmp)))
        changes = 2 * CHANGES_PER_SIDE
        report(BENCH, "countertop_catchup_time", ours["catchup_s"], "s",
               goal="< 2 s for 2x2,000 changes", changes=changes)
        report(BENCH, "countertop_wire_bytes_per_change", ours["wire_bytes"] / changes, "B",
               goal="< 200 B/change")
        report(BENCH, "countertop_change_latency_p50", ours["latency_p50_ms"], "ms",
               goal="< 50 ms on loopback")
        report(BENCH, "countertop_change_latency_p95", ours["latency_p95_ms"], "ms",
               goal="< 150 ms on loopback")
        theirs = asyncio.run(_js(Path(tmp)))
        if theirs is not None:
            report(BENCH, "js_catchup_time", theirs["catchup_s"], "s")
            report(BENCH, "js_wire_bytes_per_change", theirs["wire_bytes"] / changes, "B")
            report(BENCH, "catchup_time_ratio_countertop_to_js",
                   ours["catchup_s"] / theirs["catchup_s"], "x", goal="<= 1.5")
            report(BENCH, "wire_bytes_ratio_countertop_to_js",
                   ours["wire_bytes"] / theirs["wire_bytes"], "x", goal="<= 1.2")


if __name__ == "__main__":
    main()
