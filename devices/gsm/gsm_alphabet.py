"""GSM 03.38 / 3GPP TS 23.038 default alphabet, its extension table, and septet packing.

SMS text in the default alphabet travels as 7-bit septets packed into octets.
When a user data header precedes the text, the text starts on a septet
boundary, so ``fill_bits`` padding bits sit between header and text; both
``pack_septets`` and ``unpack_septets`` take that count.
"""

from __future__ import annotations

from devices.errors import DeviceInputError

ESCAPE = 0x1B

# Index = septet value. 0x1B is the escape to the extension table (shown as NBSP).
BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\xa0ÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(BASIC_TABLE) == 128

EXTENSION_TABLE: dict[int, str] = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

_BASIC_REVERSE: dict[str, int] = {ch: i for i, ch in enumerate(BASIC_TABLE) if i != ESCAPE}
_EXTENSION_REVERSE: dict[str, int] = {ch: code for code, ch in EXTENSION_TABLE.items()}


class NotRepresentable(DeviceInputError):
    """The text holds a character the GSM default alphabet cannot carry."""


def septets_for_char(ch: str) -> tuple[int, ...] | None:
    """The septet(s) for one character: one for the basic table, two (escape + code) for the
    extension table, ``None`` when the character has no GSM 7-bit form."""
    code = _BASIC_REVERSE.get(ch)
    if code is not None:
        return (code,)
    ext = _EXTENSION_REVERSE.get(ch)
    if ext is not None:
        return (ESCAPE, ext)
    return None


def encode_septets(text: str) -> list[int] | None:
    """Septet values for ``text``, or ``None`` when any character is not representable."""
    out: list[int] = []
    for ch in text:
        septets = septets_for_char(ch)
        if septets is None:
            return None
        out.extend(septets)
    return out


def encode_septets_strict(text: str) -> list[int]:
    """Like ``encode_septets`` but raises ``NotRepresentable`` naming the first bad character."""
    out: list[int] = []
    for pos, ch in enumerate(text):
        septets = septets_for_char(ch)
        if septets is None:
            raise NotRepresentable(f"character {ch!r} at {pos} is not in the GSM 7-bit alphabet")
        out.extend(septets)
    return out


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` has a GSM 7-bit encoding."""
    return all(ch in _BASIC_REVERSE or ch in _EXTENSION_REVERSE for ch in text)


def septet_length(text: str) -> int | None:
    """Number of septets ``text`` needs (escaped characters count two), or ``None``."""
    septets = encode_septets(text)
    return None if septets is None else len(septets)


def decode_septets(septets: list[int] | bytes) -> str:
    """Text for septet values. An escape before an unknown code shows that code from the basic
    table (TS 23.038 6.2.1.1); a trailing lone escape becomes a space."""
    out: list[str] = []
    escaped = False
    for value in septets:
        value &= 0x7F
        if escaped:
            escaped = False
            ext = EXTENSION_TABLE.get(value)
            if ext is not None:
                out.append(ext)
            elif value == ESCAPE:
                out.append(" ")  # escape to a further extension table we do not know
            else:
                out.append(BASIC_TABLE[value])
        elif value == ESCAPE:
            escaped = True
        else:
            out.append(BASIC_TABLE[value])
    if escaped:
        out.append(" ")
    return "".join(out)


def pack_septets(septets: list[int], fill_bits: int = 0) -> bytes:
    """Pack septets little-endian into octets, after ``fill_bits`` zero bits (0..6)."""
    if not 0 <= fill_bits <= 6:
        raise ValueError("fill_bits must be 0..6")
    acc = 0
    nbits = fill_bits
    out = bytearray()
    for value in septets:
        acc |= (value & 0x7F) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits > 0:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack_septets(data: bytes, count: int, fill_bits: int = 0) -> list[int]:
    """Unpack ``count`` septets from ``data`` after skipping ``fill_bits`` bits.

    Raises ``ValueError`` when ``data`` is too short for ``count`` septets.
    """
    if not 0 <= fill_bits <= 6:
        raise ValueError("fill_bits must be 0..6")
    needed_bits = fill_bits + 7 * count if count else 0
    if len(data) * 8 < needed_bits:
        raise ValueError(f"{count} septets need {(needed_bits + 7) // 8} octets, have {len(data)}")
    value = int.from_bytes(data, "little") >> fill_bits
    return [(value >> (7 * i)) & 0x7F for i in range(count)]


def packed_length(septet_count: int, fill_bits: int = 0) -> int:
    """Octets occupied by ``septet_count`` septets after ``fill_bits`` bits."""
    return (fill_bits + 7 * septet_count + 7) // 8


def encode_packed(text: str) -> bytes:
    """Text packed as septets (no header), e.g. for alphanumeric addresses. Raises
    ``NotRepresentable``."""
    return pack_septets(encode_septets_strict(text))
