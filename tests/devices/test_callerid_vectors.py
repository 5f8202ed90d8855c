"""NCID's caller-ID test vectors through the parser, with expectations written out record by record.

The vector files mark a device line end with a literal ``\\n`` (``\\r`` for a
bare carriage return); a line starting with ``# `` is a comment of the file, not
device output. No expected output ships with them: the expectations below are
derived from the formats (see ``devices/callerid/caller_id_formats.py``).
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from devices.callerid.caller_id_formats import CallerIdOutput, CallerIdParser, DeviceNotice
from devices.events import CallEvent, QuarantinedInput
from tests.helpers.vectors import vector_path

TZ = ZoneInfo("America/New_York")
# Mid-January: a vector dated later in the year must land in the year before.
NOW = datetime(2027, 1, 15, 10, 0, tzinfo=TZ)
ARRIVAL = NOW  # what a record without a usable date/time is stamped with


def _device_bytes(name: str) -> bytes:
    """The vector file as the bytes a device would have sent."""
    out = []
    for line in vector_path("callerid", name).read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            continue
        out.append(line.replace("\\n", "\n").replace("\\r", "\r") + "\n")
    return "".join(out).encode("utf-8")


def _parse(data: bytes, chunk: int | None = None) -> list[CallerIdOutput]:
    parser = CallerIdParser(tz=TZ, clock=lambda: NOW)
    out: list[CallerIdOutput] = []
    step = chunk or len(data)
    for i in range(0, len(data), step):
        out.extend(parser.feed(data[i:i + step]))
    out.extend(parser.close())
    return out


def _summary(item: CallerIdOutput) -> tuple[object, ...]:
    if isinstance(item, CallEvent):
        return (item.at, item.number, item.name, item.presentation, item.line)
    return (type(item).__name__, item.raw)


def at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


MODEM_EXPECTED = [
    # MESG = 110101 (unparsed call-type parameter), NMBR = P, NAME = WITHHELD;
    # April is after mid-January, so it was last year.
    (at(2026, 4, 21, 9, 34), None, None, "private", None),
    (at(2027, 1, 3, 12, 54), "9415557218", "SARASOTA,FL", "ok", None),  # DDN_NMBR
    (at(2027, 1, 3, 13, 34), "9415557218", "Tucson,AZ", "ok", None),  # DDN
    # "DDN = MISSING NAME": text, not a number; blank line inside the record; closed by RING.
    (at(2027, 1, 3, 13, 34), None, None, "unknown", None),
    # empty DATE/TIME -> arrival time; "NO TIME" in the number field is no number.
    (ARRIVAL, None, "NO DATE", "unknown", None),
    (at(2027, 1, 6, 14, 15), None, None, "unknown", None),  # DATE TIME=01/06 14:15
    (at(2027, 1, 7, 15, 18), "0000000000", "PrivDirOff", "ok", None),
    (at(2026, 1, 28, 15, 9), "9085555002", "Vähälä", "ok", None),  # 28 Jan is ahead of 15 Jan
    (at(2026, 3, 19, 12, 29), "4075552120", "TIME WARNER COM", "ok", None),
    (at(2026, 3, 10, 17, 10), "0000000000", "PrivDirOff", "ok", None),  # NMBR before NAME
    (ARRIVAL, "6305551500", "ELMHURST, IL", "ok", None),  # TIME = 12541 is no HHMM
    (ARRIVAL, "8175558399", "EULESS, TX", "ok", None),  # record before its RING
    (at(2026, 4, 7, 12, 0), "14075552120", "NO NAME", "ok", None),
    (ARRIVAL, "14075552120", "eleven digits", "ok", None),  # TIME = 2423 is impossible
    (ARRIVAL, "4075552120", "ten digits", "ok", None),
    (ARRIVAL, "075552120", "nine digits", "ok", None),  # leading 0 kept
    (ARRIVAL, "95552120", "eight digits", "ok", None),
    (ARRIVAL, "5552120", "seven digits", "ok", None),
    (ARRIVAL, "2120", "four digits", "ok", None),
    (at(2026, 9, 26, 19, 33), None, None, "private", None),  # Restricted / Unavailable
]

DEVICE_EXPECTED: list[tuple[object, ...]] = [
    # TCI 70-column lines
    (at(2026, 9, 3, 12, 36), None, None, "private", "01"),
    (at(2026, 9, 4, 13, 29), "2125554000", "Vähälä Joe", "ok", "01"),
    (at(2026, 9, 5, 11, 17), "7025551145", "CARD SERVICES", "ok", "01"),
    (at(2026, 9, 5, 0, 11), None, None, "unavailable", "02"),  # 12:11 AM is just after midnight
    (at(2026, 9, 6, 14, 23), "9415557218", "SARASOTA, FL", "ok", "03"),
    (at(2026, 9, 3, 14, 25), "4075557777", "John on Cell", "ok", "01"),
    # NetCallerID
    (at(2026, 3, 30, 14, 23), "4075551212", "WIRELESS CALL", "ok", None),
    (at(2026, 3, 30, 14, 23), None, None, "unavailable", None),  # -UNKNOWN CALLER-
    (at(2026, 3, 30, 14, 23), None, None, "unknown", None),  # nothing at all
    ("DeviceNotice", "###DATE...NMBR...NAME   -MSG OFF-+++"),  # message-waiting lamp, no call
]


def test_modem_vectors_record_by_record() -> None:
    assert [_summary(item) for item in _parse(_device_bytes("ncid-test-modem-calls.data"))] \
        == MODEM_EXPECTED


def test_device_vectors_record_by_record() -> None:
    assert [_summary(item) for item in _parse(_device_bytes("ncid-test-device-calls.data"))] \
        == DEVICE_EXPECTED


@pytest.mark.parametrize("name", ["ncid-test-modem-calls.data", "ncid-test-device-calls.data"])
@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_vectors_parse_the_same_in_any_chunking(name: str, chunk: int) -> None:
    data = _device_bytes(name)
    assert [_summary(i) for i in _parse(data, chunk)] == [_summary(i) for i in _parse(data)]


@pytest.mark.parametrize("name", ["ncid-test-modem-calls.data", "ncid-test-device-calls.data"])
def test_vectors_with_crlf_line_ends_parse_the_same(name: str) -> None:
    data = _device_bytes(name)
    crlf = data.replace(b"\r", b"").replace(b"\n", b"\r\n")
    if b"###" in data:  # NetCallerID sends a bare CR: keep those lines as they are
        crlf = data
    assert [_summary(i) for i in _parse(crlf)] == [_summary(i) for i in _parse(data)]


@pytest.mark.parametrize("name", ["ncid-test-modem-calls.data", "ncid-test-device-calls.data"])
def test_every_vector_record_is_structurally_sound(name: str) -> None:
    source = vector_path("callerid", name).read_text(encoding="utf-8")
    source = source.replace("\\n", "\n").replace("\\r", "")
    items = _parse(_device_bytes(name))
    assert items, "vectors produced nothing"
    assert not [i for i in items if isinstance(i, QuarantinedInput)]
    for item in items:
        assert isinstance(item, CallEvent | DeviceNotice)
        for raw_line in item.raw.splitlines():
            assert raw_line.strip() in source
        if not isinstance(item, CallEvent):
            continue
        assert item.at.tzinfo is TZ
        assert item.at <= NOW
        assert item.presentation in {"ok", "private", "unavailable", "unknown"}
        assert (item.number is not None) == (item.presentation == "ok")
        if item.number is not None:
            assert re.fullmatch(r"\+?\d+", item.number)
        assert item.name is None or item.name == item.name.strip() != ""


def test_modem_vector_call_count_matches_records_in_file() -> None:
    """Every record with a number or name field in the modem file yields exactly one call."""
    text = vector_path("callerid", "ncid-test-modem-calls.data").read_text(encoding="utf-8")
    records = [chunk for chunk in re.split(r"\n\s*\n", text)
               if re.search(r"(NMBR|DDN|NAME)\s*=", chunk)]
    calls = [i for i in _parse(_device_bytes("ncid-test-modem-calls.data"))
             if isinstance(i, CallEvent)]
    assert len(calls) == len(records) == 20
