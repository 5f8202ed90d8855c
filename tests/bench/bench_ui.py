"""UI responsiveness: does the counter window keep breathing while the shop gets busy?

A writer process (the stand-in for the engine) fills a read model with 300,000 orders,
then commits a burst of 1,000 changes (new orders and status moves, one transaction
each) and announces each on its stdout; a reader thread in the UI process turns every
line into a ``changed`` event through ``EngineLink.inject_event`` -- the same path real
IPC events take. Meanwhile a 5 ms QTimer records the longest gap between its ticks: the
longest the event loop stalled. Also measured: opening the window on 300k orders,
scrolling the orders table to 20k rows, a search and a tag filter.

Run: ``.venv/bin/python -m tests.bench ui``.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.bench.harness import percentile, report

ORDERS = 300_000
BURST = 1_000
REPO = Path(__file__).resolve().parents[2]
ORDER_COLUMNS = ("id", "number", "doc_id", "till", "channel", "customer_id", "customer_name",
                 "status", "total", "paid", "balance", "tags", "assignee", "due_at",
                 "fulfilment", "address", "carrier", "tracking", "notes", "custom",
                 "source_messages", "created_at", "updated_at", "line_count", "stock_state")
STATUSES = ["new", "confirmed", "preparing", "ready", "out_for_delivery", "delivered",
            "collected", "cancelled"]


# ---------------------------------------------------------------------- writer process


def _writer(argv: list[str]) -> int:
    """``populate DIR N`` or ``burst DIR N``: the engine's side (imports the read model)."""
    import json

    from sync.read_model.codecs import order_seq
    from sync.read_model.projector import ReadModel

    action, root, count = argv[0], Path(argv[1]), int(argv[2])
    rm = ReadModel(root / "read_model.sqlite3")
    conn = rm.conn
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)
    if action == "populate":
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO shop VALUES (?,?)", [
            ("name", json.dumps("Bench Pizzeria")), ("currency", json.dumps("EUR"))])
        names = [f"Customer {i}" for i in range(2000)]
        conn.executemany("INSERT INTO customers (id, name, phones, emails, addresses, notes, "
                         "tags) VALUES (?,?,?,?,?,?,?)",
                         [(f"cus_{i}", n, "[]", "[]", "[]", "", "[]")
                          for i, n in enumerate(names)])
        rows, fts = [], []
        for i in range(count):
            created = now - dt.timedelta(minutes=count - i)
            status = "delivered" if i < count - 300 else rng.choice(STATUSES[:5])
            cust = rng.randrange(2000)
            tags = '["deli"]' if i % 50 == 0 else "[]"
            seq = order_seq(created.isoformat(), f"ord_{i}")  # as the read model keys it
            rows.append((f"ord_{i}", f"A-{i + 1:06d}", "doc", "till", rng.choice(
                ["counter", "sms", "phone", "web"]), f"cus_{cust}", names[cust], status,
                rng.randrange(500, 9000), 0, 0, tags, "", None, "pickup", "", "", "", "",
                "{}", "[]", created.isoformat(), created.isoformat(), 2, "none", seq))
            fts.append((seq, f"ord_{i}", f"A-{i + 1:06d}", names[cust], "Margherita"))
        cols = (*ORDER_COLUMNS, "seq")
        conn.executemany(f"INSERT INTO orders ({','.join(cols)}) VALUES "
                         f"({','.join('?' * len(cols))})", rows)
        conn.executemany("INSERT INTO orders_fts (rowid, order_id, number, customer, body) "
                         "VALUES (?,?,?,?,?)", fts)
        conn.execute("COMMIT")
        return 0
    # burst: one transaction per change, announced after commit
    base = ORDERS
    open_ids = [r[0] for r in conn.execute(
        "SELECT id FROM orders WHERE status IN ('new','confirmed','preparing','ready')")]
    for i in range(count):
        conn.execute("BEGIN IMMEDIATE")
        if i % 2 == 0 or not open_ids:
            oid = f"ord_b{i}"
            at = dt.datetime.now(dt.UTC).isoformat()
            conn.execute(f"INSERT INTO orders ({','.join(ORDER_COLUMNS)}) VALUES "
                         f"({','.join('?' * len(ORDER_COLUMNS))})", (
                oid, f"B-{base + i:06d}", "doc", "till", "sms", "cus_1", "Customer 1", "new",
                1200, 0, 1200, "[]", "", None, "pickup", "", "", "", "", "{}", "[]", at, at, 1,
                "none"))
            open_ids.append(oid)
        else:
            oid = rng.choice(open_ids)
            conn.execute("UPDATE orders SET status = CASE status WHEN 'new' THEN 'confirmed' "
                         "WHEN 'confirmed' THEN 'preparing' WHEN 'preparing' THEN 'ready' "
                         "ELSE 'out_for_delivery' END, updated_at = ? WHERE id = ?",
                         (dt.datetime.now(dt.UTC).isoformat(), oid))
        conn.execute("COMMIT")
        sys.stdout.write(oid + "\n")
        sys.stdout.flush()
    return 0


