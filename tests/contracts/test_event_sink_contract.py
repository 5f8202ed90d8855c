"""One acceptance suite for every ``devices.events.EventSink``: what the drivers rely on.

The promises (``devices/events.py``, ``app/engine/device_bridge.py``):

- ``deliver`` returns only once the message is stored, so the driver may delete the
  device's copy (``AT+CMGD``) right after; a failure raises instead of returning.
- A second delivery with the same ``dedupe_key`` (the SIM copy read again after a crash)
  is not stored twice; two messages with different keys are both kept, same text or not.
- ``quarantine`` keeps the raw input, visible, as soon as it returns.
- ``call`` records the call, withheld numbers included.
- ``status`` may be called from any thread; the latest status of each device is kept.
- ``send_result`` and ``delivery_report`` record what became of a message the channel
  was asked to send.
- None of them raise on odd but valid input: an empty body, any Unicode, long text, a
  message with a gap, a call without number or name.

Run against: the tests' ``RecordingSink`` (``tests/helpers/recording_sink.py``), whose
"stored" is its own lists, and the engine's ``EngineSink`` on a real engine (the
``engine_sink`` fixture in ``conftest.py``), whose "stored" is what the engine's read
model answers (``message.list``, ``call.list``) the moment the call returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import pytest

from devices.events import (
    CallEvent,
    Channel,
    DeliveryReport,
    DeviceStatus,
    EventSink,
    InboundMessage,
    QuarantinedInput,
    SendResult,
)
from tests.contracts.conftest import RunningEngineSink
from tests.helpers.recording_sink import RecordingSink

NOW = datetime(2026, 11, 23, 18, 42, tzinfo=UTC)
ANN = "+447700900123"


class SinkUnderTest(Protocol):
    """One implementation, and how to read back what it stored."""

    sink: EventSink

    def messages(self) -> list[tuple[str, str]]:
        """(channel, body) of every inbound message stored, oldest first."""

    def quarantined_raw(self) -> list[str]:
        """The raw text of every quarantined input."""

    def calls(self) -> list[tuple[bool, str | None, str]]:
        """(has a number, name, presentation) of every call recorded, oldest first."""

    def state_of(self, device: str) -> str | None:
        """The latest state reported for ``device``."""

    def queue_outgoing(self, to: str, body: str) -> str:
        """Put a message in the outbox the way the channel's owner is asked to send one."""

    def send_outcome(self, outbox_id: str) -> str | None:
        """"sent", "delivered" or "failed" once results and reports say so, else None."""


class RecordingSide:
    def __init__(self) -> None:
        self.recording = RecordingSink()
        self.sink: EventSink = self.recording
        self._queued = 0

    def messages(self) -> list[tuple[str, str]]:
        return [(m.channel.value, m.body) for m in self.recording.stored_messages()]

    def quarantined_raw(self) -> list[str]:
        return [q.raw for q in self.recording.quarantined]

    def calls(self) -> list[tuple[bool, str | None, str]]:
        return [(c.number is not None, c.name, c.presentation) for c in self.recording.calls]

    def state_of(self, device: str) -> str | None:
        return next((s.state for s in reversed(self.recording.statuses)
                     if s.device == device), None)

    def queue_outgoing(self, to: str, body: str) -> str:
        self._queued += 1
        return f"out-{self._queued}"

    def send_outcome(self, outbox_id: str) -> str | None:
        result = next((r for r in reversed(self.recording.send_results)
                       if r.outbox_id == outbox_id), None)
        if result is None:
            return None
        if not result.ok:
            return "failed"
        refs = set((result.reference or "").split(","))
        reports = [r for r in self.recording.delivery_reports if r.reference in refs]
        return "delivered" if any(r.delivered for r in reports) else "sent"


class EngineSide:
    def __init__(self, running: RunningEngineSink) -> None:
        self.running = running
        self.sink: EventSink = running.sink

    def _rows(self, **filters: Any) -> list[dict[str, Any]]:
        rows = self.running.call("message.list", {"limit": 10_000, **filters})
        return list(reversed(rows))  # the command lists newest first

    def messages(self) -> list[tuple[str, str]]:
        return [(r["channel"], r["body"]) for r in self._rows(direction="in")
                if r["state"] != "quarantined"]

    def quarantined_raw(self) -> list[str]:
        return [r["raw"] for r in self._rows(state="quarantined")]

    def calls(self) -> list[tuple[bool, str | None, str]]:
        rows = reversed(self.running.call("call.list", {"limit": 10_000}))
        return [(bool(r["number"]), r["name"], r["presentation"]) for r in rows]

    def state_of(self, device: str) -> str | None:
        status = self.running.board.get(device)
        return None if status is None else str(status.state)

    def queue_outgoing(self, to: str, body: str) -> str:
        return str(self.running.call("sms.send", {"to": to, "text": body})["id"])

    def send_outcome(self, outbox_id: str) -> str | None:
        state = next(r["state"] for r in self._rows(direction="out") if r["id"] == outbox_id)
        return state if state in ("sent", "delivered", "failed") else None


@pytest.fixture(params=["recording-sink", "engine-sink"])
def side(request: pytest.FixtureRequest) -> SinkUnderTest:
    if request.param == "recording-sink":
        return RecordingSide()
    return EngineSide(request.getfixturevalue("engine_sink"))


def sms(body: str, key: str, **extra: Any) -> InboundMessage:
    return InboundMessage(channel=Channel.SMS, sender=ANN, body=body, received_at=NOW,
                          dedupe_key=key, raw=f"pdu for {key}", **extra)


# ------------------------------------------------------------------ deliver


