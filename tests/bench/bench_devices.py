"""Device channels through a real engine: SMS burst to read model, ring to incoming-call event.

The modem and caller-ID simulators run in this process on ptys; the engine is a real
``countertop engine`` subprocess with the real drivers. Latencies are measured on this
process's monotonic clock: from the moment the simulator emits ``+CMTI`` (or writes the
caller-ID record) to the moment the engine's IPC "changed" (or "incoming_call") event
arrives here, which the engine sends after the read model is updated.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from app.client import connect
from devices.simulated.caller_id_unit import CallerIdSimulator
from devices.simulated.gsm_modem import GsmModemSimulator
from tests.bench.harness import percentile, report
from tests.helpers.waiting import wait_until

CT = str(Path(sys.executable).parent / "countertop")
BURST = int(os.environ.get("COUNTERTOP_BENCH_SMS", "1000"))
RINGS = 50


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNTERTOP_")}
    env["COUNTERTOP_DATA_DIR"] = str(data_dir)
    return env


def _run(line_rate: int | None, label: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "till"
        env = _env(data)
        subprocess.run([CT, "shop", "create", "--name", "Bench"], env=env, check=True,
                       capture_output=True)
        subprocess.run([CT, "customer", "add", "--name", "Ann", "--phone", "+447700900123"],
                       env=env, check=True, capture_output=True)
        modem = GsmModemSimulator(root / "modem").start()
        modem.line_rate = line_rate
        cid = CallerIdSimulator(root / "cid", role="modem").start()
        proc = subprocess.Popen([CT, "engine", "--modem", modem.path, "--callerid", cid.path,
                                 "--no-discovery"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        events: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        client = None
        try:
            # Without these there is nothing to measure: a timeout ends the bench.
            wait_until(lambda: connect(data) is not None, 30, what="engine IPC", interval=0.02)
            client = connect(data, on_event=lambda e: events.put((time.monotonic(), e)))
            assert client is not None
            wait_until(lambda: any("CNMI" in c for c in modem.commands), 30,
                       what="modem initialised", interval=0.02)
            wait_until(lambda: any("CID" in c for c in cid.commands), 30,
                       what="caller-ID enabled", interval=0.02)
            # --- SMS burst
            sent: dict[str, str] = {}
            for i in range(BURST):
                body = f"bench message {i:05d}"
                (pdu,) = modem.deliver_text("+447700900123", body)
                sent[pdu] = body
            rm = sqlite3.connect(f"file:{data / 'read_model.sqlite3'}?mode=ro", uri=True)

            def stored() -> int:
                return int(rm.execute("SELECT COUNT(*) FROM messages WHERE body LIKE "
                                      "'bench message %'").fetchone()[0])
            with contextlib.suppress(AssertionError):  # what never arrived is reported as lost
                wait_until(lambda: stored() >= BURST and not modem.stored() and
                           not modem.waiting_at_network, 600, what="the burst", interval=0.02)
            time.sleep(0.5)
            rows = rm.execute("SELECT id, body FROM messages WHERE body LIKE 'bench message %'"
                              ).fetchall()
            bodies = [b for _, b in rows]
            lost = len(set(sent.values()) - set(bodies))
            dup = len(bodies) - len(set(bodies))
            first_seen: dict[str, float] = {}
            while not events.empty():
                at, event = events.get()
                for mid in (event.get("changes") or {}).get("messages", []):
                    first_seen.setdefault(mid, at)
            by_body = {b: mid for mid, b in rows}
            indicated = {sent[pdu]: at for _, pdu, at in modem.indications if pdu in sent}
            lat = [(first_seen[by_body[b]] - t) * 1000 for b, t in indicated.items()
                   if b in by_body and by_body[b] in first_seen]
            report("devices", f"sms_burst_lost{label}", lost, "count", goal="0", sent=BURST)
            report("devices", f"sms_burst_duplicated{label}", dup, "count", goal="0")
            report("devices", f"cmti_to_read_model_p50{label}", percentile(lat, 50), "ms")
            report("devices", f"cmti_to_read_model_p99{label}", percentile(lat, 99), "ms",
                   goal="< 300 ms", samples=len(lat))
            # --- rings
            ring_lat = []
            for i in range(RINGS):
                while not events.empty():
                    events.get()
                t0 = time.monotonic()
                cid.ring(f"0770090{i:04d}", "BENCH CALLER")
                deadline = t0 + 5
                while time.monotonic() < deadline:
                    try:
                        at, event = events.get(timeout=0.5)
                    except queue.Empty:
                        continue
                    if event.get("event") == "incoming_call":
                        ring_lat.append((at - t0) * 1000)
                        break
                time.sleep(0.05)
            report("devices", f"ring_to_incoming_call_p50{label}", percentile(ring_lat, 50), "ms")
            report("devices", f"ring_to_incoming_call_p99{label}", percentile(ring_lat, 99), "ms",
                   goal="< 100 ms", samples=len(ring_lat))
        finally:
            if client is not None:
                client.close()
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
            modem.stop()
            cid.stop()


def main() -> None:
    _run(115200, "_uart115200")
    _run(None, "_unpaced")


if __name__ == "__main__":
    threading.excepthook = lambda args: None
    main()
