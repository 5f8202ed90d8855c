"""Local IPC: the UI and the CLI talk to their till's engine over loopback TCP.

Newline-delimited JSON. The first line a client sends is ``{"token": T}``; the token is
random per engine start and sits in ``engine.json`` in the data dir (mode 0600), so only
the user who owns the data dir can drive the engine. Then:

- request ``{"id": 1, "cmd": "order.add", "args": {...}}`` ->
  ``{"id": 1, "ok": true, "result": ...}`` or ``{"id": 1, "ok": false, "error":
  {"type": "CommandRejected", "message": "..."}}``;
- ``{"id": 2, "cmd": "subscribe"}`` starts a stream of ``{"event": "changed",
  "changes": {...}}`` and other engine events (``incoming_call``, ``device_status``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from app import protocol
from sync.doc_storage import write_atomic
from sync.errors import CountertopError

log = logging.getLogger("countertop.engine.ipc")

MAX_LINE = 16 * 1024 * 1024

Dispatcher = Callable[[str, dict[str, Any]], Any]


class IpcServer:
    """Serves commands from local clients; pushes events to subscribers."""

    def __init__(self, dispatch: Dispatcher, info_path: Path, host: str = "127.0.0.1") -> None:
        self._dispatch = dispatch
        self._info_path = info_path
        self._host = host
        self.token = secrets.token_urlsafe(24)
        self._server: asyncio.base_events.Server | None = None
        self._subscribers: set[asyncio.Queue[Mapping[str, Any] | None]] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, self._host, 0, limit=MAX_LINE)
        self.port = self._server.sockets[0].getsockname()[1]
        write_atomic(self._info_path, json.dumps(
            {"host": self._host, "port": self.port, "token": self.token,
             "pid": os.getpid()}).encode())
        log.info("engine IPC on %s:%d", self._host, self.port)

    async def stop(self) -> None:
        for queue in list(self._subscribers):
            queue.put_nowait(None)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        try:
            info = json.loads(self._info_path.read_text())
            if info.get("pid") == os.getpid():
                self._info_path.unlink()
        except (OSError, ValueError):
            pass

    def publish(self, event: Mapping[str, Any]) -> None:
        """Send an event to every subscribed client (drops clients that fall far behind)."""
        for queue in list(self._subscribers):
            if queue.qsize() > 10_000:
                log.warning("an IPC subscriber is not reading; dropping it")
                self._subscribers.discard(queue)
                queue.put_nowait(None)
                continue
            queue.put_nowait(event)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[Mapping[str, Any] | None] | None = None
        pusher: asyncio.Task[None] | None = None
        lock = asyncio.Lock()

        async def send(obj: Mapping[str, Any]) -> None:
            data = (json.dumps(obj, default=str) + "\n").encode()
            async with lock:
                writer.write(data)
                await writer.drain()

        try:
            first = await asyncio.wait_for(reader.readline(), timeout=10)
            try:
                hello = json.loads(first)
            except ValueError:
                hello = {}
            if not isinstance(hello, dict) or not secrets.compare_digest(
                    str(hello.get("token", "")), self.token):
                log.warning("IPC client refused: bad token")
                await send({"ok": False, "error": {"type": "Unauthorized",
                                                   "message": "bad engine token"}})
                return
            await send({"ok": True, "hello": "countertop-engine"})
            while True:
                line = await reader.readline()
                if not line:
                    return
                try:
                    msg = json.loads(line)
                    rid = msg.get("id")
                    cmd = str(msg["cmd"])
                    args = msg.get("args") or {}
                    if not isinstance(args, dict):
                        raise TypeError("args must be an object")
                except (ValueError, KeyError, AttributeError, TypeError):
                    await send({"ok": False, "error": {"type": "BadRequest",
                                                       "message": "malformed request"}})
                    continue
                if cmd == protocol.SUBSCRIBE:
                    if queue is None:
                        queue = asyncio.Queue()
                        self._subscribers.add(queue)
                        pusher = asyncio.create_task(self._push(queue, send))
                    await send({"id": rid, "ok": True, "result": True})
                    continue
                await send(self._run(rid, cmd, args))
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.LimitOverrunError:
            log.warning("IPC client sent an oversized line; closing it")
        except ValueError as exc:  # StreamReader raises ValueError past the limit
            log.warning("IPC client error: %s", exc)
        finally:
            if queue is not None:
                self._subscribers.discard(queue)
            if pusher is not None:
                pusher.cancel()
            writer.close()

    def _run(self, rid: Any, cmd: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            result = self._dispatch(cmd, args)
            return {"id": rid, "ok": True, "result": result}
        except CountertopError as exc:
            return {"id": rid, "ok": False, "error": {"type": type(exc).__name__,
                                                      "message": str(exc)}}
        except Exception as exc:  # a bug: log it with context, tell the client plainly
            log.exception("command %s failed", cmd)
            return {"id": rid, "ok": False, "error": {"type": "InternalError",
                                                      "message": f"{cmd} failed: {exc}"}}

    @staticmethod
    async def _push(queue: asyncio.Queue[Mapping[str, Any] | None],
                    send: Callable[[Mapping[str, Any]], Any]) -> None:
        while True:
            event = await queue.get()
            if event is None:
                return
            try:
                await send(event)
            except (ConnectionError, RuntimeError):
                return
