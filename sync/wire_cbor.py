"""Decoding the automerge-repo wire format: CBOR with only the types the protocol uses.

A peer's frame used to go to ``cbor2.loads``, which decodes every semantic tag: one
1 MiB frame holding a rational number of two huge bignums (tags 30 and 2) blocked the
engine's loop, and with it IPC, for 41 s; an 8 MiB frame of empty arrays built eight
million Python lists (RSS 150 -> 707 MB). automerge-repo's messages are small maps of
text, byte strings, integers, booleans and short arrays (``join``/``peer``/``sync``/
``request``/``doc-unavailable``/``ephemeral``/``remote-heads-changed``), so
:func:`decode` takes exactly that and refuses the rest before doing work for it:

* no semantic tags at all (major type 6), no indefinite lengths, no ``undefined``;
* integers to 64 bits, floats as the three IEEE sizes (JS numbers that are not whole);
* at most ``max_items`` values in all, nested at most ``max_depth`` deep, a container
  announcing more entries than bytes remain is refused before it is built;
* map keys are text.

Linear in the frame's length, so a 16 MiB frame (the link's cap) costs milliseconds.
:func:`encode` stays ``cbor2.dumps`` (we write only what the protocol needs).
"""

from __future__ import annotations

import struct
from typing import Any

import cbor2

MAX_ITEMS = 4096
MAX_DEPTH = 8

_HALF = struct.Struct(">e")
_SINGLE = struct.Struct(">f")
_DOUBLE = struct.Struct(">d")


class WireFormatError(ValueError):
    """The bytes are not an automerge-repo message this till decodes (and why)."""


def encode(obj: Any) -> bytes:
    return cbor2.dumps(obj)


def decode(data: bytes, *, max_items: int = MAX_ITEMS, max_depth: int = MAX_DEPTH) -> Any:
    """One CBOR value from ``data`` (which must hold nothing else), strictly."""
    decoder = _Decoder(memoryview(data), max_items, max_depth)
    value = decoder.value(0)
    if decoder.pos != len(data):
        raise WireFormatError(f"{len(data) - decoder.pos} bytes after the message")
    return value


class _Decoder:
    def __init__(self, data: memoryview, max_items: int, max_depth: int) -> None:
        self.data = data
        self.pos = 0
        self.items = 0
        self.max_items = max_items
        self.max_depth = max_depth

    def _take(self, n: int) -> memoryview:
        end = self.pos + n
        if end > len(self.data):
            raise WireFormatError("message ends in the middle of a value")
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def _argument(self, info: int) -> int:
        if info < 24:
            return info
        if info == 24:
            return self._take(1)[0]
        if info == 25:
            return int.from_bytes(self._take(2), "big")
        if info == 26:
            return int.from_bytes(self._take(4), "big")
        if info == 27:
            return int.from_bytes(self._take(8), "big")
        raise WireFormatError("indefinite lengths are not used by the protocol")

    def _count(self, n: int) -> None:
        self.items += n
        if self.items > self.max_items:
            raise WireFormatError(f"more than {self.max_items} values in one message")
        if n > len(self.data) - self.pos:  # every entry takes at least one byte
            raise WireFormatError("a container announces more entries than the message holds")

    def value(self, depth: int) -> Any:
        if depth > self.max_depth:
            raise WireFormatError(f"nested deeper than {self.max_depth}")
        initial = self._take(1)[0]
        major, info = initial >> 5, initial & 0x1F
        if major == 7:
            return self._simple(info)
        n = self._argument(info)
        if major == 0:
            return n
        if major == 1:
            return -1 - n
        if major == 2:
            return bytes(self._take(n))
        if major == 3:
            try:
                return str(self._take(n), "utf-8")
            except UnicodeDecodeError:
                raise WireFormatError("text that is not UTF-8") from None
        if major == 4:
            self._count(n)
            return [self.value(depth + 1) for _ in range(n)]
        if major == 5:
            self._count(2 * n)
            out: dict[str, Any] = {}
            for _ in range(n):
                key = self.value(depth + 1)
                if not isinstance(key, str):
                    raise WireFormatError("map keys must be text")
                out[key] = self.value(depth + 1)
            return out
        raise WireFormatError(f"CBOR tag {n} is not used by the protocol")

    def _simple(self, info: int) -> Any:
        if info == 20:
            return False
        if info == 21:
            return True
        if info == 22:
            return None
        if info == 25:
            return float(_HALF.unpack(self._take(2))[0])
        if info == 26:
            return float(_SINGLE.unpack(self._take(4))[0])
        if info == 27:
            return float(_DOUBLE.unpack(self._take(8))[0])
        raise WireFormatError(f"CBOR simple value {info} is not used by the protocol")
