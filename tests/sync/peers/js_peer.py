"""Drive a real JS automerge-repo peer (tests/sync/js/peer.mjs) from Python tests and benches.

``npm ci`` runs on first use when node_modules is missing; when node or npm cannot provide
the packages, :func:`js_unavailable_reason` says why so callers can skip clearly.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

JS_DIR = Path(__file__).resolve().parents[1] / "js"
PEER_SCRIPT = JS_DIR / "peer.mjs"
#: the published @automerge/automerge-repo-sync-server 0.2.8 (automerge-repo 1.2.1)
SYNC_SERVER_1X = JS_DIR / "sync-server-1x.mjs"

_reason: str | None = None
_checked = False


def js_unavailable_reason() -> str | None:
    """None when the JS peer can run; otherwise why not (after trying ``npm ci`` once)."""
    global _reason, _checked
    if _checked:
        return _reason
    _checked = True
    if shutil.which("node") is None or shutil.which("npm") is None:
        _reason = "node and npm are needed for the JS automerge-repo peer"
    elif not all((JS_DIR / "node_modules" / "@automerge" / name).is_dir()
                 for name in ("automerge-repo", "automerge-repo-sync-server")):
        _reason = _npm_install()
    return _reason


def _npm_install() -> str | None:
    """``npm ci``; if npm refuses the lock file, ``npm install --no-save`` from the same lock.

    npm 11 writes no lock entries for cbor-extract's optional per-platform packages and
    then calls its own lock file out of sync in ``npm ci``; ``--no-save`` installs the
    locked versions without rewriting the committed lock file.
    """
    errors = []
    for command in (["npm", "ci"], ["npm", "install", "--no-save"]):
        try:
            done = subprocess.run(
                [*command, "--no-audit", "--no-fund"], cwd=JS_DIR, capture_output=True,
                text=True, timeout=300, check=False,
            )
        except subprocess.TimeoutExpired:
            errors.append(f"{' '.join(command)} timed out")
            continue
        if done.returncode == 0:
            return None
        errors.append(f"{' '.join(command)}: {done.stderr[-300:]}")
    return "npm could not install the JS automerge-repo packages: " + " | ".join(errors)


class JsPeer:
    """One node process running peer.mjs, answering JSON commands."""

    def __init__(self, process: asyncio.subprocess.Process, ready: dict[str, Any]) -> None:
        self._process = process
        self.port: int | None = ready.get("port")
        self.peer_id = str(ready.get("peerId"))
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read_replies())

    @classmethod
    async def start(cls, *args: str, timeout: float = 30.0, script: Path = PEER_SCRIPT,
                    env: dict[str, str] | None = None) -> JsPeer:
        process = await asyncio.create_subprocess_exec(
            "node", str(script), *args, cwd=JS_DIR, env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, limit=64 * 1024 * 1024,
        )
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout)
        if not line:
            await process.wait()
            raise RuntimeError(f"JS peer exited with {process.returncode} before it was ready")
        return cls(process, json.loads(line))

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def call(self, cmd: str, timeout: float = 30.0, **fields: Any) -> dict[str, Any]:
        """Send one command and wait for its reply; raises RuntimeError if the JS side failed."""
        assert self._process.stdin is not None
        cmd_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[cmd_id] = future
        self._process.stdin.write(json.dumps({"id": cmd_id, "cmd": cmd, **fields}).encode() + b"\n")
        await self._process.stdin.drain()
        reply = await asyncio.wait_for(future, timeout)
        if not reply.get("ok"):
            raise RuntimeError(f"JS peer {cmd} failed: {reply.get('error')}")
        return reply

    async def _read_replies(self) -> None:
        assert self._process.stdout is not None
        while line := await self._process.stdout.readline():
            reply = json.loads(line)
            future = self._waiting.pop(reply.get("id"), None)
            if future is not None and not future.done():
                future.set_result(reply)
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(RuntimeError("JS peer exited"))

    async def stop(self) -> None:
        if self._process.returncode is None:
            assert self._process.stdin is not None
            try:
                self._process.stdin.write(b'{"cmd": "quit"}\n')
                await self._process.stdin.drain()
                await asyncio.wait_for(self._process.wait(), 5)
            except (TimeoutError, ConnectionError):
                self._process.kill()
                await self._process.wait()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
