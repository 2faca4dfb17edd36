"""Deadlines sharing one loop timer behave like ``asyncio.timeout()``."""

from __future__ import annotations

import asyncio
import time

import pytest

from litellm_screenwriter.client.deadlines import DeadlineWatch


async def test_a_passed_deadline_raises_timeout_error():
    watch = DeadlineWatch()
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with watch.deadline(loop.time() + 0.05):
            await asyncio.sleep(5)
    assert 0.04 <= time.monotonic() - started < 1.0
    assert len(watch) == 0


async def test_a_block_that_ends_in_time_is_untouched():
    watch = DeadlineWatch()
    loop = asyncio.get_running_loop()
    async with watch.deadline(loop.time() + 5) as deadline:
        await asyncio.sleep(0.01)
    assert deadline.expired is False
    assert len(watch) == 0
    await asyncio.sleep(0)  # the task carries no pending cancellation
    assert asyncio.current_task().cancelling() == 0


async def test_no_deadline_never_fires_and_arms_no_timer():
    watch = DeadlineWatch()
    async with watch.deadline(None):
        await asyncio.sleep(0.02)
    assert watch._handle is None


async def test_one_timer_serves_many_deadlines_armed_at_the_earliest():
    watch = DeadlineWatch()
    loop = asyncio.get_running_loop()
    now = loop.time()
    fired: list[int] = []

    async def wait(index: int, limit: float, work: float) -> None:
        try:
            async with watch.deadline(now + limit):
                await asyncio.sleep(work)
        except TimeoutError:
            fired.append(index)

    tasks = [asyncio.create_task(wait(i, 0.05 * (i + 1), 0.12)) for i in range(4)]
    await asyncio.sleep(0)
    assert len(watch) == 4
    assert watch._armed_at == pytest.approx(now + 0.05)
    await asyncio.gather(*tasks)
    assert sorted(fired) == [0, 1]  # 50 and 100 ms passed; 150 and 200 ms did not
    assert len(watch) == 0


async def test_reschedule_moves_the_deadline_both_ways():
    watch = DeadlineWatch()
    loop = asyncio.get_running_loop()
    async with watch.deadline(loop.time() + 0.03) as deadline:
        deadline.reschedule(loop.time() + 5)
        await asyncio.sleep(0.08)  # would have expired at 30 ms
    assert deadline.expired is False

    async def brought_forward() -> None:
        async with watch.deadline(loop.time() + 5) as later:
            later.reschedule(loop.time() + 0.03)
            await asyncio.sleep(5)

    with pytest.raises(TimeoutError):
        await brought_forward()


async def test_a_deadline_can_be_entered_again():
    watch = DeadlineWatch()
    loop = asyncio.get_running_loop()
    deadline = watch.deadline(None)
    for _ in range(3):
        deadline.reschedule(loop.time() + 0.02)
        with pytest.raises(TimeoutError):
            async with deadline:
                await asyncio.sleep(1)
    deadline.reschedule(loop.time() + 1)
    async with deadline:
        await asyncio.sleep(0)
    assert deadline.expired is False


async def test_a_cancellation_from_elsewhere_stays_a_cancellation():
    watch = DeadlineWatch()
    loop = asyncio.get_running_loop()

    async def guarded() -> None:
        async with watch.deadline(loop.time() + 5):
            await asyncio.sleep(5)

    task = asyncio.create_task(guarded())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(watch) == 0


async def test_close_drops_the_timer():
    watch = DeadlineWatch()
    loop = asyncio.get_running_loop()
    async with watch.deadline(loop.time() + 5):
        assert watch._handle is not None
        watch.close()
    assert watch._handle is None
    assert len(watch) == 0


def test_a_deadline_outside_a_task_is_refused():
    watch = DeadlineWatch()

    async def enter() -> None:
        await watch.deadline(1.0).__aenter__()

    coroutine = enter()
    with pytest.raises(RuntimeError):  # no running loop, no task
        coroutine.send(None)
    coroutine.close()


def test_a_watch_moves_to_the_next_event_loop():
    """The watch binds to the loop it is first entered on; a later loop (a new asyncio.run)
    gets a working watch, not the old loop's timer."""
    watch = DeadlineWatch()

    async def expires() -> None:
        loop = asyncio.get_running_loop()
        with pytest.raises(TimeoutError):
            async with watch.deadline(loop.time() + 0.03):
                await asyncio.sleep(5)

    asyncio.run(expires())
    first = watch._loop
    asyncio.run(expires())
    assert watch._loop is not first
    assert len(watch) == 0
