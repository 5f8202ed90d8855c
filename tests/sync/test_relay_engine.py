"""A real engine syncing through a standard JS automerge-repo sync server (`--relay`).

An order made in Countertop is readable by the JS peer (a standard sync server reads
what it stores). A change the JS peer makes to that order is *refused*: the JS peer is no
till of the shop, so what it writes carries no seal (issue 15, points 3 and 9).
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.client import connect
from tests.conftest import REPO, cli_env
from tests.helpers.waiting import wait_until_async
from tests.sync.peers.js_peer import JsPeer, js_unavailable_reason

CT = str(Path(sys.executable).parent / "countertop")


def _cli(data: Path, *args: str) -> dict:  # type: ignore[type-arg]
    done = subprocess.run([CT, "--json", *args], env=cli_env(data), cwd=REPO, text=True,
                          check=False,
                          capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_orders_cross_between_an_engine_and_a_js_sync_server(tmp_path: Path) -> None:
    reason = js_unavailable_reason()
    if reason:
        pytest.skip(reason)
    data = tmp_path / "till"
    _cli(data, "shop", "create", "--name", "Relay Deli")
    _cli(data, "product", "add", "--sku", "BREAD", "--name", "Bread", "--price", "2.50")
    _cli(data, "customer", "add", "--name", "Ann", "--phone", "+447700900123")

    async def scenario() -> None:
        server = await JsPeer.start("--listen", "0", "--storage", str(tmp_path / "js"))
        proc = subprocess.Popen([CT, "engine", "--relay", server.url, "--no-discovery"],
                                env=cli_env(data), cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        try:
            await wait_until_async(lambda: connect(data) is not None, 30,
                                   what="the engine to start", interval=0.1)
            order = await asyncio.to_thread(_cli, data, "order", "add", "--customer",
                                            "+447700900123", "--line", "BREAD:2")
            url = f"automerge:{order['doc_id']}"
            # Countertop -> JS: the order, as the ledger wrote it
            got = await server.call("wait", url=url, path=["orders", order["id"], "number"],
                                    value=order["number"], timeout=30)
            record = got["doc"]["orders"][order["id"]]
            assert record["total"] == 500 and record["status"] == "new"
            assert [ln["qty"] for ln in record["lines"].values()] == ["2"]
            # JS -> Countertop: an edit by the JS peer (a stranger) is refused
            await server.call("set", url=url, path=["orders", order["id"], "notes"],
                              value="written in JS")

            async def refused() -> bool:
                status = await asyncio.to_thread(_cli, data, "peers")
                return any(s.get("refused_changes") for s in status["sessions"])

            await wait_until_async(refused, 30, interval=0.2,
                                   what="the engine to refuse the JS edit")
            shown = await asyncio.to_thread(_cli, data, "order", "show", order["number"])
            assert shown["notes"] != "written in JS"
            peers = await asyncio.to_thread(_cli, data, "peers")
            assert any(p["kind"] == "relay" and p["state"] == "connected"
                       for p in peers["peers"])
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.to_thread(proc.wait, 20)
            await server.stop()

    asyncio.run(asyncio.wait_for(scenario(), 90))
