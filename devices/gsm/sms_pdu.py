"""SMS PDU codec (3GPP TS 23.040): SMS-DELIVER, SMS-SUBMIT and SMS-STATUS-REPORT.

Modems in PDU mode (``AT+CMGF=0``) hand out hex strings that start with the
SMSC address (one length octet, ``00`` for "default SMSC") followed by the
TPDU. ``decode_pdu`` turns such a string into a typed value or raises
``PduError``; nothing else escapes it, whatever the input. The encoders build
what a phone would send (``encode_submit``) and, for the simulator and tests,
what a network would deliver (``encode_deliver``, ``encode_status_report``).
"""

from __future__ import annotations

import binascii
import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from devices.errors import DeviceInputError
from devices.gsm import gsm_alphabet

GSM7_SINGLE_SEPTETS = 160
GSM7_PART_SEPTETS = 153  # 160 minus 7 septets of 8-bit-ref concatenation header
UCS2_SINGLE_UNITS = 70
UCS2_PART_UNITS = 67  # (140 - 6 header octets) / 2
MAX_PARTS = 255


class PduError(DeviceInputError):
    """The PDU is broken: truncated, inconsistent, not hex, or of an unknown type."""


class Alphabet(str, enum.Enum):
    """How the user data is coded (TP-DCS)."""

    GSM7 = "gsm7"
    EIGHT_BIT = "8bit"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class DataCoding:
    """Decoded TP-DCS octet."""

    raw: int
    alphabet: Alphabet
    message_class: int | None = None
    compressed: bool = False
    # A reserved bit was set: the alphabet is a guess that the user data length must confirm.
    reserved_bits: bool = False


@dataclass(frozen=True)
class Address:
    """A phone number or alphanumeric sender. ``number`` is display-ready ("+44...")."""

    number: str
    type_of_number: int
    numbering_plan: int

    @property
    def is_international(self) -> bool:
        return self.type_of_number == 1

    @property
    def is_alphanumeric(self) -> bool:
        return self.type_of_number == 5


@dataclass(frozen=True)
class Concatenation:
    """Concatenated-SMS information element: part ``sequence`` of ``total`` in ``reference``."""

    reference: int
    total: int
    sequence: int
    reference_bits: int  # 8 (IEI 0x00) or 16 (IEI 0x08)


@dataclass(frozen=True)
class InformationElement:
    """One UDH information element, kept raw when we do not interpret it."""

    iei: int
    data: bytes


@dataclass(frozen=True)
class UserDataHeader:
    elements: tuple[InformationElement, ...]
    concatenation: Concatenation | None = None


@dataclass(frozen=True)
class UserData:
    """Decoded TP-UD: text for GSM7/UCS-2, raw octets for 8-bit (``text`` is None then)."""

    header: UserDataHeader | None
    text: str | None
    data: bytes
    warnings: tuple[str, ...] = ()


class _UserDataView:
    """The text and concatenation header of a message that carries user data, shared by
    SMS-DELIVER and SMS-SUBMIT (the dataclass below each supplies the `user_data` field)."""

    user_data: UserData

    @property
    def text(self) -> str | None:
        return self.user_data.text

    @property
    def concatenation(self) -> Concatenation | None:
        h = self.user_data.header
        return h.concatenation if h else None


@dataclass(frozen=True)
class SmsDeliver(_UserDataView):
    """A received message (network to phone)."""

    raw: str
    smsc: Address | None
    sender: Address
    protocol_id: int
    coding: DataCoding
    scts: datetime | None
    scts_raw: str
    user_data: UserData
    more_messages_to_send: bool
    status_report_indication: bool
    reply_path: bool


@dataclass(frozen=True)
class SmsSubmit(_UserDataView):
    """A message from a phone to the network (also how sent/draft messages sit on a SIM)."""

    raw: str
    smsc: Address | None
    message_reference: int
    recipient: Address
    protocol_id: int
    coding: DataCoding
    validity: bytes
    user_data: UserData
    status_report_request: bool
    reject_duplicates: bool


