"""parse_reset(), pause_from_headers() and RateLimiter: the concurrency cap, the
requests-per-minute budget (on an injected clock) and the pause the server's headers ask for."""

from __future__ import annotations

import asyncio
import contextlib
import time
import types
from collections.abc import AsyncIterator

import pytest
from multidict import CIMultiDict

from litellm_screenwriter.client import defaults, limiter
from litellm_screenwriter.client.limiter import RateLimiter, parse_reset, pause_from_headers

NOW = 1_700_000_000.0


@contextlib.asynccontextmanager
async def slot(rate: RateLimiter) -> AsyncIterator[None]:
    """One slot held around a block, the way the transport takes and gives it."""
    await rate.acquire()
    try:
        yield
    finally:
        rate.release()


class FakeTime:
    """A clock for the limiter and a sleep that advances it instead of waiting."""

    def __init__(self) -> None:
        self.now = 500.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    # Only the limiter module sees the fake sleep; asyncio itself is left alone.
    patched = types.SimpleNamespace(
        Semaphore=asyncio.Semaphore, Lock=asyncio.Lock, sleep=fake.sleep
    )
    monkeypatch.setattr(limiter, "asyncio", patched)
    return fake


# -- parse_reset ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("20", 20.0),
        ("1.5", 1.5),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("6m0s", 360.0),
        ("1s", 1.0),
        ("250ms", 0.25),
        ("2m", 120.0),
        ("1h", 3600.0),
        ("1h2m3s", 3723.0),
        ("1m30.5s", 90.5),
        ("1s500ms", 1.5),
        ("1m1ms", 60.001),
        ("0s", 0.0),
        ("-5", 0.0),
    ],
)
def test_parse_reset_durations(value: str, seconds: float) -> None:
    assert parse_reset(value, NOW) == pytest.approx(seconds)


def test_parse_reset_unix_timestamp_is_relative_to_now() -> None:
    assert parse_reset(str(int(NOW + 42)), NOW) == pytest.approx(42.0)
    assert parse_reset(str(NOW - 100), NOW) == 0.0
    # without ``now`` the wall clock is used: a reset 30 s ahead reads about 30
    assert parse_reset(str(time.time() + 30)) == pytest.approx(30.0, abs=2.0)


# "inf" and "nan" (found by tests/fuzz) parse as floats but say nothing about when.
@pytest.mark.parametrize(
    "value",
    ["", "   ", "soon", "1x", "m", "ms", "1 m", "s1", "6M0S", "inf", "-INF", "nan", "1e999"],
)
def test_parse_reset_unreadable(value: str) -> None:
    assert parse_reset(value, NOW) is None


# -- pause_from_headers --------------------------------------------------------------------------


def test_no_pause_while_budget_is_left() -> None:
    assert pause_from_headers({}, NOW) == 0.0
    headers = {"x-ratelimit-remaining-requests": "5", "x-ratelimit-reset-requests": "30s"}
    assert pause_from_headers(headers, NOW) == 0.0


def test_pause_until_the_reset_of_a_spent_window() -> None:
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s"}
    assert pause_from_headers(headers, NOW) == 2.0
    headers = {"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "30"}
    assert pause_from_headers(headers, NOW) == 30.0
    headers = {"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": str(NOW + 12)}
    assert pause_from_headers(headers, NOW) == pytest.approx(12.0)


def test_the_longer_of_two_spent_windows_wins() -> None:
    headers = {
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "250ms",
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-tokens": "6s",
    }
    assert pause_from_headers(headers, NOW) == 6.0
    headers["x-ratelimit-remaining-tokens"] = "100"  # tokens left: only requests count
    assert pause_from_headers(headers, NOW) == 0.25


@pytest.mark.parametrize("reset", [None, "whenever"])
def test_a_spent_window_without_a_readable_reset_pauses_one_second(reset) -> None:
    headers = {"x-ratelimit-remaining-requests": "0"}
    if reset is not None:
        headers["x-ratelimit-reset-requests"] = reset
    assert pause_from_headers(headers, NOW) == 1.0


def test_the_pause_is_capped() -> None:
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1h"}
    assert pause_from_headers(headers, NOW) == defaults.MAX_HEADER_PAUSE


@pytest.mark.parametrize("remaining", ["lots", "", "nan"])
def test_an_unreadable_remaining_count_is_ignored(remaining: str) -> None:
    # Regression for "nan": it compared as "not above 0" and paused.
    headers = {"x-ratelimit-remaining-requests": remaining, "x-ratelimit-reset-requests": "9s"}
    assert pause_from_headers(headers, NOW) == 0.0


def test_a_negative_remaining_count_means_spent() -> None:
    headers = {"x-ratelimit-remaining-requests": "-1", "x-ratelimit-reset-requests": "3s"}
    assert pause_from_headers(headers, NOW) == 3.0


def test_header_names_are_case_insensitive_in_plain_dicts_and_multidicts() -> None:
    # Regression: a plain dict with the server's capitalisation was not read at all.
    headers = {"X-RateLimit-Remaining-Tokens": "0", "X-RateLimit-Reset-Tokens": "4s"}
    assert pause_from_headers(headers, NOW) == 4.0
    assert pause_from_headers(CIMultiDict(headers), NOW) == 4.0


# -- RateLimiter: construction -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("concurrent", "rpm"),
    [(0, None), (-1, None), (1, 0), (1, -5), (1, float("inf")), (1, float("nan"))],
)
def test_invalid_limits_raise(concurrent: int, rpm) -> None:
    with pytest.raises(ValueError, match="must be"):
        RateLimiter(concurrent, rpm)


