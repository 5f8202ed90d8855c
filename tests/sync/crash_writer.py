"""Child process of test_crash: adds orders on a till's data dir until it is killed.

Prints ``ready`` once the engine is open, then one ``<order id> <number>`` line per order,
each written only after the command returned (fsynced and projected): these are the
orders the till acknowledged. Every third order is confirmed (stock counters move) and
every fifth compacts its period document, so kills also land inside compactions.
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.engine.till_engine import TillEngine
from tests.helpers.commands import run


def main() -> None:
    engine = TillEngine(Path(sys.argv[1]), role="crash writer")
    print("ready", flush=True)
    i = 0
    while True:
        order = run(engine, "order.add", {"lines": ["BREAD:1"], "notes": f"round {i}"})
        if i % 3 == 0:
            run(engine, "order.set_status", {"order": order["id"], "status": "confirmed"})
        if i % 5 == 4:
            engine.store.get(engine.ledger.orders.locate(order["id"])[1]).compact()
        sys.stdout.write(f"{order['id']} {order['number']}\n")
        sys.stdout.flush()
        i += 1


if __name__ == "__main__":
    main()
