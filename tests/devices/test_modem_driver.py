"""End to end over a pseudo-terminal: GSM modem simulator -> ModemDriver -> recording sink.

The real pyserial path runs; the simulator speaks the modem's AT dialect.
Tests wait on conditions (sink or simulator state), never on sleeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.events import Channel, OutgoingMessage
from devices.gsm.modem_driver import ModemDriver
from devices.gsm.multipart import MAX_GROUPS_PER_SENDER
from devices.gsm.part_store import PartStore
from devices.gsm.sms_pdu import SmsSubmit, clean_text
from devices.simulated.gsm_modem import GsmModemSimulator
from tests.devices.gsm_vectors import load_transcripts
from tests.helpers.recording_sink import RecordingSink
from tests.helpers.waiting import wait_until

LONG_TEXT = ("Hello, I'd like to order two large pepperoni pizzas, one garlic bread and a "
             "bottle of cola for delivery to 14 Station Road at half past seven. ") * 3
LONG_UCS2 = "Здравствуйте! Две пиццы «Маргарита» и одну «Пепперони», пожалуйста 🍕😀 " * 3
WAIT = 10.0

DriverFactory = Callable[..., ModemDriver]


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[GsmModemSimulator]:
    simulator = GsmModemSimulator(tmp_path / "ttyModem").start()
    yield simulator
    simulator.stop()


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def make_driver(sink: RecordingSink) -> Iterator[DriverFactory]:
    drivers: list[ModemDriver] = []

    def make(path: str, **options: object) -> ModemDriver:
        settings: dict[str, object] = {
            "sweep_interval": 30.0, "command_timeout": 1.0, "reconnect_delay": (0.05, 0.3),
            "send_backoff": 0.05, "sim_retry_interval": 0.2,
        }
        settings.update(options)
        driver = ModemDriver(path, sink, **settings)  # type: ignore[arg-type]
        drivers.append(driver)
        driver.start()
        return driver

    yield make
    for driver in drivers:
        driver.stop()


def ready(sim: GsmModemSimulator, sink: RecordingSink) -> None:
    """The driver is initialised (status ok) and has asked for +CMTI."""
    assert sink.wait_for_state("ok", WAIT), sink.statuses
    assert sim.wait_for(lambda: sim.cnmi_mt == 1, WAIT)


def sim_empty(sim: GsmModemSimulator) -> bool:
    return sim.wait_for(lambda: not sim.stored(), WAIT)


def count(sim: GsmModemSimulator, prefix: str) -> int:
    return sum(1 for c in sim.commands if c.upper().startswith(prefix))


# ------------------------------------------------------------------ receiving


def test_single_message_delivered_then_deleted(sim: GsmModemSimulator, sink: RecordingSink,
                                               make_driver: DriverFactory) -> None:
    make_driver(sim.path)
    ready(sim, sink)
    sim.deliver_text("+447700900123", "Two margheritas for 7pm please")
    assert sink.wait_for(lambda: len(sink.delivered) == 1, WAIT)
    message = sink.delivered[0]
    assert (message.channel, message.sender, message.body) == (
        Channel.SMS, "+447700900123", "Two margheritas for 7pm please")
    assert message.received_at.tzinfo is not None
    assert sim_empty(sim)
    # Status ok carries the signal bars from +CSQ (rssi 20 -> 4 bars).
    assert sink.statuses[-1].signal_bars == 4


def test_multipart_out_of_order(sim: GsmModemSimulator, sink: RecordingSink,
                                make_driver: DriverFactory) -> None:
    make_driver(sim.path)
    ready(sim, sink)
    pdus = sim.deliver_text("+447700900123", LONG_TEXT, order=[2, 0, 1])
    assert len(pdus) == 3
    assert sink.wait_for(lambda: len(sink.delivered) == 1, WAIT)
    assert sink.delivered[0].body == LONG_TEXT
    assert sink.delivered[0].missing_parts == ()
    assert sim_empty(sim)


def test_ucs2_multipart_with_sixteen_bit_reference(sim: GsmModemSimulator, sink: RecordingSink,
                                                   make_driver: DriverFactory) -> None:
    make_driver(sim.path)
    ready(sim, sink)
    sim.deliver_text("+79161234567", LONG_UCS2, order=[1, 3, 0, 2], reference_bits=16)
    assert sink.wait_for(lambda: len(sink.delivered) == 1, WAIT)
    assert sink.delivered[0].body == LONG_UCS2
    assert sink.delivered[0].meta["coding"] == "ucs2"


def test_lost_indication_found_by_sweep(sim: GsmModemSimulator, sink: RecordingSink,
                                        make_driver: DriverFactory) -> None:
    make_driver(sim.path, sweep_interval=0.3)
    ready(sim, sink)
    sweeps_before = count(sim, "AT+CMGL")
    sim.deliver_text("+447700900123", "nobody told you about me", drop_indications=[0])
    assert sink.wait_for(lambda: len(sink.delivered) == 1, WAIT)
    assert sink.delivered[0].body == "nobody told you about me"
    assert sim.indications == []  # no +CMTI was ever sent
    assert count(sim, "AT+CMGL") > sweeps_before
    assert sim_empty(sim)


def test_messages_on_sim_before_start_are_swept(sim: GsmModemSimulator, sink: RecordingSink,
                                                make_driver: DriverFactory) -> None:
    sim.deliver_text("+447700900001", "left from yesterday")
    sim.deliver_text("+447700900002", LONG_TEXT, order=[1, 0, 2])
    make_driver(sim.path)
    assert sink.wait_for(lambda: len(sink.delivered) == 2, WAIT)
    assert sorted(sink.bodies) == sorted(["left from yesterday", LONG_TEXT])
    assert sim_empty(sim)


def test_crash_between_deliver_and_delete_gives_same_dedupe_key(
        sim: GsmModemSimulator, sink: RecordingSink, make_driver: DriverFactory) -> None:
    make_driver(sim.path)
    ready(sim, sink)
    pulled = []

    def pull_cable_once(_message: object) -> None:
        # The ledger has the message; the USB cable goes before AT+CMGD can be sent.
        if not pulled:
            pulled.append(True)
            sim.unplug()

    sink.after_deliver = pull_cable_once
    sim.deliver_text("+447700900123", LONG_TEXT)
    assert sink.wait_for(lambda: len(sink.delivered) == 1, WAIT)
    assert sink.wait_for_state("disconnected", WAIT)
    assert len(sim.stored()) == 3  # nothing was deleted
    sim.replug()
    assert sink.wait_for(lambda: len(sink.delivered) == 2, WAIT)
    first, again = sink.delivered
    assert again.body == first.body == LONG_TEXT
    assert again.dedupe_key == first.dedupe_key
    assert sim_empty(sim)


def test_sink_failure_keeps_sim_copy_until_stored(sim: GsmModemSimulator, sink: RecordingSink,
                                                  make_driver: DriverFactory) -> None:
    make_driver(sim.path)
    ready(sim, sink)
    on_sim_at_refusal: list[int] = []
    sink.on_refuse = lambda _m: on_sim_at_refusal.append(len(sim.stored()))
    sink.refuse_all = True
    sim.deliver_text("+447700900123", "please keep me")
    assert sink.wait_for(lambda: len(sink.refused) >= 3, WAIT)
    assert count(sim, "AT+CMGD") == 0
    assert len(sim.stored()) == 1
    assert set(on_sim_at_refusal) == {1}
    with sink.lock:
        sink.refuse_all = False
    assert sink.wait_for(lambda: len(sink.delivered) == 1, WAIT)
    assert sink.delivered[0].body == "please keep me"
    assert sim_empty(sim)


def test_incomplete_multipart_released_with_gap(sim: GsmModemSimulator, sink: RecordingSink,
                                                make_driver: DriverFactory) -> None:
    make_driver(sim.path, multipart_timeout=0.3)
    ready(sim, sink)
    sim.deliver_text("+447700900123", LONG_TEXT, order=[0, 2])
    assert sink.wait_for(lambda: len(sink.delivered) == 1, WAIT)
    message = sink.delivered[0]
    assert message.missing_parts == (2,)
    assert "[part 2 of 3 missing]" in message.body
    assert message.body.startswith(LONG_TEXT[:100])
    assert sim_empty(sim)


def test_recorded_vectors_through_the_driver(sim: GsmModemSimulator, sink: RecordingSink,
                                             make_driver: DriverFactory) -> None:
    """Every recorded PDU on the simulated SIM: delivers are delivered, status reports reported,
    corrupt PDUs quarantined and deleted, stored outgoing messages left alone."""
    sim.capacity = 100
    expected_deliver = expected_reports = 0
    outgoing: list[int] = []
    for index, t in enumerate(load_transcripts(), start=1):
        pdu = t.decoded[0]["pdu"] if t.decoded else t.transcript.splitlines()[2]
        kind = t.decoded[0].get("type") if t.decoded else "Deliver"  # 04.dump: gammu gave up
        if kind == "Submit":  # includes corrupt 14 and 41: a phone's own sent messages
            outgoing.append(index)
        elif kind == "Status_Report":
            expected_reports += 1
        elif kind == "Deliver":
            expected_deliver += 1
        sim.store_at(index, pdu, stat=3 if kind == "Submit" else 0)
    make_driver(sim.path, multipart_timeout=0.2)
    assert sink.wait_for(lambda: len(sink.delivered) == expected_deliver
                         and len(sink.delivery_reports) == expected_reports, WAIT)
    # 20.dump (stored as received, broken) is the only one quarantined; SUBMITs stay.
    assert sink.wait_for(lambda: len(sink.quarantined) == 1, WAIT)
    assert sink.quarantined[0].raw == "058163465010D5B00C8163460653332000000000"
    assert sim.wait_for(lambda: set(sim.stored()) == set(outgoing), WAIT)
    assert len({m.dedupe_key for m in sink.delivered}) == expected_deliver
    concat = [m for m in sink.delivered if m.missing_parts]
    assert [m.missing_parts for m in concat] == [(2,)]  # 22.dump is part 1 of 2


def test_corrupt_incoming_pdu_is_quarantined_then_deleted(
        sim: GsmModemSimulator, sink: RecordingSink, make_driver: DriverFactory) -> None:
    make_driver(sim.path)
    ready(sim, sink)
    broken = "0791447700000000040C914477009103200000621132803031000BE8329BFD"  # UD cut short
    sim.deliver(broken)
    assert sink.wait_for(lambda: len(sink.quarantined) == 1, WAIT)
    item = sink.quarantined[0]
    assert (item.source, item.raw) == ("sms", broken)
    assert "truncated" in item.reason
    assert sim_empty(sim)
    sim.deliver_text("+447700900123", "after the broken one")
    assert sink.wait_for(lambda: sink.bodies == ["after the broken one"], WAIT)


def test_garbled_read_is_read_again_not_quarantined(
        sim: GsmModemSimulator, sink: RecordingSink, make_driver: DriverFactory) -> None:
    """A PDU mangled on the serial line (the SIM copy is fine) must not be quarantined."""
    make_driver(sim.path)
    ready(sim, sink)
    sim.garble_reads = 1
    sim.deliver_text("+447700900123", "mangled in transit once")
    assert sink.wait_for(lambda: sink.bodies == ["mangled in transit once"], WAIT)
    assert sink.quarantined == []
    assert sim.garble_reads == 0
    assert sim_empty(sim)


def test_garbage_on_the_line_does_not_stop_the_driver(
        sim: GsmModemSimulator, sink: RecordingSink, make_driver: DriverFactory) -> None:
    make_driver(sim.path)
    ready(sim, sink)
    sim.send_garbage(b"\xff\xfe\x00\x01\r\n+CMTI: \"SM\",banana\r\n+CMGL: x\r\nZZZZ\r\n" + b"#" * 5000)
    sim.send_garbage(b"\r\n+CMTI: \"SM\",17\r\n")  # index that holds nothing
    sim.deliver_text("+447700900123", "still here")
    assert sink.wait_for(lambda: sink.bodies == ["still here"], WAIT)
    assert sink.quarantined == []


# ------------------------------------------------------------------ sending


def _sent_text(sim: GsmModemSimulator) -> str:
    parts: list[SmsSubmit] = [s.decoded for s in sim.sent]
    ordered = sorted(parts, key=lambda p: p.concatenation.sequence if p.concatenation else 0)
    return clean_text("".join(p.text or "" for p in ordered))


def test_send_long_ucs2_text_arrives_as_correct_parts(
        sim: GsmModemSimulator, sink: RecordingSink, make_driver: DriverFactory) -> None:
    driver = make_driver(sim.path)
    ready(sim, sink)
    driver.submit(OutgoingMessage("out-1", Channel.SMS, "+447700900123", LONG_UCS2))
    assert sink.wait_for(lambda: len(sink.send_results) == 1, WAIT)
    result = sink.send_results[0]
    assert result.ok and result.outbox_id == "out-1"
    parts = [s.decoded for s in sim.sent]
    assert len(parts) >= 3
    assert {p.recipient.number for p in parts} == {"+447700900123"}
    assert {p.coding.alphabet.value for p in parts} == {"ucs2"}
    concat = [p.concatenation for p in parts]
    assert all(c is not None for c in concat)
    assert {(c.reference, c.total) for c in concat if c} == {(concat[0].reference, len(parts))}  # type: ignore[union-attr]
    assert [c.sequence for c in concat if c] == list(range(1, len(parts) + 1))
    assert all(p.status_report_request for p in parts)
    assert _sent_text(sim) == LONG_UCS2
    assert result.reference == ",".join(str(s.reference) for s in sim.sent)
    # Each part's status report comes back as a delivery report with its reference.
    assert sink.wait_for(lambda: len(sink.delivery_reports) == len(parts), WAIT)
    assert sorted(r.reference for r in sink.delivery_reports) == sorted(
        str(s.reference) for s in sim.sent)
    assert all(r.delivered and r.recipient == "+447700900123" for r in sink.delivery_reports)


def test_transient_send_errors_are_retried(sim: GsmModemSimulator, sink: RecordingSink,
                                           make_driver: DriverFactory) -> None:
    driver = make_driver(sim.path)
    ready(sim, sink)
    sim.fail_sends(2, cms_code=42)  # congestion, twice
    driver.submit(OutgoingMessage("out-2", Channel.SMS, "07700900123", "Your order is ready"))
    assert sink.wait_for(lambda: len(sink.send_results) == 1, WAIT)
    assert sink.send_results[0].ok
    assert _sent_text(sim) == "Your order is ready"
    assert count(sim, "AT+CMGS") == 3


def test_permanent_send_error_is_reported_not_retried(
        sim: GsmModemSimulator, sink: RecordingSink, make_driver: DriverFactory) -> None:
    driver = make_driver(sim.path)
    ready(sim, sink)
    sim.fail_sends(1, cms_code=21)  # short message transfer rejected
    driver.submit(OutgoingMessage("out-3", Channel.SMS, "+447700900123", "hello"))
    assert sink.wait_for(lambda: len(sink.send_results) == 1, WAIT)
    result = sink.send_results[0]
    assert not result.ok and not result.retry
    assert result.error is not None and "21" in result.error and "rejected" in result.error
    assert sim.sent == []


def test_unsendable_address_is_reported(sim: GsmModemSimulator, sink: RecordingSink,
                                        make_driver: DriverFactory) -> None:
    driver = make_driver(sim.path)
    ready(sim, sink)
    driver.submit(OutgoingMessage("out-4", Channel.SMS, "not a number", "hello"))
    assert sink.wait_for(lambda: len(sink.send_results) == 1, WAIT)
    assert not sink.send_results[0].ok and not sink.send_results[0].retry


# ------------------------------------------------------------------ recovery


def test_reset_modem_is_reinitialised(sim: GsmModemSimulator, sink: RecordingSink,
                                      make_driver: DriverFactory) -> None:
    make_driver(sim.path)
    ready(sim, sink)
    inits = count(sim, "AT+CNMI")
    sim.reset()  # boot notices; text mode and no +CMTI until initialised again
    assert sim.wait_for(lambda: count(sim, "AT+CNMI") > inits and sim.cnmi_mt == 1, WAIT)
    sim.deliver_text("+447700900123", "after the reset")
    assert sink.wait_for(lambda: sink.bodies == ["after the reset"], WAIT)


def test_silent_reset_is_noticed_and_swept(sim: GsmModemSimulator, sink: RecordingSink,
                                           make_driver: DriverFactory) -> None:
    make_driver(sim.path, sweep_interval=0.3)
    ready(sim, sink)
    sim.reset(silent=True)  # no boot notice: echo and text mode come back, +CMTI is off
    sim.deliver_text("+447700900123", "sent while nobody listened")
    assert sink.wait_for(lambda: sink.bodies == ["sent while nobody listened"], WAIT)
    assert sim.wait_for(lambda: sim.cnmi_mt == 1 and sim.cmgf == 0, WAIT)
    assert sim_empty(sim)


def test_unplug_and_replug(sim: GsmModemSimulator, sink: RecordingSink,
                           make_driver: DriverFactory) -> None:
    make_driver(sim.path)
    ready(sim, sink)
    sim.unplug()
    assert sink.wait_for_state("disconnected", WAIT)
    sim.deliver_text("+447700900123", "arrived while unplugged")  # kept on the SIM
    sim.replug()
    assert sink.wait_for(lambda: sink.bodies == ["arrived while unplugged"], WAIT)
    assert sink.wait_for_state("ok", WAIT)
    sim.deliver_text("+447700900123", "and after")
    assert sink.wait_for(lambda: len(sink.delivered) == 2, WAIT)


def test_port_absent_at_start_then_appears(tmp_path: Path, sink: RecordingSink,
                                           make_driver: DriverFactory) -> None:
    simulator = GsmModemSimulator(tmp_path / "late")
    make_driver(simulator.path)
    assert sink.wait_for_state("disconnected", WAIT)
    simulator.deliver_text("+447700900123", "hello late modem")
    simulator.start()
    try:
        assert sink.wait_for(lambda: sink.bodies == ["hello late modem"], WAIT)
    finally:
        simulator.stop()


def test_silent_modem_then_recovers(sim: GsmModemSimulator, sink: RecordingSink,
                                    make_driver: DriverFactory) -> None:
    make_driver(sim.path, sweep_interval=0.2, command_timeout=0.3)
    ready(sim, sink)
    sim.silent = True
    assert sink.wait_for_state("error", WAIT)
    assert "not responding" in sink.statuses[-1].detail
    sim.silent = False
    assert sink.wait_for_state("ok", WAIT)
    sim.deliver_text("+447700900123", "back again")
    assert sink.wait_for(lambda: sink.bodies == ["back again"], WAIT)


def test_slow_modem_still_works(sim: GsmModemSimulator, sink: RecordingSink,
                                make_driver: DriverFactory) -> None:
    sim.response_delay = 0.02
    driver = make_driver(sim.path)
    ready(sim, sink)
    sim.deliver_text("+447700900123", LONG_TEXT, order=[1, 2, 0])
    driver.submit(OutgoingMessage("slow", Channel.SMS, "+447700900123", "ok!"))
    assert sink.wait_for(lambda: sink.bodies == [LONG_TEXT] and len(sink.send_results) == 1,
                         WAIT)


def test_stop_is_bounded_and_closes_the_port(sim: GsmModemSimulator, sink: RecordingSink,
                                             make_driver: DriverFactory) -> None:
    driver = make_driver(sim.path)
    ready(sim, sink)
    sim.silent = True  # even while a command waits for an answer
    sim.deliver_text("+447700900123", "x")
    driver.stop(timeout=2.0)
    assert driver._thread is None
    assert driver._port is None


# ------------------------------------------------------------------ SIM and network states


def test_pin_entered_when_configured(tmp_path: Path, sink: RecordingSink,
                                     make_driver: DriverFactory) -> None:
    with GsmModemSimulator(tmp_path / "pin", pin="1234") as simulator:
        make_driver(simulator.path, pin="1234")
        ready(simulator, sink)
        assert 'AT+CPIN="1234"' in simulator.commands
        simulator.deliver_text("+447700900123", "unlocked")
        assert sink.wait_for(lambda: sink.bodies == ["unlocked"], WAIT)


def test_pin_needed_without_pin(tmp_path: Path, sink: RecordingSink,
                                make_driver: DriverFactory) -> None:
    with GsmModemSimulator(tmp_path / "pin", pin="1234") as simulator:
        make_driver(simulator.path)
        assert sink.wait_for_state("pin_needed", WAIT)
        assert not any(c.upper().startswith("AT+CPIN=") for c in simulator.commands)


def test_wrong_pin_is_tried_once_only(tmp_path: Path, sink: RecordingSink,
                                      make_driver: DriverFactory) -> None:
    with GsmModemSimulator(tmp_path / "pin", pin="1234") as simulator:
        make_driver(simulator.path, pin="9999")
        assert sink.wait_for_state("pin_needed", WAIT)
        assert "rejected" in sink.statuses[-1].detail
        # The driver keeps checking the SIM but never burns another attempt.
        assert simulator.wait_for(lambda: count(simulator, "AT+CPIN?") >= 3, WAIT)
        assert count(simulator, "AT+CPIN=") == 1


def test_no_sim(tmp_path: Path, sink: RecordingSink, make_driver: DriverFactory) -> None:
    with GsmModemSimulator(tmp_path / "nosim", sim_present=False) as simulator:
        make_driver(simulator.path)
        assert sink.wait_for_state("no_sim", WAIT)


def test_no_network_then_registered(tmp_path: Path, sink: RecordingSink,
                                    make_driver: DriverFactory) -> None:
    with GsmModemSimulator(tmp_path / "net", registration=2, signal_rssi=8) as simulator:
        make_driver(simulator.path)
        assert sink.wait_for_state("no_network", WAIT)
        assert sink.statuses[-1].signal_bars == 1
        assert simulator.wait_for(lambda: simulator.creg_n == 1, WAIT)
        simulator.set_registration(5)  # roaming counts as registered
        assert sink.wait_for_state("ok", WAIT)


def test_demo_mode_feeds_scripted_messages(sim: GsmModemSimulator, sink: RecordingSink,
                                           make_driver: DriverFactory) -> None:
    import threading

    from devices.simulated.gsm_modem import DEMO_MESSAGES, run_demo

    make_driver(sim.path)
    ready(sim, sink)
    stop = threading.Event()
    feeder = run_demo(sim, every=0.02, stop=stop)
    try:
        assert sink.wait_for(lambda: len(sink.delivered) >= 4, WAIT)
    finally:
        stop.set()
        feeder.join(2)
    assert not feeder.is_alive()
    texts = [text for _sender, text in DEMO_MESSAGES]
    assert sink.bodies[:4] == [texts[0], texts[1], texts[2], texts[0]]


def test_stored_status_reports_when_modem_cannot_route_them(
        sim: GsmModemSimulator, sink: RecordingSink, make_driver: DriverFactory) -> None:
    """A modem without +CDS routing (ds=1) stores reports and says +CDSI; the driver falls
    back to that, reads each report, passes it on and deletes it."""
    sim.supported_ds = {0, 2}
    driver = make_driver(sim.path)
    ready(sim, sink)
    assert sim.cnmi_ds == 2
    driver.submit(OutgoingMessage("out-5", Channel.SMS, "+447700900123", "on its way"))
    assert sink.wait_for(lambda: len(sink.delivery_reports) == 1, WAIT)
    [result] = sink.send_results
    assert sink.delivery_reports[0].reference == result.reference
    assert sim_empty(sim)
    assert sink.delivered == []


def test_modem_silent_during_send_then_send_completes_once(
        sim: GsmModemSimulator, sink: RecordingSink, make_driver: DriverFactory) -> None:
    driver = make_driver(sim.path, command_timeout=0.3, send_timeout=0.3)
    ready(sim, sink)
    sim.silent = True
    driver.submit(OutgoingMessage("out-6", Channel.SMS, "+447700900123", "hello again"))
    assert sink.wait_for_state("error", WAIT)
    assert sink.send_results == []
    sim.silent = False
    assert sink.wait_for(lambda: len(sink.send_results) == 1, WAIT)
    assert sink.send_results[0].ok
    assert [s.decoded.text for s in sim.sent] == ["hello again"]


def test_second_driver_cannot_take_the_same_port(sim: GsmModemSimulator, sink: RecordingSink,
                                                 make_driver: DriverFactory) -> None:
    make_driver(sim.path)
    ready(sim, sink)
    other_sink = RecordingSink()
    other = ModemDriver(sim.path, other_sink, reconnect_delay=(0.05, 0.1))
    other.start()
    try:
        assert other_sink.wait_for_state("disconnected", WAIT)
        assert "lock" in other_sink.statuses[-1].detail.lower()
    finally:
        other.stop()
    sim.deliver_text("+447700900123", "only once")
    assert sink.wait_for(lambda: sink.bodies == ["only once"], WAIT)
    assert other_sink.delivered == []


def test_quarantine_failure_keeps_the_broken_pdu_on_the_sim(
        sim: GsmModemSimulator, sink: RecordingSink, make_driver: DriverFactory) -> None:
    make_driver(sim.path, sweep_interval=0.2)
    ready(sim, sink)
    sink.refuse_quarantine = True
    broken = "058163465010D5B00C8163460653332000000000"  # 20.dump
    sim.deliver(broken)
    assert sink.wait_for(lambda: sink.quarantine_attempts >= 2, WAIT)
    assert count(sim, "AT+CMGD") == 0
    assert [m.pdu for m in sim.stored().values()] == [broken]
    with sink.lock:
        sink.refuse_quarantine = False
    assert sink.wait_for(lambda: len(sink.quarantined) == 1, WAIT)
    assert sim_empty(sim)


# ------------------------------------------------------------------ SIM exhaustion (issue 15)


def _long(parts: int) -> str:
    """GSM 7-bit text that needs exactly ``parts`` parts (153 characters each)."""
    words = "".join(f"{i % 10}" for i in range(153 * parts))
    return words[: 153 * parts]


def test_a_255_part_message_assembles_on_a_30_slot_sim(
        tmp_path: Path, sink: RecordingSink, make_driver: DriverFactory) -> None:
    """Parts used to wait on the SIM: 30 slots, 255 parts, never whole. Now each part
    moves to the till's disk as it arrives and its slot is freed."""
    store = PartStore(tmp_path / "parts")
    with GsmModemSimulator(tmp_path / "tty255", capacity=30) as simulator:
        make_driver(simulator.path, part_store=store)
        ready(simulator, sink)
        text = _long(255)
        pdus = simulator.deliver_text("+447700900123", text)
        assert len(pdus) == 255
        assert sink.wait_for(lambda: len(sink.delivered) == 1, 120)
        assert sink.delivered[0].body == text
        assert sink.delivered[0].missing_parts == ()
        assert sim_empty(simulator) and simulator.waiting_at_network == 0
        wait_until(lambda: len(store) == 0, WAIT, what="the kept parts to go")


