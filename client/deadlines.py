"""Request deadlines that share one event-loop timer per client.

``asyncio.timeout()`` schedules and cancels a loop timer each time it is entered; on loopback,
where a whole request costs a few hundred microseconds of CPU, the two per request (headers,
then body) and one per stream read measured as about a sixth of the client's time. Here each
client keeps its deadlines in a set and one timer armed for the earliest of them: entering a
deadline is a set insertion, and the timer is re-armed only when a new deadline is earlier
than every pending one, which in steady traffic almost never happens.

A watch serves the event loop it is first entered on, and looks the running task up on that
loop: ``asyncio.current_task()`` without a loop looks the running loop up first, which on
Python 3.11 is a ``getpid()`` system call every time (a stream enters a deadline once per read).

The semantics are those of ``asyncio.timeout()``: when the deadline passes, the task that
entered the block is cancelled, and leaving the block turns that cancellation into
``TimeoutError`` (a cancellation from elsewhere stays a cancellation).
"""

from __future__ import annotations

import asyncio
import math
from asyncio import current_task

from . import defaults

__all__ = ["Deadline", "DeadlineWatch"]


class DeadlineWatch:
    """The pending deadlines of one client (one event loop), with one timer for all."""

    __slots__ = ("_armed_at", "_entries", "_handle", "_loop")

    def __init__(self) -> None:
        self._entries: set[Deadline] = set()
        self._handle: asyncio.TimerHandle | None = None
        self._armed_at = math.inf
        self._loop: asyncio.AbstractEventLoop | None = None  # bound on first use

    def _bind_running_task(self) -> asyncio.Task:
        """The running task when the watch's loop has none running: the first use, or a new
        loop, which the watch then serves (``Deadline.__enter__`` asks the bound loop first)."""
        loop = asyncio.get_running_loop()  # RuntimeError outside an event loop
        if loop is not self._loop:  # first use, or a new loop: the old one's timer is void
            self.close()
            self._loop = loop
        task = current_task(loop)
        if task is None:
            raise RuntimeError("a Deadline must be used inside a task")
        return task

    def deadline(self, when: float | None) -> Deadline:
        """A block that must end by loop time ``when`` (None: no limit)."""
        return Deadline(self, when)

    def __len__(self) -> int:
        return len(self._entries)

    def _add(self, deadline: Deadline) -> None:
        self._entries.add(deadline)
        if deadline.when < self._armed_at:
            self._arm(deadline.when)

    def _arm(self, when: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._armed_at = when
        self._handle = self._loop.call_at(when, self._sweep)

    def _sweep(self) -> None:
        self._handle, self._armed_at = None, math.inf
        now = self._loop.time() + defaults.DEADLINE_SLACK
        earliest = math.inf
        for deadline in list(self._entries):
            if deadline.when <= now:
                self._entries.discard(deadline)
                deadline._expire()
            elif deadline.when < earliest:
                earliest = deadline.when
        if earliest < math.inf:
            self._arm(earliest)

    def close(self) -> None:
        """Drop the timer (the client is closing)."""
        if self._handle is not None:
            self._handle.cancel()
        self._handle, self._armed_at = None, math.inf
        self._entries.clear()


class Deadline:
    """``with watch.deadline(when): ...`` inside a task (``async with`` works too); may be
    entered again after it is left. A plain ``with`` builds no coroutine objects, which is why
    the client's hot path uses it."""

    __slots__ = ("_cancelling", "_task", "_watch", "expired", "when")

    def __init__(self, watch: DeadlineWatch, when: float | None) -> None:
        self._watch = watch
        self.when = math.inf if when is None else when
        self._task: asyncio.Task | None = None
        self._cancelling = 0
        self.expired = False

    def reschedule(self, when: float | None) -> None:
        """Move the deadline (also while inside the block)."""
        self.when = math.inf if when is None else when
        if self._task is None:  # not inside the block: __enter__ registers it
            return
        watch = self._watch
        if self.when == math.inf:
            watch._entries.discard(self)
        elif self not in watch._entries:
            watch._add(self)
        elif self.when < watch._armed_at:
            watch._arm(self.when)

    def __enter__(self) -> Deadline:
        watch = self._watch
        loop = watch._loop
        task = current_task(loop) if loop is not None else None
        if task is None:
            task = watch._bind_running_task()
        self._task = task
        self._cancelling = task.cancelling()
        self.expired = False
        if self.when < math.inf:
            watch._add(self)
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, _tb) -> None:
        self._watch._entries.discard(self)
        task, self._task = self._task, None
        # uncancel() must run whenever this deadline cancelled the task, whatever came out.
        if (
            self.expired
            and task is not None
            and task.uncancel() <= self._cancelling
            and exc_type is asyncio.CancelledError
        ):
            raise TimeoutError from exc

    async def __aenter__(self) -> Deadline:
        return self.__enter__()

    async def __aexit__(self, exc_type: type | None, exc: BaseException | None, tb) -> None:
        self.__exit__(exc_type, exc, tb)

    def _expire(self) -> None:
        if self._task is not None and not self.expired:
            self.expired = True
            self._task.cancel()
