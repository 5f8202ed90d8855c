"""Sans-IO parser for caller-ID output of voice modems and standalone serial units.

Bytes go in (``CallerIdParser.feed``), typed values come out: ``CallEvent`` for a
call, ``QuarantinedInput`` for input that looks like a broken caller-ID record,
``DeviceNotice`` for things a device reports that are not calls (message-waiting
lamp). No I/O, no threads: the driver owns the serial port and the timing and
calls ``tick()`` when the line has been quiet.

Supported devices and formats, and where the format descriptions come from:

* Voice modems, formatted output (``AT+VCID=1``, ``AT#CID=1``): one ``TAG = value``
  line per field, tags ``DATE`` (MMDD), ``TIME`` (HHMM, local), ``DATE TIME``
  (``MM/DD HH:MM``), ``NMBR``, ``DDN_NMBR`` / ``DDN`` (dialable number), ``NAME``,
  ``MESG`` (hex of a parameter the modem did not understand). ``NMBR``/``NAME`` may
  hold a reason code instead of a value: ``P`` private, ``O`` out of area, ``A``
  anonymous (treated as private). Source: the ITU-T V.253 ``+VCID`` description
  as printed in modem manuals (e.g. Askey/Rockwell user manuals, "Formatted Form
  Reporting") and the NCID API document, "Modem-to-Server".
* Voice modems, unformatted output (``AT+VCID=2``): the SDMF/MDMF message as one
  line of hex digits, channel seizure and marks removed. Message types ``0x04``
  SDMF call setup (MMDDhhmm + number or ``P``/``O``), ``0x80`` MDMF call setup
  with parameters ``0x01`` date/time, ``0x02`` number, ``0x03`` dialable number,
  ``0x04`` reason number absent, ``0x07`` name, ``0x08`` reason name absent;
  ``0x06``/``0x82`` message waiting. The last byte is a checksum: all bytes of the
  message including it sum to 0 modulo 256; a bad checksum is quarantined.
  Source: Bellcore GR-30-CORE / TIA-777 (SDMF/MDMF) and ETSI EN 300 659-3.
* TCI serial units and Whozz Calling units set to TCI format: fixed 70-column
  lines ``LL  M/DD  h:mm AM  number(14, right-justified)  name(15)``; the number
  field may say ``PRIVATE`` or ``OUT-OF-AREA``. Source: CallerID.com "Whozz
  Calling Basic POS 2" manual (Fig. 3b TCI format) and NCID API "TCI
  Device-to-Server".
* Whozz Calling units in their own CallerID.com format:
  ``$LL I S 0000 G A0 MM/DD hh:mm AM number name``; only inbound call-start
  records (``I S``) are calls, ``B`` (bad checksum) records are quarantined.
  Source: CallerID.com Whozz Calling manuals (Fig. 3a).
* NetCallerID (Ugotcall) units: ``###DATEmmddhhmm...NMBRnumber...NAMEname+++``
  terminated by a bare CR; a name of ``-MSG ON-``/``-MSG OFF-`` is a
  message-waiting notice, not a call. Source: NCID API "NetCallerID
  Device-to-Server".

Record rules for formatted modem output (worked out from NCID's test vectors):
fields arrive in any order, a blank line may sit between them, the record may
come before or after the first ``RING``. A record is emitted as soon as it holds
both a number field (``NMBR``, else ``DDN_NMBR``/``DDN``) and a ``NAME`` (that is
the normal North-American case and gives the lowest latency). A partial record
is emitted when a ``RING`` arrives, when a field repeats (a new record has
started), when the driver reports the line quiet for ``record_idle`` (``tick``),
or at ``close``. A field that arrives just after a record was emitted, does not
repeat one of its fields and cannot open a record (``DATE``, ``DATE TIME``,
``MESG`` open records) is a late part of that record and is only logged, so
``NMBR``, ``NAME``, ``DDN_NMBR`` gives one call, not two. An unknown
``TAG = value`` line is quarantined without cutting the record. One ring sequence
yields exactly one call: further ``RING`` lines within ``ring_gap`` of the last
one belong to the same call; a second ring without any caller-ID data, or a
single ring followed by silence, yields a call with presentation ``"unknown"``.

Numbers are delivered as received with formatting removed (digits, keeping a
leading ``+`` or ``0``); the engine normalises them. Words in the number field
(``Restricted``, ``OUT-OF-AREA``...) become a presentation; any other text there
gives ``number=None`` / ``"unknown"`` with a warning, and the call is still
emitted (the phone did ring). Dates carry no year: the year is inferred from the
injected clock (a December call seen in January is last year's). Times are the
shop's local time (``tz``); a missing or impossible date/time (``TIME = 2423``)
falls back to the moment the record was parsed.

Unrecognised input: modem chatter (``OK``, ``ERROR``, command echo,
``CONNECT``...) and blank lines are ignored. Every other unrecognised line is
logged and quarantined, because on a caller-ID port it is either a record the
device garbled or a format we do not know yet; staff can inspect it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from devices.errors import DeviceInputError
from devices.events import CallEvent, QuarantinedInput

log = logging.getLogger("countertop.devices.callerid")

SOURCE = "callerid"
MAX_LINE_BYTES = 512

PRESENTATION_OK = "ok"
PRESENTATION_PRIVATE = "private"
PRESENTATION_UNAVAILABLE = "unavailable"
PRESENTATION_UNKNOWN = "unknown"


@dataclass(frozen=True)
class DeviceNotice:
    """Something a caller-ID device reported that is not a call (e.g. message waiting)."""

    kind: str  # "message_waiting"
    detail: str  # "on" / "off"
    raw: str


CallerIdOutput = CallEvent | QuarantinedInput | DeviceNotice

# Words a device puts in the number or name field instead of a value, keyed by
# the word upper-cased with everything but letters removed.
_PRIVATE_WORDS = {
    "P", "A", "PRIVATE", "PRIVATENUMBER", "PRIVATECALLER", "PRIVATENAME", "RESTRICTED",
    "WITHHELD", "ANONYMOUS", "BLOCKED", "PRIVAT",
}
_UNAVAILABLE_WORDS = {
    "O", "OUTOFAREA", "UNAVAILABLE", "UNKNOWN", "UNKNOWNCALLER", "UNKNOWNNAME",
    "UNKNOWNNUMBER", "NOTAVAILABLE",
}

_NUMBER_CHARS = re.compile(r"^\+?[0-9(][0-9 ().\-/]*$")
_FIELD_LINE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z_ ]{0,15}?)\s*=\s*(?P<value>.*)$")
_RING_LINE = re.compile(r"^(?:CID\s+)?RING\b", re.IGNORECASE)
_CHATTER = re.compile(
    r"^(?:OK|ERROR|CONNECT.*|NO CARRIER|BUSY|NO DIAL ?TONE|NO ANSWER|VCON|AT.*"
    r"|\+VCID:.*|#CID:.*|\+VRID:.*)$",
    re.IGNORECASE,
)
_HEX_LINE = re.compile(r"^(?:[0-9A-Fa-f]{2}\s?){3,}$")
_NETCALLERID = re.compile(
    r"^###DATE(?P<date>\d{8})?\.\.\.NMBR(?P<number>.*?)\.\.\.NAME(?P<name>.*?)\+\+\+$"
)
_TCI_HEAD = re.compile(r"^\d{2}\s+\d{1,2}/\d{1,2}\s+\d{1,2}:\d{2}\s+[AP]M")
_TCI = re.compile(
    r"^(?P<line>\d{2})\s+(?P<month>\d{1,2})/(?P<day>\d{1,2})\s+"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})\s+(?P<ampm>[AP]M)"
)
_WHOZZ_HEAD = re.compile(r"^\$?\d{2}\s+[IO]\s+[SE]\s+\d{4}\s+[GB]\s+")
_WHOZZ = re.compile(
    r"^\$?(?P<line>\d{2})\s+(?P<direction>[IO])\s+(?P<edge>[SE])\s+(?P<duration>\d{4})\s+"
    r"(?P<check>[GB])\s+(?P<rings>\S{2})\s+(?P<month>\d{1,2})/(?P<day>\d{1,2})\s+"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})\s+(?P<ampm>[AP]M)\s+(?P<rest>.*)$"
)

# Column layout of a TCI line (0-based, end exclusive): the number field is
# right-justified and ends at column 44, the name field is columns 55..70.
_TCI_NUMBER = slice(25, 44)
_TCI_NAME = slice(44, 70)
_TCI_WIDTH = 70

_FORMATTED_KEYS = {
    "DATE": "date",
    "TIME": "time",
    "DATE TIME": "datetime",
    "NMBR": "number",
    "DDN_NMBR": "ddn",
    "DDN": "ddn",
    "NAME": "name",
    "MESG": "mesg",
}
# Fields that only ever open a record; any other field arriving right after a
# record was reported, and not repeating one of its fields, is a late part of it.
_RECORD_OPENERS = {"date", "datetime", "mesg"}


class CallerIdFormatError(DeviceInputError):
    """A caller-ID record that cannot be decoded; the message is the quarantine reason."""


def _letters(value: str) -> str:
    return "".join(ch for ch in value.upper() if "A" <= ch <= "Z")


def _reason_presentation(value: str) -> str | None:
    """The presentation a reason word stands for, or None if ``value`` is no such word."""
    word = _letters(value)
    if not word or any(ch.isdigit() for ch in value):
        return None
    if word in _PRIVATE_WORDS:
        return PRESENTATION_PRIVATE
    if word in _UNAVAILABLE_WORDS:
        return PRESENTATION_UNAVAILABLE
    return None


def clean_number(value: str) -> tuple[str | None, str]:
    """Split a received number field into (digits as received, presentation).

    Formatting (spaces, dashes, dots, brackets) is removed; a leading ``+`` or
    ``0`` stays. Reason words give ``(None, "private"/"unavailable")``; empty or
    unreadable text gives ``(None, "unknown")``.
    """
    text = value.strip()
    if not text:
        return None, PRESENTATION_UNKNOWN
    if _NUMBER_CHARS.match(text) and any(ch.isdigit() for ch in text):
        digits = "".join(ch for ch in text if ch.isdigit())
        return ("+" + digits if text.startswith("+") else digits), PRESENTATION_OK
    reason = _reason_presentation(text)
    if reason is not None:
        return None, reason
    log.warning("caller-ID number field %r is not a number; reporting the call as unknown", text)
    return None, PRESENTATION_UNKNOWN


def clean_name(value: str | None) -> str | None:
    """The caller's name, or None when the field is empty or only states why it is absent."""
    if value is None:
        return None
    text = value.strip()
    if not text or _reason_presentation(text) is not None:
        return None
    return text


