"""Caller-ID latency: record written to the pty -> CallEvent at the sink.

Goal: p99 under 100 ms, so every till can pop the customer card well within a
second of the first ring. Runs the real path: simulator on a pty, pyserial,
driver thread, parser. Also reports raw parser throughput.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from devices.callerid.caller_id_formats import CallerIdParser
from devices.callerid.callerid_driver import CallerIdDriver
from devices.events import CallEvent
from devices.simulated.caller_id_unit import CallerIdSimulator, encode_mdmf, format_modem_record
from tests.bench.harness import percentile, report
from tests.helpers.recording_sink import RecordingSink

TZ = ZoneInfo("Europe/Berlin")
CALLS = 300


class TimedSink(RecordingSink):
    """Notes when each call reaches the sink."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: list[float] = []
        self.arrival = threading.Event()

    def call(self, event: CallEvent) -> None:
        self.arrived.append(time.perf_counter())
        super().call(event)
        self.arrival.set()


def _latencies(setup: str, sim_kwargs: Mapping[str, object],
               driver_kwargs: Mapping[str, object],
               *, calls: int = CALLS, with_name: bool = True, rings_after: int = 1
               ) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        sim = CallerIdSimulator(Path(tmp) / "callerid", tz=TZ, **sim_kwargs)  # type: ignore[arg-type]
        sink = TimedSink()
        sim.start()
        driver = CallerIdDriver(sim.path, sink, tz=TZ, **driver_kwargs)  # type: ignore[arg-type]
        driver.start()
        try:
            try:
                sink.wait_for_state_seen("ok", timeout=10)
            except AssertionError as exc:
                raise RuntimeError(f"{setup}: driver never became ready: {sink.statuses}") from exc
            out: list[float] = []
            for i in range(calls):
                sink.arrival.clear()
                sent = time.perf_counter()
                sim.ring(f"30{i:08d}", f"CALLER {i}" if with_name else None,
                         rings_after=rings_after)
                if not sink.arrival.wait(5):
                    raise RuntimeError(f"{setup}: call {i} never arrived")
                out.append((sink.arrived[-1] - sent) * 1000)
                if len(sink.calls) != i + 1 or sink.calls[-1].number != f"30{i:08d}":
                    raise RuntimeError(f"{setup}: call {i} arrived as {sink.calls[-1]}")
            return out
        finally:
            driver.stop()
            sim.stop()


def _parser_throughput() -> float:
    when = datetime(2026, 3, 14, 15, 9, tzinfo=TZ)
    record = format_modem_record(when, "3012345678", "X")
    formatted = "RING\r\n" + "".join(f"{line}\r\n" for line in record)
    mdmf = "RING\r\n" + encode_mdmf(when, "3012345678", "X").hex() + "\r\n"
    data = (formatted + mdmf).encode() * 1000
    parser = CallerIdParser(tz=TZ, clock=lambda: when)
    start = time.perf_counter()
    events = len(parser.feed(data))
    return events / (time.perf_counter() - start)


def main() -> None:
    setups = {
        "modem_formatted": ({}, {"mode": "modem"}),
        "modem_mdmf": ({"unformatted": "mdmf"}, {"mode": "modem", "cid_format": "unformatted"}),
        "unit_tci": ({"role": "unit", "unit_format": "tci"}, {"mode": "unit"}),
    }
    for name, (sim_kwargs, driver_kwargs) in setups.items():
        values = _latencies(name, sim_kwargs, driver_kwargs)
        for pct in (50, 99):
            report("callerid", f"{name}_pty_to_sink_p{pct}", percentile(values, pct), "ms",
                   goal="< 100 ms", calls=len(values))
    # Worst case by design: a number-only record with no RING after it is closed
    # only when the line has been quiet for record_idle (0.3 s).
    values = _latencies("number_only_no_ring", {}, {"mode": "modem"}, calls=20,
                        with_name=False, rings_after=0)
    report("callerid", "number_only_idle_flush_p50", percentile(values, 50), "ms",
           goal="< 1000 ms", calls=len(values))
    report("callerid", "parser_records_per_s", _parser_throughput(), "records/s")


if __name__ == "__main__":
    main()
