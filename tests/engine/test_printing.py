"""Tickets that reach a printer: a printer emulated on a pty (serial) and on a loopback
TCP port (port-9100 style, ephemeral) captures the bytes; the test decodes the ESC/POS
commands and checks the text, the cut and the QR code; auto-print on a chosen status."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from app.engine.printing import AutoPrint, open_printer, ticket_bytes
from app.engine.till_engine import TillEngine
from app.till_settings import TillSettings
from sync.changes import Changes
from sync.errors import CommandRejected, DeviceError
from tests.helpers.commands import run
from tests.helpers.escpos_decode import decode
from tests.helpers.waiting import wait_until


class TcpPrinter:
    """A port-9100 printer on loopback: keeps every byte of each connection."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.jobs: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                chunks = []
                while True:
                    try:
                        data = conn.recv(65536)
                    except TimeoutError:
                        break
                    if not data:
                        break
                    chunks.append(data)
                self.jobs.append(b"".join(chunks))

    def close(self) -> None:
        self.sock.close()


class PtyPrinter:
    """A serial printer on a pseudo-terminal: the app opens the slave end with pyserial."""

    def __init__(self) -> None:
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        self._slave = slave  # kept open so the pty stays up between jobs
        self.data = bytearray()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.data.extend(chunk)

    def close(self) -> None:
        os.close(self._slave)
        os.close(self.master)


@pytest.fixture
def order(engine: TillEngine) -> dict[str, Any]:
    run(engine, "product.update", {"sku": "MILK", "fields": {"tax_rate": "20"}})
    o = run(engine, "order.add", {"lines": [
        {"sku": "BREAD", "qty": "2", "modifiers": ["sliced"], "notes": "well done"},
        {"sku": "MILK", "qty": "1"}], "customer": "ann@example.com",
        "notes": "ring the bell"})
    run(engine, "order.pay", {"order": o["number"], "amount": "10", "method": "cash"})
    return o


def test_receipt_over_tcp_has_header_lines_tax_payments_change_qr_and_cut(
        engine: TillEngine, order: dict[str, Any]) -> None:
    printer = TcpPrinter()
    try:
        result = run(engine, "print.ticket", {"order": order["number"],
                                              "printer": f"tcp://127.0.0.1:{printer.port}"})
        wait_until(lambda: printer.jobs, 5, what="the print job")
    finally:
        printer.close()
    assert result["bytes"] == len(printer.jobs[0])
    ticket = decode(printer.jobs[0])
    assert ticket.initialised and ticket.cuts == 1
    assert ticket.qr == [order["number"]]
    text = ticket.text
    assert "Corner Shop" in text and order["number"] in text and "Ann Smith" in text
    assert "2 x Sourdough bread" in text and "5.00" in text and "   sliced" in text
    assert "   well done" in text and "1 x Whole milk" in text
    assert any(line.startswith("TOTAL") and line.endswith("6.20") for line in ticket.lines)
    assert any("incl. tax 20%" in line and line.endswith("0.20") for line in ticket.lines)
    assert any(line.startswith("Cash") and line.endswith("10.00") for line in ticket.lines)
    assert any(line.startswith("CHANGE") and line.endswith("3.80") for line in ticket.bold_lines)


def test_kitchen_ticket_over_a_serial_pty_has_no_prices(engine: TillEngine,
                                                        order: dict[str, Any]) -> None:
    printer = PtyPrinter()
    try:
        settings = TillSettings(engine.data_dir.root)
        settings.set("kitchen_printer", f"serial:{printer.path}@19200")
        settings.save()
        run(engine, "print.ticket", {"order": order["number"], "kind": "kitchen"})
        wait_until(lambda: b"\x1dV" in printer.data, 5, what="the cut")
        ticket = decode(bytes(printer.data))
    finally:
        printer.close()
    assert "KITCHEN" in ticket.text and "2 x Sourdough bread" in ticket.bold_lines
    assert "ring the bell" in ticket.text
    assert "5.00" not in ticket.text and "TOTAL" not in ticket.text and "€" not in ticket.text
    assert ticket.qr == [order["number"]] and ticket.cuts == 1


def test_text_in_other_code_pages_prints_as_written(engine: TillEngine) -> None:
    data = ticket_bytes({"number": "A-0001", "lines": [
        {"qty": "1", "description": "Crème brûlée", "line_total": 450}], "total": 450,
        "balance": 450, "payments": []}, {"name": "Café Zoë", "currency": "EUR"}, "receipt",
        {})
    ticket = decode(data)
    assert "Café Zoë" in ticket.text and "1 x Crème brûlée" in ticket.text
    assert any(line.startswith("Still to pay") for line in ticket.lines)


def test_auto_print_on_the_chosen_status_once(engine: TillEngine,
                                             order: dict[str, Any]) -> None:
    printer = TcpPrinter()
    try:
        settings = TillSettings(engine.data_dir.root)
        settings.set("receipt_printer", f"tcp://127.0.0.1:{printer.port}")
        settings.set("auto_print_kitchen", "confirmed")
        settings.save()
        auto = AutoPrint(engine)
        engine.subscribe(auto.on_changes)  # as the long-running engine attaches it
        run(engine, "order.set_status", {"order": order["number"], "status": "confirmed"})
        wait_until(lambda: printer.jobs, 5, what="the kitchen ticket")
        assert "KITCHEN" in decode(printer.jobs[0]).text
        auto.on_changes(Changes(orders={order["id"]}))  # the same move again: no reprint
        run(engine, "order.set_status", {"order": order["number"], "status": "ready"})
        assert len(printer.jobs) == 1
        assert AutoPrint(engine).wanted(Changes(orders={order["id"]})) == []  # remembered
    finally:
        printer.close()


@pytest.mark.parametrize(("url", "words"), [
    ("lpt1", "is not a printer address"), ("tcp://127.0.0.1:notaport", "not a printer"),
    ("usb:zz:01", "not a printer address")])
def test_bad_printer_addresses_are_refused(url: str, words: str) -> None:
    with pytest.raises(CommandRejected, match=words):
        open_printer(url)


def test_printing_problems_are_said_plainly(engine: TillEngine, order: dict[str, Any],
                                            tmp_path: Path) -> None:
    with pytest.raises(CommandRejected, match="has no printer set"):
        run(engine, "print.ticket", {"order": order["number"]})
    with pytest.raises(CommandRejected, match="no order"):
        run(engine, "print.ticket", {"order": "A-9999", "printer": "tcp://127.0.0.1:9"})
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(DeviceError, match="did not take the ticket"):
        run(engine, "print.ticket", {"order": order["number"],
                                     "printer": f"tcp://127.0.0.1:{port}"})
    with pytest.raises(DeviceError, match="did not take the ticket"):
        run(engine, "print.ticket", {"order": order["number"],
                                     "printer": f"serial:{tmp_path}/no-such-tty"})
