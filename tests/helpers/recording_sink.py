"""A real ``devices.events.EventSink`` for driver tests: it records what a driver reports.

Every list is appended under ``lock`` and each report sets ``changed``, so the
``wait_for...`` methods (built on ``tests.helpers.waiting.wait_until``) answer as soon as
the driver reports, without sleeping. A test can make it fail like a ledger that cannot
write (``refuse_all``, ``fail_next_deliveries``, ``refuse_quarantine``; change those
under ``lock``) and hook into deliveries (``after_deliver``, ``on_refuse``).

``delivered`` keeps every accepted ``deliver`` call in order, so a driver that hands the
same message over twice shows it twice; ``stored_messages()`` is what a ledger keeps,
once per ``dedupe_key``. The sink passes the same acceptance suite as the engine's sink
(``tests/contracts/test_event_sink_contract.py``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from devices.events import (
    CallEvent,
    DeliveryReport,
    DeviceStatus,
    InboundMessage,
    QuarantinedInput,
    SendResult,
)
from tests.helpers.waiting import What, wait_until

T = TypeVar("T")

WAIT = 10.0


class LedgerUnavailable(RuntimeError):
    """What a failing ledger raises: the message was NOT stored."""


class RecordingSink:
    """Keeps each kind of report in its own list; ``changed`` is set on every report."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Event()
        self.delivered: list[InboundMessage] = []
        self.deliver_times: list[float] = []  # time.monotonic() of each accepted delivery
        self.refused: list[InboundMessage] = []
        self.quarantined: list[QuarantinedInput] = []
        self.quarantine_attempts = 0
        self.calls: list[CallEvent] = []
        self.statuses: list[DeviceStatus] = []
        self.send_results: list[SendResult] = []
        self.delivery_reports: list[DeliveryReport] = []
        self.fail_next_deliveries = 0
        self.refuse_all = False
        self.refuse_quarantine = False
        self.on_refuse: Callable[[InboundMessage], None] | None = None
        self.after_deliver: Callable[[InboundMessage], None] | None = None

    # ---------------------------------------------------------------- EventSink

    def deliver(self, message: InboundMessage) -> None:
        with self.lock:
            refuse = self.refuse_all or self.fail_next_deliveries > 0
            if refuse:
                self.fail_next_deliveries = max(0, self.fail_next_deliveries - 1)
                self.refused.append(message)
                hook = self.on_refuse
            else:
                self.delivered.append(message)
                self.deliver_times.append(time.monotonic())
                hook = self.after_deliver
        self.changed.set()
        if hook is not None:
            hook(message)
        if refuse:
            raise LedgerUnavailable("ledger not writable")

    def call(self, event: CallEvent) -> None:
        self._record(self.calls, event)

    def quarantine(self, item: QuarantinedInput) -> None:
        with self.lock:
            self.quarantine_attempts += 1
            refuse = self.refuse_quarantine
            if not refuse:
                self.quarantined.append(item)
        self.changed.set()
        if refuse:
            raise LedgerUnavailable("quarantine not writable")

    def status(self, status: DeviceStatus) -> None:
        self._record(self.statuses, status)

    def send_result(self, result: SendResult) -> None:
        self._record(self.send_results, result)

    def delivery_report(self, report: DeliveryReport) -> None:
        self._record(self.delivery_reports, report)

    def _record(self, bucket: list[T], item: T) -> None:
        with self.lock:
            bucket.append(item)
        self.changed.set()

    # ---------------------------------------------------------------- reading

    def stored_messages(self) -> list[InboundMessage]:
        """What a ledger would hold: each accepted delivery once per ``dedupe_key``."""
        with self.lock:
            seen: dict[str, InboundMessage] = {}
            for message in self.delivered:
                seen.setdefault(message.dedupe_key, message)
            return list(seen.values())

    @property
    def bodies(self) -> list[str]:
        with self.lock:
            return [m.body for m in self.delivered]

    def saw_state(self, state: str) -> bool:
        with self.lock:
            return any(s.state == state for s in self.statuses)

    def status_count(self) -> int:
        with self.lock:
            return len(self.statuses)

    # ---------------------------------------------------------------- waiting

    def wait_for(self, predicate: Callable[[], T], timeout: float = WAIT,
                 what: What = "the sink to see it") -> T:
        """Until ``predicate()`` holds (re-checked on every report); returns its value."""
        return wait_until(predicate, timeout, what=what, wake=self.changed)

    def wait_for_state(self, state: str, timeout: float = WAIT) -> DeviceStatus:
        """Until the device's latest status is ``state``; returns that status."""

        def latest() -> DeviceStatus | None:
            with self.lock:
                last = self.statuses[-1] if self.statuses else None
            return last if last is not None and last.state == state else None

        return self.wait_for(latest, timeout, what=lambda: (
            f"device state {state!r} (statuses: {[s.state for s in self.statuses]})"))

    def wait_for_state_seen(self, state: str, after: int = 0,
                            timeout: float = WAIT) -> DeviceStatus:
        """Until some status after the first ``after`` (see ``status_count``) was ``state``,
        even if the device has moved on since; returns the first such status."""

        def seen() -> DeviceStatus | None:
            with self.lock:
                return next((s for s in self.statuses[after:] if s.state == state), None)

        return self.wait_for(seen, timeout, what=lambda: (
            f"a status {state!r} after #{after} (statuses: {[s.state for s in self.statuses]})"))

    def wait_for_calls(self, count: int, timeout: float = WAIT) -> list[CallEvent]:
        """Until at least ``count`` calls arrived; returns a copy of all of them."""

        def enough() -> list[CallEvent] | None:
            with self.lock:
                return list(self.calls) if len(self.calls) >= count else None

        return self.wait_for(enough, timeout,
                             what=lambda: f"{count} calls (got {list(self.calls)})")
