"""Sans-IO AT protocol for GSM modems in PDU mode (3GPP TS 27.005 / 27.007).

``AtParser.feed(bytes)`` returns typed events: final result codes, intermediate
responses, the ``> `` prompt of ``AT+CMGS`` and unsolicited result codes that
can arrive at any moment (``+CMTI``, ``+CDS``, ``RING``, boot notices). It never
raises on input: unknown or garbled lines come out as ``UnknownLine`` and an
endless line without terminator is discarded as ``Garbage``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINE = 4096
CTRL_Z = b"\x1a"
ESC = b"\x1b"

# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class FinalResult:
    """End of a command: OK, ERROR, +CME ERROR, +CMS ERROR or a call result."""

    ok: bool
    kind: str  # "OK", "ERROR", "CME", "CMS", "NO CARRIER", ...
    code: int | None = None
    meaning: str = ""
    line: str = ""

    @property
    def transient(self) -> bool:
        """True for errors worth retrying later (network congestion, SIM busy, timeouts)."""
        if self.kind == "CMS" and self.code is not None:
            return self.code in TRANSIENT_CMS
        if self.kind == "CME" and self.code is not None:
            return self.code in TRANSIENT_CME
        return self.kind == "ERROR"  # plain ERROR says nothing; assume transient


@dataclass(frozen=True)
class ResponseLine:
    """An intermediate response we do not model specially (``+CPMS: ...``, ``ATI`` text)."""

    text: str
    prefix: str | None = None  # "+CPMS" for "+CPMS: ...", else None
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Echo:
    """The modem echoed a command (echo on, e.g. after a reset)."""

    text: str


@dataclass(frozen=True)
class Prompt:
    """The ``> `` prompt: send the PDU now, then Ctrl-Z."""


@dataclass(frozen=True)
class MessageListing:
    """One ``+CMGL`` entry. ``pdu`` is None when the PDU line never came."""

    index: int
    stat: int  # 0 unread, 1 read, 2 stored unsent, 3 stored sent, -1 not given
    length: int | None
    pdu: str | None


@dataclass(frozen=True)
class MessageRead:
    """``+CMGR`` answer."""

    stat: int  # as in MessageListing
    length: int | None
    pdu: str | None


@dataclass(frozen=True)
class TextModeLine:
    """A message header in text mode (the modem lost ``AT+CMGF=0``, typically after a reset)."""

    text: str


@dataclass(frozen=True)
class MessageSent:
    """``+CMGS: <mr>``: the network accepted a submitted PDU with this TP-MR."""

    reference: int


@dataclass(frozen=True)
class SignalQuality:
    """``+CSQ: <rssi>,<ber>``; rssi 99 means unknown."""

    rssi: int
    ber: int

    @property
    def bars(self) -> int | None:
        """0..5 bars for the status bar, None when unknown."""
        if self.rssi == 99 or not 0 <= self.rssi <= 31:
            return None
        if self.rssi <= 1:
            return 0
        if self.rssi <= 9:
            return 1
        if self.rssi <= 14:
            return 2
        if self.rssi <= 19:
            return 3
        if self.rssi <= 24:
            return 4
        return 5


@dataclass(frozen=True)
class Registration:
    """``+CREG``/``+CGREG``/``+CEREG`` network registration state."""

    stat: int  # 0 not searching, 1 home, 2 searching, 3 denied, 4 unknown, 5 roaming
    unsolicited: bool
    prefix: str = "+CREG"

    @property
    def registered(self) -> bool:
        return self.stat in (1, 5)


@dataclass(frozen=True)
class PinState:
    """``+CPIN: READY`` / ``SIM PIN`` / ``SIM PUK`` / ``NOT INSERTED``..."""

    state: str


@dataclass(frozen=True)
class NewMessage:
    """URC ``+CMTI: "SM",3``: a message was stored at ``index``."""

    storage: str
    index: int


@dataclass(frozen=True)
class NewStatusReport:
    """URC ``+CDSI: "SR",2``: a status report was stored."""

    storage: str
    index: int


@dataclass(frozen=True)
class StatusReportPdu:
    """URC ``+CDS: <len>`` followed by the status report PDU."""

    length: int | None
    pdu: str | None


@dataclass(frozen=True)
class DeliveredPdu:
    """URC ``+CMT: ,<len>`` followed by a message PDU routed straight to us (not stored)."""

    length: int | None
    pdu: str | None


@dataclass(frozen=True)
class Ring:
    """URC ``RING``."""


@dataclass(frozen=True)
class CallerId:
    """URC ``+CLIP: "<number>",<type>[,...,"<name>"]``."""

    number: str
    number_type: int | None
    name: str | None


@dataclass(frozen=True)
class ModemReady:
    """Boot notice (``RDY``, ``SMS Ready``, ``+CFUN: 1``...): the modem restarted."""

    text: str


@dataclass(frozen=True)
class UnknownLine:
    text: str


@dataclass(frozen=True)
class Garbage:
    """Bytes discarded because no line terminator came within ``MAX_LINE`` bytes."""

    size: int


AtEvent = (
    FinalResult | ResponseLine | Echo | Prompt | MessageListing | MessageRead | TextModeLine
    | MessageSent | SignalQuality | Registration | PinState | NewMessage | NewStatusReport
    | StatusReportPdu | DeliveredPdu | Ring | CallerId | ModemReady | UnknownLine | Garbage
)

UNSOLICITED = (NewMessage, NewStatusReport, StatusReportPdu, DeliveredPdu, Ring, CallerId,
               ModemReady)


def is_unsolicited(event: AtEvent) -> bool:
    """True for events that are not part of any command's answer."""
    if isinstance(event, Registration):
        return event.unsolicited
    return isinstance(event, UNSOLICITED)


