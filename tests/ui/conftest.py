"""UI test fixtures: one real engine process holding the demo pizzeria, and the UI parts
talking to it over IPC exactly as the counter window does.

The engine (``python -m app.cli engine``) is started once per session on a temporary
data dir and seeded through engine commands from ``app.demo_shop``; each test builds its
own ``EngineLink``, ``ReadStore`` and widgets. Tests create the orders they change, so
they do not depend on each other.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

# The offscreen platform plugin cannot propagate size hints or raise windows and says so for
# every top-level window; it is a limitation of the test platform, not of the app.
OFFSCREEN_NOISE = r"This plugin does not support (propagateSizeHints|raise|activateWindow|grabbing)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


class EngineProcess:
    """A ``countertop engine`` subprocess on a data dir; ``call`` sends commands to it."""

    def __init__(self, data_dir: Path, extra: list[str] | None = None) -> None:
        self.data_dir = data_dir
        env = {k: v for k, v in os.environ.items() if not k.startswith("COUNTERTOP_")}
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "engine", "--data-dir", str(data_dir),
             "--no-discovery", *(extra or [])],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        self.log: list[str] = []
        ready: queue.Queue[bool] = queue.Queue()

        def read() -> None:
            assert self.proc.stderr is not None
            for line in self.proc.stderr:
                self.log.append(line)
                if "engine ready" in line:
                    ready.put(True)
            ready.put(False)

        threading.Thread(target=read, daemon=True).start()
        try:
            ok = ready.get(timeout=30)
        except queue.Empty:
            ok = False
        if not ok:
            self.stop()
            raise RuntimeError("engine did not start:\n" + "".join(self.log[-20:]))
        from app.client import connect

        client = connect(data_dir)
        assert client is not None, "engine is ready but does not answer"
        self.client = client

    def call(self, cmd: str, args: dict[str, Any] | None = None) -> Any:
        return self.client.call(cmd, args or {})

    def stop(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@pytest.fixture(scope="session")
def shop_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    """The demo pizzeria in a real engine process (seeded once per session)."""
    from app.demo_shop import create_demo_shop, seed_demo_shop

    data_dir = tmp_path_factory.mktemp("ui") / "till"
    engine = EngineProcess(data_dir)
    try:
        create_demo_shop(engine.call)
        seed_demo_shop(engine.call)
        yield engine
    finally:
        engine.stop()


@pytest.fixture
def shop_dir(shop_engine: EngineProcess) -> Path:
    return shop_engine.data_dir


@pytest.fixture
def link(qtbot: Any, shop_dir: Path) -> Iterator[Any]:
    """An EngineLink connected to the session engine (never starts one itself)."""
    from app.ui.engine_link import EngineLink

    lnk = EngineLink(shop_dir, start_engine=False)
    lnk.start()
    qtbot.waitUntil(lambda: lnk.connected, timeout=10_000)
    yield lnk
    lnk.close()


@pytest.fixture
def store(shop_dir: Path) -> Iterator[Any]:
    from app.ui.read_store import ReadStore

    st = ReadStore(shop_dir)
    yield st
    st.close()


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    """Till settings in the test's own dir, quiet (no beeps, no tray)."""
    from app.till_settings import TillSettings

    s = TillSettings(tmp_path)
    s.set("sound", False)
    s.set("tray_notifications", False)
    s.set("theme", "light")
    return s


@pytest.fixture
def theme(qapp: Any) -> Any:
    from app.ui.theme import Theme

    t = Theme("light")
    if qapp.styleSheet() != t.style_sheet():  # restyling the app is slow; only on change
        t.apply(qapp)
    return t


@pytest.fixture
def actions(link: Any, store: Any) -> Any:
    from app.ui.order_actions import OrderActions

    return OrderActions(link, store)


@pytest.fixture
def window(qtbot: Any, link: Any, store: Any, settings: Any, theme: Any, shop_dir: Path
           ) -> Iterator[Any]:
    """The counter window on the demo shop, loaded."""
    from app.ui.main_window import MainWindow

    win = MainWindow(link, store, settings, theme, shop_dir)
    win.resize(1360, 820)
    win.show()
    qtbot.waitExposed(win)
    win.reload_all()
    yield win
    for editor in list(win.editors.values()) + list(win._new_editors):
        editor.discard_and_close()
    win.screen_pop.hide()
    win.close()
    win.deleteLater()


def wait_for_change(qtbot: Any, link: Any, kind: str, ident: str | None = None,
                    timeout: int = 10_000) -> Any:
    """Wait for a coalesced change batch touching ``kind`` (and ``ident`` when given)."""
    def matches(changes: Any) -> bool:
        return changes.touches(kind) and (ident is None or ident in changes[kind])

    with qtbot.waitSignal(link.sig_changed, timeout=timeout, check_params_cb=matches) as blocker:
        pass
    return blocker.args[0] if blocker.args else None


def new_order(engine: EngineProcess, **kw: Any) -> dict[str, Any]:
    """An order made through the engine for a test to play with."""
    args: dict[str, Any] = {"lines": [{"sku": "PZ-MARG", "qty": "1"}], "channel": "counter"}
    args.update(kw)
    result: dict[str, Any] = engine.call("order.add", args)
    return result


def activate(qtbot: Any, widget: Any) -> None:
    """Make ``widget``'s window the active one, so its shortcuts receive keys."""
    from PySide6.QtWidgets import QApplication

    widget.window().windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget.window(), timeout=5_000)
