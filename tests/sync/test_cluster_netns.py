"""Three till engines on three "hosts": network namespaces on one bridge, found by mDNS.

Each engine runs inside its own namespace (``ip netns exec``) with its veth address as
its only mDNS interface and no static peers, so the tills can only find each other by
real multicast across real interfaces. ``tc netem`` adds delay, jitter and loss on every
host's link. The bridge lives in a fourth namespace, so nothing here touches the
machine's own network; every namespace is deleted afterwards, whatever happened. On a
kernel without ``sch_netem`` the links get a tight ``tbf`` instead (queueing delay and
tail drops under sync bursts); the test prints which one it used.

Needs root and ``ip netns``; skipped with the reason otherwise.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.cluster import (
    Cluster,
    cluster_template_fixture,
    copy_shop,
    run_concurrently,
)
from tests.sync.netns_hosts import netns_unavailable
from tests.sync.netns_hosts import three_hosts as netns_three_hosts

NETEM = ["netem", "delay", "20ms", "5ms", "loss", "2%"]
# Kernels built without sch_netem (this CI's is one) still have tbf: a slow link with a
# shallow bucket, so sync bursts queue (delay) and overflow it (tail drops, i.e. loss).
TBF = ["tbf", "rate", "2mbit", "burst", "8kb", "latency", "30ms"]
IMPAIRMENTS: dict[str, str] = {}


def _impair(ns: str, dev: str) -> str:
    """Delay and loss on ``dev``: netem if the kernel has it, else a tight tbf."""
    for qdisc in (NETEM, TBF):
        done = subprocess.run(["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev,
                               "root", *qdisc], capture_output=True, timeout=10, check=False)
        if done.returncode == 0:
            return " ".join(qdisc)
    raise RuntimeError(f"neither netem nor tbf could be set on {dev}")


@pytest.fixture(scope="module")
def cluster_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cluster_template_fixture(tmp_path_factory)


@pytest.fixture
def three_hosts() -> Iterator[dict[str, tuple[str, str]]]:
    """till name -> (namespace, address): three hosts on a bridge, netem on each link."""
    reason = netns_unavailable()
    if reason:
        pytest.skip(reason)

    def impair(ns: str, dev: str) -> str:
        IMPAIRMENTS[ns] = _impair(ns, dev)
        return IMPAIRMENTS[ns]

    with netns_three_hosts(impair=impair) as made:
        yield made.hosts


@pytest.mark.netns
def test_three_hosts_discover_by_mdns_and_converge_over_a_lossy_bridge(
        three_hosts: dict[str, tuple[str, str]], cluster_template: Path,
        tmp_path: Path) -> None:
    copy_shop(cluster_template, tmp_path)
    with Cluster(tmp_path) as cluster:
        tills = [cluster.add(name, netns=ns, host=address)
                 for name, (ns, address) in three_hosts.items()]
        run_concurrently(*(lambda t=t: t.start(discovery=True) for t in tills))
        print("link impairment:", IMPAIRMENTS)
        cluster.wait_linked(timeout=40)
        a, b, c = cluster["A"], cluster["B"], cluster["C"]
        for till in (a, b, c):
            rows = [r for r in till.call("peers.status")["peers"] if r["kind"] == "till"]
            others = {t.host for t in (a, b, c) if t is not till}
            assert {r["address"].rpartition(":")[0] for r in rows
                    if r["state"] == "connected"} == others

        def work(till_name: str) -> list[str]:
            till = cluster[till_name]
            return [till.call("order.add", notes=f"{till_name} {i}",
                              lines=[{"sku": "BUN", "qty": 1}])["id"] for i in range(5)]

        made = run_concurrently(*(lambda n=n: work(n) for n in ("A", "B", "C")))
        cluster.wait_converged(timeout=40)
        expected = {oid for per_till in made for oid in per_till}
        for till in (a, b, c):
            assert {o["id"] for o in till.call("order.list")} == expected
