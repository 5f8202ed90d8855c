"""kill -9 at random moments: every acknowledged order survives, the till opens cleanly.

A child process (``crash_writer``) adds orders in a loop and prints each one only after
the command returned. The parent kills it with SIGKILL after a random number of
acknowledgements, many times over, and after every kill re-opens the data dir itself:
it must open, hold every acknowledged order (in the documents and the read model), and
order numbers must stay unique.
"""

from __future__ import annotations

import os
import random
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.engine.till_engine import TillEngine
from tests.conftest import REPO
from tests.helpers.commands import run

KILLS = 30


def start_writer(root: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "tests.sync.crash_writer", str(root)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


class LineReader:
    """Lines from a child's stdout with a deadline, so a hung child fails the test."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.fd = proc.stdout.fileno()
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.fd, selectors.EVENT_READ)
        self.buf = b""

    def line(self, timeout: float = 30.0) -> str | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("crash writer went silent")
            if not self.sel.select(left):
                continue
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode()

    def rest(self) -> list[str]:
        """Whole lines left after the child died (a torn last line was never acknowledged)."""
        out = []
        while (line := self.line()) is not None:
            out.append(line)
        return out


def test_acknowledged_orders_survive_kill_9(data_dir: Path) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    setup = TillEngine(data_dir)
    run(setup, "shop.create", {"name": "Crash Shop"})
    run(setup, "product.add", {"sku": "BREAD", "name": "Bread", "price": "1", "stock": "100000"})
    setup.close()
    acked: dict[str, str] = {}
    for kill in range(KILLS):
        proc = start_writer(data_dir)
        reader = LineReader(proc)
        try:
            first = reader.line()
            if first != "ready":
                proc.kill()
                _, err = proc.communicate(timeout=30)
                raise AssertionError(f"seed {seed}, restart {kill}: the till did not open "
                                     f"cleanly: {first!r}\n{err.decode()[-3000:]}")
            for _ in range(rng.randint(0, 15)):
                line = reader.line()
                assert line is not None, f"seed {seed}: writer died on its own"
                oid, number = line.split()
                acked[oid] = number
            proc.send_signal(signal.SIGKILL)
            for line in reader.rest():
                oid, number = line.split()
                acked[oid] = number
        finally:
            proc.kill()
            proc.wait(timeout=30)
            assert proc.stderr is not None
            proc.stderr.close()
            assert proc.stdout is not None
            proc.stdout.close()
        check_restart(data_dir, acked, f"seed {seed}, after kill {kill}")
    assert len(acked) > KILLS  # the kills landed among real work


def check_restart(root: Path, acked: dict[str, str], where: str) -> None:
    engine = TillEngine(root)
    try:
        for oid, number in acked.items():
            assert engine.ledger.orders.get(oid)["number"] == number, where
        rows = engine.read_model.conn.execute("SELECT id, number FROM orders").fetchall()
        numbers = [n for _, n in rows]
        assert len(numbers) == len(set(numbers)), f"{where}: duplicate order numbers"
        projected = dict(rows)
        missing = {o for o in acked if projected.get(o) != acked[o]}
        assert not missing, f"{where}: read model lacks acknowledged orders {sorted(missing)}"
        seq = sorted(int(n.split("-")[1]) for n in numbers)
        assert seq == list(range(1, len(seq) + 1)), f"{where}: numbers skip or repeat"
    finally:
        engine.close()
