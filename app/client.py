"""How the CLI and the UI reach a till's engine.

``connect(data_dir)`` returns an ``EngineClient`` talking to the running engine over IPC,
or ``None`` when none runs. ``open_engine(data_dir)`` gives whichever works: the running
engine, or an in-process engine that holds the data dir for the duration (CLI use).
Both raise the same typed errors with the engine's plain-words message.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from app import protocol
from sync import errors
from sync.file_names import ENGINE_INFO_FILE

log = logging.getLogger("countertop.client")

EventCallback = Callable[[dict[str, Any]], None]

EngineUnavailable = errors.EngineUnavailable

#: every error the engine may name in a reply, by class name (the whole family)
_ERROR_TYPES: dict[str, type[errors.CountertopError]] = {
    cls.__name__: cls for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.CountertopError)}


class Engine(Protocol):
    def call(self, cmd: str, args: dict[str, Any] | None = None) -> Any: ...
    def close(self) -> None: ...


def _open_socket(address: str | tuple[str, int]) -> socket.socket:
    """A Unix socket path (POSIX engines) or a loopback ``(host, port)`` (Windows)."""
    if isinstance(address, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # type: ignore[attr-defined,unused-ignore]
        sock.settimeout(5)
        try:
            sock.connect(address)
        except OSError:
            sock.close()
            raise
        return sock
    return socket.create_connection(address, timeout=5)


def info_address(info: dict[str, Any]) -> str | tuple[str, int]:
    """Where ``engine.json`` says the engine listens (KeyError/ValueError if it says neither)."""
    if info.get("socket"):
        return str(info["socket"])
    return str(info["host"]), int(info["port"])


class EngineClient:
    """A connection to a running engine. ``call`` is thread-safe and blocking.

    ``address``: the Unix socket path, or ``(host, port)`` on loopback (see
    ``app.engine.ipc_server``); ``info_address(engine_info(dir))`` gives it.
    """

    def __init__(self, address: str | tuple[str, int], token: str, *, timeout: float = 30.0,
                 on_event: EventCallback | None = None) -> None:
        self._sock = _open_socket(address)
        self._sock.settimeout(None)
        self._file = self._sock.makefile("rwb")
        self._timeout = timeout
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[threading.Event, list[Any]]] = {}
        self._lock = threading.Lock()
        self._on_event = on_event
        self._closed = False
        self._send({"token": token})
        hello = json.loads(self._file.readline() or b"{}")
        if not hello.get("ok"):
            self._sock.close()
            raise EngineUnavailable((hello.get("error") or {}).get("message", "engine refused"))
        self._reader = threading.Thread(target=self._read_loop, name="engine-client",
                                        daemon=True)
        self._reader.start()
        if on_event is not None:
            self.call(protocol.SUBSCRIBE)

    def _send(self, obj: dict[str, Any]) -> None:
        data = (json.dumps(obj) + "\n").encode()
        with self._lock:
            self._file.write(data)
            self._file.flush()

    def _read_loop(self) -> None:
        try:
            for line in self._file:
                msg = json.loads(line)
                if "event" in msg:
                    if self._on_event is not None:
                        try:
                            self._on_event(msg)
                        except Exception:
                            log.exception("event callback failed")
                    continue
                waiter = self._pending.pop(msg.get("id"), None)
                if waiter is not None:
                    waiter[1].append(msg)
                    waiter[0].set()
        except (OSError, ValueError):
            pass
        finally:
            self._closed = True
            for event, box in list(self._pending.values()):
                box.append({"ok": False, "error": {"type": "EngineUnavailable",
                                                   "message": "the engine stopped"}})
                event.set()
            if self._on_event is not None:
                try:
                    self._on_event(dict(protocol.DISCONNECTED))
                except Exception:
                    log.exception("event callback failed")

    def call(self, cmd: str, args: dict[str, Any] | None = None) -> Any:
        if self._closed:
            raise EngineUnavailable("the engine connection is closed")
        rid = next(self._ids)
        event: threading.Event = threading.Event()
        box: list[Any] = []
        self._pending[rid] = (event, box)
        self._send({"id": rid, "cmd": cmd, "args": args or {}})
        if not event.wait(self._timeout):
            self._pending.pop(rid, None)
            raise EngineUnavailable(f"the engine did not answer {cmd} within {self._timeout:.0f} s")
        reply = box[0]
        if reply.get("ok"):
            return reply.get("result")
        err = reply.get("error") or {}
        exc_type = _ERROR_TYPES.get(err.get("type", ""), errors.CountertopError)
        raise exc_type(err.get("message", "the engine refused the command"))

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):  # the engine may have gone already
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()


class LocalEngine:
    """The engine in this process, for one CLI command when no engine runs."""

    def __init__(self, data_dir: Path) -> None:
        from app.engine.commands import in_process_registry
        from app.engine.till_engine import TillEngine

        self.engine = TillEngine(data_dir, role="countertop CLI")
        try:
            self.registry = in_process_registry(self.engine)
        except BaseException:
            self.engine.close()
            raise

    def call(self, cmd: str, args: dict[str, Any] | None = None) -> Any:
        # round-trip through JSON so both paths return exactly the same shapes
        return json.loads(json.dumps(self.registry.run(cmd, args or {}), default=str))

    def close(self) -> None:
        self.engine.close()


def engine_info(data_dir: Path) -> dict[str, Any] | None:
    path = data_dir / ENGINE_INFO_FILE
    try:
        info: dict[str, Any] = json.loads(path.read_text())
        return info
    except (OSError, ValueError):
        return None


def connect(data_dir: Path, *, on_event: EventCallback | None = None,
            timeout: float = 30.0) -> EngineClient | None:
    """A client for the engine running on ``data_dir``, or None when none answers."""
    info = engine_info(data_dir)
    if info is None:
        return None
    try:
        return EngineClient(info_address(info), info["token"], timeout=timeout,
                            on_event=on_event)
    except (OSError, EngineUnavailable, KeyError, ValueError) as exc:
        log.debug("no engine answers for %s: %s", data_dir, exc)
        return None


def open_engine(data_dir: Path) -> Engine:
    """The running engine if there is one, else an in-process engine."""
    client = connect(data_dir)
    if client is not None:
        return client
    return LocalEngine(data_dir)
