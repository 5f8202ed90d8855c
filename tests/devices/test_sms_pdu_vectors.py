"""Every PDU of the recorded Gammu transcripts, decoded and compared with python-gammu.

python-gammu is a reference, not gospel. Where we disagree, the test says which
answer is right and why (see ``DISAGREEMENTS``); everything else must match field
for field.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devices.gsm.sms_pdu import (
    Alphabet,
    PduError,
    SmsDeliver,
    SmsStatusReport,
    SmsSubmit,
    decode_pdu,
)
from tests.devices.gsm_vectors import load_transcripts

TRANSCRIPTS = load_transcripts()

# Broken on purpose or broken in the recording: the decoder must raise the typed error.
CORRUPT = {
    # UDHI set but TP-UDL is 0: no room for the header gammu itself rejects.
    "20.dump": "user data is empty",
    # DCS 0xF9 sets reserved bit 3; bit 2 says GSM 7-bit, which needs 16 octets for UDL 18, but
    # 18 octets of UCS-2 ("Тест Test") follow. The phone counted octets: the coding is unknowable,
    # so it goes to quarantine instead of becoming junk text (gammu shows the octets as 8-bit).
    "14.dump": "reserved bit",
    # UDL says 93 septets (8 header + 85 text) but only 82 text septets are present: the PDU was
    # cut. gammu prints the truncated text ("...natashenka.par"); we refuse it rather than
    # store a silently shortened message.
    "41.dump": "truncated",
}


def _gammu_time(value: str | None) -> str | None:
    return value


def _our_time(value: datetime | None) -> str | None:
    return None if value is None else str(value)


def _vector_ids() -> list[tuple[str, dict[str, Any]]]:
    return [(t.name, p) for t in TRANSCRIPTS for p in t.decoded]


def test_every_transcript_is_covered() -> None:
    assert len(TRANSCRIPTS) == 36
    assert sum(len(t.decoded) for t in TRANSCRIPTS) == 35  # 04.dump has no gammu decoding


@pytest.mark.parametrize(("name", "expected"), _vector_ids(), ids=[n for n, _ in _vector_ids()])
def test_decode_matches_gammu(name: str, expected: dict[str, Any]) -> None:
    if name in CORRUPT:
        with pytest.raises(PduError, match=CORRUPT[name]):
            decode_pdu(expected["pdu"])
        return
    decoded = decode_pdu(expected["pdu"])
    kind = {"Deliver": SmsDeliver, "Submit": SmsSubmit, "Status_Report": SmsStatusReport}
    assert isinstance(decoded, kind[expected["type"]])

    if isinstance(decoded, SmsStatusReport):
        assert decoded.recipient.number == expected["number"]
        assert _our_time(decoded.scts) == expected["smsc_time"]
        if name == "34.dump":
            # gammu reads the optional TP-UD after TP-ST (empty) as the text; TP-ST is 0x00.
            assert expected["text"] == ""
        else:
            assert expected["text"] == "Delivered"
        assert decoded.status == 0 and decoded.delivered and decoded.final
        return

    number = decoded.sender.number if isinstance(decoded, SmsDeliver) else decoded.recipient.number
    assert number == expected["number"]
    if isinstance(decoded, SmsDeliver):
        if name == "09.dump":
            # TP-SCTS year digits are "99"; gammu maps that to 2089, but a two-digit SMS year of 99
            # in a recording from the early 2000s is 1999. We pivot at 90.
            assert expected["smsc_time"] == "2089-03-29 15:16:59+02:00"
            assert _our_time(decoded.scts) == "1999-03-29 15:16:59+02:00"
        else:
            assert _our_time(decoded.scts) == expected["smsc_time"]

    if name == "42.dump":
        # DCS 0xFB: reserved bit 3 set, bit 2 clear = GSM 7-bit class 3. UDL 29 septets fill the
        # 26 octets exactly and read as text; gammu calls it 8-bit and prints hex.
        assert expected["coding"] == "8bit"
        assert decoded.coding.alphabet is Alphabet.GSM7
        assert decoded.text == "1917812300     22:30   RATTHI"
        assert decoded.user_data.data.hex() == expected["text"]
        return

    coding = {"Default_No_Compression": Alphabet.GSM7, "8bit": Alphabet.EIGHT_BIT,
              "Unicode_No_Compression": Alphabet.UCS2}[expected["coding"]]
    assert decoded.coding.alphabet is coding
    if coding is Alphabet.EIGHT_BIT:
        assert decoded.text is None
        assert decoded.user_data.data.hex() == expected["text"]
    else:
        assert decoded.text == expected["text"]

    header = decoded.user_data.header
    if expected["udh"] == "NoUDH":
        assert header is None
    elif expected["udh"] == "ConcatenatedMessages":
        assert header is not None and header.concatenation is not None
        concat = header.concatenation
        assert (concat.reference, concat.sequence, concat.total) == (
            expected["udh_id"], expected["part"], expected["parts"])
    else:
        assert expected["udh"] == "UserUDH"
        assert header is not None and header.concatenation is None


def test_39_octets_after_user_data_are_ignored_with_a_warning() -> None:
    """39.dump: UDL 53 septets (47 octets) but 77 octets follow. The text ends cleanly at UDL,
    so the trailing octets are junk, not message: decode and warn (gammu agrees on the text)."""
    pdu = next(t.decoded[0]["pdu"] for t in TRANSCRIPTS if t.name == "39.dump")
    decoded = decode_pdu(pdu)
    assert isinstance(decoded, SmsDeliver)
    assert decoded.text == "llamada perdida de: +34617653167 on 07/08  at  11:19."
    assert decoded.user_data.warnings == ("30 octets after the user data ignored",)


def test_04_pdu_with_stray_quote_decodes() -> None:
    """04.dump: the modem printed a stray quote after the PDU (gammu gave up). O2's alphanumeric
    sender uses 6 semi-octets, i.e. three septets: 'O2' plus an underscore."""
    transcript = next(t for t in TRANSCRIPTS if t.name == "04.dump")
    pdu_line = transcript.transcript.splitlines()[2]
    assert pdu_line.endswith('"')
    decoded = decode_pdu(pdu_line)
    assert isinstance(decoded, SmsDeliver)
    assert decoded.sender.is_alphanumeric
    assert decoded.sender.number == "O2_"
    assert decoded.text is not None
    assert decoded.text.startswith("O2: You now have your Text Anytime 300 UK texts & 1MB of data")
    assert len(decoded.text) == 159
    assert decoded.scts == datetime(2006, 11, 19, 8, 26, 34, tzinfo=UTC)


def test_timezone_quarter_hours_and_sign() -> None:
    """03.dump carries +05:30 (22 quarter hours); a negative zone sets bit 3 of the TZ octet."""
    pdu = next(t.decoded[0]["pdu"] for t in TRANSCRIPTS if t.name == "03.dump")
    decoded = decode_pdu(pdu)
    assert isinstance(decoded, SmsDeliver) and decoded.scts is not None
    assert decoded.scts.utcoffset() == timedelta(hours=5, minutes=30)
    # Same PDU with the zone octet 0x22 replaced by 0x6A: 0x08 sign bit, digits "2" and "6"
    # -> -(2*10+6) quarters = -6:30.
    negative = pdu.replace("70503070400422", "7050307040046A")
    decoded = decode_pdu(negative)
    assert isinstance(decoded, SmsDeliver) and decoded.scts is not None
    assert decoded.scts.utcoffset() == -timedelta(hours=6, minutes=30)
