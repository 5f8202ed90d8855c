"""Partitions between till engines (separate processes) heal without losing anything.

Two ways a till drops out of the shop here: frozen (SIGSTOP, the sockets stay open
while the others keep working) and cut off (SIGKILL, then restarted with no peers, so it
works alone). Both sides keep editing, including the same order and the same stock
counter; after the heal every till holds every order, line, payment and message, and
the stock oversold between the two sides raises an overbooking alert.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.sync.cluster import Till, cluster_template_fixture, running_cluster


@pytest.fixture(scope="module")
def cluster_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cluster_template_fixture(tmp_path_factory)


class Ledgerbook:
    """What the test did, to check nothing was lost: ids of orders, lines, payments."""

    def __init__(self) -> None:
        self.orders: set[str] = set()
        self.lines: set[tuple[str, str]] = set()
        self.payments: set[str] = set()
        self.messages: set[str] = set()

    def order(self, till: Till, **args: Any) -> str:
        made = till.call("order.add", **args)
        self.orders.add(made["id"])
        self.lines.update((made["id"], line["line_id"]) for line in made["lines"])
        return str(made["id"])

    def line(self, till: Till, order: str, sku: str, qty: int, note: str) -> None:
        before = {line["line_id"] for line in till.call("order.show", order=order)["lines"]}
        after = till.call("order.add_line", order=order,
                          line={"sku": sku, "qty": qty, "notes": note})
        self.lines.update((order, line["line_id"]) for line in after["lines"]
                          if line["line_id"] not in before)

    def pay(self, till: Till, order: str, amount: str, reference: str) -> None:
        till.call("order.pay", order=order, amount=amount, method="card", reference=reference)
        self.payments.add(reference)

    def message(self, till: Till, text: str) -> None:
        till.call("message.receive", channel="sms", text=text, intake=False,
                  **{"from": "+447700900456"})
        self.messages.add(text)

    def work(self, till: Till, shared: str, tag: str, n: int = 5) -> None:
        for i in range(n):
            self.order(till, notes=f"{tag} {i}", lines=[{"sku": "BUN", "qty": 1}])
        self.line(till, shared, "BUN", 2, f"line {tag}")
        self.pay(till, shared, "0.50", f"pay {tag}")
        self.message(till, f"message {tag}")

    def check(self, till: Till) -> None:
        orders = till.call("order.list", limit=10_000)
        assert {o["id"] for o in orders} == self.orders, f"orders on {till.name}"
        lines = set()
        payments = set()
        for order_id in self.orders:
            detail = till.call("order.show", order=order_id)
            lines.update((order_id, line["line_id"]) for line in detail["lines"])
            payments.update(p["reference"] for p in detail["payments"])
        assert lines == self.lines, f"order lines on {till.name}"
        assert payments == self.payments, f"payments on {till.name}"
        texts = {m["body"] for m in till.call("message.list", limit=10_000)}
        assert texts == self.messages, f"messages on {till.name}"


def test_frozen_till_catches_up_after_sigcont(cluster_template: Path, tmp_path: Path) -> None:
    with running_cluster(cluster_template, tmp_path) as cluster:
        a, b, c = cluster["A"], cluster["B"], cluster["C"]
        book = Ledgerbook()
        shared = book.order(a, notes="shared", lines=[{"sku": "BUN", "qty": 1}])
        cluster.wait_converged()

        a.pause()  # A's sockets stay open; B and C keep syncing between themselves
        try:
            book.work(b, shared, "B while A froze")
            book.work(c, shared, "C while A froze")
            cluster.wait_converged(tills=[b, c])
        finally:
            a.resume()
        book.work(a, shared, "A after thaw")
        cluster.wait_converged()
        for till in (a, b, c):
            book.check(till)


def test_cut_off_till_and_the_rest_both_edit_then_heal(cluster_template: Path,
                                                       tmp_path: Path) -> None:
    with running_cluster(cluster_template, tmp_path) as cluster:
        a, b, c = cluster["A"], cluster["B"], cluster["C"]
        book = Ledgerbook()
        shared = book.order(a, notes="shared", lines=[{"sku": "BUN", "qty": 1}])
        cluster.wait_converged()
        c_port = c.sync_port

        c.kill()  # the other tills dial nobody: C comes back alone, on another port
        c.start(port=0)
        assert c.linked_tills() == set()
        book.work(a, shared, "A apart")
        book.work(b, shared, "B apart")
        book.work(c, shared, "C apart")
        # BREAD: five in stock; each side reserves three of them
        for till in (a, c):
            sale = book.order(till, notes=f"bread {till.name}", lines=[{"sku": "BREAD",
                                                                         "qty": 3}])
            till.call("order.set_status", order=sale, status="confirmed")
        a.call("order.set_status", order=shared, status="confirmed")
        c.call("order.set_status", order=shared, status="preparing")
        for till in (a, c):
            bread = next(s for s in till.call("stock.list") if s["sku"] == "BREAD")
            assert not bread["overbooked"]
            assert not till.call("alert.list")

        c.stop()
        c.start(peers=[a, b], port=c_port)
        cluster.wait_linked()
        cluster.wait_converged()

        for till in (a, b, c):
            book.check(till)
            bread = next(s for s in till.call("stock.list") if s["sku"] == "BREAD")
            assert bread["available"] == "-1" and bread["overbooked"]
            alerts = till.call("alert.list")
            assert [(x["kind"], x["sku"]) for x in alerts] == [("overbooking", "BREAD")]
            assert till.call("order.show", order=shared)["status"] in ("confirmed",
                                                                        "preparing")
        assert "overbooking: BREAD" in a.log_text() + b.log_text() + c.log_text()


def test_killed_engine_restarts_and_resyncs_what_it_fsynced(cluster_template: Path,
                                                          tmp_path: Path) -> None:
    with running_cluster(cluster_template, tmp_path) as cluster:
        a, b = cluster["A"], cluster["B"]
        book = Ledgerbook()
        shared = book.order(b, notes="shared")
        book.work(b, shared, "B before the crash")
        b.kill()  # SIGKILL: what B acknowledged was fsynced, so it must all come back
        book.work(a, shared, "A while B is down")
        b.start(peers=[a])
        cluster.wait_converged()
        for till in cluster.tills.values():
            book.check(till)
