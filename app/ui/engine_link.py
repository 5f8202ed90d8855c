"""The UI's line to its till's engine: connect (or start it), run commands, receive events.

Everything that may block (connecting, starting the engine, every command) runs on one
worker thread, so commands reach the engine in the order the user gave them and the
event loop never waits on IPC. Results and engine events come back as Qt signals,
queued into the GUI thread. ``changed`` events are coalesced into one ``sig_changed``
per ~60 ms, so a burst of remote changes costs one refresh, not a thousand.
"""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.client import EngineClient, connect
from app.protocol import EventName, Request
from app.ui.pyside_compat import emit
from sync.changes import Changes
from sync.errors import CountertopError, EngineUnavailable

log = logging.getLogger("countertop.ui.engine")

PROJECT_ROOT = Path(__file__).resolve().parents[2]
class EngineCall(QObject):
    """One command on its way: exactly one of the two signals fires, in the GUI thread.

    The worker thread never emits these itself: it hands the finished call to the link,
    whose slot runs in the GUI thread and emits them there.
    """

    #: the command's result (JSON-shaped)
    sig_done = Signal(object)
    #: (plain-words message, exception class name)
    sig_failed = Signal(str, str)

    def __init__(self, cmd: str, args: dict[str, Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cmd = cmd
        self.args = args
        self.result: Any = None
        self.error: str | None = None
        self.error_type: str | None = None
        self.finished = False


class EngineLink(QObject):
    """Owns the connection to the engine; the one object the UI sends commands through."""

    #: state in "connecting", "starting", "connected", "offline", "failed"; plus detail
    sig_state = Signal(str, str)
    #: a coalesced batch of changes (sync.changes.Changes)
    sig_changed = Signal(object)
    #: an incoming_call event: (call row, customer id or "")
    sig_incoming_call = Signal(dict, str)
    #: a device_status event as sent by the engine
    sig_device_status = Signal(dict)
    #: any other engine event (for extensions)
    sig_event = Signal(dict)
    _sig_raw_event = Signal(object)
    _sig_connected = Signal(object)
    _sig_attempt_failed = Signal(str)
    _sig_result = Signal(object)
    _sig_drain = Signal()

    COALESCE_MS = 60
    BUSY_MS = 250

    def __init__(self, data_dir: Path, *, demo: bool = False, start_engine: bool = True,
                 engine_args: list[str] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.demo = demo
        self.start_engine = start_engine
        self.engine_args = list(engine_args or [])
        self.client: EngineClient | None = None
        self.state = "connecting"
        self.engine_process: subprocess.Popen[bytes] | None = None
        self._jobs: queue.Queue[tuple[Callable[[], Any], EngineCall | None] | None] = \
            queue.Queue()
        self._pending: set[EngineCall] = set()
        self._closing = False
        self._batch = Changes()
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(self.COALESCE_MS)
        self._flush.timeout.connect(self._emit_batch)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._attempt)
        self._started_at = 0.0
        self._last_flush = 0.0
        self._sig_raw_event.connect(self._on_raw_event)
        self._inbox_lock = threading.Lock()
        self._inbox: list[dict[str, Any]] = []
        self._sig_drain.connect(self._drain)
        self._sig_connected.connect(self._on_connected)
        self._sig_attempt_failed.connect(self._on_attempt_failed)
        self._sig_result.connect(self._deliver)
        self._worker = threading.Thread(target=self._work, name="countertop-ui-engine",
                                        daemon=True)
        self._worker.start()

    # ------------------------------------------------------------------ connection

    def start(self) -> None:
        """Connect to the running engine, starting one when none answers."""
        self._set_state("connecting", "Connecting to the engine…")
        self._attempt()

    def _attempt(self) -> None:
        if self._closing:
            return
        self._jobs.put((self._try_connect, None))

    def _try_connect(self) -> None:
        client = connect(self.data_dir, on_event=self._forward_event, timeout=30.0)
        if client is not None:
            emit(self._sig_connected, client)
            return
        if not self.start_engine:
            emit(self._sig_attempt_failed, "No engine runs for this data dir.")
            return
        proc = self.engine_process
        if proc is None or proc.poll() is not None:
            if proc is not None and proc.returncode not in (None, 0):
                detail = self._engine_log_tail()
                emit(self._sig_attempt_failed, 
                    f"The engine stopped (exit {proc.returncode}). {detail}".strip())
                self.engine_process = None
                return
            self._spawn_engine()
        emit(self._sig_attempt_failed, "")

    def _spawn_engine(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "app.cli", "engine", "--data-dir", str(self.data_dir)]
        if self.demo:
            cmd.append("--demo")
        cmd += self.engine_args
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                          env.get("PYTHONPATH")]))
        log_file = open(self.data_dir / "engine.log", "ab")
        try:
            self.engine_process = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                cwd=str(PROJECT_ROOT), env=env, start_new_session=True)
        finally:
            log_file.close()
        self._started_at = time.monotonic()
        log.info("started engine pid %s: %s", self.engine_process.pid, " ".join(cmd))

    def _engine_log_tail(self) -> str:
        try:
            lines = (self.data_dir / "engine.log").read_text(errors="replace").splitlines()
        except OSError:
            return ""
        for line in reversed(lines):
            if line.strip():
                return line.strip()[-200:]
        return ""

    def _on_connected(self, client: EngineClient) -> None:
        if self._closing:
            client.close()
            return
        self.client = client
        self._set_state("connected", "Connected")
        emit(self.sig_changed, Changes.all())

    def _on_attempt_failed(self, detail: str) -> None:
        if self._closing:
            return
        if detail and not self.start_engine:
            self._set_state("offline", detail)
            self._retry.start(1000)
            return
        if detail:
            self._set_state("failed", detail)
            self._retry.start(3000)
            return
        self._set_state("starting", "Starting the engine…")
        self._retry.start(150)

    def _set_state(self, state: str, detail: str) -> None:
        self.state = state
        emit(self.sig_state, state, detail)

    # ------------------------------------------------------------------ events

    def _on_raw_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == EventName.CHANGED:
            self._batch.merge(Changes.from_json(event.get("changes") or {}))
            if not self._flush.isActive():
                # under a burst, refresh at most every BUSY_MS; otherwise within COALESCE_MS
                busy = time.monotonic() - self._last_flush < self.BUSY_MS / 1000
                self._flush.start(self.BUSY_MS if busy else self.COALESCE_MS)
        elif kind == EventName.INCOMING_CALL:
            emit(self.sig_incoming_call, dict(event.get("call") or {}),
                                        str(event.get("customer_id") or ""))
        elif kind == EventName.DEVICE_STATUS:
            emit(self.sig_device_status, dict(event))
        elif kind == EventName.DISCONNECTED:
            if self.client is not None:
                self.client = None
                if not self._closing:
                    self._set_state("offline", "The engine stopped; reconnecting…")
                    self._retry.start(300)
        else:
            emit(self.sig_event, dict(event))

    def _emit_batch(self) -> None:
        self._last_flush = time.monotonic()
        batch, self._batch = self._batch, Changes()
        if not batch.empty():
            emit(self.sig_changed, batch)

    def _forward_event(self, event: dict[str, Any]) -> None:
        """On the client's reader thread: hand the event to the GUI thread.

        Events wait in a list; only the first of a run wakes the GUI thread, which then
        takes them all at once -- a burst of a thousand events costs one wake-up.
        """
        with self._inbox_lock:
            self._inbox.append(event)
            wake = len(self._inbox) == 1
        if wake:
            emit(self._sig_drain)

    def _drain(self) -> None:
        with self._inbox_lock:
            events, self._inbox = self._inbox, []
        for event in events:
            self._on_raw_event(event)

    def inject_event(self, event: dict[str, Any]) -> None:
        """Feed an event as if the engine sent it (thread-safe; used by the demo and tests)."""
        self._forward_event(event)

    # ------------------------------------------------------------------ commands

    def send(self, request: Request[Any, Any]) -> EngineCall:
        """Queue a typed request (``app/ui/operations.py``); connect to the call's signals."""
        return self.run(request.name, request.json())

    def run(self, cmd: str, args: dict[str, Any] | None = None) -> EngineCall:
        """Queue ``cmd`` with JSON ``args`` for the engine (``send`` is the typed way)."""
        call = EngineCall(cmd, dict(args or {}), self)
        self._pending.add(call)
        self._jobs.put((lambda c=call: self._execute(c), call))
        return call

    def run_function(self, name: str, fn: Callable[[Callable[[str, dict[str, Any]], Any]], Any]
                     ) -> EngineCall:
        """Run ``fn(call)`` on the worker, where ``call`` sends commands synchronously.

        For multi-step jobs (seeding the demo shop) that must not hold up the event loop.
        """
        call = EngineCall(name, {}, self)
        self._pending.add(call)

        def job(c: EngineCall = call) -> None:
            client = self.client
            if client is None:
                c.error, c.error_type = "The engine is not connected yet.", "EngineUnavailable"
            else:
                try:
                    c.result = fn(client.call)
                except CountertopError as exc:
                    c.error, c.error_type = str(exc), type(exc).__name__
                except Exception as exc:
                    log.exception("job %s failed", name)
                    c.error, c.error_type = f"{name} failed: {exc}", type(exc).__name__
            emit(self._sig_result, c)

        self._jobs.put((job, call))
        return call

    def _deliver(self, call: EngineCall) -> None:
        """In the GUI thread: fire the call's own signal, then let it go."""
        call.finished = True
        self._pending.discard(call)
        if call.error is not None:
            emit(call.sig_failed, call.error, call.error_type or "")
        else:
            emit(call.sig_done, call.result)
        call.deleteLater()

    def _execute(self, call: EngineCall) -> None:
        client = self.client
        if client is None:
            call.error, call.error_type = (("The engine is not connected yet; try again in a "
                                           "moment."), "EngineUnavailable")
            emit(self._sig_result, call)
            return
        try:
            call.result = client.call(call.cmd, call.args)
        except EngineUnavailable as exc:
            call.error, call.error_type = str(exc), "EngineUnavailable"
        except CountertopError as exc:
            call.error, call.error_type = str(exc), type(exc).__name__
        except Exception as exc:  # a bug somewhere: log it, tell the user plainly
            log.exception("command %s failed", call.cmd)
            call.error, call.error_type = f"{call.cmd} failed: {exc}", type(exc).__name__
        emit(self._sig_result, call)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, _call = job
            try:
                fn()
            except Exception:
                log.exception("engine worker job failed")

    @property
    def connected(self) -> bool:
        return self.client is not None

    def close(self, *, stop_engine: bool = False) -> None:
        """Disconnect; the engine keeps running (it receives SMS with the window closed)."""
        self._closing = True
        self._retry.stop()
        self._flush.stop()
        self._jobs.put(None)
        self._worker.join(timeout=5)
        if self.client is not None:
            self.client.close()
            self.client = None
        if stop_engine and self.engine_process is not None:
            self.engine_process.terminate()
            try:
                self.engine_process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.engine_process.kill()
                self.engine_process.wait(timeout=5)
