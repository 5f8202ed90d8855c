"""End to end: simulated modem and caller-ID on ptys -> a real engine process -> CLI/IPC.

The drivers, the engine wiring, the ledger and the read model are all real; only the
hardware is simulated (devices/simulated, speaking 3GPP AT commands over a pty).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.client import EngineClient, connect
from devices.simulated.caller_id_unit import CallerIdSimulator
from devices.simulated.gsm_modem import GsmModemSimulator
from tests.conftest import REPO, cli_env
from tests.helpers.waiting import wait_until

CT = str(Path(sys.executable).parent / "countertop")
WAIT = 15.0  # an engine subprocess, a pty modem and a CLI subprocess per check


def cli(data_dir: Path, *args: str) -> Any:
    done = subprocess.run([CT, "--json", *args], env=cli_env(data_dir), cwd=REPO, text=True,
                          check=False,
                          capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def shop_dir(tmp_path: Path) -> Path:
    d = tmp_path / "till"
    env = cli_env(d)
    for args in (["shop", "create", "--name", "Pizzeria", "--region", "GB"],
                 ["product", "add", "--sku", "MARG", "--name", "Margherita pizza", "--price", "9",
                  "--alias", "margherita"],
                 ["product", "add", "--sku", "GARLIC", "--name", "Garlic bread", "--price", "4"],
                 ["customer", "add", "--name", "Ann Smith", "--phone", "07700 900123"]):
        subprocess.run([CT, *args], env=env, check=True, capture_output=True, timeout=60)
    return d


@pytest.fixture
def devices(tmp_path: Path) -> Iterator[tuple[GsmModemSimulator, CallerIdSimulator]]:
    modem = GsmModemSimulator(tmp_path / "modem").start()
    cid = CallerIdSimulator(tmp_path / "cid", role="modem").start()
    try:
        yield modem, cid
    finally:
        modem.stop()
        cid.stop()


@pytest.fixture
def engine_proc(shop_dir: Path, devices: tuple[GsmModemSimulator, CallerIdSimulator]
                ) -> Iterator[subprocess.Popen[str]]:
    modem, cid = devices
    with open(shop_dir / "engine-test.log", "w") as log:
        proc = subprocess.Popen([CT, "engine", "--modem", modem.path, "--callerid", cid.path,
                                 "--no-discovery"], env=cli_env(shop_dir), cwd=REPO, text=True,
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_until(lambda: connect(shop_dir) is not None, WAIT, what="engine IPC")
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                assert proc.wait(20) == 0
            finally:
                if proc.poll() is None:
                    proc.kill()


def subscribe(data_dir: Path) -> tuple[EngineClient, queue.Queue[dict[str, Any]]]:
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    client = connect(data_dir, on_event=events.put)
    assert client is not None
    return client, events


def next_event(events: queue.Queue[dict[str, Any]], kind: str, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {kind} event")
        event = events.get(timeout=left)
        if event.get("event") == kind:
            return event


def test_sms_lands_in_the_inbox_once_and_becomes_a_draft_order(
        shop_dir: Path, devices: Any, engine_proc: Any) -> None:
    modem, _ = devices
    wait_until(lambda: any("CNMI" in c for c in modem.commands), WAIT, what="modem initialised")
    pdus = modem.deliver_text("+447700900123",
                              "Hi, 2 margheritas and a garlic bread for pickup at 7pm")
    messages = wait_until(lambda: cli(shop_dir, "message", "list"), WAIT, what="message stored")
    assert len(messages) == 1
    msg = messages[0]
    assert (msg["sender"], msg["channel"], msg["customer_name"]) == (
        "+447700900123", "sms", "Ann Smith")
    # the SIM copy is deleted only after the message is durable
    wait_until(lambda: not modem.stored(), WAIT, what="SIM copy deleted")
    orders = wait_until(lambda: cli(shop_dir, "order", "list"), WAIT, what="draft order")
    order = cli(shop_dir, "order", "show", orders[0]["number"])
    assert order["tags"] == ["auto"] and order["source_messages"] == [msg["id"]]
    assert sorted((ln["description"], ln["qty"]) for ln in order["lines"]) == [
        ("Garlic bread", "1"), ("Margherita pizza", "2")]
    # the same PDU read again (a crash between store and delete) is not stored twice
    modem.deliver(pdus[0])
    wait_until(lambda: not modem.stored(), WAIT, what="re-read copy deleted")
    modem.deliver_text("+447700900123", "and a coke please")
    bodies = wait_until(lambda: [m["body"] for m in cli(shop_dir, "message", "list")
                                 if len(cli(shop_dir, "message", "list")) >= 2], WAIT,
                        what="next message")
    assert sorted(bodies) == ["Hi, 2 margheritas and a garlic bread for pickup at 7pm",
                              "and a coke please"]


def test_broken_pdu_is_quarantined_and_visible(shop_dir: Path, devices: Any,
                                               engine_proc: Any) -> None:
    modem, _ = devices
    wait_until(lambda: any("CNMI" in c for c in modem.commands), WAIT, what="modem initialised")
    modem.deliver("0791448720003023240DD0E474D81C0EBB010000111011315214000BE474D81C0EBB01")
    messages = wait_until(lambda: cli(shop_dir, "message", "list"), WAIT, what="quarantined input")
    assert messages[0]["state"] == "quarantined"
    assert "unreadable sms input" in messages[0]["body"]
    assert messages[0]["raw"]


def test_outbox_sends_through_the_modem_and_records_delivery(
        shop_dir: Path, devices: Any, engine_proc: Any) -> None:
    modem, _ = devices
    queued = cli(shop_dir, "sms", "send", "--to", "07700 900123", "--text",
                 "Your pizzas are ready 🍕")
    assert queued["state"] == "queued" and queued["to"] == "+447700900123"
    wait_until(lambda: modem.sent, WAIT, what="modem received the SMS")
    state = wait_until(lambda: [m["state"] for m in cli(shop_dir, "message", "list")
                                if m["id"] == queued["id"]
                                and m["state"] in ("sent", "delivered")], WAIT,
                       what="send recorded")
    assert state


def test_incoming_call_pops_with_the_customer(shop_dir: Path, devices: Any,
                                              engine_proc: Any) -> None:
    _, cid = devices
    client, events = subscribe(shop_dir)
    try:
        wait_until(lambda: any("VCID" in c or "CID" in c for c in cid.commands), WAIT,
                   what="caller-ID enabled")
        cid.ring("07700900123", "ANN SMITH")
        event = next_event(events, "incoming_call")
        assert event["call"]["number"] == "+447700900123"
        assert event["customer_id"]
        calls = cli(shop_dir, "call", "list")
        assert calls[0]["customer_name"] == "Ann Smith"
    finally:
        client.close()


def test_engine_refuses_a_second_writer(shop_dir: Path, engine_proc: Any) -> None:
    done = subprocess.run([CT, "engine", "--no-discovery"], env=cli_env(shop_dir), cwd=REPO,
                          check=False,
                          text=True, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "in use by countertop engine" in done.stderr
    assert os.path.exists(shop_dir / "engine.json")


def test_engine_takes_device_ports_from_the_till_settings(shop_dir: Path, devices: Any) -> None:
    modem, _ = devices
    (shop_dir / "ui_settings.json").write_text(json.dumps({"modem_port": modem.path}))
    proc = subprocess.Popen([CT, "engine", "--no-discovery"], env=cli_env(shop_dir), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    try:
        wait_until(lambda: any("CNMI" in c for c in modem.commands), WAIT, what="modem initialised")
        modem.deliver_text("+447700900123", "hello from the settings file")
        got = wait_until(lambda: cli(shop_dir, "message", "list"), WAIT, what="message stored")
        assert got[0]["body"] == "hello from the settings file"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
