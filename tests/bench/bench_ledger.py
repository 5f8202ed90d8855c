"""Foundation benchmarks (issue 2) on a synthetic shop with three years of history.

The shop (tests/bench/synthetic_shop.py: 300k orders, ~1M lines, 20k customers at scale 1)
is built once and cached; each run copies it to a temp dir and measures, on the copy:

- ``cold_start_s``: a fresh ``countertop engine`` process, from spawn until ``engine.json``
  appears and a command answers over IPC (goal < 3 s);
- ``ui_ready_s``: after that, the first UI-style queries on a new read-only connection
  (list_orders first page, counts by status) (goal < 1.5 s), also reported from spawn;
- ``engine_peak_rss_mb``: VmHWM of that engine process after start, the UI queries and a
  few IPC commands (goal < 500 MB);
- ``docs_bytes_per_order`` and ``read_model_bytes_per_order``;
- ``command_*_ms``: order.add, order.set_status, order.pay through ``commands.run`` on an
  in-process TillEngine (fsync included), ~1,000 commands, p50/p99 (goal p99 < 10 ms);
- ``fts_*_ms``: order search (customer name prefix, product word, order number, two
  words), first page, p50/p99 (goal < 30 ms).

``COUNTERTOP_BENCH_SCALE=0.1`` runs on a tenth of the shop.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sync.read_model import queries as q
from tests.bench.harness import percentile, report
from tests.bench.synthetic_shop import SyntheticShop, ensure_shop
from tests.helpers.waiting import wait_until

BENCH = "ledger"
COMMAND_CYCLES = 334  # x3 commands
SEARCH_REPEATS = 30


def _engine_command(root: Path) -> list[str]:
    script = Path(sys.executable).with_name("countertop")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    return [*head, "engine", "--data-dir", str(root), "--no-discovery"]


def _vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bench_cold_start(root: Path, shop: SyntheticShop) -> None:
    """A fresh engine process on the copy: until it serves commands, then UI queries."""
    from app.client import connect

    info = root / "engine.json"
    info.unlink(missing_ok=True)
    log_path = root.parent / "engine.log"
    with open(log_path, "wb") as log_file:
        started = time.perf_counter()
        proc = subprocess.Popen(_engine_command(root), stdout=log_file, stderr=log_file,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            # a benchmark: polling at 5 ms is fine here, and it sets the resolution
            with contextlib.suppress(AssertionError):
                wait_until(lambda: info.exists() or proc.poll() is not None, 300,
                           what="engine.json", interval=0.005)
            if not info.exists():
                raise RuntimeError(f"engine did not start; see {log_path}:\n"
                                   + log_path.read_text()[-2000:])
            info_at = time.perf_counter() - started
            client = wait_until(lambda: connect(root), 300, what="engine IPC", interval=0.005)
            client.call("shop.info")
            answered_at = time.perf_counter() - started
            ui_started = time.perf_counter()
            conn = q.open_readonly(root / "read_model.sqlite3")
            first_page = q.list_orders(conn, limit=50)
            counts = q.status_counts(conn)
            ui_s = time.perf_counter() - ui_started
            conn.close()
            report(BENCH, "cold_start_s", answered_at, "s", goal="< 3 s",
                   engine_json_s=round(info_at, 3), orders=shop.orders)
            report(BENCH, "ui_ready_s", ui_s, "s", goal="< 1.5 s",
                   from_spawn_s=round(answered_at + ui_s, 3), first_page=len(first_page),
                   orders_counted=sum(counts.values()))
            client.call("order.list", {"limit": 50})
            client.call("customer.list", {"search": "smi", "limit": 20})
            hwm = _vm_hwm_kb(proc.pid)
            report(BENCH, "engine_peak_rss_mb", hwm / 1024, "MB", goal="< 500 MB")
            client.close()
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def bench_open_in_process(root: Path) -> None:
    """Where cold start time goes: opening the TillEngine in this process, by phase."""
    from app.engine.till_engine import TillEngine

    started = time.perf_counter()
    engine = TillEngine(root, role="bench")
    total = time.perf_counter() - started
    catch_up = engine.catch_up()
    loaded = len(engine.store.loaded())
    engine.close()
    report(BENCH, "engine_open_in_process_s", total, "s", loaded_docs=loaded,
           catch_up_again_s=round(catch_up, 4))


def bench_disk(root: Path, shop: SyntheticShop) -> None:
    docs = _dir_bytes(root / "docs")
    model = sum(p.stat().st_size for p in root.glob("read_model.sqlite3*"))
    report(BENCH, "docs_bytes_per_order", docs / shop.orders, "B", docs_mb=round(docs / 2**20, 1),
           period_docs=shop.period_docs)
    report(BENCH, "read_model_bytes_per_order", model / shop.orders, "B",
           read_model_mb=round(model / 2**20, 1))


def bench_commands(root: Path) -> None:
    """order.add, order.set_status, order.pay on the big shop, each fsynced."""
    from app.engine.till_engine import TillEngine
    from tests.helpers import commands

    engine = TillEngine(root, role="bench")
    try:
        conn = engine.read_model.conn
        customers = [r[0] for r in conn.execute(
            "SELECT id FROM customers ORDER BY id LIMIT 200")]
        skus = [r[0] for r in conn.execute("SELECT sku FROM products ORDER BY sku LIMIT 40")]
        times: dict[str, list[float]] = {"order.add": [], "order.set_status": [],
                                         "order.pay": []}
        for i in range(COMMAND_CYCLES):
            args: dict[str, Any] = {
                "customer": customers[i % len(customers)], "channel": "phone",
                "lines": [{"sku": skus[(i + k) % len(skus)], "qty": 1 + k % 2}
                          for k in range(1 + i % 4)],
                "notes": "bench order" if i % 5 == 0 else ""}
            t = time.perf_counter()
            order = commands.run(engine, "order.add", args)
            times["order.add"].append(time.perf_counter() - t)
            t = time.perf_counter()
            commands.run(engine, "order.set_status", {"order": order["id"],
                                                      "status": "confirmed"})
            times["order.set_status"].append(time.perf_counter() - t)
            t = time.perf_counter()
            commands.run(engine, "order.pay", {"order": order["id"], "amount": order["total"],
                                               "method": "card"})
            times["order.pay"].append(time.perf_counter() - t)
        everything = [v for values in times.values() for v in values]
        for name, values in times.items():
            ms = [v * 1000 for v in values]
            report(BENCH, f"command_{name.split('.')[1]}_p99_ms", percentile(ms, 99), "ms",
                   goal="< 10 ms", p50_ms=round(percentile(ms, 50), 3),
                   max_ms=round(max(ms), 3), n=len(ms))
        ms = [v * 1000 for v in everything]
        report(BENCH, "command_all_p99_ms", percentile(ms, 99), "ms", goal="< 10 ms",
               p50_ms=round(percentile(ms, 50), 3), n=len(ms))
    finally:
        engine.close()


def bench_search(root: Path) -> None:
    """Order search as staff type it, on a read-only connection like the UI's."""
    conn = q.open_readonly(root / "read_model.sqlite3")
    try:
        row = conn.execute("SELECT number, customer_name FROM orders WHERE customer_name "
                           "IS NOT NULL ORDER BY created_at LIMIT 1 OFFSET 1000").fetchone()
        number = row["number"] if row else "A-0001"
        queries = {"customer_prefix": "smi", "customer_two_words": "emma tay",
                   "product_word": "margherita", "product_rare": "dumplings",
                   "order_number": number}
        everything = []
        for label, text in queries.items():
            hits = len(q.list_orders(conn, search=text, limit=50))  # warm the page cache
            ms = []
            for _ in range(SEARCH_REPEATS):
                t = time.perf_counter()
                q.list_orders(conn, search=text, limit=50)
                ms.append((time.perf_counter() - t) * 1000)
            everything += ms
            report(BENCH, f"fts_{label}_p50_ms", percentile(ms, 50), "ms", goal="< 30 ms",
                   p99_ms=round(percentile(ms, 99), 3), query=text, first_page_hits=hits)
        report(BENCH, "fts_all_p99_ms", percentile(everything, 99), "ms", goal="< 30 ms",
               p50_ms=round(percentile(everything, 50), 3), n=len(everything))
    finally:
        conn.close()


def main() -> None:
    started = time.perf_counter()
    shop, built = ensure_shop()
    report(BENCH, "dataset_build_s", shop.build_seconds, "s", cached=not built,
           scale=shop.scale, orders=shop.orders, lines=shop.lines, customers=shop.customers,
           products=shop.products, messages=shop.messages, calls=shop.calls)
    report(BENCH, "read_model_build_s", shop.read_model_seconds, "s", cached=not built,
           per_order_ms=round(shop.read_model_seconds * 1000 / shop.orders, 4))
    work = Path(tempfile.mkdtemp(prefix="countertop-ledger-bench-"))
    try:
        root = work / "till"
        shutil.copytree(shop.root, root)
        bench_cold_start(root, shop)
        bench_open_in_process(root)
        bench_disk(root, shop)
        bench_search(root)
        bench_commands(root)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"bench": BENCH, "metric": "total_run_s",
                      "value": round(time.perf_counter() - started, 1), "unit": "s"}),
          flush=True)


if __name__ == "__main__":
    main()
