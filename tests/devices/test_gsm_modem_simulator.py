"""The modem simulator speaks the dialect of the recorded transcripts, over a real pty."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from devices.gsm.modem_at import (
    AtEvent,
    AtParser,
    FinalResult,
    MessageListing,
    MessageRead,
    MessageSent,
    NewMessage,
    PinState,
    Prompt,
    ResponseLine,
    StatusReportPdu,
    TextModeLine,
    format_command,
    format_pdu_payload,
)
from devices.gsm.sms_pdu import SmsDeliver, SmsStatusReport, decode_pdu, encode_submit
from devices.simulated.gsm_modem import GsmModemSimulator
from tests.devices.gsm_vectors import load_transcripts


class Terminal:
    """A bare serial client: write a command, collect parsed events up to the final result."""

    def __init__(self, path: str) -> None:
        self.port = serial.serial_for_url(path, timeout=0.05)
        self.parser = AtParser()
        self.unsolicited: list[AtEvent] = []

    def close(self) -> None:
        self.port.close()

    def read_until(self, done: type, timeout: float = 5.0) -> list[AtEvent]:
        events: list[AtEvent] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = self.port.read(1)
            if data and self.port.in_waiting:
                data += self.port.read(self.port.in_waiting)
            events += self.parser.feed(data)
            if any(isinstance(e, done) for e in events):
                return events
        raise AssertionError(f"no {done.__name__} in {events}")

    def run(self, command: str, pdu: str | None = None) -> list[AtEvent]:
        self.port.write(format_command(command))
        if pdu is not None:
            events = self.read_until(Prompt)
            self.port.write(format_pdu_payload(pdu))
            return events + self.read_until(FinalResult)
        return self.read_until(FinalResult)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[GsmModemSimulator]:
    with GsmModemSimulator(tmp_path / "modem") as simulator:
        yield simulator


@pytest.fixture
def term(sim: GsmModemSimulator) -> Iterator[Terminal]:
    terminal = Terminal(sim.path)
    terminal.run("ATE0")
    terminal.run("AT+CMGF=0")
    yield terminal
    terminal.close()


@pytest.mark.parametrize("transcript", load_transcripts(), ids=lambda t: t.name)
def test_replay_recorded_read_command(sim: GsmModemSimulator, term: Terminal,
                                      transcript: object) -> None:
    """Store the recorded PDU at the recorded index, send the recorded command, get the
    recorded PDU back in the same +CMGR shape."""
    from tests.devices.gsm_vectors import Transcript
    assert isinstance(transcript, Transcript)
    lines = transcript.transcript.splitlines()
    command = lines[0]
    match = re.fullmatch(r"AT\+CMGR=(\d+)", command)
    assert match, command
    recorded = [e for e in AtParser().feed(transcript.transcript.encode()) if isinstance(e, MessageRead)]
    sim.store_at(int(match.group(1)), recorded[0].pdu or "", stat=max(recorded[0].stat, 0))
    events = term.run(command)
    [read] = [e for e in events if isinstance(e, MessageRead)]
    assert read.pdu == recorded[0].pdu
    assert events[-1] == FinalResult(True, "OK", line="OK")


def test_cmti_list_read_delete_cycle(sim: GsmModemSimulator, term: Terminal) -> None:
    term.run("AT+CNMI=2,1,0,1,0")
    index = sim.deliver_text("+447700900123", "hello")
    assert index
    [indication] = [e for e in term.read_until(NewMessage) if isinstance(e, NewMessage)]
    assert indication == NewMessage("SM", 1)
    [listing] = [e for e in term.run("AT+CMGL=4") if isinstance(e, MessageListing)]
    assert listing.stat == 0 and listing.pdu is not None
    decoded = decode_pdu(listing.pdu)
    assert isinstance(decoded, SmsDeliver) and decoded.text == "hello"
    assert listing.length == len(listing.pdu) // 2 - 1 - int(listing.pdu[:2], 16)
    [again] = [e for e in term.run("AT+CMGR=1") if isinstance(e, MessageRead)]
    assert again.stat == 1  # read now
    assert term.run("AT+CMGD=1")[-1] == FinalResult(True, "OK", line="OK")
    assert sim.stored() == {}
    assert term.run("AT+CMGR=1")[-1] == FinalResult(False, "CMS", 321, "invalid memory index",
                                                    "+CMS ERROR: 321")


def test_full_sim_holds_messages_at_the_network(sim: GsmModemSimulator, term: Terminal) -> None:
    sim.capacity = 2
    for i in range(4):
        sim.deliver_text("+447700900123", f"message {i}")
    assert len(sim.stored()) == 2 and sim.waiting_at_network == 2
    term.run("AT+CMGD=1")
    assert len(sim.stored()) == 2 and sim.waiting_at_network == 1


def test_send_with_prompt_and_status_report(sim: GsmModemSimulator, term: Terminal) -> None:
    term.run("AT+CNMI=2,1,0,1,0")
    [pdu] = encode_submit("+447700900123", "ready!", request_status_report=True)
    events = term.run(f"AT+CMGS={pdu.tpdu_length}", pdu.hex)
    [sent] = [e for e in events if isinstance(e, MessageSent)]
    assert sim.sent[0].reference == sent.reference
    if not any(isinstance(e, StatusReportPdu) for e in events):
        events += term.read_until(StatusReportPdu)
    [report] = [e for e in events if isinstance(e, StatusReportPdu)]
    assert report.pdu is not None
    decoded = decode_pdu(report.pdu)
    assert isinstance(decoded, SmsStatusReport)
    assert decoded.message_reference == sent.reference and decoded.delivered


def test_send_with_wrong_length_or_injected_error(sim: GsmModemSimulator, term: Terminal) -> None:
    [pdu] = encode_submit("+447700900123", "x")
    events = term.run(f"AT+CMGS={pdu.tpdu_length + 1}", pdu.hex)
    assert events[-1] == FinalResult(False, "CMS", 304, "invalid PDU mode parameter",
                                     "+CMS ERROR: 304")
    sim.fail_sends(1, 38)
    events = term.run(f"AT+CMGS={pdu.tpdu_length}", pdu.hex)
    final = events[-1]
    assert isinstance(final, FinalResult) and final.code == 38 and final.transient
    assert sim.sent == []


def test_reset_brings_back_echo_and_text_mode(sim: GsmModemSimulator, term: Terminal) -> None:
    sim.deliver_text("+447700900123", "hi")
    sim.reset()
    events = term.run("AT+CMGL=\"ALL\"")
    assert any(isinstance(e, TextModeLine) for e in events)
    assert any(isinstance(e, ResponseLine) and e.text == "hi" for e in events)


def test_pin_states(tmp_path: Path) -> None:
    with GsmModemSimulator(tmp_path / "pin", pin="0000") as simulator:
        terminal = Terminal(simulator.path)
        try:
            terminal.run("AT+CMEE=1")
            assert PinState("SIM PIN") in terminal.run("AT+CPIN?")
            assert terminal.run("AT+CMGL=4")[-1] == FinalResult(
                False, "CMS", 311, "SIM PIN required", "+CMS ERROR: 311")
            for _ in range(3):
                terminal.run('AT+CPIN="1111"')
            assert PinState("SIM PUK") in terminal.run("AT+CPIN?")
        finally:
            terminal.close()
