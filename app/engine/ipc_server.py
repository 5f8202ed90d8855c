"""Local IPC: the UI and the CLI talk to their till's engine over a local socket.

On POSIX the socket is a Unix socket, ``engine.sock`` inside the data dir (0700, so only
the user who owns the data dir can even connect); on Windows, which has no such
permission on a socket path, it is loopback TCP. ``engine.json`` in the data dir (0600)
says which (``{"socket": PATH}`` or ``{"host": H, "port": P}``) and holds the token,
random per engine start. Newline-delimited JSON; the first line a client sends is
``{"token": T}``. Then:

- request ``{"id": 1, "cmd": "order.add", "args": {...}}`` ->
  ``{"id": 1, "ok": true, "result": ...}`` or ``{"id": 1, "ok": false, "error":
  {"type": "CommandRejected", "message": "..."}}``;
- ``{"id": 2, "cmd": "subscribe"}`` starts a stream of ``{"event": "changed",
  "changes": {...}}`` and other engine events (``incoming_call``, ``device_status``).

Hostile input from a local process (issue 15, point 8): the token line is read a byte
budget at a time (``MAX_HELLO`` bytes, not the 16 MiB a command may be) and compared as
bytes, so a non-ASCII token is just a wrong token; at most ``MAX_CLIENTS`` connections
are served at once; JSON nested too deep for the parser (``RecursionError``) or not an
object is a ``BadRequest`` answer, never a dead handler with a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import inspect
import json
import logging
import os
import secrets
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from app import protocol
from sync.doc_storage import write_atomic
from sync.errors import CountertopError

log = logging.getLogger("countertop.engine.ipc")

MAX_LINE = 16 * 1024 * 1024
MAX_HELLO = 1024
MAX_CLIENTS = 32
HELLO_TIMEOUT = 10.0
SOCKET_NAME = "engine.sock"

Dispatcher = Callable[[str, dict[str, Any]], Any]


class BadRequest(ValueError):
    """A line that is not a request (not JSON, too deep, not an object, no ``cmd``)."""


def parse_request(line: bytes) -> tuple[Any, str, dict[str, Any]]:
    """(id, command, args) of one request line, or :class:`BadRequest`."""
    try:
        msg = json.loads(line)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
        raise BadRequest("malformed request") from exc
    if not isinstance(msg, dict) or not isinstance(msg.get("cmd"), str):
        raise BadRequest("malformed request")
    args = msg.get("args") or {}
    if not isinstance(args, dict):
        raise BadRequest("args must be an object")
    return msg.get("id"), str(msg["cmd"]), args


async def read_hello_line(reader: asyncio.StreamReader, limit: int = MAX_HELLO) -> bytes:
    """The first line, at most ``limit`` bytes: a client that sends more before proving
    it holds the token is cut off without the engine buffering it."""
    line = bytearray()
    while len(line) <= limit:
        chunk = await reader.read(1)
        if not chunk:
            break
        line += chunk
        if chunk == b"\n":
            return bytes(line)
    raise BadRequest("no token line")


class IpcServer:
    """Serves commands from local clients; pushes events to subscribers."""

    def __init__(self, dispatch: Dispatcher, info_path: Path, host: str = "127.0.0.1",
                 *, unix_socket: bool | None = None) -> None:
        self._dispatch = dispatch
        self._info_path = info_path
        self._host = host
        self.socket_path = info_path.parent / SOCKET_NAME
        # a Unix socket path must fit sun_path (108 bytes on Linux): a very deep data dir
        # falls back to loopback TCP, as on Windows
        fits = len(os.fsencode(self.socket_path)) < 100
        self._unix = (sys.platform != "win32" and fits) if unix_socket is None else unix_socket
        self.token = secrets.token_urlsafe(24)
        self._server: asyncio.base_events.Server | None = None
        self._subscribers: set[asyncio.Queue[Mapping[str, Any] | None]] = set()
        self._clients = 0
        self.refused_clients = 0
        self.port = 0

    async def start(self) -> None:
        if self._unix:
            self.socket_path.unlink(missing_ok=True)
            old = os.umask(0o177)  # the socket is created 0600
            try:
                self._server = await asyncio.start_unix_server(
                    self._client, path=str(self.socket_path), limit=MAX_LINE)
            finally:
                os.umask(old)
            os.chmod(self.socket_path, 0o600)
            where: dict[str, Any] = {"socket": str(self.socket_path)}
        else:
            self._server = await asyncio.start_server(self._client, self._host, 0,
                                                      limit=MAX_LINE)
            self.port = self._server.sockets[0].getsockname()[1]
            where = {"host": self._host, "port": self.port}
        write_atomic(self._info_path, json.dumps(
            {**where, "token": self.token, "pid": os.getpid()}).encode())
        log.info("engine IPC on %s", where.get("socket") or f"{self._host}:{self.port}")

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
                if self._unix:
                    self.socket_path.unlink(missing_ok=True)
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
        if self._clients >= MAX_CLIENTS:
            self.refused_clients += 1
            log.warning("refusing an IPC client: %d already connected", self._clients)
            writer.transport.abort()
            return
        self._clients += 1
        try:
            await self._serve(reader, writer)
        finally:
            self._clients -= 1

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[Mapping[str, Any] | None] | None = None
        pusher: asyncio.Task[None] | None = None
        waiting: set[asyncio.Task[None]] = set()
        lock = asyncio.Lock()

        async def send(obj: Mapping[str, Any]) -> None:
            data = (json.dumps(obj, default=str) + "\n").encode()
            async with lock:
                writer.write(data)
                await writer.drain()

        try:
            if not await self._authenticate(reader, send):
                return
            await send({"ok": True, "hello": "countertop-engine"})
            while True:
                line = await reader.readline()
                if not line:
                    return
                try:
                    rid, cmd, args = parse_request(line)
                except BadRequest as exc:
                    await send({"ok": False, "error": {"type": "BadRequest",
                                                       "message": str(exc)}})
                    continue
                if cmd == protocol.SUBSCRIBE:
                    if queue is None:
                        queue = asyncio.Queue()
                        self._subscribers.add(queue)
                        pusher = asyncio.create_task(self._push(queue, send))
                    await send({"id": rid, "ok": True, "result": True})
                    continue
                reply = self._run(rid, cmd, args)
                if isinstance(reply, dict):
                    await send(reply)
                else:  # a command that waits on a peer: answer when done, serve on meanwhile
                    waiting.add(asyncio.create_task(self._finish(rid, cmd, reply, send)))
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, BadRequest):
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
            for task in waiting:
                task.cancel()
            writer.close()

    async def _authenticate(self, reader: asyncio.StreamReader,
                            send: Callable[[Mapping[str, Any]], Any]) -> bool:
        async with asyncio.timeout(HELLO_TIMEOUT):
            first = await read_hello_line(reader)
        try:
            hello = json.loads(first)
        except (ValueError, RecursionError):
            hello = None
        token = hello.get("token") if isinstance(hello, dict) else None
        given = token.encode("utf-8", "replace") if isinstance(token, str) else b""
        if hmac.compare_digest(given, self.token.encode()):
            return True
        log.warning("IPC client refused: bad token")
        await send({"ok": False, "error": {"type": "Unauthorized",
                                           "message": "bad engine token"}})
        return False

    def _run(self, rid: Any, cmd: str,
             args: dict[str, Any]) -> dict[str, Any] | Awaitable[Any]:
        """The reply, or the awaitable of a command that waits on a peer."""
        try:
            result = self._dispatch(cmd, args)
            if inspect.isawaitable(result):  # e.g. pair.approve waits on the new till
                return result
            return {"id": rid, "ok": True, "result": result}
        except Exception as exc:
            return self._failure(rid, cmd, exc)

    async def _finish(self, rid: Any, cmd: str, pending: Awaitable[Any],
                      send: Callable[[Mapping[str, Any]], Awaitable[None]]) -> None:
        try:
            reply = {"id": rid, "ok": True, "result": await pending}
        except Exception as exc:
            reply = self._failure(rid, cmd, exc)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await send(reply)

    @staticmethod
    def _failure(rid: Any, cmd: str, exc: Exception) -> dict[str, Any]:
        if isinstance(exc, CountertopError):
            return {"id": rid, "ok": False, "error": {"type": type(exc).__name__,
                                                      "message": str(exc)}}
        # a bug: log it with context, tell the client plainly
        log.error("command %s failed", cmd, exc_info=exc)
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
