"""The engine's loopback IPC: token check, malformed requests, typed errors, events.

A real ``EngineService`` (TillEngine + IpcServer) runs its asyncio loop on a thread;
clients are real sockets on 127.0.0.1 and ``app.client.EngineClient``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.client import EngineClient, EngineUnavailable, connect, info_address
from app.engine.ipc_server import MAX_CLIENTS, IpcServer
from app.engine.main import EngineOptions, EngineService
from sync.errors import CommandRejected, NotFound
from tests.conftest import demo_shop
from tests.helpers.commands import registry


class _ReadySignal(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.ready = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("engine IPC on"):
            self.ready.set()


@pytest.fixture
def service(data_dir: Path) -> Iterator[EngineService]:
    svc = EngineService(EngineOptions(data_dir=data_dir, discovery=False))
    svc.serve(registry(svc.engine))
    demo_shop(svc.engine)
    signal = _ReadySignal()
    ipc_log = logging.getLogger("countertop.engine.ipc")
    ipc_log.addHandler(signal)
    old_level = ipc_log.level
    ipc_log.setLevel(logging.INFO)
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(svc.run())),
                              name="engine-loop")
    thread.start()
    try:
        assert signal.ready.wait(20), "engine IPC did not start"
        yield svc
    finally:
        if thread.is_alive():
            svc.stop()
        thread.join(20)
        ipc_log.removeHandler(signal)
        ipc_log.setLevel(old_level)
    assert result == [0]
    assert not (data_dir / "engine.json").exists()


def raw_socket(data_dir: Path) -> socket.socket:
    info = json.loads((data_dir / "engine.json").read_text())
    if "socket" in info:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(10)
        sock.connect(info["socket"])
        return sock
    return socket.create_connection((info["host"], info["port"]), timeout=10)


def raw_session(data_dir: Path, hello: bytes) -> tuple[socket.socket, Any]:
    sock = raw_socket(data_dir)
    stream = sock.makefile("rwb")
    stream.write(hello)
    stream.flush()
    return sock, stream


def token_of(data_dir: Path) -> str:
    return str(json.loads((data_dir / "engine.json").read_text())["token"])


def test_engine_info_is_private_and_the_socket_is_in_the_private_data_dir(
        service: EngineService, data_dir: Path) -> None:
    path = data_dir / "engine.json"
    assert path.stat().st_mode & 0o777 == 0o600
    info = json.loads(path.read_text())
    assert len(info["token"]) >= 24
    sock = Path(info["socket"])  # POSIX: a Unix socket, not a port anyone may dial
    assert sock.parent == data_dir.resolve() and stat.S_ISSOCK(sock.stat().st_mode)
    assert sock.stat().st_mode & 0o777 == 0o600
    assert data_dir.stat().st_mode & 0o777 == 0o700


def test_loopback_tcp_stays_the_windows_path(data_dir: Path) -> None:
    """Windows has no Unix socket permissions: there the engine listens on loopback TCP,
    and ``engine.json`` says so; the client follows whichever it says."""

    async def scenario() -> None:
        data_dir.mkdir(parents=True)
        server = IpcServer(lambda cmd, args: {"cmd": cmd}, data_dir / "engine.json",
                           unix_socket=False)
        await server.start()
        info = json.loads((data_dir / "engine.json").read_text())
        assert info["host"] == "127.0.0.1" and "socket" not in info
        client = await asyncio.to_thread(EngineClient, info_address(info), info["token"])
        assert await asyncio.to_thread(client.call, "x.y") == {"cmd": "x.y"}
        client.close()
        await server.stop()

    asyncio.run(scenario())


@pytest.mark.parametrize("hello", [b'{"token": "wrong"}\n', b"not json\n", b"[1, 2]\n",
                                   b'{"token": null}\n'])
def test_bad_token_is_refused(service: EngineService, data_dir: Path, hello: bytes) -> None:
    sock, stream = raw_session(data_dir, hello)
    with sock:
        reply = json.loads(stream.readline())
        assert reply == {"ok": False, "error": {"type": "Unauthorized",
                                                "message": "bad engine token"}}
        assert stream.readline() == b""  # the engine hung up


def test_client_with_a_bad_token_raises(service: EngineService, data_dir: Path) -> None:
    info = json.loads((data_dir / "engine.json").read_text())
    with pytest.raises(EngineUnavailable, match="bad engine token"):
        EngineClient(info_address(info), "not-the-token")


def test_malformed_lines_are_answered_and_the_session_goes_on(service: EngineService,
                                                              data_dir: Path) -> None:
    hello = json.dumps({"token": token_of(data_dir)}).encode() + b"\n"
    sock, stream = raw_session(data_dir, hello)
    with sock:
        assert json.loads(stream.readline())["ok"] is True
        for bad in (b"not json\n", b'{"id": 1}\n', b"[1, 2]\n", b'"just a string"\n',
                    b'{"id": 2, "cmd": "order.add", "args": [1]}\n'):
            stream.write(bad)
            stream.flush()
            reply = json.loads(stream.readline())
            assert reply["ok"] is False, bad
            assert reply["error"]["type"] == "BadRequest", (bad, reply)
        stream.write(b'{"id": 3, "cmd": "no.such"}\n')
        stream.flush()
        reply = json.loads(stream.readline())
        assert reply == {"id": 3, "ok": False, "error": {
            "type": "CommandRejected", "message": "unknown command 'no.such'"}}
        stream.write(b'{"id": 4, "cmd": "shop.info"}\n')
        stream.flush()
        reply = json.loads(stream.readline())
        assert reply["id"] == 4 and reply["result"]["shop"]["name"] == "Corner Shop"


def test_errors_arrive_as_the_same_typed_exceptions(service: EngineService,
                                                    data_dir: Path) -> None:
    client = connect(data_dir)
    assert client is not None
    try:
        with pytest.raises(CommandRejected, match="unknown SKU 'NOPE'"):
            client.call("order.add", {"lines": ["NOPE:1"]})
        with pytest.raises(NotFound, match="no order A-9999"):
            client.call("order.show", {"order": "A-9999"})
        assert client.call("order.add", {"lines": ["BREAD:1"]})["number"] == "A-0001"
    finally:
        client.close()


def test_subscribers_receive_changed_events(service: EngineService, data_dir: Path) -> None:
    events: list[dict[str, Any]] = []
    got = threading.Condition()

    def on_event(event: dict[str, Any]) -> None:
        with got:
            events.append(event)
            got.notify_all()

    watcher = connect(data_dir, on_event=on_event)
    actor = connect(data_dir)
    assert watcher is not None and actor is not None
    try:
        order = actor.call("order.add", {"lines": ["BREAD:2"]})
        actor.call("order.set_status", {"order": order["id"], "status": "confirmed"})
        with got:
            assert got.wait_for(lambda: len([e for e in events if e["event"] == "changed"]) >= 2,
                                timeout=10), events
        changed = [e["changes"] for e in events if e["event"] == "changed"]
        assert changed[0]["orders"] == [order["id"]] and changed[0]["created"] == order["id"]
        assert changed[1]["orders"] == [order["id"]] and changed[1]["stock"] == ["BREAD"]
    finally:
        actor.close()
        watcher.close()


def test_clients_learn_when_the_engine_stops(service: EngineService, data_dir: Path) -> None:
    events: list[dict[str, Any]] = []
    gone = threading.Event()

    def on_event(event: dict[str, Any]) -> None:
        events.append(event)
        if event["event"] == "disconnected":
            gone.set()

    client = connect(data_dir, on_event=on_event)
    assert client is not None
    service.stop()
    assert gone.wait(10)
    with pytest.raises(EngineUnavailable):
        client.call("shop.info")
    client.close()


def _ping(data_dir: Path) -> float:
    """Seconds a fresh client takes to get an answer to ``shop.info``."""
    started = time.perf_counter()
    client = connect(data_dir)
    assert client is not None, "the engine did not answer"
    try:
        assert client.call("shop.info")["shop"]["name"] == "Corner Shop"
    finally:
        client.close()
    return time.perf_counter() - started


@pytest.mark.parametrize("hello", [
    "{\"token\": \"caf\u00e9-\u2603-\U0001f600\"}\n".encode(),  # non-ASCII token
    b'{"token": "\\u00e9"}\n',
    b"[" * 200_000 + b"\n",  # nested far deeper than the parser recurses
    b'{"token": ' + b"[" * 200_000 + b"\n",
])
def test_hostile_token_lines_are_refused_without_killing_anything(
        service: EngineService, data_dir: Path, hello: bytes,
        caplog: pytest.LogCaptureFixture) -> None:
    sock, stream = raw_session(data_dir, hello)
    with sock:
        data = stream.read()
    assert b"Traceback" not in data
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert _ping(data_dir) < 5


def test_deeply_nested_request_after_the_token_is_a_bad_request(
        service: EngineService, data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    hello = json.dumps({"token": token_of(data_dir)}).encode() + b"\n"
    sock, stream = raw_session(data_dir, hello)
    with sock:
        assert json.loads(stream.readline())["ok"] is True
        stream.write(b'{"id": 1, "cmd": "shop.info", "args": ' + b"[" * 500_000 + b"\n")
        stream.flush()
        reply = json.loads(stream.readline())
        assert reply["error"]["type"] == "BadRequest"
        stream.write(b'{"id": 2, "cmd": "shop.info"}\n')  # and the session goes on
        stream.flush()
        assert json.loads(stream.readline())["id"] == 2
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_no_megabytes_are_buffered_before_the_token(service: EngineService,
                                                   data_dir: Path) -> None:
    """A client that sends 16 MiB without a newline is cut off after the first KiB."""
    sock = raw_socket(data_dir)
    with sock:
        sent = 0
        chunk = b"x" * 65536
        with pytest.raises(OSError):  # the engine hangs up long before 16 MiB
            while sent < 16 * 1024 * 1024:
                sock.sendall(chunk)
                sent += len(chunk)
        assert sent < 4 * 1024 * 1024
    assert _ping(data_dir) < 5


def test_connections_are_limited_and_a_client_still_gets_in_after(
        service: EngineService, data_dir: Path) -> None:
    idle = [raw_socket(data_dir) for _ in range(MAX_CLIENTS + 20)]
    try:
        refused = 0
        for sock in idle[MAX_CLIENTS:]:
            sock.settimeout(5)
            try:
                refused += sock.recv(1) == b""  # closed by the engine at once
            except (ConnectionError, TimeoutError):
                refused += 1
        assert refused == 20
    finally:
        for sock in idle:
            sock.close()
    assert service.ipc.refused_clients >= 20
    deadline = time.monotonic() + 10
    while service.ipc._clients and time.monotonic() < deadline:
        time.sleep(0.05)  # the engine notices the closed idle clients
    assert _ping(data_dir) < 5
