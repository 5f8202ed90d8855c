"""Two tills in their own network namespaces, joined by a veth pair: mDNS + TLS across it.

Needs root and ``ip netns``; skipped with the reason otherwise. The namespaces are this
test's own and are deleted afterwards; nothing leaves them.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sync.identity import TillIdentity
from tests.sync.peers.conftest import run

REPO_ROOT = Path(__file__).resolve().parents[3]
SUBNET = "10.213.77"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


def _netns_unavailable() -> str | None:
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"ctprobe{os.getpid()}"
    try:
        _ip("netns", "add", probe)
        _ip("netns", "del", probe)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        return f"ip netns is unavailable: {exc}"
    return None


@pytest.fixture
def two_namespaces() -> Iterator[tuple[str, str]]:
    reason = _netns_unavailable()
    if reason:
        pytest.skip(reason)
    tag = os.getpid() % 100000
    ns_a, ns_b = f"cta{tag}", f"ctb{tag}"
    veth_a, veth_b = f"cva{tag}", f"cvb{tag}"
    try:
        _ip("netns", "add", ns_a)
        _ip("netns", "add", ns_b)
        _ip("link", "add", veth_a, "type", "veth", "peer", "name", veth_b)
        for ns, veth, host in ((ns_a, veth_a, 1), (ns_b, veth_b, 2)):
            _ip("link", "set", veth, "netns", ns)
            _ip("-n", ns, "addr", "add", f"{SUBNET}.{host}/24", "dev", veth)
            _ip("-n", ns, "link", "set", veth, "up", "multicast", "on")
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", veth)
        yield ns_a, ns_b
    finally:
        for ns in (ns_a, ns_b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10,
                           check=False)


class _Till:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, ns: str, identity: TillIdentity, ip: str, members: str) -> _Till:
        process = await asyncio.create_subprocess_exec(
            "ip", "netns", "exec", ns, sys.executable, "-m", "tests.sync.peers.netns_till",
            "--identity", str(identity.key_path.parent), "--ip", ip, "--members", members,
            cwd=REPO_ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )
        till = cls(process)
        assert (await till.read())["ready"]
        return till

    async def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError("till process exited")
        return dict(json.loads(line))

    async def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()
        return await self.read()

    async def stop(self) -> None:
        if self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.write(b"quit\n")
            try:
                await self.process.stdin.drain()
                await asyncio.wait_for(self.process.wait(), 10)
            except (TimeoutError, ConnectionError):
                self.process.kill()
                await self.process.wait()


@pytest.mark.netns
def test_tills_in_separate_namespaces_discover_and_sync_over_veth(
    two_namespaces: tuple[str, str], make_identity: Callable[[str], TillIdentity]
) -> None:
    ns_a, ns_b = two_namespaces
    a_id, b_id = make_identity("a"), make_identity("b")
    members = f"{a_id.till_id},{b_id.till_id}"

    async def scenario() -> None:
        till_a = await _Till.start(ns_a, a_id, f"{SUBNET}.1", members)
        till_b = await _Till.start(ns_b, b_id, f"{SUBNET}.2", members)
        try:
            url = (await till_a.ask("create"))["url"]
            assert (await till_b.ask(f"wait {url}"))["synced"] == "netns"
            rows = (await till_b.ask("status"))["status"]
            linked = [r for r in rows if r["till_id"] == a_id.till_id and r["kind"] == "till"]
            assert linked and linked[0]["address"].startswith(f"{SUBNET}.1:")
        finally:
            await till_a.stop()
            await till_b.stop()

    run(scenario(), timeout=60)
