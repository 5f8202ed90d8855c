"""The automerge-repo wire decoder takes the protocol's types and refuses the rest cheaply."""

from __future__ import annotations

import struct

import cbor2
import pytest

from sync.wire_cbor import WireFormatError, decode


def rational_frame(size: int) -> bytes:
    """The review's frame: a rational number (tag 30) of two bignums (tag 2), ``size`` bytes."""
    half = size // 2
    bignum = b"\xc2\x5a" + struct.pack(">I", half) + b"\xff" * half
    return (b"\xa2" + cbor2.dumps("type") + cbor2.dumps("sync") + cbor2.dumps("data")
            + b"\xd8\x1e\x82" + bignum + bignum)


def empty_arrays_frame(count: int) -> bytes:
    """The review's other frame: a map holding an array of ``count`` empty arrays."""
    return (b"\xa2" + cbor2.dumps("type") + cbor2.dumps("ephemeral") + cbor2.dumps("data")
            + b"\x9a" + struct.pack(">I", count) + b"\x80" * count)


def test_protocol_messages_decode_as_cbor2_writes_them() -> None:
    for msg in ({"type": "join", "senderId": "peer", "peerMetadata": {"isEphemeral": False,
                                                                       "storageId": "s"},
                 "supportedProtocolVersions": ["1"]},
                {"type": "sync", "senderId": "a", "targetId": "b", "documentId": "d",
                 "data": b"\x42\x00" * 1000},
                {"type": "ephemeral", "count": 7, "sessionId": "x", "data": b"",
                 "n": -5, "f": 1.5, "big": 2**63, "ok": True, "none": None}):
        assert decode(cbor2.dumps(msg)) == msg


@pytest.mark.parametrize(("data", "why"), [
    (rational_frame(1024 * 1024), "tag"),
    (empty_arrays_frame(8 * 1024 * 1024), "more than"),
    (b"\x81" * 100 + b"\x80", "deeper"),
    (cbor2.dumps({1: "x"}), "keys must be text"),
    (b"\xbf\xff", "indefinite"),
    (b"\x9a\xff\xff\xff\xff", "more than"),
    (b"\x99\x00\x10", "more entries"),
    (cbor2.dumps({"a": 1}) + b"\x00", "after the message"),
    (b"\x62\xff\xfe", "UTF-8"),
    (b"\x5a\x00\x10\x00\x00abc", "middle"),
    (b"\xf7", "simple value"),
])
def test_what_the_protocol_does_not_use_is_refused(data: bytes, why: str) -> None:
    with pytest.raises(WireFormatError, match=why):
        decode(data)