def test_thirty_first_parts_do_not_stop_sms_intake(
        tmp_path: Path, sink: RecordingSink, make_driver: DriverFactory) -> None:
    store = PartStore(tmp_path / "parts")
    with GsmModemSimulator(tmp_path / "tty30", capacity=30) as simulator:
        make_driver(simulator.path, part_store=store)
        ready(simulator, sink)
        halves = []
        for i in range(30):  # thirty senders, each sends the first of two parts
            pdus = simulator.deliver_text(f"+4477009{i:05d}", _long(2), order=[0])
            halves.append(pdus[1])
        simulator.deliver_text("+447700999999", "Still open at 9?")
        assert sink.wait_for(lambda: any(m.body == "Still open at 9?" for m in sink.delivered),
                             WAIT)
        assert sim_empty(simulator) and simulator.waiting_at_network == 0
        assert len(store) == 30  # the first parts wait on disk, not on the SIM
        for pdu in halves:  # the second parts arrive: every message assembles whole
            simulator.deliver(pdu)
        assert sink.wait_for(lambda: len(sink.delivered) == 31, 30)
        assert all(m.missing_parts == () for m in sink.delivered)
        assert sim_empty(simulator)
        wait_until(lambda: len(store) == 0, WAIT, what="the kept parts to go")


