"""A real EventSink for driver tests: records events in lists, can refuse deliveries, and
lets tests wait on a condition instead of sleeping."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from devices.events import (
    CallEvent,
    DeliveryReport,
    DeviceStatus,
    InboundMessage,
    QuarantinedInput,
    SendResult,
)


class LedgerUnavailable(RuntimeError):
    """What a failing ledger raises: the message was NOT stored."""


class RecordingSink:
    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.delivered: list[InboundMessage] = []
        self.deliver_times: list[float] = []
        self.refused: list[InboundMessage] = []
        self.quarantined: list[QuarantinedInput] = []
        self.statuses: list[DeviceStatus] = []
        self.send_results: list[SendResult] = []
        self.delivery_reports: list[DeliveryReport] = []
        self.calls: list[CallEvent] = []
        self.fail_next_deliveries = 0
        self.refuse_all = False
        self.refuse_quarantine = False
        self.quarantine_attempts = 0
        self.on_refuse: Callable[[InboundMessage], None] | None = None
        self.after_deliver: Callable[[InboundMessage], None] | None = None

    # ---------------------------------------------------------------- EventSink

    def deliver(self, message: InboundMessage) -> None:
        with self.changed:
            refuse = self.refuse_all or self.fail_next_deliveries > 0
            if refuse:
                self.fail_next_deliveries = max(0, self.fail_next_deliveries - 1)
                self.refused.append(message)
                hook = self.on_refuse
            else:
                self.delivered.append(message)
                self.deliver_times.append(time.monotonic())
                hook = self.after_deliver
            self.changed.notify_all()
        if hook is not None:
            hook(message)
        if refuse:
            raise LedgerUnavailable("ledger not writable")

    def call(self, event: CallEvent) -> None:
        self._add(self.calls, event)

    def quarantine(self, item: QuarantinedInput) -> None:
        with self.changed:
            self.quarantine_attempts += 1
            self.changed.notify_all()
            if self.refuse_quarantine:
                raise LedgerUnavailable("quarantine not writable")
        self._add(self.quarantined, item)

    def status(self, status: DeviceStatus) -> None:
        self._add(self.statuses, status)

    def send_result(self, result: SendResult) -> None:
        self._add(self.send_results, result)

    def delivery_report(self, report: DeliveryReport) -> None:
        self._add(self.delivery_reports, report)

    # ---------------------------------------------------------------- test helpers

    def _add(self, target: list[Any], item: object) -> None:
        with self.changed:
            target.append(item)
            self.changed.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, timeout)

    def wait_for_state(self, state: str, timeout: float = 10.0) -> bool:
        return self.wait_for(lambda: bool(self.statuses) and self.statuses[-1].state == state,
                             timeout)

    def saw_state(self, state: str) -> bool:
        with self.changed:
            return any(s.state == state for s in self.statuses)

    @property
    def bodies(self) -> list[str]:
        with self.changed:
            return [m.body for m in self.delivered]