# --------------------------------------------------------------------------- error texts

CME_ERRORS: dict[int, str] = {
    0: "phone failure", 1: "no connection to phone", 3: "operation not allowed",
    4: "operation not supported", 5: "PH-SIM PIN required", 10: "SIM not inserted",
    11: "SIM PIN required", 12: "SIM PUK required", 13: "SIM failure", 14: "SIM busy",
    15: "SIM wrong", 16: "incorrect password", 17: "SIM PIN2 required",
    18: "SIM PUK2 required", 20: "memory full", 21: "invalid index", 22: "not found",
    23: "memory failure", 24: "text string too long", 27: "dial string too long",
    30: "no network service", 31: "network timeout", 32: "network not allowed, emergency calls only",
    100: "unknown error",
}

CMS_ERRORS: dict[int, str] = {
    1: "unassigned (unallocated) number", 8: "operator determined barring", 10: "call barred",
    21: "short message transfer rejected", 27: "destination out of service",
    28: "unidentified subscriber", 29: "facility rejected", 30: "unknown subscriber",
    38: "network out of order", 41: "temporary failure", 42: "congestion",
    47: "resources unavailable", 50: "requested facility not subscribed",
    69: "requested facility not implemented", 81: "invalid short message transfer reference",
    95: "invalid message", 96: "invalid mandatory information", 97: "message type non-existent",
    98: "message not compatible with protocol state", 99: "information element non-existent",
    111: "protocol error", 127: "interworking unspecified",
    300: "ME failure", 301: "SMS service of ME reserved", 302: "operation not allowed",
    303: "operation not supported", 304: "invalid PDU mode parameter",
    305: "invalid text mode parameter", 310: "SIM not inserted", 311: "SIM PIN required",
    312: "PH-SIM PIN required", 313: "SIM failure", 314: "SIM busy", 315: "SIM wrong",
    316: "SIM PUK required", 317: "SIM PIN2 required", 318: "SIM PUK2 required",
    320: "memory failure", 321: "invalid memory index", 322: "memory full",
    330: "SMSC address unknown", 331: "no network service", 332: "network timeout",
    340: "no +CNMA acknowledgement expected", 500: "unknown error",
}

TRANSIENT_CMS = frozenset({27, 38, 41, 42, 47, 300, 301, 314, 320, 331, 332, 500})
TRANSIENT_CME = frozenset({0, 13, 14, 30, 31, 100})

_FINAL_WORDS = {
    "OK": True, "ERROR": False, "NO CARRIER": False, "BUSY": False, "NO ANSWER": False,
    "NO DIALTONE": False, "COMMAND NOT SUPPORT": False, "TOO MANY PARAMETERS": False,
}
_BOOT_NOTICES = {"RDY", "SMS READY", "SMS DONE", "CALL READY", "PB DONE", "^SYSSTART",
                 "+CFUN: 1", "+PBREADY"}