def test_one_sender_cannot_hold_more_than_its_share(
        tmp_path: Path, sink: RecordingSink, make_driver: DriverFactory) -> None:
    store = PartStore(tmp_path / "parts")
    with GsmModemSimulator(tmp_path / "ttyone", capacity=30) as simulator:
        make_driver(simulator.path, part_store=store)
        ready(simulator, sink)
        for i in range(30):  # one sender, thirty unfinished messages
            simulator.deliver_text("+447700900123", _long(2)[:-2] + f"{i:02d}", order=[0],
                                   reference=i)
        # past the per-sender bound its oldest are released, gaps marked
        assert sink.wait_for(lambda: len(sink.delivered) == 30 - MAX_GROUPS_PER_SENDER, 30)
        assert all(m.missing_parts == (2,) for m in sink.delivered)
        assert sim_empty(simulator)
        wait_until(lambda: len(store) == MAX_GROUPS_PER_SENDER, WAIT, what="the bound")


def test_parts_kept_on_disk_survive_a_driver_restart(
        tmp_path: Path, sink: RecordingSink, make_driver: DriverFactory) -> None:
    store = PartStore(tmp_path / "parts")
    with GsmModemSimulator(tmp_path / "ttyrs", capacity=30) as simulator:
        first = make_driver(simulator.path, part_store=store)
        ready(simulator, sink)
        pdus = simulator.deliver_text("+447700900123", LONG_TEXT, order=[0, 1])
        assert simulator.wait_for(lambda: len(store) == 2 and not simulator.stored(), WAIT)
        first.stop()
        make_driver(simulator.path, part_store=PartStore(tmp_path / "parts"))
        simulator.deliver(pdus[2])
        assert sink.wait_for(lambda: len(sink.delivered) == 1, WAIT)
        assert sink.delivered[0].body == LONG_TEXT
        wait_until(lambda: len(store) == 0, WAIT, what="the kept parts to go")
