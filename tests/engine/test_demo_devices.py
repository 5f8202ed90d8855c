"""The demo's devices play one short, varied busy hour and then settle (issue 11: they
sent an SMS every 12 s and rang every 20 s forever)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from app.engine.wiring import DEMO_HOUR, DemoDevices


def test_the_busy_hour_is_varied_and_ends() -> None:
    gaps = [gap for gap, _kind, _what in DEMO_HOUR]
    kinds = {kind for _gap, kind, _what in DEMO_HOUR}
    assert kinds == {"sms", "call"} and len(set(gaps)) > 5, "uneven gaps, both kinds"
    assert 60 < sum(gaps) < 600, "a few minutes, not forever"


def test_demo_devices_deliver_the_schedule_once_then_stay_quiet(tmp_path: Path) -> None:
    demo = DemoDevices(tmp_path / "demo", every=0.002)
    demo.plug_in()
    try:
        asyncio.run(demo.start())
        assert demo.settled.wait(10), "the busy hour ends"
        texts = sum(1 for _gap, kind, _what in DEMO_HOUR if kind == "sms")
        def arrived() -> int:  # on the SIM, or held by the network when it is full
            return len(demo.modem.stored()) + demo.modem.waiting_at_network

        assert arrived() == texts
        time.sleep(0.3)  # far longer than the whole compressed hour
        assert arrived() == texts, "nothing after it settled"
    finally:
        asyncio.run(demo.stop())
