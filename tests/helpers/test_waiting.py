"""The wait helpers: what they return, how they fail, and that a wake event is not missed."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from tests.helpers.waiting import wait_until, wait_until_async


def test_returns_the_first_truthy_value() -> None:
    answers = iter([None, 0, [], ["found"]])
    assert wait_until(lambda: next(answers), 5, interval=0.001) == ["found"]


def test_timeout_names_what_and_how_long() -> None:
    with pytest.raises(AssertionError, match=r"timed out after 0.05 s waiting for the modem"):
        wait_until(lambda: False, 0.05, what="the modem", interval=0.01)


def test_what_may_describe_the_state_reached_at_the_timeout() -> None:
    seen: list[int] = []
    with pytest.raises(AssertionError, match=r"waiting for 3 items \(got \[1\]\)"):
        wait_until(lambda: seen.append(1) and False, 0.02, interval=0.01,
                   what=lambda: f"3 items (got {seen[:1]})")


def test_a_change_during_the_check_is_not_missed() -> None:
    """The producer changes the state while the first check runs; the 30 s pause must
    end at once because the event it set is still set."""
    wake = threading.Event()
    state: list[str] = []
    producers: list[threading.Thread] = []

    def produce() -> None:
        state.append("ready")
        wake.set()

    def check() -> list[str]:
        if not producers:
            producers.append(threading.Thread(target=produce))
            producers[0].start()
            producers[0].join()
            return []  # what this check read before the change
        return state

    started = time.monotonic()
    assert wait_until(check, 20, interval=30, wake=wake) == ["ready"]
    assert time.monotonic() - started < 10


def test_async_twin_awaits_awaitable_predicates_and_wakes_alike() -> None:
    calls = 0

    async def third_time_lucky() -> str | None:
        nonlocal calls
        calls += 1
        return "yes" if calls == 3 else None

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        assert await wait_until_async(third_time_lucky, 5, interval=0.001) == "yes"
        wake = asyncio.Event()
        state: list[str] = []

        def check() -> list[str]:
            if not state:
                loop.call_soon(lambda: (state.append("ready"), wake.set()))
            return state

        started = loop.time()
        assert await wait_until_async(check, 20, interval=30, wake=wake) == ["ready"]
        assert loop.time() - started < 10
        with pytest.raises(AssertionError, match=r"after 0.02 s waiting for nothing"):
            await wait_until_async(lambda: False, 0.02, what="nothing", interval=0.005)

    asyncio.run(scenario())
