"""Waiting for a condition with a deadline: what tests do instead of sleeping.

``wait_until(predicate, timeout, what=...)`` checks ``predicate`` until it returns something
truthy and returns that value. At the deadline it raises ``AssertionError`` naming ``what``
and the timeout, so a wait that never ends reads like a failed assertion, with its reason.

Between checks it pauses ``interval`` seconds, or less when ``wake`` is given: an event
that whoever changes the watched state sets (a recording sink when a driver reports, a
cluster when an engine sends an event). The waiter clears ``wake`` before each check, so
a change that lands while the predicate runs is not missed; event-driven waits answer at
once, and state that raises no event is still seen within ``interval``. (With several
waiters on one event, one may clear it under another: that one is late by ``interval``.)

``wait_until_async`` is the same for asyncio code; its predicate may also return an
awaitable (``lambda: asyncio.to_thread(...)``), which is awaited on each check.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

What = str | Callable[[], str]


def _timed_out(what: What, timeout: float) -> AssertionError:
    described = what() if callable(what) else what
    return AssertionError(f"timed out after {timeout:g} s waiting for {described}")


def wait_until(predicate: Callable[[], T], timeout: float, what: What = "the condition",
               interval: float = 0.05, wake: threading.Event | None = None) -> T:
    """Return ``predicate()``'s first truthy value; raise AssertionError after ``timeout`` s.

    ``what`` may be a callable, evaluated only on timeout (to show the state reached).
    """
    deadline = time.monotonic() + timeout
    while True:
        if wake is not None:
            wake.clear()
        value = predicate()
        if value:
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            raise _timed_out(what, timeout)
        if wake is None:
            time.sleep(min(interval, left))
        else:
            wake.wait(min(interval, left))


async def wait_until_async(predicate: Callable[[], T | Awaitable[T]], timeout: float,
                           what: What = "the condition", interval: float = 0.05,
                           wake: asyncio.Event | None = None) -> T:
    """``wait_until`` for a running event loop: pauses with ``await``, never blocks it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if wake is not None:
            wake.clear()
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        left = deadline - loop.time()
        if left <= 0:
            raise _timed_out(what, timeout)
        if wake is None:
            await asyncio.sleep(min(interval, left))
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), min(interval, left))
