"""Three till engines as separate processes on loopback: concurrent edits converge.

Each till is a real ``countertop engine`` with its own data dir, joined by the real
pairing flow (see ``tests/sync/cluster.py``). Convergence means the same documents with
the same heads on every till (``sync.heads``) and the same read-model rows (per-till
columns aside), not just "the order shows up".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.sync.cluster import (
    Cluster,
    Till,
    cluster_template_fixture,
    run_concurrently,
    running_cluster,
)


@pytest.fixture(scope="module")
def cluster_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cluster_template_fixture(tmp_path_factory)


PHONES = {"A": "+442079460101", "B": "+442079460202", "C": "+442079460303"}


def _edits(till: Till, shared_order: str, n_orders: int) -> list[str]:
    """A burst of everyday work on one till, including edits of an order all tills share."""
    made = []
    for i in range(n_orders):
        made.append(till.call("order.add", notes=f"{till.name}{i}",
                              lines=[{"sku": "BUN", "qty": 1 + i % 3}])["id"])
    till.call("customer.add", name=f"Customer of {till.name}", phones=[PHONES[till.name]])
    till.call("order.add_line", order=shared_order, line={"sku": "BUN", "qty": 2,
                                                          "notes": f"from {till.name}"})
    till.call("order.pay", order=shared_order, amount="1.00", method="cash",
              reference=f"pay {till.name}")
    till.call("order.update", order=shared_order, add_tags=[f"seen-{till.name}"])
    till.call("message.receive", channel="sms", **{"from": "+447700900123"},
              text=f"hello from {till.name}", intake=False)
    till.call("stock.adjust", sku="BUN", delta="-1", reason=f"broken on {till.name}")
    return made


def test_concurrent_edits_on_three_engines_converge(cluster_template: Path,
                                                    tmp_path: Path) -> None:
    with running_cluster(cluster_template, tmp_path) as cluster:
        a, b, c = cluster["A"], cluster["B"], cluster["C"]
        shared = a.call("order.add", notes="shared", lines=[{"sku": "BREAD", "qty": 1}])["id"]
        cluster.wait_converged()

        made = run_concurrently(*(lambda t=t: _edits(t, shared, 8) for t in (a, b, c)))
        cluster.wait_converged()

        heads = a.heads()
        assert heads == b.heads() == c.heads()
        assert len(heads) >= 4  # the shop document and one period document per till
        rows = a.read_model_rows()
        assert rows == b.read_model_rows() == c.read_model_rows()

        expected = {shared, *(oid for per_till in made for oid in per_till)}
        for till in (a, b, c):
            assert {o["id"] for o in till.call("order.list", limit=1000)} == expected
            order = till.call("order.show", order=shared)
            assert sorted(p["reference"] for p in order["payments"]) == [
                "pay A", "pay B", "pay C"]
            assert sorted(line["notes"] for line in order["lines"]) == [
                "", "from A", "from B", "from C"]
            assert {"seen-A", "seen-B", "seen-C"} <= set(order["tags"])
            bodies = sorted(m["body"] for m in till.call("message.list"))
            assert bodies == ["hello from A", "hello from B", "hello from C"]
            bun = [s for s in till.call("stock.list") if s["sku"] == "BUN"]
            assert bun and bun[0]["on_hand"] == "97"  # three breakages, one per till


def _changed_orders(till: Till) -> set[str]:
    found: set[str] = set()
    for _, event in till.events:
        if event.get("event") == "changed":
            found.update(event["changes"].get("orders", ()))
    return found


def test_subscriber_on_b_gets_the_changed_event_for_an_order_made_on_a(
        cluster_template: Path, tmp_path: Path) -> None:
    with running_cluster(cluster_template, tmp_path) as cluster:
        a, b = cluster["A"], cluster["B"]
        order = a.call("order.add", notes="for the board on B")["id"]
        cluster.wait_until(lambda: order in _changed_orders(b), 10,
                           "B's subscriber to hear of A's order")
        # the event comes after B's read model holds the row (the UI re-reads on it)
        assert any(row[0] == order for row in b.read_model_rows()["orders"])
        a.call("order.set_status", order=order, status="confirmed")
        cluster.wait_until(lambda: _status(b, order) == "confirmed", 10,
                           "A's status change to reach B")


def _status(till: Till, order: str) -> Any:
    return till.call("order.show", order=order)["status"]


def test_cluster_closes_every_engine_it_started(cluster_template: Path, tmp_path: Path) -> None:
    with running_cluster(cluster_template, tmp_path) as cluster:
        processes = [t.engine for t in cluster.tills.values()]
        assert all(p is not None and p.popen.poll() is None for p in processes)
    assert all(p is not None and p.popen.returncode == 0 for p in processes)  # SIGTERM: exit 0
    assert isinstance(cluster, Cluster)
