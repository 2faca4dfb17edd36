"""The worker thread: one daemon thread running an asyncio loop that owns the LiteLLM client.

Blender's main thread must never wait on the network, so it only hands requests over
(``submit``) and collects what happened (``poll``); everything else runs here. No ``bpy``:
this package works (and is tested) without Blender, and it imports the client (and aiohttp)
lazily, on the worker thread, so importing it keeps Blender start-up fast.

Contract, per job: events arrive in the order ``started``, ``delta``..., then exactly one
terminal event, ``done``, ``failed`` or ``cancelled``. A job cancelled before the loop picked it
up ends with a lone ``cancelled`` (no ``started``). A non-streamed job (``stream=False``) sends
its whole text as one ``delta`` before ``done``, so a consumer has a single way to receive text.

Memory stays bounded when the main thread drains slowly: a job's consecutive deltas are merged
into one pending event, so between two ``poll()`` calls at most three events wait per job
(``started``, one merged ``delta``, the terminal one); the merged text itself is what the
server sent, and is delivered in full.

- ``messages.py``: what crosses the thread boundary (``Request``, ``Query``, ``Event``); a
  job knows how to run itself on a client, so the thread never looks inside it;
- ``mailbox.py``: the jobs in flight and their events, merged deltas, one terminal event each;
- ``thread.py``: the ``Worker`` itself: the thread and its loop, clients per configuration,
  cancellation and shutdown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .messages import TERMINAL_EVENTS, Event, EventType, Query, Request
from .thread import THREAD_NAME, Worker, WorkerClosedError

if TYPE_CHECKING:
    from ..client.types import ServerCheck

__all__ = [
    "TERMINAL_EVENTS",
    "THREAD_NAME",
    "Event",
    "EventType",
    "Query",
    "Request",
    "ServerCheck",
    "Worker",
    "WorkerClosedError",
]


def __getattr__(name: str) -> Any:
    # ServerCheck is the client's (what a check or a detection found); importing the worker
    # must not import the client, so it is looked up when first asked for (PEP 562).
    if name == "ServerCheck":
        from ..client.types import ServerCheck

        globals()[name] = ServerCheck
        return ServerCheck
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