@dataclass(frozen=True)
class SmsStatusReport:
    """Delivery outcome of a message we sent, keyed by its TP-MR."""

    raw: str
    smsc: Address | None
    message_reference: int
    recipient: Address
    scts: datetime | None
    discharge_time: datetime | None
    status: int

    @property
    def delivered(self) -> bool:
        """True when the short message reached the recipient (TS 23.040 TP-ST 0x00..0x02)."""
        return self.status <= 0x02

    @property
    def final(self) -> bool:
        """False while the SMSC is still trying (TP-ST 0x20..0x3F)."""
        return not 0x20 <= self.status <= 0x3F

    @property
    def status_text(self) -> str:
        return status_meaning(self.status)


DecodedPdu = SmsDeliver | SmsSubmit | SmsStatusReport

_STATUS_MEANINGS = {
    0x00: "delivered",
    0x01: "forwarded, delivery not confirmed",
    0x02: "replaced by the service centre",
    0x20: "congestion, still trying",
    0x21: "recipient busy, still trying",
    0x22: "no response from recipient, still trying",
    0x23: "service rejected, still trying",
    0x24: "quality of service not available, still trying",
    0x25: "error in recipient, still trying",
    0x40: "remote procedure error",
    0x41: "incompatible destination",
    0x42: "connection rejected by recipient",
    0x43: "not obtainable",
    0x44: "quality of service not available",
    0x45: "no interworking available",
    0x46: "validity period expired",
    0x47: "deleted by the sender",
    0x48: "deleted by the service centre",
    0x49: "message does not exist",
    0x60: "congestion, gave up",
    0x61: "recipient busy, gave up",
    0x62: "no response from recipient, gave up",
    0x63: "service rejected, gave up",
    0x64: "quality of service not available, gave up",
    0x65: "error in recipient, gave up",
}


def status_meaning(status: int) -> str:
    """Plain words for a TP-ST value."""
    text = _STATUS_MEANINGS.get(status)
    if text:
        return text
    if status <= 0x1F:
        return "delivered (SC specific)"
    if status <= 0x3F:
        return "temporary error, still trying"
    if status <= 0x5F:
        return "permanent error"
    return "temporary error, gave up"


# --------------------------------------------------------------------------- reading


