"""Multipart SMS reassembly: order, duplicates, 8/16-bit references, timeouts, dedupe keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.gsm.multipart import Reassembler, missing_marker
from devices.gsm.sms_pdu import SmsDeliver, decode_pdu, encode_deliver

WHEN = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)
TEXT = "Large pepperoni, extra cheese, and a garlic bread for 7pm please. " * 5  # 3 parts


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def parts(text: str = TEXT, sender: str = "+447700900123", ref: int = 9, bits: int = 8,
          when: datetime = WHEN) -> list[SmsDeliver]:
    out = []
    for h in encode_deliver(sender, text, scts=when, concat_reference=ref, reference_bits=bits):
        decoded = decode_pdu(h)
        assert isinstance(decoded, SmsDeliver)
        out.append(decoded)
    return out


def test_single_part_message_is_released_at_once() -> None:
    [pdu] = parts("one pizza")
    [done] = Reassembler().add(pdu, storage_index=4)
    assert done.message.body == "one pizza"
    assert done.storage_indexes == (4,)
    assert done.message.missing_parts == ()
    assert done.message.received_at == WHEN


def test_out_of_order_parts_with_duplicates() -> None:
    p1, p2, p3 = parts()
    r = Reassembler()
    assert r.add(p3, 7) == []
    assert r.add(p1, 5) == []
    assert r.add(p3, 9) == []  # duplicate copy at another index
    assert r.holds(7) and r.holds(9)
    [done] = r.add(p2, 6)
    assert done.message.body == TEXT
    assert sorted(done.storage_indexes) == [5, 6, 7, 9]
    assert r.pending == 0 and not r.holds(7)


def test_sixteen_bit_references_and_interleaved_senders() -> None:
    a = parts(ref=0x1234, bits=16)
    b = parts(text=TEXT.upper(), sender="+15550001", ref=0x1234, bits=16)
    r = Reassembler()
    done = []
    for x, y in zip(a, b, strict=True):
        done += r.add(x) + r.add(y)
    assert sorted(d.message.body for d in done) == sorted([TEXT, TEXT.upper()])


def test_timeout_releases_with_gap_marked_never_dropped() -> None:
    clock = ManualClock()
    p1, _p2, p3 = parts()
    r = Reassembler(timeout=60, clock=clock)
    r.add(p1, 1)
    r.add(p3, 3)
    clock.now += 59
    assert r.expire() == []
    assert r.next_deadline() == 1060.0
    clock.now += 1
    [done] = r.expire()
    assert done.message.missing_parts == (2,)
    assert missing_marker(2, 3) == "[part 2 of 3 missing]"
    assert done.message.body == p1.text + "[part 2 of 3 missing]" + p3.text
    assert done.storage_indexes == (1, 3)
    assert r.pending == 0


def test_dedupe_key_is_stable_across_rereads_and_order() -> None:
    first = Reassembler()
    second = Reassembler()
    p1, p2, p3 = parts()
    [a] = first.add(p1) + first.add(p2) + first.add(p3)
    [b] = second.add(p3, 12) + second.add(p1, 10) + second.add(p2, 11)
    assert a.message.dedupe_key == b.message.dedupe_key
    # The same words sent again later are a different message.
    later = Reassembler()
    [d] = [m for p in parts(when=WHEN + timedelta(minutes=5)) for m in later.add(p)]
    assert d.message.dedupe_key != a.message.dedupe_key


def test_reference_reused_with_different_content_releases_the_old_message() -> None:
    old = parts(text="A" * 200)
    new = parts(text="B" * 200)
    r = Reassembler()
    r.add(old[0], 1)
    released = r.add(new[0], 2)
    assert len(released) == 1
    assert released[0].message.missing_parts == (2,)
    [done] = r.add(new[1], 3)
    assert done.message.body == "B" * 200


def test_emoji_split_across_ucs2_parts_is_rejoined() -> None:
    # A phone that cut a surrogate pair between parts: reassembly must heal it.
    text = "x" * 66 + "😀" + "y"
    encoded = "😀".encode("utf-16-be")
    halves = [encoded[:2].decode("utf-16-be", "surrogatepass"),
              encoded[2:].decode("utf-16-be", "surrogatepass")]
    pdus = []
    for i, chunk in enumerate(["x" * 66 + halves[0], halves[1] + "y"], start=1):
        # Build each part as its own UCS-2 deliver, then graft a concatenation header.
        [h] = encode_deliver("+44123", chunk, scts=WHEN, force_ucs2=True)
        decoded = decode_pdu(h)
        assert isinstance(decoded, SmsDeliver)
        pdus.append((i, decoded))
    from dataclasses import replace

    from devices.gsm.sms_pdu import Concatenation, UserDataHeader
    r = Reassembler()
    done = []
    for i, pdu in pdus:
        header = UserDataHeader((), Concatenation(3, 2, i, 8))
        done += r.add(replace(pdu, user_data=replace(pdu.user_data, header=header)))
    assert done[0].message.body == text


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(4)), st.lists(st.integers(0, 3), max_size=4))
def test_any_order_any_duplicates_gives_the_whole_text(order: list[int], dups: list[int]) -> None:
    text = "0123456789" * 50  # 4 parts
    ps = parts(text=text)
    assert len(ps) == 4
    r = Reassembler()
    done = []
    for i in list(order[:-1]) + dups:
        done += r.add(ps[i], i)
    done += r.add(ps[order[-1]], order[-1])
    done += r.release_all()
    assert done[0].message.body == text


def test_runs_of_missing_parts_get_one_marker() -> None:
    clock = ManualClock()
    ps = parts(text="z" * 153 * 6)  # 6 parts
    r = Reassembler(timeout=1, clock=clock)
    r.add(ps[0])
    r.add(ps[4])
    clock.now += 1
    [done] = r.expire()
    assert done.message.missing_parts == (2, 3, 4, 6)
    assert done.message.body == ("z" * 153 + "[parts 2-4 of 6 missing]" + "z" * 153
                                 + "[part 6 of 6 missing]")
