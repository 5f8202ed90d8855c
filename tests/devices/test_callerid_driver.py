"""End to end over a real pty: caller-ID simulator -> pyserial driver -> recording sink."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devices.callerid.callerid_driver import CallerIdDriver
from devices.simulated.caller_id_unit import CallerIdSimulator, run_demo
from tests.helpers.recording_sink import RecordingSink

TZ = ZoneInfo("America/Chicago")
WHEN = datetime(2026, 3, 14, 15, 9, tzinfo=TZ)
FAST_RETRY = (0.05, 0.1, 0.2)


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


class Rig:
    """A simulator and a driver on it, torn down in order."""

    def __init__(self, tmp_path: Path, sink: RecordingSink) -> None:
        self.tmp_path = tmp_path
        self.sink = sink
        self.sim: CallerIdSimulator | None = None
        self.driver: CallerIdDriver | None = None

    def start(self, *, sim_kwargs: dict[str, object] | None = None,
              **driver_kwargs: object) -> tuple[CallerIdSimulator, CallerIdDriver]:
        self.sim = CallerIdSimulator(self.tmp_path / "callerid", tz=TZ,
                                     **(sim_kwargs or {})).start()  # type: ignore[arg-type]
        driver_kwargs.setdefault("reconnect_delays", FAST_RETRY)
        driver_kwargs.setdefault("command_timeout", 0.5)
        self.driver = CallerIdDriver(self.sim.path, self.sink, tz=TZ,
                                     **driver_kwargs)  # type: ignore[arg-type]
        self.driver.start()
        return self.sim, self.driver

    def close(self) -> None:
        if self.driver is not None:
            self.driver.stop()
        if self.sim is not None:
            self.sim.stop()


@pytest.fixture
def rig(tmp_path: Path, sink: RecordingSink) -> Iterator[Rig]:
    r = Rig(tmp_path, sink)
    yield r
    r.close()


def summary(sink: RecordingSink, count: int) -> list[tuple[object, ...]]:
    calls = sink.wait_for_calls(count)
    assert len(calls) == count, f"expected {count} calls, got {calls}"
    return [(c.number, c.name, c.presentation, c.at, c.line) for c in calls]


def test_voice_modem_formatted(rig: Rig, sink: RecordingSink) -> None:
    sim, _ = rig.start(mode="auto")
    assert sink.wait_for_state_seen("ok")
    assert sim.cid_mode == 1
    assert "AT+VCID=1" in sim.commands
    assert [s.state for s in sink.statuses[:2]] == ["connecting", "ok"]
    assert "AT+VCID=1" in sink.statuses[1].detail
    sim.ring("3125550147", "DELI ON MAIN", WHEN)
    assert summary(sink, 1) == [("3125550147", "DELI ON MAIN", "ok", WHEN, None)]


def test_modem_without_vcid_falls_back_to_hash_cid(rig: Rig, sink: RecordingSink) -> None:
    sim, _ = rig.start(mode="modem", sim_kwargs={"supports_vcid": False})
    assert sink.wait_for_state_seen("ok")
    assert sim.commands[-2:] == ["AT+VCID=1", "AT#CID=1"]
    sim.ring("3125550147", "DELI ON MAIN", WHEN)
    assert summary(sink, 1) == [("3125550147", "DELI ON MAIN", "ok", WHEN, None)]


def test_modem_without_caller_id_support_reports_error(
        rig: Rig, sink: RecordingSink) -> None:
    rig.start(mode="modem", sim_kwargs={"supports_vcid": False, "supports_hash_cid": False})
    assert sink.wait_for_state_seen("error")
    assert "neither" in next(s.detail for s in sink.statuses if s.state == "error")


def test_silent_port_in_modem_mode_is_not_responding(
        rig: Rig, sink: RecordingSink) -> None:
    rig.start(mode="modem", command_timeout=0.2, sim_kwargs={"role": "unit"})
    assert sink.wait_for_state_seen("error")
    assert "no answer to AT" in next(s.detail for s in sink.statuses if s.state == "error")


@pytest.mark.parametrize("unformatted", ["mdmf", "sdmf"])
def test_voice_modem_unformatted(rig: Rig, sink: RecordingSink, unformatted: str) -> None:
    sim, _ = rig.start(mode="modem", cid_format="unformatted",
                       sim_kwargs={"unformatted": unformatted})
    assert sink.wait_for_state_seen("ok")
    assert sim.cid_mode == 2
    sim.ring("3125550147", "DELI ON MAIN", WHEN)
    sim.ring_private(WHEN)
    sim.ring_out_of_area(WHEN)
    name = "DELI ON MAIN" if unformatted == "mdmf" else None  # SDMF carries no name
    assert summary(sink, 3) == [
        ("3125550147", name, "ok", WHEN, None),
        (None, None, "private", WHEN, None),
        (None, None, "unavailable", WHEN, None),
    ]


def test_private_and_out_of_area_formatted(rig: Rig, sink: RecordingSink) -> None:
    sim, _ = rig.start(mode="modem")
    assert sink.wait_for_state_seen("ok")
    sim.ring_private(WHEN)
    sim.ring_out_of_area(WHEN)
    assert summary(sink, 2) == [(None, None, "private", WHEN, None),
                                (None, None, "unavailable", WHEN, None)]


@pytest.mark.parametrize("unit_format, line", [("tci", "01"), ("whozz", "01"),
                                                ("netcallerid", None)])
def test_standalone_units(rig: Rig, sink: RecordingSink, unit_format: str,
                          line: str | None) -> None:
    sim, _ = rig.start(mode="unit", sim_kwargs={"role": "unit", "unit_format": unit_format})
    assert sink.wait_for_state_seen("ok")
    sim.ring("3125550147", "DELI ON MAIN", WHEN)
    sim.ring_private(WHEN)
    assert summary(sink, 2) == [("3125550147", "DELI ON MAIN", "ok", WHEN, line),
                                (None, None, "private", WHEN, line)]
    assert sim.commands == []


def test_auto_mode_falls_back_to_listening_for_a_unit(
        rig: Rig, sink: RecordingSink) -> None:
    sim, _ = rig.start(mode="auto", command_timeout=0.2,
                       sim_kwargs={"role": "unit", "unit_format": "tci"})
    assert sink.wait_for_state_seen("ok")
    assert "standalone" in next(s.detail for s in sink.statuses if s.state == "ok")
    sim.ring("3125550147", "DELI ON MAIN", WHEN)
    assert summary(sink, 1) == [("3125550147", "DELI ON MAIN", "ok", WHEN, "01")]


def test_garbage_is_quarantined_and_calls_still_arrive(
        rig: Rig, sink: RecordingSink) -> None:
    sim, _ = rig.start(mode="modem")
    assert sink.wait_for_state_seen("ok")
    sim.send_garbage(b"\r\n\xff\x00\x13NMBR\xfe=\x01\r\n")
    sim.ring("3125550147", "DELI ON MAIN", WHEN)
    assert summary(sink, 1) == [("3125550147", "DELI ON MAIN", "ok", WHEN, None)]
    assert sink.wait_for(lambda: len(sink.quarantined) == 1)
    assert sink.quarantined[0].source == "callerid"


def test_unplug_and_replug_recovers(rig: Rig, sink: RecordingSink) -> None:
    sim, _ = rig.start(mode="modem")
    assert sink.wait_for_state_seen("ok")
    sim.ring("3125550147", "BEFORE", WHEN)
    assert sink.wait_for_calls(1)
    mark = sink.status_count()
    sim.unplug()
    assert sink.wait_for_state_seen("disconnected", after=mark)
    mark = sink.status_count()
    sim.replug()  # a reset modem: caller-ID is off again until the driver re-enables it
    assert sink.wait_for_state_seen("ok", after=mark)
    assert sim.wait_for_cid_mode(1, timeout=5)
    sim.ring("3125550147", "AFTER", WHEN)
    assert [c[1] for c in summary(sink, 2)] == ["BEFORE", "AFTER"]


def test_driver_waits_for_a_device_that_is_not_there_yet(
        tmp_path: Path, sink: RecordingSink) -> None:
    sim = CallerIdSimulator(tmp_path / "callerid", tz=TZ)
    driver = CallerIdDriver(sim.path, sink, tz=TZ, mode="modem", reconnect_delays=FAST_RETRY)
    driver.start()
    try:
        assert sink.wait_for_state_seen("disconnected")
        sim.start()
        assert sink.wait_for_state_seen("ok")
        sim.ring("3125550147", "LATE", WHEN)
        assert [c[1] for c in summary(sink, 1)] == ["LATE"]
    finally:
        driver.stop()
        sim.stop()
    assert sink.statuses[-1].state == "disconnected"
    assert sink.statuses[-1].detail == "stopped"


def test_demo_rings_through_the_number_list(rig: Rig, sink: RecordingSink) -> None:
    sim, _ = rig.start(mode="modem")
    assert sink.wait_for_state_seen("ok")
    stop = threading.Event()
    demo = threading.Thread(target=run_demo,
                            args=(sim, ["3125550147|ANN", "private", "out-of-area"], 0.01, stop))
    demo.start()
    try:
        calls = sink.wait_for_calls(4)
    finally:
        stop.set()
        demo.join(5)
    assert [(c.number, c.name, c.presentation) for c in calls[:4]] == [
        ("3125550147", "ANN", "ok"), (None, None, "private"), (None, None, "unavailable"),
        ("3125550147", "ANN", "ok")]
