"""SMS intake under a burst: 1,000 messages through the pty modem simulator to the driver.

Measures lost and duplicated messages (goal 0 and 0), +CMTI-to-sink latency
(goal p99 < 300 ms to the read model; we measure to ``sink.deliver``), and
throughput. The simulator paces its output like a 115200 baud UART (a pty alone
is far faster than any modem); in a burst the +CMTI-to-deliver latency is then
mostly the queue of indications waiting for the serial line, so a lone
message's latency ("quiet") and a pty-speed burst are reported too. The simulated SIM holds 30 messages like a real one; the rest wait
"at the network" and arrive as the driver frees slots, so the burst exercises
indications arriving during reads and deletes.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from devices.gsm.modem_driver import ModemDriver
from devices.simulated.gsm_modem import GsmModemSimulator
from tests.bench.harness import percentile, report
from tests.helpers.recording_sink import RecordingSink

BURST = 1000
MULTIPART = 100
LONG = "Order for pickup: two large margheritas, garlic bread, cola; name Sam, ready at 7. " * 3


def _run(count: int, text_for: Callable[[int], str], label: str, *, burst: bool = True,
         line_rate: int | None = 115200) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sim = GsmModemSimulator(Path(tmp) / "modem", capacity=30).start()
        sim.line_rate = line_rate  # modem-to-host bytes at a real UART's pace
        sink = RecordingSink()
        driver = ModemDriver(sim.path, sink, sweep_interval=5.0, command_timeout=5.0)
        driver.start()
        try:
            try:
                sink.wait_for_state("ok", 20)
            except AssertionError as exc:
                raise RuntimeError("driver did not come up") from exc
            if not sim.wait_for(lambda: sim.cnmi_mt == 1, 20):
                raise RuntimeError("driver did not come up")
            expected = [text_for(i) for i in range(count)]
            started = time.perf_counter()
            for i, text in enumerate(expected):
                sim.deliver_text(f"+4477009{i % 100000:05d}", text)
                if not burst:  # one at a time: the latency of a lone message
                    with contextlib.suppress(AssertionError):  # a lost one is counted below
                        sink.wait_for(lambda n=i + 1: len(sink.delivered) >= n, 10)
            try:
                done = sink.wait_for(lambda: len(sink.delivered) >= count, 300)
            except AssertionError:
                done = False  # reported as complete=False, with what was lost
            elapsed = time.perf_counter() - started
            # Give a late duplicate the chance to show up before counting.
            sim.wait_for(lambda: not sim.stored() and not sim.waiting_at_network, 10)
            delivered = list(sink.delivered)
            times = list(sink.deliver_times)
        finally:
            driver.stop()
            sim.stop()
    bodies = Counter(m.body for m in delivered)
    lost = sum(1 for text in expected if bodies[text] == 0)
    keys = Counter(m.dedupe_key for m in delivered)
    duplicated = sum(n - 1 for n in keys.values() if n > 1)
    indicated = {}
    for _index, pdu, at in sim.indications:
        indicated.setdefault(pdu.upper(), at)
    latencies = []
    for message, at in zip(delivered, times, strict=True):
        # From the +CMTI of the part that completed the message to sink.deliver.
        stamps = [indicated[p] for p in message.raw.splitlines() if p in indicated]
        if stamps:
            latencies.append((at - max(stamps)) * 1000)
    bench = "sms"
    report(bench, f"{label}_lost", lost, "messages", goal="0", sent=count, complete=done)
    report(bench, f"{label}_duplicated", duplicated, "messages", goal="0")
    report(bench, f"{label}_cmti_to_deliver_p50", percentile(latencies, 50), "ms", goal="< 300 ms")
    report(bench, f"{label}_cmti_to_deliver_p99", percentile(latencies, 99), "ms", goal="< 300 ms")
    report(bench, f"{label}_throughput", len(delivered) / elapsed if elapsed else 0.0, "msg/s")


def main() -> None:
    _run(50, lambda i: f"quiet message {i}", "quiet", burst=False)
    _run(BURST, lambda i: f"burst message {i}: 1 pepperoni", "single")
    # The same burst at pty speed: what the driver itself costs without the UART queue.
    _run(BURST, lambda i: f"burst message {i}: 1 pepperoni", "single_pty", line_rate=None)
    _run(MULTIPART, lambda i: f"{i}: {LONG}", "multipart3")


if __name__ == "__main__":
    main()
