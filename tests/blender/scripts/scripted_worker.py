"""A stand-in for the worker thread, so a script decides exactly which deltas each pump sees.

``bridge.submit`` and ``bridge.pump`` run as they do in Blender; only the network is replaced:
the script queues a job's events and calls ``pump()``, so a split of an answer into deltas is
delivered as written, one Text write per pump, with no timing involved.
"""

from __future__ import annotations

import importlib
import itertools
from contextlib import contextmanager

from harness import MODULE, package


class ScriptedWorker:
    """The part of ``worker.Worker`` the bridge calls, fed by the script instead of a server."""

    def __init__(self) -> None:
        self.Event = worker_module().Event
        self.requests: list = []
        self.configs: list = []
        self._events: list = []
        self._ids = itertools.count(1)

    # what the bridge calls
    def submit(self, request) -> str:
        self.requests.append(request)
        return f"scripted-{next(self._ids)}"

    def reconfigure(self, config) -> None:
        self.configs.append(config)

    def poll(self) -> list:
        events, self._events = self._events, []
        return events

    def cancel(self, job_id: str) -> bool:
        self._events.append(self.Event(job_id, "cancelled"))
        return True

    def cancel_all(self) -> int:
        return 0

    def shutdown(self, timeout: float = 0.0) -> bool:
        return True

    # what the script calls
    def delta(self, job_id: str, text: str) -> None:
        self._events.append(self.Event(job_id, "delta", text=text))

    def done(self, job_id: str) -> None:
        self._events.append(self.Event(job_id, "done"))


def worker_module():
    """The extension's worker module (imported on first use, as the bridge does)."""
    return importlib.import_module(f"{MODULE}.worker")


@contextmanager
def scripted_worker():
    """Put a ScriptedWorker in the bridge's place for the ``with`` block."""
    bridge = package("bridge")
    real, bridge._worker = bridge._worker, ScriptedWorker()
    try:
        yield bridge._worker
    finally:
        bridge._worker = real
