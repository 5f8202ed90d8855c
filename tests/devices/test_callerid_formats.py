"""Caller-ID parser rules: rings, record completion, dates, SDMF/MDMF, units, garbage."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.callerid.caller_id_formats import (
    CallerIdOutput,
    CallerIdParser,
    DeviceNotice,
    clean_number,
    infer_datetime,
)
from devices.events import CallEvent, QuarantinedInput
from devices.simulated.caller_id_unit import (
    encode_mdmf,
    encode_sdmf,
    format_modem_record,
    format_netcallerid_line,
    format_tci_line,
    format_whozz_line,
)

TZ = ZoneInfo("Europe/London")


class StepClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> StepClock:
    return StepClock(datetime(2026, 7, 14, 12, 0, tzinfo=TZ))


@pytest.fixture
def parser(clock: StepClock) -> CallerIdParser:
    return CallerIdParser(tz=TZ, clock=clock)


def calls(items: list[CallerIdOutput]) -> list[CallEvent]:
    return [i for i in items if isinstance(i, CallEvent)]


def quarantined(items: list[CallerIdOutput]) -> list[QuarantinedInput]:
    return [i for i in items if isinstance(i, QuarantinedInput)]


# -- numbers and dates ---------------------------------------------------------

@pytest.mark.parametrize("field, expected", [
    ("(212) 555-4000", ("2125554000", "ok")),
    ("+44 20 7946 0958", ("+442079460958", "ok")),
    ("020 7946 0958", ("02079460958", "ok")),
    ("P", (None, "private")),
    ("A", (None, "private")),
    ("Restricted", (None, "private")),
    ("O", (None, "unavailable")),
    ("OUT-OF-AREA", (None, "unavailable")),
    ("", (None, "unknown")),
    ("MISSING NAME", (None, "unknown")),
])
def test_number_field_is_cleaned_as_received(field: str, expected: tuple[str | None, str]) -> None:
    assert clean_number(field) == expected


def test_december_call_seen_in_january_is_last_year() -> None:
    now = datetime(2027, 1, 2, 9, 0, tzinfo=TZ)
    assert infer_datetime(12, 31, 23, 59, now, TZ) == datetime(2026, 12, 31, 23, 59, tzinfo=TZ)
    assert infer_datetime(1, 2, 8, 59, now, TZ) == datetime(2027, 1, 2, 8, 59, tzinfo=TZ)


def test_slightly_fast_device_clock_stays_in_this_year() -> None:
    now = datetime(2026, 12, 31, 23, 58, tzinfo=TZ)
    assert infer_datetime(12, 31, 23, 59, now, TZ) == datetime(2026, 12, 31, 23, 59, tzinfo=TZ)


def test_impossible_dates_are_rejected() -> None:
    now = datetime(2027, 3, 1, 9, 0, tzinfo=TZ)
    assert infer_datetime(2, 29, 10, 0, now, TZ) is None  # neither 2027 nor 2026 is a leap year
    assert infer_datetime(13, 1, 10, 0, now, TZ) is None
    assert infer_datetime(1, 1, 24, 23, now, TZ) is None
    assert infer_datetime(2, 29, 10, 0, datetime(2028, 3, 1, tzinfo=TZ), TZ) == datetime(
        2028, 2, 29, 10, 0, tzinfo=TZ)


def test_times_are_local_to_the_shop(parser: CallerIdParser) -> None:
    out = calls(parser.feed(b"DATE = 0714\r\nTIME = 0930\r\nNMBR = 02079460958\r\nNAME = ANN\r\n"))
    assert out[0].at == datetime(2026, 7, 14, 9, 30, tzinfo=TZ)
    assert out[0].at.utcoffset() == timedelta(hours=1)  # British Summer Time


# -- record completion and rings -------------------------------------------------

def test_record_is_emitted_the_moment_number_and_name_are_known(parser: CallerIdParser) -> None:
    assert parser.feed(b"RING\r\n\r\nDATE = 0714\r\nTIME = 1159\r\nNMBR = 5551234\r\n") == []
    out = calls(parser.feed(b"NAME = JOHN DOE\r\n"))
    assert [(c.number, c.name, c.presentation) for c in out] == [("5551234", "JOHN DOE", "ok")]
    assert out[0].raw == "DATE = 0714\nTIME = 1159\nNMBR = 5551234\nNAME = JOHN DOE"
    assert parser.feed(b"\r\nRING\r\n") == []  # the second ring belongs to the same call


def test_number_only_record_waits_for_the_line_to_go_quiet(
        parser: CallerIdParser, clock: StepClock) -> None:
    assert parser.feed(b"RING\r\nDATE = 0714\r\nTIME = 1159\r\nNMBR = 5551234\r\n") == []
    clock.advance(0.1)
    assert parser.tick() == []
    clock.advance(0.3)
    out = calls(parser.tick())
    assert [(c.number, c.name, c.presentation) for c in out] == [("5551234", None, "ok")]
    assert not parser.has_pending


def test_number_only_record_is_closed_by_the_next_ring(parser: CallerIdParser) -> None:
    out = calls(parser.feed(b"RING\r\nDATE = 0714\r\nTIME = 1159\r\nNMBR = 5551234\r\nRING\r\n"))
    assert [c.number for c in out] == ["5551234"]


def test_repeated_field_starts_a_new_record(parser: CallerIdParser) -> None:
    out = calls(parser.feed(b"DATE = 0714\nTIME = 1100\nNMBR = 111\nDATE = 0714\nTIME = 1101\n"
                            b"NMBR = 222\nNAME = B\n"))
    assert [(c.number, c.name) for c in out] == [("111", None), ("222", "B")]


def test_dialable_number_next_to_number_gives_one_call(parser: CallerIdParser) -> None:
    out = calls(parser.feed(b"RING\r\nDATE = 0714\r\nTIME = 1100\r\nNMBR = 5551234\r\n"
                            b"NAME = ANN\r\nDDN_NMBR = 3125551234\r\nRING\r\n"))
    assert [(c.number, c.name) for c in out] == [("5551234", "ANN")]
    assert not parser.has_pending


def test_dialable_number_alone_is_the_number(parser: CallerIdParser) -> None:
    out = calls(parser.feed(b"DATE = 0714\r\nTIME = 1100\r\nDDN_NMBR = 3125551234\r\n"
                            b"NAME = ANN\r\n"))
    assert [(c.number, c.name) for c in out] == [("3125551234", "ANN")]


def test_unknown_tag_is_quarantined_without_cutting_the_record(parser: CallerIdParser) -> None:
    out = parser.feed(b"DATE = 0714\r\nTIME = 1100\r\nNMBR = 5551234\r\nLINE = 2\r\n"
                      b"NAME = ANN\r\n")
    assert [(c.number, c.name) for c in calls(out)] == [("5551234", "ANN")]
    assert [q.raw for q in quarantined(out)] == ["LINE = 2"]


def test_rings_without_caller_id_yield_one_unknown_call(
        parser: CallerIdParser, clock: StepClock) -> None:
    ring_at = clock.now
    assert parser.feed(b"RING\r\n") == []
    clock.advance(6)
    out = calls(parser.feed(b"RING\r\n"))
    assert [(c.number, c.presentation, c.at) for c in out] == [(None, "unknown", ring_at)]
    for _ in range(3):
        clock.advance(6)
        assert parser.feed(b"RING\r\n") == []
    clock.advance(60)  # the next caller
    assert parser.feed(b"RING\r\n") == []
    assert [c.number for c in calls(parser.feed(b"NMBR = 5551234\r\nNAME = X\r\n"))] == ["5551234"]


def test_a_single_ring_then_silence_is_still_a_call(
        parser: CallerIdParser, clock: StepClock) -> None:
    assert parser.feed(b"RING\r\n") == []
    clock.advance(5)
    assert parser.tick() == []
    clock.advance(5)
    assert [c.presentation for c in calls(parser.tick())] == ["unknown"]
    assert not parser.has_pending


def test_mesg_only_record_is_quarantined_and_the_ring_still_reported(
        parser: CallerIdParser, clock: StepClock) -> None:
    out = parser.feed(b"RING\r\nMESG = 06034242431\r\n")
    clock.advance(6)
    out += parser.feed(b"RING\r\n")
    assert [q.raw for q in quarantined(out)] == ["MESG = 06034242431"]
    assert [c.presentation for c in calls(out)] == ["unknown"]


def test_private_and_out_of_area_reason_codes(parser: CallerIdParser) -> None:
    out = calls(parser.feed(b"DATE = 0714\nTIME = 1100\nNMBR = P\nNAME = P\n"
                            b"DATE = 0714\nTIME = 1101\nNMBR = O\nNAME = O\n"))
    assert [(c.number, c.name, c.presentation) for c in out] == [
        (None, None, "private"), (None, None, "unavailable")]


# -- SDMF / MDMF -----------------------------------------------------------------------

WHEN = datetime(2026, 7, 14, 11, 58, tzinfo=TZ)


def _hex_line(frame: bytes) -> bytes:
    return b"RING\r\n\r\n" + frame.hex().upper().encode() + b"\r\n"


@pytest.mark.parametrize("number, name, reason, expected", [
    ("07700900123", "ANNE SHOP", None, ("07700900123", "ANNE SHOP", "ok")),
    ("+447700900123", None, None, ("+447700900123", None, "ok")),
    (None, None, "P", (None, None, "private")),
    (None, None, "O", (None, None, "unavailable")),
])
def test_mdmf_round_trip(parser: CallerIdParser, number: str | None, name: str | None,
                         reason: str | None, expected: tuple[object, ...]) -> None:
    frame = encode_mdmf(WHEN, number, name, number_reason=reason,
                        name_reason=reason if name is None else None)
    out = calls(parser.feed(_hex_line(frame)))
    assert [(c.number, c.name, c.presentation) for c in out] == [expected]
    assert out[0].at == WHEN
    assert out[0].raw == frame.hex().upper()


def test_known_mdmf_frame_decodes() -> None:
    """A hand-assembled MDMF message (bytes written out here, not by our encoder)."""
    body = bytes([0x80, 0x1D,
                  0x01, 0x08]) + b"07141158" + bytes([0x02, 0x0A]) + b"5551234567" + bytes(
        [0x07, 0x05]) + b"SMITH"
    frame = body + bytes([(-sum(body)) % 256])
    assert frame == encode_mdmf(WHEN, "5551234567", "SMITH")
    parser = CallerIdParser(tz=TZ, clock=lambda: WHEN)
    out = calls(parser.feed(frame.hex().encode() + b"\n"))
    assert [(c.number, c.name, c.at) for c in out] == [("5551234567", "SMITH", WHEN)]


@pytest.mark.parametrize("number, reason, expected", [
    ("5551234", None, ("5551234", "ok")),
    (None, "P", (None, "private")),
    (None, "O", (None, "unavailable")),
])
def test_sdmf_round_trip(parser: CallerIdParser, number: str | None, reason: str | None,
                         expected: tuple[object, ...]) -> None:
    out = calls(parser.feed(_hex_line(encode_sdmf(WHEN, number, reason))))
    assert [(c.number, c.presentation, c.at) for c in out] == [(*expected, WHEN)]


def test_bad_checksum_is_quarantined_with_the_reason(parser: CallerIdParser) -> None:
    frame = bytearray(encode_mdmf(WHEN, "5551234", "X"))
    frame[-1] ^= 0x01
    out = parser.feed(frame.hex().encode() + b"\r\n")
    assert calls(out) == []
    [item] = quarantined(out)
    assert "checksum" in item.reason and item.raw == frame.hex()  # kept as received
    assert item.source == "callerid"


@pytest.mark.parametrize("mangle, reason_word", [
    (lambda f: f[:-3], "truncated"),
    (lambda f: f + b"\x00", "after its checksum"),
    (lambda f: bytes([0x42]) + f[1:-1] + bytes([(-sum(bytes([0x42]) + f[1:-1])) % 256]),
     "message type"),
])
def test_malformed_frames_are_quarantined(parser: CallerIdParser, mangle: object,
                                          reason_word: str) -> None:
    frame = mangle(encode_mdmf(WHEN, "5551234", "X"))  # type: ignore[operator]
    [item] = quarantined(parser.feed(frame.hex().encode() + b"\n"))
    assert reason_word in item.reason


def test_mdmf_parameter_overrun_is_quarantined(parser: CallerIdParser) -> None:
    body = bytes([0x80, 0x04, 0x02, 0x09, 0x35, 0x35])
    frame = body + bytes([(-sum(body)) % 256])
    [item] = quarantined(parser.feed(frame.hex().encode() + b"\n"))
    assert "overruns" in item.reason


def test_message_waiting_is_a_notice_not_a_call(parser: CallerIdParser) -> None:
    body = bytes([0x82, 0x03, 0x0B, 0x01, 0xFF])
    frame = body + bytes([(-sum(body)) % 256])
    out = parser.feed(frame.hex().encode() + b"\n")
    assert out == [DeviceNotice("message_waiting", "on", frame.hex().upper())]


# -- standalone units --------------------------------------------------------------------

def test_tci_line_round_trip(parser: CallerIdParser) -> None:
    line = format_tci_line(datetime(2026, 7, 3, 0, 5, tzinfo=TZ), "2125554000", "Vähälä Joe",
                           line=2)
    assert len(line) == 70
    [call] = calls(parser.feed(line.encode("utf-8") + b"\r\n"))
    assert (call.number, call.name, call.line, call.at) == (
        "2125554000", "Vähälä Joe", "02", datetime(2026, 7, 3, 0, 5, tzinfo=TZ))


def test_tci_line_in_latin1_still_parses(parser: CallerIdParser) -> None:
    line = format_tci_line(WHEN, "2125554000", "Vähälä Joe")
    [call] = calls(parser.feed(line.encode("latin-1") + b"\r\n"))
    assert call.name == "Vähälä Joe"


def test_whozz_calling_format(parser: CallerIdParser) -> None:
    out = parser.feed(b"$01 I S 0000 G A0 09/26 01:28 AM 770-263-7111   CALLERID.COM\r\n"
                      b"$01 I E 0042 G A2 09/26 01:29 AM 770-263-7111   CALLERID.COM\r\n"
                      b"$02 O S 0000 G A0 09/26 01:30 PM 770-263-7111\r\n")
    assert [(c.number, c.name, c.line, c.at) for c in calls(out)] == [
        ("7702637111", "CALLERID.COM", "01", datetime(2025, 9, 26, 1, 28, tzinfo=TZ))]
    assert quarantined(out) == []


def test_whozz_calling_bad_checksum_is_quarantined(parser: CallerIdParser) -> None:
    [item] = quarantined(parser.feed(
        b"$01 I S 0000 B A0 09/26 01:28 AM 770-263-7111   CALLERID.COM\r\n"))
    assert "checksum" in item.reason


@pytest.mark.parametrize("formatter", [format_tci_line, format_whozz_line,
                                       format_netcallerid_line])
def test_unit_formats_round_trip_private_and_out_of_area(
        parser: CallerIdParser, formatter: object) -> None:
    lines = [formatter(WHEN, "5551234", "ANN", None),  # type: ignore[operator]
             formatter(WHEN, None, None, "P"),  # type: ignore[operator]
             formatter(WHEN, None, None, "O")]  # type: ignore[operator]
    out = calls(parser.feed("".join(f"{line}\r" for line in lines).encode()))
    assert [(c.number, c.name, c.presentation, c.at) for c in out] == [
        ("5551234", "ANN", "ok", WHEN), (None, None, "private", WHEN),
        (None, None, "unavailable", WHEN)]


def test_modem_record_formatter_round_trip(parser: CallerIdParser) -> None:
    text = "".join(f"{line}\r\n" for line in format_modem_record(WHEN, "5551234", "ANN"))
    assert [(c.number, c.name, c.at) for c in calls(parser.feed(text.encode()))] == [
        ("5551234", "ANN", WHEN)]


# -- chatter and garbage --------------------------------------------------------------------

def test_modem_chatter_is_ignored(parser: CallerIdParser) -> None:
    assert parser.feed(b"AT+VCID=1\r\r\nOK\r\n\r\nERROR\r\nATE0\r\nNO CARRIER\r\n\x00\r\n") == []


@pytest.mark.parametrize("line, reason_word", [
    (b"NMRB = 5551234", "unknown caller-ID field"),
    (b"###DATE0714...NMBR", "NetCallerID"),
    (b"01      7/14     13:36 PM       212-555-4000           X", "12-hour"),
    (b"\xff\xfe\x01garbage\x02", "unrecognised"),
    (b"04 12 30", "truncated"),
])
def test_broken_records_are_quarantined_not_dropped(
        parser: CallerIdParser, line: bytes, reason_word: str) -> None:
    [item] = parser.feed(line + b"\r\n")
    assert isinstance(item, QuarantinedInput)
    assert reason_word in item.reason
    assert item.at.tzinfo is TZ


def test_overlong_line_is_quarantined(parser: CallerIdParser) -> None:
    [item] = parser.feed(b"x" * 2000)
    assert isinstance(item, QuarantinedInput) and "too long" in item.reason


def test_parser_recovers_after_garbage(parser: CallerIdParser) -> None:
    out = parser.feed(b"\x00\x13\xff~~~\r\nDATE = 0714\r\nTIME = 1100\r\nNMBR = 5551234\r\n"
                      b"NAME = AFTER NOISE\r\n")
    assert [c.name for c in calls(out)] == ["AFTER NOISE"]
    assert len(quarantined(out)) == 1


@settings(max_examples=300, deadline=None)
@given(chunks=st.lists(st.binary(max_size=200), max_size=12))
def test_random_bytes_never_raise(chunks: list[bytes]) -> None:
    clock = StepClock(datetime(2026, 7, 14, 12, 0, tzinfo=TZ))
    parser = CallerIdParser(tz=TZ, clock=clock)
    out: list[CallerIdOutput] = []
    for chunk in chunks:
        out += parser.feed(chunk)
        clock.advance(1)
        out += parser.tick()
    out += parser.close()
    for item in out:
        assert isinstance(item, CallEvent | QuarantinedInput | DeviceNotice)
        if isinstance(item, CallEvent):
            assert item.at.tzinfo is not None
    # and it still parses a clean record afterwards
    tail = parser.feed(b"\r\nDATE = 0714\r\nTIME = 1100\r\nNMBR = 5551234\r\nNAME = OK NOW\r\n")
    assert [c.name for c in calls(tail)] == ["OK NOW"]


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=120))
def test_random_text_lines_never_raise(text: str) -> None:
    parser = CallerIdParser(tz=TZ, clock=lambda: WHEN)
    for item in parser.feed_line(text) + parser.close():
        assert isinstance(item, CallEvent | QuarantinedInput | DeviceNotice)
