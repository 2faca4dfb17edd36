"""The jobs in flight and the events they produce, handed from the worker thread to any other.

One lock guards the job registry and the event queue, so a job's terminal event is queued
exactly once and nothing is queued for a job after it; the ``Worker`` guards its own lifecycle
flags with the same lock, so registering a job and seeing the loop stop cannot interleave. The
lock is only ever held for a few dictionary and deque operations, never across a call out.

A job's consecutive deltas merge into its one pending ``delta`` event until ``poll()`` takes it,
so a slow consumer holds at most three events per job, whatever the server sends.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable
from typing import Any

from .messages import TERMINAL_EVENTS, Event, EventType

__all__ = ["Mailbox"]

logger = logging.getLogger(__name__)


class _PendingDelta:
    """A delta waiting in the queue that later deltas of the same job are appended to."""

    __slots__ = ("job_id", "parts")

    def __init__(self, job_id: str, text: str) -> None:
        self.job_id = job_id
        self.parts = [text]

    def event(self) -> Event:
        return Event(self.job_id, "delta", "".join(self.parts))


class Mailbox:
    """Jobs by id (whatever the owner keeps per job) and the queue of their events.

    ``wakeup``, when given, is called (on the thread that queued the event) each time events
    become available after ``poll()`` emptied the queue.
    """

    def __init__(self, wakeup: Callable[[], None] | None = None) -> None:
        self.lock = threading.Lock()
        self.jobs: dict[str, Any] = {}  # job id -> the owner's record, until its terminal event
        self._events: collections.deque[Event | _PendingDelta] = collections.deque()
        self._open_deltas: dict[str, _PendingDelta] = {}
        self._wakeup = wakeup

    def pending(self) -> int:
        """Events waiting for ``poll()`` (merged deltas count once)."""
        return len(self._events)

    def poll(self) -> list[Event]:
        """Hand over the events queued since the last call (never blocks; cheap when idle)."""
        if not self._events:  # unlocked peek: a racing event is simply taken next time
            return []
        with self.lock:
            events, self._events = self._events, collections.deque()
            self._open_deltas.clear()
        return [item.event() if isinstance(item, _PendingDelta) else item for item in events]

    # -- with the lock held -------------------------------------------------------------------

    def queue_locked(self, event: Event) -> bool:
        """Append an event; True when the queue was empty (the consumer may need a wakeup)."""
        was_empty = not self._events
        self._events.append(event)
        return was_empty

    def finish_locked(self, job_id: str, event: Event) -> bool:
        """Queue the job's terminal event, once: later attempts are ignored."""
        if self.jobs.pop(job_id, None) is None:
            return False
        self._open_deltas.pop(job_id, None)
        return self.queue_locked(event)

    # -- from any thread ----------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        """Queue a started or terminal event (nothing for a job that already ended)."""
        with self.lock:
            if event.type in TERMINAL_EVENTS:
                wake = self.finish_locked(event.job_id, event)
            elif event.job_id in self.jobs:
                self._open_deltas.pop(event.job_id, None)
                wake = self.queue_locked(event)
            else:
                wake = False
        if wake:
            self.notify()

    def emit_delta(self, job_id: str, text: str) -> None:
        """Queue text, merged into the job's pending delta when there is one: O(1)."""
        with self.lock:
            if job_id not in self.jobs:
                return
            pending = self._open_deltas.get(job_id)
            if pending is not None:
                pending.parts.append(text)
                return
            pending = self._open_deltas[job_id] = _PendingDelta(job_id, text)
            was_empty = not self._events
            self._events.append(pending)
        if was_empty:
            self.notify()

    def sweep(self, kind: EventType) -> None:
        """End every job still registered with ``kind`` (the thread is gone or going)."""
        with self.lock:
            wake = False
            for job_id in list(self.jobs):
                wake |= self.finish_locked(job_id, Event(job_id, kind))
        if wake:
            self.notify()

    def notify(self) -> None:
        """Call the wakeup hook, if any (its failures are logged, never raised)."""
        if self._wakeup is None:
            return
        try:
            self._wakeup()
        except Exception:
            logger.exception("worker wakeup hook failed")