def _presentation(number_field: str | None, name_field: str | None) -> tuple[str | None, str]:
    """Number and presentation for a record, letting the name explain an absent number."""
    if number_field is not None:
        number, presentation = clean_number(number_field)
        if presentation != PRESENTATION_UNKNOWN or number_field.strip():
            return number, presentation
    if name_field is not None:
        reason = _reason_presentation(name_field.strip())
        if reason is not None:
            return None, reason
    return None, PRESENTATION_UNKNOWN


def infer_datetime(
    month: int, day: int, hour: int, minute: int, now: datetime, tz: tzinfo
) -> datetime | None:
    """The local datetime a yearless month/day/time refers to, seen at ``now``.

    Caller-ID carries no year: take ``now``'s year unless that puts the call more
    than a day in the future (a December call seen in January), then the year
    before. Returns None when the fields name no real moment (13th month,
    ``24:23``, 29 February in the wrong year).
    """
    local_now = now.astimezone(tz)
    for year in (local_now.year, local_now.year - 1):
        try:
            candidate = datetime(year, month, day, hour, minute, tzinfo=tz)
        except ValueError:
            if year == local_now.year:
                continue
            return None
        if candidate - local_now <= timedelta(days=1):
            return candidate
    return None


def _twelve_hour(hour: int, ampm: str) -> int:
    if not 1 <= hour <= 12:
        raise CallerIdFormatError(f"hour {hour} is not a 12-hour clock hour")
    hour %= 12
    return hour + 12 if ampm.upper() == "PM" else hour