# -- RateLimiter: concurrency --------------------------------------------------------------------


async def test_concurrency_is_capped() -> None:
    rate = RateLimiter(2)
    running = 0
    peak = 0
    done = 0

    async def job() -> None:
        nonlocal running, peak, done
        async with slot(rate):
            running += 1
            peak = max(peak, running)
            for _ in range(3):
                await asyncio.sleep(0)
            running -= 1
            done += 1

    await asyncio.wait_for(asyncio.gather(*(job() for _ in range(7))), 5)
    assert peak == 2
    assert done == 7
    assert rate.waits == 0  # waiting for a slot is not a budget wait


async def test_cancelled_while_waiting_for_a_slot_leaks_nothing() -> None:
    rate = RateLimiter(1)
    await rate.acquire()
    waiter = asyncio.create_task(rate.acquire())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    rate.release()
    # One slot, free again: exactly one acquire succeeds, a second one has to wait.
    await asyncio.wait_for(rate.acquire(), 1)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(rate.acquire(), 0.05)
    rate.release()


async def test_cancelled_while_waiting_for_the_budget_releases_its_slot() -> None:
    clock = FakeTime()  # the clock is fake but sleeping is real: the waiter really blocks
    rate = RateLimiter(1, clock=clock)
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "30s"}
    assert rate.observe(headers) == 30.0
    waiter = asyncio.create_task(rate.acquire())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    assert rate.waits == 1
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    clock.now += 31  # the pause is over
    assert await asyncio.wait_for(rate.acquire(), 1) == 0.0  # the cancelled one held no slot
    rate.release()


# -- RateLimiter: requests per minute ------------------------------------------------------------


async def test_requests_per_minute_budget(fake_time: FakeTime) -> None:
    rate = RateLimiter(10, 3, clock=fake_time)
    for _ in range(3):
        assert await rate.acquire() == 0.0
        rate.release()
        fake_time.now += 1.0
    assert rate.waits == 0
    # The fourth start must wait until the first one is a minute old.
    assert await rate.acquire() == pytest.approx(57.0)
    rate.release()
    assert fake_time.now == pytest.approx(560.0)
    assert rate.waits == 1
    # The window slides: the next slot frees when the second start is a minute old.
    assert await rate.acquire() == pytest.approx(1.0)
    rate.release()
    assert rate.waits == 2


async def test_the_budget_frees_up_after_a_quiet_minute(fake_time: FakeTime) -> None:
    rate = RateLimiter(10, 2, clock=fake_time)
    for _ in range(2):
        await rate.acquire()
        rate.release()
    fake_time.now += 60.0
    for _ in range(2):
        assert await rate.acquire() == 0.0
        rate.release()
    assert rate.waits == 0
    assert fake_time.sleeps == []


async def test_a_fractional_budget_keeps_its_rate(fake_time: FakeTime) -> None:
    # Regression: 0.5 per minute allowed one request every 60 s, twice the asked rate.
    rate = RateLimiter(1, 0.5, clock=fake_time)
    await rate.acquire()
    rate.release()
    assert await rate.acquire() == pytest.approx(120.0)
    rate.release()
    rate = RateLimiter(1, 1.5, clock=fake_time)
    await rate.acquire()
    rate.release()
    assert await rate.acquire() == pytest.approx(40.0)
    rate.release()


