"""The request timeout: calls past it fail with TimeoutError, others are left alone."""

from __future__ import annotations

import asyncio

import pytest

from gateway.deadlines import Deadlines


async def answer(value: str, after: float = 0.0) -> str:
    await asyncio.sleep(after)
    return value


async def test_a_call_within_the_timeout_returns_its_value() -> None:
    deadlines = Deadlines(5.0)
    assert await deadlines.run(answer("done")) == "done"


async def test_a_call_past_the_timeout_is_cancelled_as_a_timeout() -> None:
    deadlines = Deadlines(0.2)
    never = asyncio.Event()
    with pytest.raises(TimeoutError):
        await deadlines.run(never.wait())
    # the task itself is not left cancelled: it goes on after the TimeoutError
    assert await deadlines.run(answer("after")) == "after"


async def test_only_the_late_call_times_out() -> None:
    deadlines = Deadlines(0.2)
    never = asyncio.Event()
    late = asyncio.create_task(deadlines.run(never.wait()))
    assert await deadlines.run(answer("quick")) == "quick"
    with pytest.raises(TimeoutError):
        await late


async def test_a_cancellation_from_elsewhere_stays_a_cancellation() -> None:
    deadlines = Deadlines(60.0)
    started = asyncio.Event()

    async def waits() -> None:
        started.set()
        await deadlines.run(asyncio.Event().wait())

    task = asyncio.create_task(waits())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_the_watcher_runs_only_while_calls_are_in_flight() -> None:
    deadlines = Deadlines(1.0)
    release = asyncio.Event()
    call = asyncio.create_task(deadlines.run(release.wait()))
    await asyncio.sleep(0)  # the call starts, and with it the watcher
    assert deadlines.watching
    release.set()
    await call
    # It stops within one check period once nothing is in flight; it has no event to wait on.
    while deadlines.watching:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