_PDU_HEADERS = ("+CMGL", "+CMGR", "+CMT", "+CDS")
_EOL = re.compile(rb"[\r\n]")
_ARG_RE = re.compile(r'\s*("(?:[^"]*)"|[^,]*)\s*(?:,|$)')


def split_args(text: str) -> tuple[str, ...]:
    """Split ``a,"b,c",,d`` into ('a', '"b,c"', '', 'd') keeping quotes so callers can tell
    strings from numbers."""
    args: list[str] = []
    pos = 0
    text = text.strip()
    if not text:
        return ()
    while pos <= len(text):
        m = _ARG_RE.match(text, pos)
        if m is None or m.end() == pos:
            args.append(text[pos:].strip())
            break
        args.append(m.group(1).strip())
        pos = m.end()
        if pos >= len(text):
            if text.endswith(","):
                args.append("")
            break
    return tuple(args)


def unquote(arg: str) -> str:
    return arg[1:-1] if len(arg) >= 2 and arg[0] == arg[-1] == '"' else arg


def _int(arg: str | None) -> int | None:
    if arg is None:
        return None
    arg = arg.strip()
    return int(arg) if arg.isdigit() and len(arg) < 10 else None


def _error_result(kind: str, value: str, line: str) -> FinalResult:
    value = value.strip()
    table = CME_ERRORS if kind == "CME" else CMS_ERRORS
    code = _int(value)
    if code is None:  # verbose mode (+CMEE=2) gives the text; recover the number if we know it
        known = {text.lower(): number for number, text in table.items()}
        return FinalResult(False, kind, known.get(value.lower()), value, line)
    meaning = table.get(code, "manufacturer specific" if code >= 512 else "unknown error code")
    return FinalResult(False, kind, code, meaning, line)


def format_command(command: str) -> bytes:
    """Bytes to write for one command line."""
    return command.encode("ascii") + b"\r"


def format_pdu_payload(pdu_hex: str) -> bytes:
    """Bytes to write after the ``> `` prompt."""
    return pdu_hex.encode("ascii") + CTRL_Z


