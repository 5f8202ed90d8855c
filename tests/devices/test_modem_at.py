"""Sans-IO AT parser: real transcripts, URCs at any moment, any chunking, any garbage."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.gsm.modem_at import (
    AtParser,
    CallerId,
    DeliveredPdu,
    Echo,
    FinalResult,
    Garbage,
    MessageListing,
    MessageRead,
    MessageSent,
    ModemReady,
    NewMessage,
    NewStatusReport,
    PinState,
    Prompt,
    Registration,
    ResponseLine,
    Ring,
    SignalQuality,
    StatusReportPdu,
    TextModeLine,
    UnknownLine,
    is_unsolicited,
    split_args,
)
from tests.devices.gsm_vectors import load_transcripts

TRANSCRIPTS = load_transcripts()

SESSION = (
    b"\r\n+CMTI: \"SM\",3\r\n"
    b"\r\n+CMGL: 1,0,,23\r\n0791534850020200040C9153486507895500006090608164138004D4F29C0E\r\n"
    b"+CMTI: \"SM\",4\r\n"
    b"+CMGL: 2,1,,23\r\n"
    b"\r\nOK\r\n"
    b"\r\n+CSQ: 17,99\r\n\r\nOK\r\n"
    b"\r\n> "
)


def parse_all(data: bytes, step: int | None = None) -> list[object]:
    parser = AtParser()
    if step is None:
        return list(parser.feed(data))
    out: list[object] = []
    for i in range(0, len(data), step):
        out += parser.feed(data[i : i + step])
    return out


def test_every_recorded_transcript_yields_its_pdu() -> None:
    for t in TRANSCRIPTS:
        events = parse_all(t.transcript.replace("\n", "\r\n").encode("latin-1"))
        reads = [e for e in events if isinstance(e, MessageRead)]
        assert len(reads) == 1, t.name
        assert events[-1] == FinalResult(True, "OK", line="OK"), t.name
        if t.decoded:
            assert reads[0].pdu == t.decoded[0]["pdu"], t.name
        assert reads[0].pdu is not None


def test_odd_cmgr_headers_from_real_phones() -> None:
    # "+CMGR: ,,92" (39.dump, empty stat) and "+CMGR: 24" (38.dump, length only).
    by_name = {t.name: t for t in TRANSCRIPTS}
    for name in ("39.dump", "38.dump", "26.dump"):
        events = parse_all(by_name[name].transcript.encode())
        assert any(isinstance(e, MessageRead) and e.pdu for e in events), name


def test_session_with_interleaved_urcs() -> None:
    events = parse_all(SESSION)
    assert events == [
        NewMessage("SM", 3),
        MessageListing(1, 0, 23, "0791534850020200040C9153486507895500006090608164138004D4F29C0E"),
        NewMessage("SM", 4),
        MessageListing(2, 1, 23, None),
        FinalResult(True, "OK", line="OK"),
        SignalQuality(17, 99),
        FinalResult(True, "OK", line="OK"),
        Prompt(),
    ]
    assert [is_unsolicited(e) for e in events][:3] == [True, False, True]  # type: ignore[arg-type]


@given(st.integers(1, 40))
def test_chunking_does_not_change_events(step: int) -> None:
    assert parse_all(SESSION, step) == parse_all(SESSION)


def test_error_codes_with_meanings() -> None:
    events = parse_all(b"+CMS ERROR: 42\r\n+CMS ERROR: 500\r\n+CME ERROR: 10\r\n"
                       b"+CME ERROR: SIM PIN required\r\n+CMS ERROR: 540\r\nERROR\r\n")
    assert events[0] == FinalResult(False, "CMS", 42, "congestion", "+CMS ERROR: 42")
    assert isinstance(events[0], FinalResult) and events[0].transient
    assert isinstance(events[2], FinalResult) and events[2].meaning == "SIM not inserted"
    assert isinstance(events[2], FinalResult) and not events[2].transient
    assert isinstance(events[3], FinalResult) and events[3].code == 11
    assert isinstance(events[4], FinalResult) and events[4].meaning == "manufacturer specific"
    assert isinstance(events[5], FinalResult) and events[5].kind == "ERROR"


def test_status_and_call_lines() -> None:
    events = parse_all(
        b"+CREG: 0,1\r\n+CREG: 2\r\n+CREG: 5,\"00C3\",\"1234\"\r\n+CPIN: SIM PIN\r\n"
        b"+CMGS: 12\r\nRING\r\n+CLIP: \"+441234567\",145,,,\"Bob\",0\r\n"
        b"+CDSI: \"SR\",2\r\nRDY\r\n+CFUN: 1\r\nSMS Ready\r\nATE0\r\n+CPMS: 3,30,3,30,3,30\r\n"
        b"Quectel\r\n"
    )
    assert events == [
        Registration(1, unsolicited=False), Registration(2, unsolicited=True),
        Registration(5, unsolicited=True), PinState("SIM PIN"), MessageSent(12), Ring(),
        CallerId("+441234567", 145, "Bob"), NewStatusReport("SR", 2), ModemReady("RDY"),
        ModemReady("+CFUN: 1"), ModemReady("SMS Ready"), Echo("ATE0"),
        ResponseLine("+CPMS: 3,30,3,30,3,30", "+CPMS", ("3", "30", "3", "30", "3", "30")),
        ResponseLine("Quectel"),
    ]
    assert SignalQuality(99, 99).bars is None
    assert [SignalQuality(r, 0).bars for r in (0, 5, 12, 17, 22, 31)] == [0, 1, 2, 3, 4, 5]


def test_pdu_urcs_and_text_mode_detection() -> None:
    events = parse_all(
        b"+CDS: 25\r\n079124603050020006E80C91666666666666909070618422809090706184628000\r\n"
        b"+CMT: ,23\r\n0791534850020200040C9153486507895500006090608164138004D4F29C0E\r\n"
        b"+CMGL: 1,\"REC UNREAD\",\"+4412\",,\"26/11/23,09:00:00+04\"\r\nhello\r\nOK\r\n"
    )
    assert isinstance(events[0], StatusReportPdu) and events[0].length == 25
    assert isinstance(events[1], DeliveredPdu) and events[1].pdu is not None
    assert isinstance(events[2], TextModeLine)


def test_header_without_pdu_followed_by_urc() -> None:
    events = parse_all(b"+CMGR: 0,,23\r\n+CMTI: \"SM\",9\r\nOK\r\n")
    assert events == [MessageRead(0, 23, None), NewMessage("SM", 9),
                      FinalResult(True, "OK", line="OK")]


def test_endless_line_is_discarded_as_garbage() -> None:
    parser = AtParser()
    events = parser.feed(b"x" * 5000)
    assert events == [Garbage(5000)]
    assert parser.feed(b"\r\nOK\r\n") == [FinalResult(True, "OK", line="OK")]


def test_binary_noise_becomes_unknown_lines() -> None:
    events = parse_all(b"\xff\xfe\x01\x02junk\r\n\x00\x00OK\r\n")
    assert isinstance(events[0], UnknownLine)
    assert events[1] == FinalResult(True, "OK", line="OK")


def test_split_args_keeps_quotes_and_empties() -> None:
    assert split_args('1,"a,b",,4') == ("1", '"a,b"', "", "4")
    assert split_args("2,") == ("2", "")
    assert split_args("") == ()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"\r\n", b"OK", b"+CMGL: ", b"+CMTI: ", b",", b"\"", b"> ", b"+CMS ERROR: ",
                     b"+CDS: ", b"+CREG: ", b"RING", b"AT", b"+CLIP: ", b"\x1a"]),
), max_size=40))
def test_random_input_never_raises(chunks: list[bytes]) -> None:
    parser = AtParser()
    for chunk in chunks:
        for event in parser.feed(chunk):
            assert event is not None


def test_listing_header_without_index_is_not_a_listing() -> None:
    # Found by the fuzz test: "+CMGL: " with no arguments must not become index 0.
    events = parse_all(b"+CMGL: \r\n07911326\r\nOK\r\n")
    assert not any(isinstance(e, MessageListing) for e in events)
    assert events[-1] == FinalResult(True, "OK", line="OK")