def _decode_text(data: bytes) -> str:
    """Device text: UTF-8 when it is valid, otherwise Latin-1 (never fails)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _mdmf_text(data: bytes) -> str:
    return data.decode("latin-1").strip()


class CallerIdParser:
    """Turns caller-ID bytes from a modem or standalone unit into calls.

    ``clock`` returns the current aware datetime; it decides the year of a call,
    the fallback time of a call without a usable date, and the ring/record timers
    driven by ``tick``. ``ring_gap`` separates ring sequences of different calls;
    ``record_idle`` is how long a partial formatted record may wait for more
    fields once the line is quiet.
    """

    def __init__(
        self,
        *,
        tz: tzinfo,
        clock: Callable[[], datetime] | None = None,
        ring_gap: timedelta = timedelta(seconds=8),
        record_idle: timedelta = timedelta(milliseconds=300),
    ) -> None:
        self._tz = tz
        self._clock: Callable[[], datetime] = clock or (lambda: datetime.now(tz))
        self._ring_gap = ring_gap
        self._record_idle = record_idle
        self._buffer = b""
        self._fields: dict[str, str] = {}
        self._record_raw: list[str] = []
        self._last_field_at: datetime | None = None
        self._ringing_since: datetime | None = None  # first ring seen, no call emitted yet
        self._ring_raw: list[str] = []
        self._last_ring_at: datetime | None = None
        self._call_reported = False  # a call was emitted for the current ring sequence
        self._reported_groups: set[str] = set()  # fields of the record reported last

    # -- input ---------------------------------------------------------------

    def feed(self, data: bytes) -> list[CallerIdOutput]:
        """Add received bytes; return everything they completed."""
        out: list[CallerIdOutput] = []
        self._buffer += data
        while True:
            match = re.search(rb"[\r\n]", self._buffer)
            if match is None:
                break
            line, self._buffer = self._buffer[: match.start()], self._buffer[match.end():]
            if len(line) > MAX_LINE_BYTES:
                out.append(self._quarantine(_decode_text(line), "line too long"))
                continue
            out.extend(self.feed_line(_decode_text(line)))
        if len(self._buffer) > MAX_LINE_BYTES:
            overlong, self._buffer = self._buffer, b""
            out.append(self._quarantine(_decode_text(overlong), "line too long, no line end"))
        return out

    def feed_line(self, line: str) -> list[CallerIdOutput]:
        """Parse one complete line (without its line end)."""
        text = line.strip().strip("\x00").strip()
        if not text:
            return []
        try:
            return self._classify(text)
        except CallerIdFormatError as exc:  # a recognised shape with broken content
            return self._flush_then([self._quarantine(text, str(exc))])

    def tick(self) -> list[CallerIdOutput]:
        """Called when the line has been quiet: emit records that stopped growing."""
        now = self._clock()
        out: list[CallerIdOutput] = []
        quiet_since = self._last_field_at
        if self._fields and quiet_since is not None and now - quiet_since >= self._record_idle:
            out.extend(self._flush_record())
        if (
            not self._fields
            and self._ringing_since is not None
            and self._last_ring_at is not None
            and now - self._last_ring_at > self._ring_gap
        ):
            out.append(self._ring_only_call())
        return out

    def close(self) -> list[CallerIdOutput]:
        """End of input (port closed): parse any unterminated line, emit any partial record."""
        out: list[CallerIdOutput] = []
        if self._buffer:
            rest, self._buffer = self._buffer, b""
            out.extend(self.feed_line(_decode_text(rest)))
        out.extend(self._flush_record())
        if self._ringing_since is not None:
            out.append(self._ring_only_call())
        self._call_reported = False
        self._last_ring_at = None
        return out

    @property
    def has_pending(self) -> bool:
        """True while a partial record or an unanswered ring waits for ``tick``."""
        return bool(self._fields) or self._ringing_since is not None

    # -- classification ------------------------------------------------------

    def _classify(self, text: str) -> list[CallerIdOutput]:
        if _RING_LINE.match(text):
            return self._on_ring(text)
        if _CHATTER.match(text):
            log.debug("modem chatter ignored: %r", text)
            return []
        field = _FIELD_LINE.match(text)
        if field is not None:
            key = " ".join(field.group("key").upper().split())
            group = _FORMATTED_KEYS.get(key)
            if group is None:  # keep it, but do not let it cut the record it sits in
                return [self._quarantine(text, f"unknown caller-ID field {key!r}")]
            return self._on_field(group, field.group("value").strip(), text)
        if text.startswith("###"):
            return self._flush_then(self._netcallerid(text))
        if _WHOZZ_HEAD.match(text):
            return self._flush_then(self._whozz(text))
        if _TCI_HEAD.match(text):
            return self._flush_then(self._tci(text))
        if _HEX_LINE.match(text):
            return self._flush_then(self._xdmf(text))
        log.warning("unrecognised caller-ID line quarantined: %r", text)
        return self._flush_then([self._quarantine(text, "unrecognised line")])

    def _flush_then(self, items: list[CallerIdOutput]) -> list[CallerIdOutput]:
        """A complete record of another kind arrived: close any formatted record first."""
        out = self._flush_record()
        if any(isinstance(item, CallEvent) for item in items):
            self._ringing_since = None
            self._ring_raw = []
            self._call_reported = True
        out.extend(items)
        return out

    # -- rings and formatted records -----------------------------------------

    def _on_ring(self, text: str) -> list[CallerIdOutput]:
        self._reported_groups = set()
        now = self._clock()
        previous = self._last_ring_at
        self._last_ring_at = now
        out: list[CallerIdOutput] = []
        if self._fields:
            out = self._flush_record()
            if any(isinstance(item, CallEvent) for item in out):
                return out  # this ring closed the caller-ID record of the call
        same_sequence = previous is not None and now - previous <= self._ring_gap
        if self._ringing_since is not None:
            if same_sequence:
                self._ring_raw.append(text)
                out.append(self._ring_only_call())
                return out
            # The earlier ring stopped alone long ago: report it, start a new sequence.
            out.append(self._ring_only_call())
            self._start_ringing(now, text)
            return out
        if self._call_reported and same_sequence:
            return out  # further rings of a call already reported
        self._start_ringing(now, text)
        return out

    def _start_ringing(self, now: datetime, text: str) -> None:
        self._ringing_since = now
        self._ring_raw = [text]
        self._call_reported = False

    def _ring_only_call(self) -> CallEvent:
        at = self._ringing_since or self._clock()
        raw = "\n".join(self._ring_raw) or "RING"
        self._ringing_since = None
        self._ring_raw = []
        self._call_reported = True
        log.info("ring without caller-ID data")
        return CallEvent(at=at.astimezone(self._tz), number=None, name=None,
                         presentation=PRESENTATION_UNKNOWN, raw=raw)

    def _on_field(self, group: str, value: str, text: str) -> list[CallerIdOutput]:
        out: list[CallerIdOutput] = []
        if not self._fields and group not in _RECORD_OPENERS and self._reported_groups and (
                group not in self._reported_groups):
            # e.g. DDN_NMBR after NMBR and NAME: the call is already out, keep it single
            log.info("late caller-ID field after the call was reported: %r", text)
            self._reported_groups.add(group)
            return out
        if group in _RECORD_OPENERS:
            self._reported_groups = set()
        if group in self._fields or (group in ("date", "time") and "datetime" in self._fields) or (
            group == "datetime" and ("date" in self._fields or "time" in self._fields)
        ):
            out.extend(self._flush_record())  # a field repeats: a new record has begun
        self._fields[group] = value
        self._record_raw.append(text)
        self._last_field_at = self._clock()
        if ("number" in self._fields or "ddn" in self._fields) and "name" in self._fields:
            out.extend(self._flush_record())
        return out

    def _flush_record(self) -> list[CallerIdOutput]:
        if not self._fields:
            return []
        fields, raw = self._fields, "\n".join(self._record_raw)
        self._fields, self._record_raw, self._last_field_at = {}, [], None
        if set(fields) <= {"mesg"}:
            # Only a parameter the modem could not decode: keep it; a ring still
            # pending will be reported as a call without caller-ID by the ring logic.
            return [self._quarantine(raw, "caller-ID message the modem could not decode")]
        ring_at = self._ringing_since
        self._ringing_since, self._ring_raw, self._call_reported = None, [], True
        self._reported_groups = set(fields)
        at = self._formatted_time(fields, raw) or ring_at or self._clock()
        number, presentation = _presentation(fields.get("number", fields.get("ddn")),
                                             fields.get("name"))
        return [CallEvent(at=at.astimezone(self._tz), number=number,
                          name=clean_name(fields.get("name")), presentation=presentation, raw=raw)]

    def _formatted_time(self, fields: dict[str, str], raw: str) -> datetime | None:
        month = day = hour = minute = None
        if "datetime" in fields:
            m = re.fullmatch(r"(\d{1,2})/(\d{1,2})\s+(\d{1,2}):(\d{2})", fields["datetime"])
            if m:
                month, day, hour, minute = (int(g) for g in m.groups())
        else:
            date, time = fields.get("date", ""), fields.get("time", "")
            if re.fullmatch(r"\d{4}", date) and re.fullmatch(r"\d{4}", time):
                month, day = int(date[:2]), int(date[2:])
                hour, minute = int(time[:2]), int(time[2:])
        if month is None or day is None or hour is None or minute is None:
            log.warning("caller-ID record without a usable date/time, using arrival time: %r", raw)
            return None
        when = infer_datetime(month, day, hour, minute, self._clock(), self._tz)
        if when is None:
            log.warning("caller-ID record with an impossible date/time, using arrival time: %r", raw)
        return when

    # -- standalone units ----------------------------------------------------

    def _call(self, *, month: int | None, day: int | None, hour: int | None,
              minute: int | None, number_field: str | None, name_field: str | None,
              raw: str, line: str | None = None) -> CallEvent:
        at = None
        if month is not None and day is not None and hour is not None and minute is not None:
            at = infer_datetime(month, day, hour, minute, self._clock(), self._tz)
            if at is None:
                log.warning("caller-ID record with an impossible date/time, using arrival time: %r",
                            raw)
        number, presentation = _presentation(number_field, name_field)
        return CallEvent(at=(at or self._clock()).astimezone(self._tz), number=number,
                         name=clean_name(name_field), presentation=presentation, raw=raw,
                         line=line)

    def _tci(self, text: str) -> list[CallerIdOutput]:
        m = _TCI.match(text)
        if m is None or len(text) > _TCI_WIDTH:
            raise CallerIdFormatError("malformed TCI line")
        padded = text.ljust(_TCI_WIDTH)
        if padded[m.end():_TCI_NUMBER.start].strip():
            raise CallerIdFormatError("malformed TCI line: text between time and number")
        return [self._call(
            month=int(m["month"]), day=int(m["day"]),
            hour=_twelve_hour(int(m["hour"]), m["ampm"]), minute=int(m["minute"]),
            number_field=padded[_TCI_NUMBER].strip(), name_field=padded[_TCI_NAME].strip(),
            raw=text, line=m["line"],
        )]

    def _whozz(self, text: str) -> list[CallerIdOutput]:
        m = _WHOZZ.match(text)
        if m is None:
            raise CallerIdFormatError("malformed Whozz Calling line")
        if m["check"] == "B":
            raise CallerIdFormatError("Whozz Calling unit reports a bad caller-ID checksum")
        if m["direction"] != "I" or m["edge"] != "S":
            log.debug("Whozz Calling record that is not an inbound call start: %r", text)
            return []
        parts = m["rest"].split(None, 1)
        number_part = parts[0] if parts else ""
        name_part = parts[1] if len(parts) > 1 else ""
        return [self._call(
            month=int(m["month"]), day=int(m["day"]),
            hour=_twelve_hour(int(m["hour"]), m["ampm"]), minute=int(m["minute"]),
            number_field=number_part, name_field=name_part, raw=text, line=m["line"],
        )]

    def _netcallerid(self, text: str) -> list[CallerIdOutput]:
        m = _NETCALLERID.match(text)
        if m is None:
            raise CallerIdFormatError("malformed NetCallerID line")
        name = m["name"].strip()
        if _letters(name) in ("MSGON", "MSGOFF"):
            return [DeviceNotice("message_waiting", "on" if _letters(name) == "MSGON" else "off",
                                 text)]
        date = m["date"]
        return [self._call(
            month=int(date[0:2]) if date else None, day=int(date[2:4]) if date else None,
            hour=int(date[4:6]) if date else None, minute=int(date[6:8]) if date else None,
            number_field=m["number"], name_field=name, raw=text,
        )]

    # -- SDMF / MDMF ---------------------------------------------------------

    def _xdmf(self, text: str) -> list[CallerIdOutput]:
        hex_digits = "".join(text.split())
        frame = bytes.fromhex(hex_digits)
        raw = hex_digits.upper()
        if len(frame) < 3:
            raise CallerIdFormatError("caller-ID message too short")
        msg_type, length = frame[0], frame[1]
        if len(frame) < length + 3:
            raise CallerIdFormatError(
                f"caller-ID message truncated: {len(frame)} bytes, header says {length + 3}")
        if len(frame) > length + 3:
            raise CallerIdFormatError(
                f"caller-ID message has {len(frame) - length - 3} bytes after its checksum")
        if sum(frame) % 256 != 0:
            expected = (-sum(frame[:-1])) % 256
            raise CallerIdFormatError(
                f"caller-ID checksum mismatch: got {frame[-1]:02X}, expected {expected:02X}")
        payload = frame[2:-1]
        if msg_type == 0x04:
            return [self._sdmf_call(payload, raw)]
        if msg_type == 0x80:
            return [self._mdmf_call(payload, raw)]
        if msg_type == 0x06:
            return [DeviceNotice("message_waiting", "on" if payload[:1] == b"\x42" else "off", raw)]
        if msg_type == 0x82:
            params = _mdmf_params(payload)
            state = params.get(0x0B, b"\x00")
            return [DeviceNotice("message_waiting", "off" if state == b"\x00" else "on", raw)]
        raise CallerIdFormatError(f"unknown caller-ID message type 0x{msg_type:02X}")

    def _sdmf_call(self, payload: bytes, raw: str) -> CallEvent:
        if len(payload) < 8 or not payload[:8].isdigit():
            raise CallerIdFormatError("SDMF message without an MMDDhhmm date")
        stamp = payload[:8].decode("ascii")
        return self._call(month=int(stamp[0:2]), day=int(stamp[2:4]), hour=int(stamp[4:6]),
                          minute=int(stamp[6:8]), number_field=_mdmf_text(payload[8:]),
                          name_field=None, raw=raw)

    def _mdmf_call(self, payload: bytes, raw: str) -> CallEvent:
        params = _mdmf_params(payload)
        month = day = hour = minute = None
        stamp = params.get(0x01)
        if stamp is not None:
            if len(stamp) != 8 or not stamp.isdigit():
                raise CallerIdFormatError("MDMF date/time parameter is not MMDDhhmm")
            month, day, hour, minute = (int(stamp[i:i + 2]) for i in range(0, 8, 2))
        number_field = params.get(0x02, params.get(0x03))
        if number_field is None and 0x04 in params:
            number_field = params[0x04]
        name_field = params.get(0x07)
        if name_field is None and 0x08 in params:
            name_field = params[0x08]
        return self._call(
            month=month, day=day, hour=hour, minute=minute,
            number_field=_mdmf_text(number_field) if number_field is not None else None,
            name_field=_mdmf_text(name_field) if name_field is not None else None, raw=raw,
        )

    def _quarantine(self, raw: str, reason: str) -> QuarantinedInput:
        log.warning("caller-ID input quarantined (%s): %r", reason, raw)
        return QuarantinedInput(source=SOURCE, raw=raw, reason=reason,
                                at=self._clock().astimezone(self._tz))


def _mdmf_params(payload: bytes) -> dict[int, bytes]:
    """Split an MDMF payload into {parameter type: value}; raises on overruns."""
    params: dict[int, bytes] = {}
    i = 0
    while i < len(payload):
        if i + 2 > len(payload):
            raise CallerIdFormatError("MDMF parameter header cut off")
        kind, size = payload[i], payload[i + 1]
        if i + 2 + size > len(payload):
            raise CallerIdFormatError(f"MDMF parameter 0x{kind:02X} overruns the message")
        params[kind] = payload[i + 2:i + 2 + size]
        i += 2 + size
    return params
