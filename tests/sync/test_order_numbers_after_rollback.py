"""Order numbers after a till's disk lost writes (issue 15, point 10).

Till A makes orders that reach B; A's data dir is then put back to an earlier copy (a
restored backup, a VM snapshot) and A, not knowing, numbers on from there. When A syncs
again its lost orders come back: its sequence moves past them, and the number two
orders now share raises an alert. Real engines, real Automerge, the engine's own
replication wiring (``tests/sync/test_authority``).
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from sync.read_model import queries
from tests.helpers.waiting import wait_until_async
from tests.sync.test_authority import Till, in_loop, link, shop, unlink

__all__ = ["shop"]


def numbers(till: Till) -> list[str]:
    return sorted(o["number"] for o in queries.list_orders(till.engine.read_model.conn,
                                                            limit=1000))


@in_loop
async def test_a_rolled_back_till_moves_past_its_lost_numbers_and_flags_the_duplicate(
        shop: dict[str, Till], tmp_path: Path) -> None:
    a, b = shop["a"], shop["b"]
    tasks = await link(a, b)
    a.cmd("order.add", notes="first")
    await wait_until_async(lambda: numbers(b) == ["A-0001"], 10, what="A-0001 on B")
    await unlink(tasks)
    a.engine.close()
    backup = tmp_path / "a-backup"
    shutil.copytree(a.root, backup, ignore=shutil.ignore_patterns("writer.lock"))
    a.reopen()
    tasks = await link(a, b)
    a.cmd("order.add", notes="lost")
    a.cmd("order.add", notes="lost too")
    await wait_until_async(lambda: numbers(b) == ["A-0001", "A-0002", "A-0003"], 10,
                           what="A's orders on B")
    await unlink(tasks)
    # the disk goes back to the copy: A-0002 and A-0003 are gone from A
    a.engine.close()
    shutil.rmtree(a.root)
    shutil.copytree(backup, a.root)
    a.reopen()
    assert numbers(a) == ["A-0001"]
    reissued = a.cmd("order.add", notes="made after the restore")
    assert reissued["number"] == "A-0002"  # A cannot know yet
    tasks = await link(a, b)
    await wait_until_async(lambda: len(numbers(a)) == 4, 10, what="A's lost orders back on A")
    after = a.cmd("order.add", notes="after the sync")
    assert after["number"] == "A-0004"  # past every number A ever gave
    alerts = [x for x in queries.list_alerts(a.engine.read_model.conn)
              if x["kind"] == "duplicate_order_number"]
    assert [x["sku"] for x in alerts] == ["A-0002"]
    assert reissued["id"] in alerts[0]["level"]
    await wait_until_async(lambda: any(x["kind"] == "duplicate_order_number" for x in
                                       queries.list_alerts(b.engine.read_model.conn)), 10,
                           what="the alert on B too")
    await asyncio.sleep(0)
    await unlink(tasks)
