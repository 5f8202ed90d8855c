"""Random workloads on a real engine (with a second till merging in): the read model kept
up incrementally must equal a rebuild, and the reopened till must hold the same.

Seeded, so a failure names the seed that reproduces it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.engine.till_engine import TillEngine
from sync import lifecycle
from sync.changes import Changes
from sync.errors import CommandRejected
from sync.ledger import FulfilmentInput, LineInput, ShopLedger
from tests.engine.remote_till import deliver, second_till

PHONES = [f"+4477009001{i:02d}" for i in range(8)]
EMAILS = [f"p{i}@example.com" for i in range(4)]


class Workload:
    """Random commands against one ledger; refused commands are part of the mix."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.skus = ["BREAD", "MILK", "FLOUR"]

    def command(self, L: ShopLedger) -> Callable[[], Changes]:
        r = self.rng
        orders = sorted(L.docs.orders)
        customers = sorted(L.customers.all())
        now = dt.datetime.now(dt.UTC)
        choices: list[Callable[[], Changes]] = [
            lambda: L.catalog.add_product(f"P{r.randrange(30)}", "Thing " + r.choice("abcde"),
                                          r.randrange(50, 900), stock=Decimal(r.randrange(0, 4)),
                                          low_stock=Decimal(1) if r.random() < 0.5 else None),
            lambda: L.catalog.update_product(r.choice(self.skus), price=r.randrange(1, 500),
                                             low_stock=str(r.randrange(0, 3))),
            lambda: L.catalog.adjust_stock(r.choice(self.skus), Decimal(r.randrange(-3, 6)),
                                           reason="count"),
            lambda: L.customers.add(r.choice(["Ann", "Bob", "Cy", "Dee"]),
                                    phones=r.sample(PHONES, r.randrange(0, 2)),
                                    emails=r.sample(EMAILS, r.randrange(0, 2))),
            lambda: L.inbox.record_message(channel="sms", direction=r.choice(["in", "out"]),
                                           sender=r.choice(PHONES), recipient=r.choice(PHONES),
                                           body=r.choice(["2 bread", "hello", "milk pls"]),
                                           received_at=now, dedupe_key=f"k{r.randrange(40)}"),
            lambda: L.inbox.record_call(number=r.choice(PHONES + [None]), name=None, at=now,
                                        presentation="available"),
            lambda: L.orders.create(
                customer_id=r.choice(customers + [None]) if customers else None,
                lines=[LineInput(quantity=Decimal(r.randrange(1, 4)), sku=r.choice(self.skus))
                       for _ in range(r.randrange(0, 3))]
                + ([LineInput(quantity=Decimal(1), description="Card", unit_price=150)]
                   if r.random() < 0.2 else []),
                notes=r.choice(["", "ring bell", "sliced"])),
        ]
        choices.append(choices[-1])  # orders twice as often
        if customers:
            choices += [
                lambda: L.customers.update(r.choice(customers), name=r.choice(["Ann B", "Bo"]),
                                           add_phones=r.sample(PHONES, 1)),
                lambda: L.customers.merge(r.choice(customers), r.choice(customers)),
            ]
        if orders:
            def pick() -> str:
                return r.choice(orders)

            def one_line(oid: str) -> str:
                return r.choice(sorted(L.orders.get(oid)["lines"]) or ["ln_none"])

            def edit_line() -> Changes:
                o = pick()
                return L.orders.update_line(o, one_line(o), quantity=Decimal(r.randrange(1, 5)),
                                            remove=r.random() < 0.3)

            def give_back() -> Changes:
                o = pick()
                return L.orders.record_return(o, {one_line(o): Decimal(1)} if r.random() < 0.5
                                              else None, restock=r.random() < 0.7)

            choices += [
                edit_line, give_back,
                lambda: L.orders.set_status(pick(), r.choice(lifecycle.STATUSES)),
                lambda: L.orders.set_status(pick(),
                                            r.choice(["confirmed", "collected", "cancelled"])),
                lambda: L.orders.add_line(pick(), LineInput(quantity=Decimal(1),
                                                            sku=r.choice(self.skus))),
                lambda: L.orders.record_payment(pick(), r.randrange(1, 2000),
                                                method=r.choice(["cash", "card"]),
                                                refund=r.random() < 0.2),
                lambda: L.orders.update(pick(), notes=r.choice(["x", "y"]),
                                        assignee=r.choice(["", "sam"]),
                                        customer_id=r.choice(customers) if customers else None,
                                        fulfilment=FulfilmentInput(kind="delivery",
                                                                   address="1 High St"),
                                        add_tags=["t"]),
            ]
        return r.choice(choices)


def run_workload(engine: TillEngine, b: ShopLedger, rng: random.Random, steps: int) -> None:
    local, remote = Workload(rng), Workload(rng)
    for step in range(steps):
        if rng.random() < 0.25:
            try:
                remote.command(b)()
            except CommandRejected:
                pass
        else:
            try:
                engine.execute(lambda L: local.command(L)())
            except CommandRejected:
                pass
        if step % 15 == 14:
            engine.merged_remote(deliver(b, engine))
        if step % 20 == 19 and rng.random() < 0.5:
            alerts = [a for a in engine.read_model.rows("alerts") if a[7] is None]
            if alerts:
                engine.execute(lambda L, aid=alerts[0][0]: L.alerts.resolve(aid))
    engine.merged_remote(deliver(b, engine))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_workload_read_model_equals_rebuild(engine: TillEngine, data_dir: Path,
                                                   tmp_path: Path, seed: int) -> None:
    b = second_till(engine, tmp_path / "till-b")
    rng = random.Random(seed)
    run_workload(engine, b, rng, 150)
    live: dict[str, Any] = engine.read_model.snapshot()
    assert len(live["orders"]) > 10, f"seed {seed}: workload too thin"
    engine.rebuild_read_model()
    rebuilt = engine.read_model.snapshot()
    diff = {t: (sorted(set(live[t]) - set(rebuilt[t]))[:3],
                sorted(set(rebuilt[t]) - set(live[t]))[:3])
            for t in live if live[t] != rebuilt[t]}
    assert not diff, f"seed {seed}: incremental vs rebuild differ: {diff}"
    engine.close()
    again = TillEngine(data_dir)
    try:
        assert again.read_model.snapshot() == live, f"seed {seed}: reopened differs"
    finally:
        again.close()
