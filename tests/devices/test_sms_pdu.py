"""SMS PDU encoding, splitting, round trips and robustness against random input."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.gsm import gsm_alphabet
from devices.gsm.sms_pdu import (
    Alphabet,
    MessageTooLong,
    PduError,
    SmsDeliver,
    SmsStatusReport,
    SmsSubmit,
    clean_text,
    decode_pdu,
    encode_deliver,
    encode_status_report,
    encode_submit,
    split_text,
)

GSM7_CHARS = [c for i, c in enumerate(gsm_alphabet.BASIC_TABLE) if i != gsm_alphabet.ESCAPE] + list(
    gsm_alphabet.EXTENSION_TABLE.values())
# Any Unicode scalar value except lone surrogates (which cannot be sent).
UNICODE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
EMOJI_TEXT = st.lists(st.sampled_from(["😀", "🍕", "👍🏽", "🇬🇧", "€", "Ж", "中", "a", " "]),
                      max_size=150).map("".join)
WHEN = datetime(2026, 11, 23, 9, 30, 15, tzinfo=timezone(timedelta(hours=1)))


def _submit_parts(hexes: list[str]) -> list[SmsSubmit]:
    out = []
    for h in hexes:
        decoded = decode_pdu(h)
        assert isinstance(decoded, SmsSubmit)
        out.append(decoded)
    return out


def test_short_gsm7_submit_is_one_part_with_status_report_request() -> None:
    [pdu] = encode_submit("+447700900123", "Two margheritas please", request_status_report=True)
    assert pdu.hex.startswith("00")  # default SMSC
    assert pdu.tpdu_length == len(pdu.hex) // 2 - 1
    [decoded] = _submit_parts([pdu.hex])
    assert decoded.recipient.number == "+447700900123"
    assert decoded.status_report_request
    assert decoded.coding.alphabet is Alphabet.GSM7
    assert decoded.text == "Two margheritas please"
    assert decoded.user_data.header is None


def test_160_septets_fit_one_part_161_need_two() -> None:
    assert len(encode_submit("123", "x" * 160)) == 1
    pdus = encode_submit("123", "x" * 161, concat_reference=42)
    assert [p.sequence for p in pdus] == [1, 2]
    parts = _submit_parts([p.hex for p in pdus])
    assert [len(p.text or "") for p in parts] == [153, 8]
    for p in parts:
        assert p.concatenation is not None
        assert (p.concatenation.reference, p.concatenation.total) == (42, 2)


def test_escape_pair_never_split() -> None:
    text = "a" * 152 + "€" + "b" * 10
    split = split_text(text)
    assert split.alphabet is Alphabet.GSM7
    assert split.parts == ("a" * 152, "€" + "b" * 10)


def test_non_gsm_text_goes_ucs2_and_surrogate_pairs_stay_whole() -> None:
    text = "ж" * 66 + "😀" + "end"
    split = split_text(text)
    assert split.alphabet is Alphabet.UCS2
    assert split.parts[0] == "ж" * 66  # the emoji (2 UTF-16 units) does not fit unit 67
    assert split.parts[1].startswith("😀")
    assert len(split_text("ж" * 70).parts) == 1
    assert len(split_text("ж" * 71).parts) == 2


def test_too_long_text_is_refused() -> None:
    with pytest.raises(MessageTooLong):
        split_text("x" * (153 * 255 + 1))


def test_sixteen_bit_reference_round_trip() -> None:
    pdus = encode_deliver("+15551234", "y" * 300, scts=WHEN, concat_reference=0xBEEF,
                          reference_bits=16)
    decoded = [decode_pdu(h) for h in pdus]
    assert all(isinstance(d, SmsDeliver) for d in decoded)
    concat = [d.concatenation for d in decoded if isinstance(d, SmsDeliver)]
    assert [(c.reference, c.reference_bits, c.sequence) for c in concat if c] == [
        (0xBEEF, 16, 1), (0xBEEF, 16, 2)]
    assert "".join(d.text or "" for d in decoded if isinstance(d, SmsDeliver)) == "y" * 300


def test_deliver_alphanumeric_sender_and_class() -> None:
    [pdu] = encode_deliver("PizzaCo", "Hi", scts=WHEN, message_class=0)
    decoded = decode_pdu(pdu)
    assert isinstance(decoded, SmsDeliver)
    assert decoded.sender.is_alphanumeric and decoded.sender.number == "PizzaCo"
    assert decoded.coding.message_class == 0
    assert decoded.scts == WHEN


def test_status_report_round_trip() -> None:
    pdu = encode_status_report(17, "+447700900123", scts=WHEN, discharge_time=WHEN, status=0x46)
    decoded = decode_pdu(pdu.hex)
    assert isinstance(decoded, SmsStatusReport)
    assert decoded.message_reference == 17
    assert not decoded.delivered and decoded.final
    assert decoded.status_text == "validity period expired"


def test_clean_text_joins_split_surrogates_and_replaces_lone_ones() -> None:
    pair = "😀".encode("utf-16-be")
    high = pair[:2].decode("utf-16-be", errors="surrogatepass")
    low = pair[2:].decode("utf-16-be", errors="surrogatepass")
    assert clean_text("a" + high + low + "b") == "a😀b"
    assert clean_text("a" + high) == "a\ufffd"


@pytest.mark.parametrize("bad", ["", "0", "zz", "00", "0001", "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F9"])
def test_broken_pdus_raise_pdu_error(bad: str) -> None:
    with pytest.raises(PduError):
        decode_pdu(bad)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(GSM7_CHARS), min_size=0, max_size=700),
       st.booleans(), st.integers(0, 255))
def test_gsm7_submit_round_trip(text: str, srr: bool, ref: int) -> None:
    pdus = encode_submit("+4915112345678", text, concat_reference=ref, request_status_report=srr)
    # first, MR, DA (2 + 7 octets for 13 digits), PID, DCS, VP, UDL precede TP-UD: 15 octets.
    assert all(p.tpdu_length - 15 <= 140 for p in pdus)
    parts = _submit_parts([p.hex for p in pdus])
    assert all(p.coding.alphabet is Alphabet.GSM7 for p in parts)
    assert all(p.status_report_request == srr for p in parts)
    assert all(len(p.user_data.data) <= 140 for p in parts)
    assert "".join(p.text or "" for p in parts) == text
    if len(parts) > 1:
        assert [p.concatenation.sequence for p in parts if p.concatenation] == list(
            range(1, len(parts) + 1))


@settings(max_examples=150, deadline=None)
@given(st.one_of(UNICODE_TEXT, EMOJI_TEXT))
def test_unicode_deliver_round_trip(text: str) -> None:
    pdus = encode_deliver("+447700900123", text, scts=WHEN, concat_reference=7)
    decoded = [decode_pdu(h) for h in pdus]
    texts = []
    for d in decoded:
        assert isinstance(d, SmsDeliver)
        assert d.sender.number == "+447700900123"
        assert d.scts == WHEN
        texts.append(d.text or "")
    assert clean_text("".join(texts)) == text


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200))
def test_random_octets_only_ever_raise_pdu_error(data: bytes) -> None:
    for with_smsc in (True, False):
        try:
            decode_pdu(data.hex(), with_smsc=with_smsc)
        except PduError:
            pass


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=100))
def test_random_strings_only_ever_raise_pdu_error(text: str) -> None:
    try:
        decode_pdu(text)
    except PduError:
        pass
