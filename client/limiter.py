"""A client-side rate limiter, so the client slows down before the server has to say no.

Three brakes: a cap on requests in flight (a semaphore), an optional requests-per-minute
budget over a sliding minute, and a pause taken when the server's ``x-ratelimit-remaining-*``
headers say the budget is spent, until their ``x-ratelimit-reset-*`` time.
"""

from __future__ import annotations

import asyncio
import collections
import math
import re
import time
from collections.abc import Callable, Mapping

from . import defaults

__all__ = ["RateLimiter", "parse_reset", "pause_from_headers"]

_DURATION = re.compile(
    r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?"
    r"(?:(\d+(?:\.\d+)?)ms)?"
)


def parse_reset(value: str, now: float | None = None) -> float | None:
    """Seconds until a rate-limit window resets.

    Accepts what providers send: ``"20"`` or ``"1.5"`` (seconds), ``"6m0s"``, ``"1s"``,
    ``"250ms"`` (OpenAI style), or a Unix timestamp (``now`` is the wall clock).
    """
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        match = _DURATION.fullmatch(value)
        if not match or not any(match.groups()):
            return None
        hours, minutes, seconds, millis = (float(g) if g else 0.0 for g in match.groups())
        return hours * 3600 + minutes * 60 + seconds + millis / 1000
    if not math.isfinite(number):  # "inf" or "nan" says nothing about when
        return None
    if number > 1e9:  # an absolute Unix time
        return max(0.0, number - (time.time() if now is None else now))
    return max(0.0, number)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None and isinstance(headers, dict):  # plain dicts are case-sensitive
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value


_REMAINING = tuple(defaults.RATE_LIMIT_REMAINING_HEADERS.items())


def pause_from_headers(headers: Mapping[str, str], now: float | None = None) -> float:
    """How long to hold the next request, from ``x-ratelimit-*`` headers (0 when no need).

    When the remaining requests or tokens reach 0, wait for that window's reset, capped at
    ``MAX_HEADER_PAUSE``.
    """
    pause = 0.0
    for kind, name in _REMAINING:
        remaining = _header(headers, name)
        if remaining is None:
            continue
        try:
            left = float(remaining)
        except ValueError:
            continue
        if not left <= 0:  # budget left, or a "nan" that says nothing
            continue
        reset = _header(headers, f"x-ratelimit-reset-{kind}")
        seconds = parse_reset(reset, now) if reset else None
        pause = max(pause, 1.0 if seconds is None else seconds)
    return min(pause, defaults.MAX_HEADER_PAUSE)


class _Slots:
    """A FIFO semaphore whose uncontended take is a plain, synchronous check.

    A freed slot is handed straight to the oldest waiter, so a newcomer cannot overtake it.
    """

    __slots__ = ("_waiters", "free")

    def __init__(self, count: int) -> None:
        self.free = count
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def try_take(self) -> bool:
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return True
        return False

    async def take(self) -> None:
        if self.try_take():
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give()  # the slot arrived as we were cancelled: pass it on
            elif waiter in self._waiters:  # give() may have dropped it already
                self._waiters.remove(waiter)
            raise

    def give(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot moves to the waiter; free stays as is
                return
        self.free += 1


class RateLimiter:
    """A slot per request in flight: ``try_acquire()`` (or, when it says no, ``acquire()``)
    before sending, ``release()`` once the answer is read or abandoned (the transport does
    both).

    ``waits`` counts the times a request was held back by the budget or the headers.
    """

    def __init__(
        self,
        max_concurrent: int,
        requests_per_minute: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        if requests_per_minute is not None and not 0 < requests_per_minute < math.inf:
            raise ValueError("requests_per_minute must be a positive number or None")
        self._semaphore = _Slots(max_concurrent)
        self._rpm = requests_per_minute
        self._clock = clock
        self._starts: collections.deque[float] = collections.deque()
        self._hold_until = 0.0
        self._budget_lock = asyncio.Lock()
        self.waits = 0

    def observe(self, headers: Mapping[str, str]) -> float:
        """Read the server's rate-limit headers after a response; returns the pause set."""
        get = headers.get
        if (
            get(_REMAINING[0][1]) is None
            and get(_REMAINING[1][1]) is None
            and not isinstance(headers, dict)  # a multidict's get() already ignored case
        ):
            return 0.0
        pause = pause_from_headers(headers)
        if pause > 0:
            self._hold_until = max(self._hold_until, self._clock() + pause)
        return pause

    def _budget_wait(self) -> float:
        now = self._clock()
        wait = max(0.0, self._hold_until - now)
        if self._rpm is not None:
            # ``allowed`` starts per ``window`` seconds, so that a fractional budget keeps its
            # rate: 0.5 per minute is 1 per 120 s (not 1 per 60 s), 1.5 is 1 per 40 s.
            allowed = max(1, int(self._rpm))
            window = 60.0 * allowed / self._rpm
            while self._starts and self._starts[0] <= now - window:
                self._starts.popleft()
            if len(self._starts) >= allowed:
                wait = max(wait, self._starts[len(self._starts) - allowed] + window - now)
        return wait

    def try_acquire(self) -> bool:
        """Take a slot at once when that needs no waiting at all (the common case); False
        means call ``acquire()``. Synchronous, so the hot path builds no coroutine."""
        if self._rpm is None and not self._hold_until:  # no budget and never paused: the
            slots = self._semaphore  # budget lock is never taken, only the slots count
            if slots.free > 0 and not slots._waiters:
                slots.free -= 1
                return True
            return False
        return (
            self._rpm is None
            and self._hold_until <= self._clock()
            and not self._budget_lock.locked()
            and self._semaphore.try_take()
        )

    async def acquire(self) -> float:
        """Wait for a slot and the budget; returns the seconds spent waiting on the budget."""
        await self._semaphore.take()
        if (
            self._rpm is None
            and self._hold_until <= self._clock()
            and not self._budget_lock.locked()
        ):
            return 0.0  # the common case: no budget, no pause asked by the server
        try:
            waited = 0.0
            async with self._budget_lock:
                while (wait := self._budget_wait()) > 0:
                    if waited == 0.0:
                        self.waits += 1
                    await asyncio.sleep(wait)
                    waited += wait
                if self._rpm is not None:
                    self._starts.append(self._clock())
            return waited
        except BaseException:
            self._semaphore.give()
            raise

    def release(self) -> None:
        """Free the slot taken by ``acquire()`` or ``try_acquire()``."""
        slots = self._semaphore
        if slots._waiters:
            slots.give()  # to the oldest waiter
        else:
            slots.free += 1