def test_deliver_returns_only_once_the_message_is_stored(side: SinkUnderTest) -> None:
    side.sink.deliver(sms("Two margheritas for 7pm please", "sms:SM:1"))
    # read at once, no waiting: the driver deletes the SIM copy right after this point
    assert side.messages() == [("sms", "Two margheritas for 7pm please")]


def test_the_same_dedupe_key_is_stored_once(side: SinkUnderTest) -> None:
    first = sms("A large pepperoni", "sms:ref-42")
    side.sink.deliver(first)
    side.sink.deliver(first)  # the SIM copy read again after a crash before AT+CMGD
    side.sink.deliver(sms("A large pepperoni", "sms:ref-42", meta={"reread": "yes"}))
    assert side.messages() == [("sms", "A large pepperoni")]


def test_different_keys_are_different_messages_even_with_the_same_text(
        side: SinkUnderTest) -> None:
    side.sink.deliver(sms("yes", "sms:ref-1"))
    side.sink.deliver(sms("yes", "sms:ref-2"))
    assert side.messages() == [("sms", "yes"), ("sms", "yes")]


ODD_MESSAGES: dict[str, Callable[[], InboundMessage]] = {
    "empty body": lambda: sms("", "odd:empty"),
    "unicode": lambda: sms("Grüße 👋🏽 — مرحبا — 你好 — e\u0301 — zero\u200bwidth", "odd:unicode"),
    "long text": lambda: sms("one more garlic bread please " * 700, "odd:long"),
    "line breaks and tabs": lambda: sms("  first line\r\n\tsecond line\n", "odd:lines"),
    "a gap in a multipart": lambda: sms("part one [part 2 of 3 missing] part three",
                                        "odd:gap", missing_parts=(2,),
                                        meta={"coding": "ucs2"}),
    "email with subject": lambda: InboundMessage(
        channel=Channel.EMAIL, sender="ann@example.com", body="Same as last week?",
        received_at=NOW, dedupe_key="odd:email", raw="From: ann@example.com\r\n\r\n...",
        recipient="orders@example.com", subject="Order ✉"),
}


@pytest.mark.parametrize("case", ODD_MESSAGES)
def test_odd_but_valid_messages_are_stored_as_they_came(side: SinkUnderTest,
                                                        case: str) -> None:
    message = ODD_MESSAGES[case]()
    side.sink.deliver(message)
    assert side.messages() == [(message.channel.value, message.body)]


# ------------------------------------------------------------------ quarantine


@pytest.mark.parametrize("raw", [
    "0791448720003023240DD0E474D81C0EBB010000111011315214000BE474",
    "NMBR=\ufffd\ufffd garbage from the line ☎",
    "FF" * 5000,
], ids=["cut pdu", "unicode noise", "long"])
def test_quarantine_keeps_the_raw_input_visible(side: SinkUnderTest, raw: str) -> None:
    side.sink.quarantine(QuarantinedInput(source="sms", raw=raw, reason="user data cut short",
                                          at=NOW))
    assert side.quarantined_raw() == [raw]
    assert side.messages() == []  # kept apart from the messages that parsed


# ------------------------------------------------------------------ calls


def test_calls_are_recorded_withheld_ones_too(side: SinkUnderTest) -> None:
    side.sink.call(CallEvent(at=NOW, number="07700 900123", name="ANN SMITH",
                             presentation="ok", raw="NMBR = 07700900123"))
    side.sink.call(CallEvent(at=NOW, number=None, name=None, presentation="private",
                             raw="NMBR = P"))
    side.sink.call(CallEvent(at=NOW, number=None, name="JOSÉ ÑÚÑEZ", presentation="unavailable",
                             raw="NAME = JOSÉ ÑÚÑEZ", line="02", answered=False))
    assert side.calls() == [(True, "ANN SMITH", "ok"), (False, None, "private"),
                            (False, "JOSÉ ÑÚÑEZ", "unavailable")]


# ------------------------------------------------------------------ status


def test_status_is_accepted_from_any_thread(side: SinkUnderTest) -> None:
    errors: list[BaseException] = []

    def report(device: str) -> None:
        try:
            for state in ("connecting", "error", "ok"):
                side.sink.status(DeviceStatus(device=device, state=state, detail="£ ✓"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=report, args=(f"device-{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    side.sink.status(DeviceStatus(device="modem", state="no_network", signal_bars=0))
    side.sink.status(DeviceStatus(device="modem", state="ok", signal_bars=4, port="/dev/x"))
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert side.state_of("modem") == "ok"
    assert {side.state_of(f"device-{i}") for i in range(8)} == {"ok"}


# ------------------------------------------------------------------ sending


def test_send_results_and_delivery_reports_are_recorded(side: SinkUnderTest) -> None:
    sent = side.queue_outgoing(ANN, "Your pizzas are ready 🍕")
    refused = side.queue_outgoing(ANN, "and this one will fail")
    assert side.send_outcome(sent) is None
    side.sink.send_result(SendResult(outbox_id=sent, ok=True, at=NOW, reference="17,18"))
    side.sink.send_result(SendResult(outbox_id=refused, ok=False, at=NOW,
                                     error="+CMS ERROR: 21 (rejected)"))
    assert side.send_outcome(sent) == "sent"
    assert side.send_outcome(refused) == "failed"
    side.sink.delivery_report(DeliveryReport(reference="18", recipient=ANN, delivered=True,
                                             status="delivered", at=NOW, raw="0006..."))
    assert side.send_outcome(sent) == "delivered"
    # a report for a reference nobody sent is accepted too (a modem reports what it has)
    side.sink.delivery_report(DeliveryReport(reference="99", recipient=ANN, delivered=False,
                                             status="expired", at=NOW, raw="0006..."))