class AtParser:
    """Turns the modem's byte stream into ``AtEvent`` values. Keeps state between feeds."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._pdu_header: tuple[str, tuple[str, ...]] | None = None

    def feed(self, data: bytes) -> list[AtEvent]:
        """Parse what arrived; return the complete events it finished."""
        events: list[AtEvent] = []
        self._buffer.extend(data)
        while True:
            match = _EOL.search(self._buffer)
            if match is None:
                break
            cut = match.start()
            raw_line = bytes(self._buffer[:cut])
            del self._buffer[: cut + 1]
            self._line(raw_line, events)
        if bytes(self._buffer.lstrip(b"\r\n\x00")) in (b">", b"> "):
            self._buffer.clear()
            self._flush_header(events)
            events.append(Prompt())
        elif len(self._buffer) > MAX_LINE:
            events.append(Garbage(len(self._buffer)))
            self._buffer.clear()
        return events

    def reset(self) -> None:
        """Forget partial input (after reopening the port)."""
        self._buffer.clear()
        self._pdu_header = None

    # ---------------------------------------------------------------- line handling

    def _flush_header(self, events: list[AtEvent]) -> None:
        """A PDU header whose PDU line never came: emit it without PDU."""
        if self._pdu_header is not None:
            prefix, args = self._pdu_header
            self._pdu_header = None
            events.append(self._with_pdu(prefix, args, None))

    def _line(self, raw_line: bytes, events: list[AtEvent]) -> None:
        text = raw_line.replace(b"\x00", b"").decode("latin-1").strip()
        if not text:
            return
        if self._pdu_header is not None:
            if self._looks_like_pdu(text):
                prefix, args = self._pdu_header
                self._pdu_header = None
                events.append(self._with_pdu(prefix, args, text))
                return
            self._flush_header(events)
        classified = self._classify(text)
        if isinstance(classified, _PendingHeader):
            self._pdu_header = (classified.prefix, classified.args)
        else:
            events.append(classified)

    @staticmethod
    def _looks_like_pdu(text: str) -> bool:
        """A PDU line is hex (a stray quote or trailing junk is left to the PDU decoder)."""
        if text.upper() in _FINAL_WORDS or text.startswith(("+", "^")):
            return False
        head = text[:16]
        return all(c in "0123456789abcdefABCDEF" for c in head)

    @staticmethod
    def _with_pdu(prefix: str, args: tuple[str, ...], pdu: str | None) -> AtEvent:
        length = _int(args[-1]) if args else None
        if prefix == "+CMGL":
            stat = _int(args[1]) if len(args) > 1 else None
            return MessageListing(_int(args[0]) or 0, -1 if stat is None else stat, length, pdu)
        if prefix == "+CMGR":
            stat = _int(args[0]) if len(args) > 1 else None
            return MessageRead(-1 if stat is None else stat, length, pdu)
        if prefix == "+CDS":
            return StatusReportPdu(length, pdu)
        return DeliveredPdu(length, pdu)

    def _classify(self, text: str) -> AtEvent | _PendingHeader:
        upper = text.upper()
        if upper in _FINAL_WORDS:
            return FinalResult(_FINAL_WORDS[upper], upper, line=text)
        if upper.startswith("+CME ERROR:"):
            return _error_result("CME", text[11:], text)
        if upper.startswith("+CMS ERROR:"):
            return _error_result("CMS", text[11:], text)
        if upper == "RING":
            return Ring()
        if upper in _BOOT_NOTICES:
            return ModemReady(text)
        if upper.startswith("AT"):
            return Echo(text)
        if not text.startswith(("+", "^")) or ":" not in text:
            return UnknownLine(text) if _has_control(text) else ResponseLine(text)
        prefix, _, rest = text.partition(":")
        prefix = prefix.strip().upper()
        args = split_args(rest)
        try:
            event = self._classify_prefixed(prefix, args, text)
        except (ValueError, IndexError):
            event = None
        if event is None:
            return ResponseLine(text, prefix, args)
        return event

    @staticmethod
    def _classify_prefixed(prefix: str, args: tuple[str, ...],
                           text: str) -> AtEvent | _PendingHeader | None:
        if prefix in _PDU_HEADERS:
            if prefix == "+CMGL" and (len(args) < 2 or _int(args[0]) is None):
                return None  # no usable index: not a listing we can act on
            if prefix in ("+CMGL", "+CMGR"):
                stat_arg = args[1] if prefix == "+CMGL" and len(args) > 1 else args[0] if args else ""
                if stat_arg.startswith('"'):  # "REC UNREAD": text mode
                    return TextModeLine(text)
            if prefix == "+CMT" and len(args) > 2:
                return TextModeLine(text)
            return _PendingHeader(prefix, args)
        if prefix == "+CMTI" and len(args) >= 2 and _int(args[1]) is not None:
            return NewMessage(unquote(args[0]), _int(args[1]) or 0)
        if prefix == "+CDSI" and len(args) >= 2 and _int(args[1]) is not None:
            return NewStatusReport(unquote(args[0]), _int(args[1]) or 0)
        if prefix == "+CMGS" and args and _int(args[0]) is not None:
            return MessageSent(_int(args[0]) or 0)
        if prefix == "+CSQ" and len(args) >= 2:
            rssi, ber = _int(args[0]), _int(args[1])
            if rssi is not None and ber is not None:
                return SignalQuality(rssi, ber)
            return None
        if prefix in ("+CREG", "+CGREG", "+CEREG") and args:
            first, second = _int(args[0]), _int(args[1]) if len(args) > 1 else None
            if second is not None and not args[1].startswith('"'):
                return Registration(second, unsolicited=False, prefix=prefix)
            if first is not None:
                return Registration(first, unsolicited=True, prefix=prefix)
            return None
        if prefix == "+CPIN" and args:
            return PinState(unquote(args[0]).upper())
        if prefix == "+CLIP" and args:
            name = unquote(args[4]) if len(args) > 4 and unquote(args[4]) else None
            return CallerId(unquote(args[0]), _int(args[1]) if len(args) > 1 else None, name)
        if prefix == "+CFUN" and args and args[0] == "1":
            return ModemReady(text)
        return None


@dataclass(frozen=True)
class _PendingHeader:
    """Internal: a header whose PDU is on the next line."""

    prefix: str
    args: tuple[str, ...]


def _has_control(text: str) -> bool:
    return any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text)