async def test_concurrent_requests_share_the_budget_in_order(fake_time: FakeTime) -> None:
    rate = RateLimiter(5, 2, clock=fake_time)
    started: list[float] = []

    async def job() -> None:
        async with slot(rate):
            started.append(fake_time.now)

    await asyncio.wait_for(asyncio.gather(*(job() for _ in range(5))), 5)
    assert started == [500.0, 500.0, 560.0, 560.0, 620.0]
    # The third and fifth slept; the fourth queued behind the third and found budget at once.
    assert rate.waits == 2
    assert fake_time.sleeps == [pytest.approx(60.0), pytest.approx(60.0)]


async def test_without_a_budget_nothing_waits(fake_time: FakeTime) -> None:
    rate = RateLimiter(3, None, clock=fake_time)
    for _ in range(100):
        assert await rate.acquire() == 0.0
        rate.release()
    assert rate.waits == 0
    assert fake_time.sleeps == []


# -- RateLimiter: observe() ----------------------------------------------------------------------


async def test_observe_holds_the_next_request(fake_time: FakeTime) -> None:
    rate = RateLimiter(2, clock=fake_time)
    headers = {"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "5s"}
    assert rate.observe(headers) == 5.0
    assert await rate.acquire() == pytest.approx(5.0)
    rate.release()
    assert fake_time.now == pytest.approx(505.0)
    assert rate.waits == 1
    assert await rate.acquire() == 0.0  # the hold is over
    rate.release()
    assert rate.waits == 1


async def test_observe_with_budget_left_holds_nothing(fake_time: FakeTime) -> None:
    rate = RateLimiter(2, clock=fake_time)
    assert rate.observe({"x-ratelimit-remaining-requests": "10"}) == 0.0
    assert rate.observe({}) == 0.0
    assert await rate.acquire() == 0.0
    rate.release()
    assert rate.waits == 0


async def test_a_shorter_pause_does_not_cut_a_longer_hold(fake_time: FakeTime) -> None:
    rate = RateLimiter(2, clock=fake_time)
    rate.observe({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "20s"})
    rate.observe({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s"})
    assert await rate.acquire() == pytest.approx(20.0)
    rate.release()


async def test_a_hold_set_while_waiting_extends_the_wait(fake_time: FakeTime) -> None:
    rate = RateLimiter(2, 1, clock=fake_time)
    await rate.acquire()
    rate.release()
    spent = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "60"}

    calls = 0
    real_sleep = fake_time.sleep

    async def sleep_and_observe(seconds: float) -> None:
        nonlocal calls
        calls += 1
        await real_sleep(seconds)
        if calls == 1:  # a response arrives meanwhile and says the budget is spent
            rate.observe(spent)

    limiter.asyncio.sleep = sleep_and_observe
    assert await rate.acquire() == pytest.approx(120.0)
    rate.release()
    assert calls == 2
    assert rate.waits == 1  # one held request, however many sleeps it took


# -- the slot semaphore ---------------------------------------------------------------------


async def test_slots_hand_a_freed_slot_to_the_oldest_waiter_first():
    from litellm_screenwriter.client.limiter import _Slots

    slots = _Slots(1)
    assert slots.try_take() is True
    assert slots.try_take() is False
    order: list[str] = []

    async def wait(name: str) -> None:
        await slots.take()
        order.append(name)

    first = asyncio.create_task(wait("first"))
    second = asyncio.create_task(wait("second"))
    await asyncio.sleep(0)
    assert slots.try_take() is False  # waiters queue: a newcomer cannot overtake them
    slots.give()
    await asyncio.sleep(0)
    assert order == ["first"]
    slots.give()
    await asyncio.gather(first, second)
    assert order == ["first", "second"]
    slots.give()
    assert slots.free == 1


async def test_a_cancelled_waiter_leaves_the_queue_and_loses_no_slot():
    from litellm_screenwriter.client.limiter import _Slots

    slots = _Slots(1)
    assert slots.try_take()
    waiter = asyncio.create_task(slots.take())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    slots.give()
    assert slots.free == 1
    assert slots.try_take() is True


async def test_a_slot_handed_to_a_waiter_cancelled_meanwhile_is_passed_on():
    from litellm_screenwriter.client.limiter import _Slots

    slots = _Slots(1)
    assert slots.try_take()
    doomed = asyncio.create_task(slots.take())
    patient = asyncio.create_task(slots.take())
    await asyncio.sleep(0)
    slots.give()  # the slot goes to `doomed`...
    doomed.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await doomed
    await asyncio.wait_for(patient, 1.0)  # so it went on to the next waiter
    slots.give()
    assert slots.free == 1
