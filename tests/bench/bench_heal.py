"""Healing after a partition: three real engines on three "hosts" (network namespaces).

Issue 15, point 11: after a short partition tills took p50 4.1 s (up to 15 s) to
converge, and ~500 changes per side 12-16 s to catch up, because dead links were
noticed only by TCP. Goals: convergence after heal < 2 s, catch-up of 2,000 changes
per side < 3 s.

Each run: the paired shop of ``tests/sync/cluster.py`` copied afresh, A, B and C each in
its own namespace on one bridge (``tests/sync/netns_hosts.py``), linked by static peers
(B dials A, C dials A and B). Then:

- **heal**: C's port on the bridge goes down (packets vanish, nobody is told), A and C
  each take an order, the partition lasts ``PARTITION_S``, the port comes up; measured
  from then until A, B and C hold the same heads (``sync.heads`` over IPC, polled every
  20 ms). ``HEAL_ROUNDS`` rounds; the run's p50 and max.
- **catch-up**: C cut off again, 2,000 orders taken on A and 2,000 on C at once (over
  IPC), the port comes up; measured until the three hold the same heads, and until
  B's and C's read models hold the same rows.

Three runs; each figure is the median of the three runs' figures. Reported, never
asserted. Needs root and ``ip netns`` (prints why not otherwise).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from tests.bench.harness import percentile, report
from tests.helpers.waiting import wait_until
from tests.sync.cluster import (
    Cluster,
    Till,
    bakery_catalog,
    build_shop,
    copy_shop,
    run_concurrently,
)
from tests.sync.netns_hosts import Hosts, netns_unavailable, three_hosts

BENCH = "heal"
RUNS = 3
HEAL_ROUNDS = 10
PARTITION_S = 3.0
CHANGES_PER_SIDE = 2000


def _same_heads(tills: list[Till]) -> bool:
    heads = [t.heads() for t in tills]
    return all(h == heads[0] for h in heads[1:])


def _until(predicate: object, timeout: float = 120.0) -> float:
    wait_until(predicate, timeout, what="the tills to converge", interval=0.02)  # type: ignore[arg-type]
    return time.monotonic()


def _start(cluster: Cluster, made: Hosts) -> list[Till]:
    tills = [cluster.add(name, netns=ns, host=address)
             for name, (ns, address) in made.hosts.items()]
    a, b, c = tills
    a.start()
    b.start(peers=[a])
    c.start(peers=[a, b])
    cluster.wait_linked(timeout=30)
    cluster.wait_until(lambda: _same_heads(tills), 30, "the tills to converge at start")
    return tills


def _heal_rounds(made: Hosts, tills: list[Till]) -> list[float]:
    a, _b, c = tills
    samples = []
    for i in range(HEAL_ROUNDS):
        made.cut("C")
        a.call("order.add", notes=f"A during partition {i}")
        c.call("order.add", notes=f"C during partition {i}")
        time.sleep(PARTITION_S)  # a benchmark: the partition's length is the input
        made.heal("C")
        healed = time.monotonic()
        samples.append(_until(lambda: _same_heads(tills)) - healed)
    return samples


def _fill(till: Till, tag: str) -> None:
    for i in range(CHANGES_PER_SIDE):
        till.call("order.add", notes=f"{tag} {i}")


def _catch_up(made: Hosts, tills: list[Till]) -> tuple[float, float]:
    a, b, c = tills
    made.cut("C")
    run_concurrently(lambda: _fill(a, "A"), lambda: _fill(c, "C"))
    cluster_heads_before = c.heads()
    assert cluster_heads_before != a.heads()
    made.heal("C")
    healed = time.monotonic()
    heads_at = _until(lambda: _same_heads(tills))
    rows_at = _until(lambda: b.read_model_rows() == c.read_model_rows())
    return heads_at - healed, rows_at - healed


def _one_run(template: Path, root: Path, tag: int) -> dict[str, float]:
    copy_shop(template, root)
    with three_hosts(tag=tag) as made, Cluster(root) as cluster:
        tills = _start(cluster, made)
        heal = _heal_rounds(made, tills)
        heads_s, rows_s = _catch_up(made, tills)
    return {"heal_p50_s": percentile(heal, 50), "heal_max_s": max(heal),
            "catchup_heads_s": heads_s, "catchup_rows_s": rows_s}


def main() -> None:
    reason = netns_unavailable()
    if reason:
        print(json.dumps({"bench": BENCH, "skipped": reason}), flush=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        template = base / "template"
        template.mkdir()
        build_shop(template, setup=bakery_catalog)
        runs = [_one_run(template, base / f"run{i}", 40000 + i) for i in range(RUNS)]
    for run in runs:
        print(json.dumps({"bench": BENCH, "run": {k: round(v, 3) for k, v in run.items()}}),
              flush=True)

    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    common = {"runs": RUNS, "tills": 3, "hosts": "network namespaces on one bridge"}
    report(BENCH, "converge_after_heal_p50", median("heal_p50_s"), "s", goal="< 2 s",
           partition_s=PARTITION_S, rounds=HEAL_ROUNDS, **common)
    report(BENCH, "converge_after_heal_max", median("heal_max_s"), "s", goal="< 2 s",
           partition_s=PARTITION_S, rounds=HEAL_ROUNDS, **common)
    report(BENCH, "catchup_2000_per_side_heads", median("catchup_heads_s"), "s",
           goal="< 3 s", changes_per_side=CHANGES_PER_SIDE, **common)
    report(BENCH, "catchup_2000_per_side_read_models", median("catchup_rows_s"), "s",
           goal="< 3 s", changes_per_side=CHANGES_PER_SIDE, **common)


if __name__ == "__main__":
    main()
