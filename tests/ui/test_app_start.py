"""The UI on a fresh machine: it starts its own engine, creates the demo shop (or asks to
create one), and leaves the demo for a real shop with the demo data kept aside."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.protocol import ShopCreate
from app.ui.main import CounterApp


@pytest.fixture
def counter_apps() -> Iterator[list[CounterApp]]:
    apps: list[CounterApp] = []
    yield apps
    for app in apps:
        app.link.close(stop_engine=True)
        app.window.close()
        app.store.close()


def test_first_start_runs_the_engine_and_opens_the_demo_then_leaves_it(
        qtbot: Any, tmp_path: Path, counter_apps: list[CounterApp]) -> None:
    data_dir = tmp_path / "till"
    counter = CounterApp(data_dir, demo=True, engine_args=["--no-discovery"])
    counter_apps.append(counter)
    counter.settings.set("sound", False)
    with qtbot.waitSignal(counter.sig_ready, timeout=60_000):
        counter.start()
    assert counter.link.engine_process is not None, "the UI started the engine"
    window = counter.window
    assert window.store.is_demo and not window.banner.isHidden()
    assert sum(c.model.total for c in window.board.columns) >= 15
    assert window.inbox.model.rowCount() >= 5
    # issue 11: with the engine started by the UI, peers are reported, not "not reported"
    qtbot.waitUntil(lambda: window.status.peers_supported is not None, timeout=10_000)
    assert window.status.peers_supported is True
    assert "does not report" not in window.status.peers.text()

    with qtbot.waitSignal(counter.sig_ready, timeout=60_000):
        counter.switch_to_real_shop(ShopCreate(name="Real Deli", currency="EUR", region="DE",
                                               timezone="Europe/Berlin", till_name="Kasse"))
    aside = counter.moved_demo_to
    assert (aside / "shop.json").exists() and aside.name.startswith("till-demo-")
    shop = counter.store.shop(refresh=True)
    assert shop["name"] == "Real Deli" and not shop.get("setting.demo")
    assert counter.window.banner.isHidden()
    assert counter.window.board.columns[0].model.total == 0


def test_first_start_without_demo_asks_to_create_a_shop(qtbot: Any, tmp_path: Path,
                                                        counter_apps: list[CounterApp]) -> None:
    counter = CounterApp(tmp_path / "till", demo=False, engine_args=["--no-discovery"])
    counter_apps.append(counter)
    counter.start()
    qtbot.waitUntil(lambda: getattr(counter, "first_run", None) is not None, timeout=30_000)
    dialog = counter.first_run
    dialog.create()
    assert dialog.error.text() == "The shop needs a name."
    dialog.shop_form.name.setText("Corner Café")
    with qtbot.waitSignal(counter.sig_ready, timeout=30_000):
        dialog.create()
    assert counter.store.shop(refresh=True)["name"] == "Corner Café"
    assert counter.window.windowTitle() == "Countertop — Corner Café"


def test_a_demo_engine_stops_with_its_window(qtbot: Any, tmp_path: Path,
                                             counter_apps: list[CounterApp]) -> None:
    """Issue 11: the demo kept its engine running after the window closed."""
    counter = CounterApp(tmp_path / "till", demo=True, engine_args=["--no-discovery"])
    counter_apps.append(counter)
    counter.settings.set("sound", False)
    with qtbot.waitSignal(counter.sig_ready, timeout=60_000):
        counter.start()
    engine = counter.link.engine_process
    assert engine is not None and engine.poll() is None
    counter.close()
    assert engine.poll() is not None, "the demo engine stopped with the window"
