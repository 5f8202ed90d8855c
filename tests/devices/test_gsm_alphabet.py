"""GSM 03.38 alphabet and septet packing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.gsm import gsm_alphabet as g

GSM7_CHARS = [c for i, c in enumerate(g.BASIC_TABLE) if i != g.ESCAPE] + list(
    g.EXTENSION_TABLE.values())


def test_known_packing_hellohello() -> None:
    # TS 23.038 example and 09.dump: "hellohello" packs to E8329BFD4697D9EC37.
    septets = g.encode_septets("hellohello")
    assert septets is not None
    assert g.pack_septets(septets).hex().upper() == "E8329BFD4697D9EC37"
    assert g.decode_septets(g.unpack_septets(bytes.fromhex("E8329BFD4697D9EC37"), 10)) == "hellohello"


def test_extension_characters_take_two_septets() -> None:
    assert g.encode_septets("€[") == [0x1B, 0x65, 0x1B, 0x3C]
    assert g.septet_length("a{b}") == 6
    assert g.decode_septets([0x1B, 0x65]) == "€"


def test_unknown_extension_code_falls_back_to_basic_table() -> None:
    # TS 23.038 6.2.1.1: escape + an undefined code shows the basic-table character.
    assert g.decode_septets([0x1B, 0x41]) == "A"
    assert g.decode_septets([0x41, 0x1B]) == "A "


def test_not_representable() -> None:
    assert g.encode_septets("Тест") is None
    assert not g.is_gsm7("café ☕")
    with pytest.raises(g.NotRepresentable, match="at 5"):
        g.encode_septets_strict("café ☕")


def test_fill_bits_align_text_after_header() -> None:
    # 19.dump: an empty UDH (one octet, 8 bits) is padded with 6 fill bits to 2 septets.
    septets = g.encode_septets("Sample Gammu message")
    assert septets is not None
    packed = g.pack_septets(septets, fill_bits=6)
    assert packed.hex().upper() == "C034DC86B3CBA063B8DDAE83DAE5F93C7C2E03"
    assert g.decode_septets(g.unpack_septets(packed, len(septets), fill_bits=6)) == "Sample Gammu message"


def test_unpack_too_short_raises_value_error() -> None:
    with pytest.raises(ValueError):
        g.unpack_septets(b"\x00", 3)


@given(st.text(alphabet=st.sampled_from(GSM7_CHARS), max_size=200), st.integers(0, 6))
def test_round_trip_any_gsm7_text(text: str, fill: int) -> None:
    septets = g.encode_septets(text)
    assert septets is not None
    packed = g.pack_septets(septets, fill)
    assert len(packed) == g.packed_length(len(septets), fill)
    assert g.decode_septets(g.unpack_septets(packed, len(septets), fill)) == text


@given(st.binary(max_size=64), st.integers(0, 6))
def test_any_octets_unpack_to_a_string(data: bytes, fill: int) -> None:
    count = max(0, (len(data) * 8 - fill) // 7)
    assert isinstance(g.decode_septets(g.unpack_septets(data, count, fill)), str)