class _Reader:
    """Cursor over PDU octets that raises PduError instead of IndexError."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def octet(self, what: str) -> int:
        if self.pos >= len(self.data):
            raise PduError(f"PDU ends before {what} (offset {self.pos})")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def take(self, count: int, what: str) -> bytes:
        if self.pos + count > len(self.data):
            raise PduError(
                f"PDU ends inside {what}: need {count} octets at offset {self.pos}, "
                f"have {len(self.data) - self.pos}"
            )
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def rest(self) -> bytes:
        chunk = self.data[self.pos :]
        self.pos = len(self.data)
        return chunk

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos


def parse_hex(pdu_hex: str) -> bytes:
    """Octets of a hex PDU as modems print it; stray quotes and whitespace are tolerated."""
    cleaned = "".join(pdu_hex.split()).strip('"')
    if not cleaned:
        raise PduError("empty PDU")
    if len(cleaned) % 2:
        raise PduError(f"odd number of hex digits ({len(cleaned)})")
    try:
        return binascii.unhexlify(cleaned)
    except (binascii.Error, ValueError) as exc:
        raise PduError(f"PDU is not hex: {exc}") from None


_BCD_DIGITS = "0123456789*#abc"


def _decode_bcd_digits(data: bytes, digits: int | None = None) -> str:
    out: list[str] = []
    for octet in data:
        for nibble in (octet & 0x0F, octet >> 4):
            if nibble == 0x0F:
                continue  # filler
            out.append(_BCD_DIGITS[nibble])
    if digits is not None:
        out = out[:digits]
    return "".join(out)


def _decode_address_value(toa: int, value: bytes, digits: int | None) -> Address:
    ton = (toa >> 4) & 0x07
    npi = toa & 0x0F
    if ton == 5:  # alphanumeric, GSM 7-bit packed
        septets = (len(value) * 8) // 7 if digits is None else (digits * 4) // 7
        text = gsm_alphabet.decode_septets(gsm_alphabet.unpack_septets(value, septets))
        return Address(text.rstrip("@\x00") if digits is None else text, ton, npi)
    number = _decode_bcd_digits(value, digits)
    if ton == 1 and number:
        number = "+" + number
    return Address(number, ton, npi)


def _read_address(reader: _Reader, what: str) -> Address:
    """TP-OA / TP-DA / TP-RA: length counts useful semi-octets."""
    digits = reader.octet(f"{what} length")
    if digits > 20:
        raise PduError(f"{what} length {digits} exceeds 20 semi-octets")
    toa = reader.octet(f"{what} type")
    value = reader.take((digits + 1) // 2, what)
    return _decode_address_value(toa, value, digits)


def _read_smsc(reader: _Reader) -> Address | None:
    """SMSC prefix: length counts octets including the type octet; 0 = default SMSC."""
    length = reader.octet("SMSC length")
    if length == 0:
        return None
    if length > 12:
        raise PduError(f"SMSC address length {length} octets is impossible")
    toa = reader.octet("SMSC type")
    value = reader.take(length - 1, "SMSC address")
    return _decode_address_value(toa, value, None)


def decode_dcs(dcs: int) -> DataCoding:
    """TS 23.038 section 4. Raises PduError for codings we cannot decode faithfully."""
    group = dcs >> 4
    if group <= 0x7:  # general data coding (0x0_-0x3_) or automatic deletion group (0x4_-0x7_)
        compressed = bool(dcs & 0x20)
        message_class = dcs & 0x03 if dcs & 0x10 else None
        alpha_bits = (dcs >> 2) & 0x03
        alphabet = {0: Alphabet.GSM7, 1: Alphabet.EIGHT_BIT, 2: Alphabet.UCS2}.get(
            alpha_bits, Alphabet.GSM7  # reserved: assume default alphabet (23.038 clause 4)
        )
        return DataCoding(dcs, alphabet, message_class, compressed)
    if group <= 0xB:  # reserved coding groups: assume default alphabet
        return DataCoding(dcs, Alphabet.GSM7)
    if group in (0xC, 0xD):  # message waiting indication, default alphabet
        return DataCoding(dcs, Alphabet.GSM7)
    if group == 0xE:  # message waiting indication, UCS-2
        return DataCoding(dcs, Alphabet.UCS2)
    # group 0xF: data coding / message class. Bit 3 is reserved (must be 0); phones that set it
    # still mostly mean bit 2, so we follow bit 2 but let the user data length confirm it.
    alphabet = Alphabet.EIGHT_BIT if dcs & 0x04 else Alphabet.GSM7
    return DataCoding(dcs, alphabet, dcs & 0x03, reserved_bits=bool(dcs & 0x08))


def _decode_scts(data: bytes) -> datetime | None:
    """Service centre time stamp; ``None`` when the digits do not form a valid date."""
    try:
        fields = []
        for octet in data[:6]:
            lo, hi = octet & 0x0F, octet >> 4
            if lo > 9 or hi > 9:
                return None
            fields.append(lo * 10 + hi)
        tz_octet = data[6]
        tz_lo, tz_hi = tz_octet & 0x07, tz_octet >> 4
        if tz_lo > 9 or tz_hi > 9:
            return None
        quarters = tz_lo * 10 + tz_hi
        if tz_octet & 0x08:
            quarters = -quarters
        year, month, day, hour, minute, second = fields
        year += 1900 if year >= 90 else 2000
        return datetime(
            year, month, day, hour, minute, second,
            tzinfo=timezone(timedelta(minutes=15 * quarters)),
        )
    except (ValueError, IndexError, OverflowError):
        return None


def _parse_udh(header: bytes) -> UserDataHeader:
    elements: list[InformationElement] = []
    concatenation: Concatenation | None = None
    pos = 0
    while pos < len(header):
        if pos + 2 > len(header):
            raise PduError("user data header ends inside an information element")
        iei, length = header[pos], header[pos + 1]
        value = header[pos + 2 : pos + 2 + length]
        if len(value) != length:
            raise PduError(f"UDH element 0x{iei:02X} claims {length} octets beyond the header")
        pos += 2 + length
        elements.append(InformationElement(iei, bytes(value)))
        concat: Concatenation | None = None
        if iei == 0x00 and length == 3:
            concat = Concatenation(value[0], value[1], value[2], 8)
        elif iei == 0x08 and length == 4:
            concat = Concatenation((value[0] << 8) | value[1], value[2], value[3], 16)
        # TS 23.040 9.2.3.24.1: a zero total/sequence or sequence > total means ignore the IE.
        if concat and concat.total and 0 < concat.sequence <= concat.total:
            concatenation = concat
    return UserDataHeader(tuple(elements), concatenation)


def _decode_user_data(reader: _Reader, coding: DataCoding, has_udh: bool) -> UserData:
    udl = reader.octet("TP-UDL")
    body = reader.rest()
    warnings: list[str] = []
    if coding.compressed:
        raise PduError(f"compressed user data (TP-DCS 0x{coding.raw:02X}) is not supported")
    if coding.reserved_bits:
        expected = gsm_alphabet.packed_length(udl) if coding.alphabet is Alphabet.GSM7 else udl
        if len(body) != expected:
            raise PduError(
                f"TP-DCS 0x{coding.raw:02X} sets a reserved bit and its {coding.alphabet.value} "
                f"reading needs {expected} octets of user data, but {len(body)} are present: "
                "the coding of the user data is unknown"
            )
        warnings.append(f"TP-DCS 0x{coding.raw:02X} sets a reserved bit")
    if coding.alphabet is Alphabet.GSM7:
        needed = gsm_alphabet.packed_length(udl)
        if len(body) < needed:
            raise PduError(f"user data truncated: {udl} septets need {needed} octets, have {len(body)}")
        if len(body) > needed:
            warnings.append(f"{len(body) - needed} octets after the user data ignored")
            body = body[:needed]
    else:
        if len(body) < udl:
            raise PduError(f"user data truncated: TP-UDL {udl} octets, have {len(body)}")
        if len(body) > udl:
            warnings.append(f"{len(body) - udl} octets after the user data ignored")
            body = body[:udl]
    header: UserDataHeader | None = None
    header_octets = 0
    if has_udh:
        if not body:
            raise PduError("TP-UDHI is set but the user data is empty")
        header_octets = body[0] + 1
        if header_octets > len(body):
            raise PduError(f"user data header length {body[0]} exceeds the user data")
        header = _parse_udh(body[1:header_octets])
    payload_octets = body[header_octets:]
    if coding.alphabet is Alphabet.GSM7:
        header_septets = (header_octets * 8 + 6) // 7
        fill_bits = header_septets * 7 - header_octets * 8
        text_septets = udl - header_septets
        if text_septets < 0:
            raise PduError("user data header is longer than TP-UDL")
        try:
            septets = gsm_alphabet.unpack_septets(payload_octets, text_septets, fill_bits)
        except ValueError as exc:
            raise PduError(str(exc)) from None
        return UserData(header, gsm_alphabet.decode_septets(septets), payload_octets, tuple(warnings))
    if coding.alphabet is Alphabet.UCS2:
        if len(payload_octets) % 2:
            warnings.append("odd UCS-2 octet count, last octet ignored")
        even = payload_octets[: len(payload_octets) - len(payload_octets) % 2]
        text = even.decode("utf-16-be", errors="surrogatepass")
        return UserData(header, text, payload_octets, tuple(warnings))
    return UserData(header, None, payload_octets, tuple(warnings))


def decode_pdu(pdu_hex: str, *, with_smsc: bool = True) -> DecodedPdu:
    """Decode a PDU as listed by ``AT+CMGL``/``AT+CMGR`` (SMSC prefix included by default).

    The message type comes from TP-MTI as stored on a SIM: 0 deliver, 1 submit,
    2 status report. Raises ``PduError`` for anything malformed.
    """
    try:
        return _decode(pdu_hex, with_smsc)
    except PduError:
        raise
    except (ValueError, IndexError, OverflowError, UnicodeError) as exc:  # defensive: stay typed
        raise PduError(f"malformed PDU: {exc}") from None


def _decode(pdu_hex: str, with_smsc: bool) -> DecodedPdu:
    raw = "".join(pdu_hex.split()).strip('"').upper()
    reader = _Reader(parse_hex(pdu_hex))
    smsc = _read_smsc(reader) if with_smsc else None
    first = reader.octet("first octet")
    mti = first & 0x03
    if mti == 0:
        sender = _read_address(reader, "TP-OA")
        pid = reader.octet("TP-PID")
        coding = decode_dcs(reader.octet("TP-DCS"))
        scts_octets = reader.take(7, "TP-SCTS")
        user_data = _decode_user_data(reader, coding, bool(first & 0x40))
        return SmsDeliver(
            raw=raw, smsc=smsc, sender=sender, protocol_id=pid, coding=coding,
            scts=_decode_scts(scts_octets), scts_raw=scts_octets.hex().upper(),
            user_data=user_data, more_messages_to_send=not first & 0x04,
            status_report_indication=bool(first & 0x20), reply_path=bool(first & 0x80),
        )
    if mti == 1:
        reference = reader.octet("TP-MR")
        recipient = _read_address(reader, "TP-DA")
        pid = reader.octet("TP-PID")
        coding = decode_dcs(reader.octet("TP-DCS"))
        vpf = (first >> 3) & 0x03
        validity = reader.take({0: 0, 2: 1, 1: 7, 3: 7}[vpf], "TP-VP")
        user_data = _decode_user_data(reader, coding, bool(first & 0x40))
        return SmsSubmit(
            raw=raw, smsc=smsc, message_reference=reference, recipient=recipient,
            protocol_id=pid, coding=coding, validity=validity, user_data=user_data,
            status_report_request=bool(first & 0x20), reject_duplicates=bool(first & 0x04),
        )
    if mti == 2:
        reference = reader.octet("TP-MR")
        recipient = _read_address(reader, "TP-RA")
        scts = _decode_scts(reader.take(7, "TP-SCTS"))
        discharge = _decode_scts(reader.take(7, "TP-DT"))
        status = reader.octet("TP-ST")
        # Optional TP-PI/PID/DCS/UD may follow; we do not need them and many phones pad with FF.
        return SmsStatusReport(
            raw=raw, smsc=smsc, message_reference=reference, recipient=recipient,
            scts=scts, discharge_time=discharge, status=status,
        )
    raise PduError("TP-MTI 3 is reserved")


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class EncodedPdu:
    """One PDU ready for ``AT+CMGS=<tpdu_length>``; ``hex`` includes the SMSC prefix."""

    hex: str
    tpdu_length: int
    sequence: int = 1
    total: int = 1


@dataclass(frozen=True)
class SplitText:
    """Text cut into SMS-sized parts, with the alphabet chosen for it."""

    alphabet: Alphabet
    parts: tuple[str, ...] = field(default_factory=tuple)


class MessageTooLong(DeviceInputError):
    """The text needs more than 255 parts."""


def _encode_bcd(number: str) -> bytes:
    digits = number
    if len(digits) % 2:
        digits += "F"
    table = {c: i for i, c in enumerate(_BCD_DIGITS)}
    table["F"] = 0x0F
    out = bytearray()
    for i in range(0, len(digits), 2):
        try:
            lo, hi = table[digits[i].lower() if digits[i] in "ABC" else digits[i]], table[digits[i + 1]]
        except KeyError:
            raise ValueError(f"not a phone number: {number!r}") from None
        out.append(lo | (hi << 4))
    return bytes(out)


def _encode_address(number: str, *, allow_alphanumeric: bool) -> bytes:
    """TP-OA/TP-DA octets (length in semi-octets, type, value)."""
    stripped = number.replace(" ", "").replace("-", "")
    if stripped.startswith("+") and stripped[1:].isdigit():
        digits = stripped[1:]
        return bytes([len(digits), 0x91]) + _encode_bcd(digits)
    if stripped.isdigit() and stripped:
        return bytes([len(stripped), 0x81]) + _encode_bcd(stripped)
    if not allow_alphanumeric:
        raise ValueError(f"not a phone number: {number!r}")
    septets = gsm_alphabet.encode_septets_strict(number)
    if len(septets) > 11:
        raise ValueError("alphanumeric address longer than 11 characters")
    packed = gsm_alphabet.pack_septets(septets)
    semi_octets = (len(septets) * 7 + 3) // 4
    return bytes([semi_octets, 0xD0]) + packed


def _encode_smsc(smsc: str | None) -> bytes:
    if not smsc:
        return b"\x00"
    address = _encode_address(smsc, allow_alphanumeric=False)
    return bytes([len(address) - 1]) + address[1:]


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-be", errors="surrogatepass")) // 2


def split_text(text: str, *, force_ucs2: bool = False) -> SplitText:
    """Choose GSM 7-bit when every character fits, else UCS-2, and cut into parts that never
    separate an escape pair or a surrogate pair."""
    if not force_ucs2 and gsm_alphabet.is_gsm7(text):
        total = gsm_alphabet.septet_length(text) or 0
        if total <= GSM7_SINGLE_SEPTETS:
            return SplitText(Alphabet.GSM7, (text,))
        parts: list[str] = []
        current: list[str] = []
        used = 0
        for ch in text:
            cost = 2 if ch in gsm_alphabet.EXTENSION_TABLE.values() else 1
            if used + cost > GSM7_PART_SEPTETS:
                parts.append("".join(current))
                current, used = [], 0
            current.append(ch)
            used += cost
        if current:
            parts.append("".join(current))
        result = SplitText(Alphabet.GSM7, tuple(parts))
    else:
        if _utf16_units(text) <= UCS2_SINGLE_UNITS:
            return SplitText(Alphabet.UCS2, (text,))
        parts = []
        current = []
        used = 0
        for ch in text:
            cost = _utf16_units(ch)
            if used + cost > UCS2_PART_UNITS:
                parts.append("".join(current))
                current, used = [], 0
            current.append(ch)
            used += cost
        if current:
            parts.append("".join(current))
        result = SplitText(Alphabet.UCS2, tuple(parts))
    if len(result.parts) > MAX_PARTS:
        raise MessageTooLong(f"text needs {len(result.parts)} parts, at most {MAX_PARTS} allowed")
    return result


def _concat_udh(reference: int, total: int, sequence: int, reference_bits: int) -> bytes:
    if reference_bits == 16:
        return bytes([6, 0x08, 4, (reference >> 8) & 0xFF, reference & 0xFF, total, sequence])
    return bytes([5, 0x00, 3, reference & 0xFF, total, sequence])


def _encode_user_data(alphabet: Alphabet, text: str, udh: bytes) -> tuple[int, bytes]:
    """(TP-UDL, TP-UD) for one part. ``udh`` includes its own length octet, or is empty."""
    if alphabet is Alphabet.GSM7:
        septets = gsm_alphabet.encode_septets_strict(text)
        header_septets = (len(udh) * 8 + 6) // 7
        fill_bits = header_septets * 7 - len(udh) * 8
        return header_septets + len(septets), udh + gsm_alphabet.pack_septets(septets, fill_bits)
    payload = udh + text.encode("utf-16-be", errors="surrogatepass")
    return len(payload), payload


def _dcs_for(alphabet: Alphabet, message_class: int | None) -> int:
    base = 0x08 if alphabet is Alphabet.UCS2 else 0x00
    return base | (0x10 | message_class) if message_class is not None else base


def encode_submit(
    to: str,
    text: str,
    *,
    concat_reference: int = 0,
    request_status_report: bool = False,
    smsc: str | None = None,
    force_ucs2: bool = False,
    validity_relative: int = 0xA7,  # 24 hours
    reference_bits: int = 8,
) -> list[EncodedPdu]:
    """SMS-SUBMIT PDU(s) for ``text`` to ``to`` ("+4479..." or national digits).

    Long text becomes several parts sharing ``concat_reference``. TP-MR is 0:
    the modem assigns the real reference and prints it in ``+CMGS: <mr>``.
    """
    split = split_text(text, force_ucs2=force_ucs2)
    total = len(split.parts)
    destination = _encode_address(to, allow_alphanumeric=False)
    smsc_octets = _encode_smsc(smsc)
    out: list[EncodedPdu] = []
    for sequence, part in enumerate(split.parts, start=1):
        udh = _concat_udh(concat_reference, total, sequence, reference_bits) if total > 1 else b""
        first = 0x01 | 0x10  # SMS-SUBMIT, relative validity period
        if request_status_report:
            first |= 0x20
        if udh:
            first |= 0x40
        udl, ud = _encode_user_data(split.alphabet, part, udh)
        tpdu = (
            bytes([first, 0x00]) + destination
            + bytes([0x00, _dcs_for(split.alphabet, None), validity_relative & 0xFF, udl]) + ud
        )
        out.append(EncodedPdu((smsc_octets + tpdu).hex().upper(), len(tpdu), sequence, total))
    return out


def _encode_scts(moment: datetime) -> bytes:
    offset = moment.utcoffset() or timedelta(0)
    quarters = int(offset.total_seconds() // 900)
    values = [moment.year % 100, moment.month, moment.day, moment.hour, moment.minute, moment.second]
    out = bytearray((v % 10) << 4 | (v // 10) for v in values)
    q = abs(quarters)
    tz = ((q % 10) << 4) | (q // 10)
    if quarters < 0:
        tz |= 0x08
    out.append(tz)
    return bytes(out)


def encode_deliver(
    sender: str,
    text: str,
    *,
    scts: datetime,
    concat_reference: int = 0,
    reference_bits: int = 8,
    smsc: str | None = "+4477000000",
    force_ucs2: bool = False,
    message_class: int | None = None,
) -> list[str]:
    """SMS-DELIVER PDU hex strings (with SMSC prefix) as a network would store them on a SIM.

    Used by the modem simulator and tests; a long text becomes concatenated parts.
    """
    split = split_text(text, force_ucs2=force_ucs2)
    total = len(split.parts)
    origin = _encode_address(sender, allow_alphanumeric=True)
    smsc_octets = _encode_smsc(smsc)
    stamp = _encode_scts(scts)
    out = []
    for sequence, part in enumerate(split.parts, start=1):
        udh = _concat_udh(concat_reference, total, sequence, reference_bits) if total > 1 else b""
        first = 0x04  # SMS-DELIVER, no more messages waiting
        if udh:
            first |= 0x40
        udl, ud = _encode_user_data(split.alphabet, part, udh)
        tpdu = (
            bytes([first]) + origin
            + bytes([0x00, _dcs_for(split.alphabet, message_class)]) + stamp + bytes([udl]) + ud
        )
        out.append((smsc_octets + tpdu).hex().upper())
    return out


def encode_status_report(
    message_reference: int,
    recipient: str,
    *,
    scts: datetime,
    discharge_time: datetime,
    status: int = 0,
    smsc: str | None = "+4477000000",
) -> EncodedPdu:
    """SMS-STATUS-REPORT PDU as a network would send it for a message we submitted."""
    tpdu = (
        bytes([0x06, message_reference & 0xFF])
        + _encode_address(recipient, allow_alphanumeric=False)
        + _encode_scts(scts) + _encode_scts(discharge_time) + bytes([status & 0xFF])
    )
    return EncodedPdu((_encode_smsc(smsc) + tpdu).hex().upper(), len(tpdu))


def clean_text(text: str) -> str:
    """Join surrogate pairs that arrived as separate code points (a pair split across UCS-2
    parts) and replace any that remain unpaired, so the text is valid Unicode."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    data = text.encode("utf-16-be", errors="surrogatepass")
    return data.decode("utf-16-be", errors="replace")
