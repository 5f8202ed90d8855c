"""A real EventSink for caller-ID tests: keeps everything in lists, lets tests wait on it."""

from __future__ import annotations

import threading
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

T = TypeVar("T")


class CallerIdRecordingSink:
    """Stores what a driver reports and wakes waiting tests (no sleeps needed)."""

    def __init__(self) -> None:
        self.calls: list[CallEvent] = []
        self.quarantined: list[QuarantinedInput] = []
        self.statuses: list[DeviceStatus] = []
        self.messages: list[InboundMessage] = []
        self.send_results: list[SendResult] = []
        self.reports: list[DeliveryReport] = []
        self.changed = threading.Condition()
        self.first_call = threading.Event()

    def _record(self, bucket: list[T], item: T) -> None:
        with self.changed:
            bucket.append(item)
            self.changed.notify_all()

    def deliver(self, message: InboundMessage) -> None:
        self._record(self.messages, message)

    def call(self, event: CallEvent) -> None:
        self._record(self.calls, event)
        self.first_call.set()

    def quarantine(self, item: QuarantinedInput) -> None:
        self._record(self.quarantined, item)

    def status(self, status: DeviceStatus) -> None:
        self._record(self.statuses, status)

    def send_result(self, result: SendResult) -> None:
        self._record(self.send_results, result)

    def delivery_report(self, report: DeliveryReport) -> None:
        self._record(self.reports, report)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Block until ``predicate()`` holds (checked on every report) or timeout."""
        with self.changed:
            return self.changed.wait_for(predicate, timeout)

    def wait_for_calls(self, count: int, timeout: float = 5.0) -> list[CallEvent]:
        """Wait until at least ``count`` calls arrived; return a snapshot of them."""
        self.wait_for(lambda: len(self.calls) >= count, timeout)
        with self.changed:
            return list(self.calls)

    def wait_for_state(self, state: str, after: int = 0, timeout: float = 5.0) -> bool:
        """Wait for a status ``state`` among the statuses reported after index ``after``."""
        return self.wait_for(lambda: any(s.state == state for s in self.statuses[after:]),
                             timeout)

    def status_count(self) -> int:
        with self.changed:
            return len(self.statuses)
