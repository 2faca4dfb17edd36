"""Helpers shared by the worker tests: drain a worker until jobs end, and check event order."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable

from litellm_screenwriter.client import ClientConfig
from litellm_screenwriter.worker import TERMINAL_EVENTS, THREAD_NAME, Event, Worker
from tests.support.mock_server import MockServer

__all__ = [
    "by_job",
    "check_sequences",
    "config_for",
    "drain_until",
    "text_of",
    "wait_for",
    "worker_threads",
]


def config_for(server: MockServer, **options) -> ClientConfig:
    """A client config for ``server``: no retries, no environment proxies."""
    options.setdefault("max_retries", 0)
    options.setdefault("trust_env", False)
    return ClientConfig(base_url=server.url, **options)


def worker_threads() -> list[threading.Thread]:
    """Worker threads still alive in this process."""
    return [t for t in threading.enumerate() if t.name == THREAD_NAME and t.is_alive()]


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.005):
    """Poll ``predicate`` until true; fail the test on timeout instead of hanging."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def drain_until(
    worker: Worker,
    job_ids: Iterable[str],
    timeout: float = 10.0,
    into: list[Event] | None = None,
) -> list[Event]:
    """Poll like the Blender timer until every job in ``job_ids`` has its terminal event."""
    waiting = set(job_ids)
    events = [] if into is None else into
    deadline = time.monotonic() + timeout
    while True:
        for event in worker.poll():
            events.append(event)
            if event.terminal:
                waiting.discard(event.job_id)
        if not waiting:
            return events
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs without a terminal event after {timeout} s: {waiting}")
        time.sleep(0.005)


def by_job(events: Iterable[Event]) -> dict[str, list[Event]]:
    grouped: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        grouped[event.job_id].append(event)
    return dict(grouped)


def check_sequences(events: Iterable[Event]) -> dict[str, list[Event]]:
    """Assert each job's events read started, delta..., one terminal (or a lone cancelled)."""
    grouped = by_job(events)
    for job_id, job_events in grouped.items():
        types = [e.type for e in job_events]
        assert types[-1] in TERMINAL_EVENTS, (job_id, types)
        assert sum(t in TERMINAL_EVENTS for t in types) == 1, (job_id, types)
        if types[0] == "started":
            assert all(t == "delta" for t in types[1:-1]), (job_id, types)
        else:
            assert types == ["cancelled"], (job_id, types)
        last = job_events[-1]
        if last.type == "done" and last.completion is not None:  # a chat: text came as deltas
            assert text_of(job_events) == last.completion.text, job_id
        elif last.type == "done":  # a Query: a result (None for no model info), no text
            assert last.completion is None
            assert text_of(job_events) == "", job_id
        if last.type == "failed":
            assert last.error is not None
    return grouped


def text_of(events: Iterable[Event]) -> str:
    """The text a job's deltas delivered."""
    return "".join(e.text for e in events if e.type == "delta")
