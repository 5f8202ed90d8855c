"""Wires the counter UI (STYLE.md point 9): settings, theme, read store, engine link, window.

``main(data_dir, demo=True)`` is what ``countertop ui`` (``make run``) calls. On a till
with no shop it creates a demo shop (when ``demo``) or asks to create or join one. The
engine is started if none runs; it keeps running when the window closes, except a demo
engine the window started, which stops with it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from app.protocol import SHOP_CREATE, ShopCreate
from app.till_settings import TillSettings
from app.ui import operations as ops
from app.ui.engine_link import EngineLink
from app.ui.main_window import MainWindow
from app.ui.pyside_compat import emit
from app.ui.read_store import ReadStore
from app.ui.settings_dialog import FirstRunDialog, JoinShopDialog, LeaveDemoDialog
from app.ui.theme import Theme
from sync.file_names import ENGINE_INFO_FILE, POINTER_FILE

log = logging.getLogger("countertop.ui")


def shop_is_demo(data_dir: Path) -> bool | None:
    """True/False for an existing shop, None when this till has no shop yet."""
    if not (data_dir / POINTER_FILE).exists():
        return None
    store = ReadStore(data_dir)
    try:
        return store.is_demo
    finally:
        store.close()


class CounterApp(QObject):
    """The long-lived objects of one UI session, and the shop setup steps."""

    #: the shop is there and the window shows it
    sig_ready = Signal()
    #: setup progress or problem, for the status bar
    sig_setup = Signal(str)

    def __init__(self, data_dir: Path, *, demo: bool = True,
                 engine_args: list[str] | None = None, first_run_dialog: bool = True,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir).expanduser()
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.demo = demo
        self.engine_args = list(engine_args or [])
        self.first_run_dialog = first_run_dialog
        self.settings = TillSettings(self.data_dir)
        self.theme = Theme(str(self.settings.get("theme")))
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self.theme.apply(app)
        self.pending_shop: ShopCreate | None = None
        self.link: EngineLink
        self.store: ReadStore
        self.window: MainWindow
        self._build()

    def _build(self) -> None:
        existing = shop_is_demo(self.data_dir)
        demo_engine = self.demo and existing in (None, True) and self.pending_shop is None
        self.store = ReadStore(self.data_dir)
        self.link = EngineLink(self.data_dir, demo=demo_engine,
                               engine_args=self.engine_args + self.device_args(),
                               parent=self)
        self.window = MainWindow(self.link, self.store, self.settings, self.theme, self.data_dir)
        self.window.sig_leave_demo.connect(self.leave_demo)
        self._checked_shop = False
        self.link.sig_state.connect(self._on_state)
        self.sig_setup.connect(self.window.status.show_message)

    def device_args(self) -> list[str]:
        """This till's modem and caller-ID ports (settings) for the engine it starts."""
        args: list[str] = []
        if self.settings.get("modem_port"):
            args += ["--modem", str(self.settings.get("modem_port"))]
        if self.settings.get("callerid_port"):
            args += ["--callerid", str(self.settings.get("callerid_port"))]
        return args

    def start(self) -> None:
        self.window.show()
        self.link.start()

    # ------------------------------------------------------------------ shop setup

    def _on_state(self, state: str, _detail: str) -> None:
        if state != "connected" or self._checked_shop:
            return
        self._checked_shop = True
        call = self.link.send(ops.shop_info())
        call.sig_done.connect(self._shop_info)
        call.sig_failed.connect(lambda msg, _t: emit(self.sig_setup, msg))

    def _shop_info(self, info: Any) -> None:
        if info and info.get("shop"):
            self.window.reload_all()
            emit(self.sig_ready)
            return
        if self.pending_shop is not None:
            params, self.pending_shop = self.pending_shop, None
            call = self.link.send(SHOP_CREATE.request(params))
            call.sig_done.connect(lambda _r: self._ready())
            call.sig_failed.connect(lambda msg, _t: emit(self.sig_setup, msg))
            return
        if self.demo:
            emit(self.sig_setup, "Setting up the demo shop…")
            self.window.quiet = True
            from app.demo_shop import create_demo_shop, seed_demo_shop

            def setup(call: Any) -> Any:
                create_demo_shop(call)
                return seed_demo_shop(call)

            job = self.link.run_function("demo setup", setup)
            job.sig_done.connect(lambda made: self._ready(f"Demo shop ready: {made}"))
            job.sig_failed.connect(lambda msg, _t: emit(self.sig_setup, 
                f"The demo shop could not be set up: {msg}"))
            return
        if self.first_run_dialog:
            dialog = FirstRunDialog(self.link, self.window)
            dialog.sig_created.connect(lambda _r: self._ready())
            dialog.sig_join.connect(self.join_shop)
            dialog.open()
            self.first_run = dialog

    def _ready(self, message: str = "") -> None:
        self.window.quiet = False
        self.window.reload_all()
        if message:
            log.info(message)
            emit(self.sig_setup, "Ready")
        emit(self.sig_ready)

    # ------------------------------------------------------------------ joining a shop

    def join_shop(self) -> None:
        """Pair this new till with a shop: the engine is stopped while ``countertop join``
        runs, then started again on the joined shop."""
        dialog = JoinShopDialog(self.data_dir, before=self._stop_engine_now,
                                after=lambda _joined: self._restart_session(),
                                parent=self.window)
        dialog.open()
        self.join_dialog = dialog

    def _stop_engine_now(self) -> None:
        pid = _engine_pid(self.data_dir)
        started_here = self.link.engine_process is not None
        self.link.close(stop_engine=True)
        if pid is not None and not started_here:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                return
            deadline = time.monotonic() + 10
            while _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)  # a one-off setup step; the engine exits in well under 1 s

    def _restart_session(self) -> None:
        self.window.hide()
        self.window.deleteLater()
        self.store.close()
        self._build()
        self.start()

    # ------------------------------------------------------------------ leaving the demo

    def leave_demo(self) -> None:
        dialog = LeaveDemoDialog(self.window)
        if dialog.exec() != LeaveDemoDialog.DialogCode.Accepted:
            return
        self.switch_to_real_shop(dialog.shop_form.params())

    def switch_to_real_shop(self, shop: ShopCreate) -> None:
        """Stop the demo engine, move the demo data aside, start a real shop."""
        emit(self.sig_setup, "Moving the demo shop aside…")
        pid = _engine_pid(self.data_dir)
        self.link.close(stop_engine=True)
        if pid is not None and self.link.engine_process is None:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pid = None
        self.window.hide()
        self.window.deleteLater()
        self.store.close()
        self.pending_shop = shop
        self._wait_ticks = 0
        self._wait_for_engine_exit(pid)

    def _wait_for_engine_exit(self, pid: int | None) -> None:
        alive = pid is not None and _pid_alive(pid)
        if alive and self._wait_ticks < 100:
            self._wait_ticks += 1
            QTimer.singleShot(100, self, lambda: self._wait_for_engine_exit(pid))
            return
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = self.data_dir.with_name(f"{self.data_dir.name}-demo-{stamp}")
        shutil.move(str(self.data_dir), str(aside))
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        settings_file = aside / "ui_settings.json"
        if settings_file.exists():
            shutil.copy2(settings_file, self.data_dir / "ui_settings.json")
        log.info("demo shop moved to %s", aside)
        self.demo = False
        self.moved_demo_to = aside
        self._build()
        self.start()

    def close(self) -> None:
        """Close the window's session. A real shop's engine keeps running (it receives
        SMS with the window closed); a demo engine this window started stops with it."""
        self.link.close(stop_engine=self.link.demo and self.link.engine_process is not None)
        self.store.close()


def _engine_pid(data_dir: Path) -> int | None:
    try:
        return int(json.loads((data_dir / ENGINE_INFO_FILE).read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (Windows has no signal 0: there, os.kill(pid, 0)
    would send CTRL_C_EVENT, so the process is asked for its exit code instead)."""
    if sys.platform == "win32":
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        try:
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        finally:
            kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def main(data_dir: Path, demo: bool = True) -> int:
    """Open the counter window on ``data_dir``; returns the exit code."""
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv)
    app.setApplicationName("Countertop")
    app.setOrganizationName("Countertop")
    app.setQuitOnLastWindowClosed(True)
    counter = CounterApp(Path(data_dir), demo=demo)
    counter.start()
    code = app.exec()
    counter.close()
    return int(code)