def _run_writer(*args: str, stdout: Any = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.bench.bench_ui", "--writer", *args],
                            cwd=REPO, stdout=stdout, text=True)


# ---------------------------------------------------------------------- UI side


class GapProbe:
    """A 5 ms timer; the longest interval between its ticks is the worst stall."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self._last = 0.0

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        if os.environ.get("BENCH_UI_DEBUG") and self.gaps[-1] > 25:
            print(f"gap {self.gaps[-1]:.0f} ms ending at {now:.3f}", file=sys.stderr)
        self._last = now

    def stop(self) -> list[float]:
        self.timer.stop()
        return list(self.gaps)


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from PySide6.QtCore import QEventLoop, QTimer

    from app.till_settings import TillSettings
    from app.ui.engine_link import EngineLink
    from app.ui.main_window import MainWindow
    from app.ui.read_store import OrderFilter, ReadStore
    from app.ui.theme import Theme

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        assert _run_writer("populate", str(root), str(ORDERS)).wait() == 0
        report("ui", "populate_read_model", time.perf_counter() - started, "s",
               orders=ORDERS)
        theme = Theme("light")
        theme.apply(app)  # type: ignore[arg-type]
        settings = TillSettings(root)
        settings.set("sound", False)
        settings.set("tray_notifications", False)
        store = ReadStore(root)
        link = EngineLink(root, start_engine=False)
        window = MainWindow(link, store, settings, theme, root)
        window.resize(1360, 820)
        window.show()
        app.processEvents()

        t = time.perf_counter()
        window.reload_all()
        app.processEvents()
        report("ui", "open_window_300k_orders", (time.perf_counter() - t) * 1000, "ms",
               goal="< 1000 ms")

        window.show_page(2)
        table = window.orders.table
        t = time.perf_counter()
        fetches = []
        while window.orders.model.rowCount() < 20_000 and \
                window.orders.model.canFetchMore(window.orders.model.index(-1, -1)):
            f0 = time.perf_counter()
            table.scrollToBottom()
            app.processEvents()
            fetches.append((time.perf_counter() - f0) * 1000)
        report("ui", "scroll_to_20k_rows", (time.perf_counter() - t) * 1000, "ms",
               rows=window.orders.model.rowCount())
        report("ui", "scroll_step_p99", percentile(fetches, 99), "ms", goal="< 50 ms")

        for label, flt in (("search_customer", OrderFilter(search="Customer 1234")),
                           ("filter_tag", OrderFilter(tag="deli")),
                           ("filter_status_open", OrderFilter(
                               statuses=("new", "confirmed", "preparing", "ready")))):
            t = time.perf_counter()
            window.orders.model.set_filter(flt)
            app.processEvents()
            report("ui", label, (time.perf_counter() - t) * 1000, "ms", goal="< 100 ms",
                   rows=window.orders.model.total)
        window.orders.model.set_filter(OrderFilter())
        window.show_page(1)  # the board: the busiest view under a burst
        app.processEvents()

        window.quiet = bool(os.environ.get("BENCH_UI_QUIET"))
        if os.environ.get("BENCH_UI_HIDE"):
            window.hide()
        probe = GapProbe()
        writer = _run_writer("burst", str(root), str(BURST), stdout=subprocess.PIPE)
        seen = threading.Event()
        last_id: list[str] = []

        def read() -> None:
            assert writer.stdout is not None
            for line in writer.stdout:
                oid = line.strip()
                last_id[:] = [oid]
                link.inject_event({"event": "changed", "changes": {"orders": [oid]}})
            seen.set()

        probe.start()
        t = time.perf_counter()
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        loop = QEventLoop()
        refreshes: list[float] = []
        original = window.on_changes

        def timed(changes: Any) -> None:
            r0 = time.perf_counter()
            original(changes)
            refreshes.append((time.perf_counter() - r0) * 1000)
            if os.environ.get("BENCH_UI_DEBUG"):
                print(f"refresh {refreshes[-1]:.0f} ms at {r0:.3f}", file=sys.stderr)

        link.sig_changed.disconnect(window.on_changes)
        link.sig_changed.connect(timed)
        check = QTimer()
        check.setInterval(10)
        deadline = time.perf_counter() + 60

        def done_yet() -> None:
            # the burst is over when every announced change has been applied
            if (seen.is_set() and not link._flush.isActive() and link._batch.empty()) or \
                    time.perf_counter() > deadline:
                loop.quit()

        check.timeout.connect(done_yet)
        check.start()
        loop.exec()
        check.stop()
        total = time.perf_counter() - t
        gaps = probe.stop()
        writer.wait()
        report("ui", "burst_max_stall", max(gaps), "ms", goal="< 50 ms", changes=BURST,
               orders=ORDERS)
        report("ui", "burst_stall_p99", percentile(gaps, 99), "ms")
        report("ui", "burst_refresh_max", max(refreshes), "ms", batches=len(refreshes))
        report("ui", "burst_refresh_median", percentile(refreshes, 50), "ms")
        report("ui", "burst_applied_after", total, "s", changes=BURST)
        window.close()
        link.close()
        store.close()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--writer":
        sys.exit(_writer(sys.argv[2:]))
    main()
