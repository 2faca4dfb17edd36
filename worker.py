"""The worker thread: one daemon thread running an asyncio loop that owns the LiteLLM client.

Blender's main thread must never wait on the network, so it only hands requests over
(``submit``) and collects what happened (``poll``); everything else runs here. No ``bpy``:
this module works (and is tested) without Blender, and it imports ``client/`` (hence aiohttp)
lazily, on the worker thread, so importing it keeps Blender start-up fast.

Contract, per job: events arrive in the order ``started``, ``delta``..., then exactly one
terminal event, ``done``, ``failed`` or ``cancelled``. A job cancelled before the loop picked it
up ends with a lone ``cancelled`` (no ``started``). A non-streamed job (``stream=False``) sends
its whole text as one ``delta`` before ``done``, so a consumer has a single way to receive text.

Two optional per-request hooks run on the worker thread, so work too slow for Blender's main
thread never runs there: ``Request.prepare`` finishes building the request just before it is
sent (a prompt grounded in a long screenplay), and ``Request.check`` looks at the finished
completion (an analysis validated against its JSON Schema); what ``check`` returns is the
``result`` of the ``done`` event.

Memory stays bounded when the main thread drains slowly: a job's consecutive deltas are merged
into one pending event, so between two ``poll()`` calls at most three events wait per job
(``started``, one merged ``delta``, the terminal one); the merged text itself is what the
server sent, and is delivered in full.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import functools
import itertools
import logging
import threading
import types
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # the client is imported on the worker thread only
    from .client import ClientConfig, Completion, LiteLLMClient, LiteLLMError

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

logger = logging.getLogger(__name__)

THREAD_NAME = "litellm-screenwriter-worker"
"""The worker thread's name, so tests and ``unregister()`` can check none is left behind."""

EventType = Literal["started", "delta", "done", "failed", "cancelled"]
TERMINAL_EVENTS: frozenset[str] = frozenset({"done", "failed", "cancelled"})

# How long shutdown() gives an old client to close, and the loop's leftovers to unwind.
_CLOSE_TIMEOUT = 2.0
_UNWIND_TIMEOUT = 0.5


class WorkerClosedError(RuntimeError):
    """The worker was shut down: it accepts no more jobs (create a new Worker instead)."""


# ---------------------------------------------------------------------------------------------
# Values crossing the thread boundary


def _freeze_for_hash(value: Any) -> Any:
    """A hashable stand-in for nested JSON-like data (used only to hash a Request)."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _freeze_for_hash(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze_for_hash(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _thaw(value: Any) -> Any:
    """A fresh, plain (JSON-serialisable) deep copy: the client may do what it likes with it."""
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_thaw(v) for v in value]
    return copy.deepcopy(value)


@dataclass(frozen=True)
class Request:
    """One chat completion to run: immutable, so the caller can keep or reuse its own lists.

    ``messages`` is deep-copied into a tuple of read-only mappings and ``params`` (extra request
    fields such as ``temperature``) into a read-only mapping; ``kind`` picks the client's
    timeout profile.

    Two optional hooks run on the worker thread (blocking its loop while they run, so keep
    them to tens of milliseconds, and never touch ``bpy`` in them):

    - ``prepare(request) -> Request``: called once, just before sending; the request it returns
      is the one sent (its own ``prepare`` is not called again). ``messages`` may be empty when
      ``prepare`` fills them in.
    - ``check(completion) -> Any``: called once the completion is complete (not for a failed or
      cancelled job); its return value is ``Event.result`` of the ``done`` event.

    Either raising ends the job ``failed`` (the exception wrapped in a ``LiteLLMError``).
    """

    model: str
    messages: Sequence[Mapping[str, Any]]
    _: KW_ONLY
    stream: bool = True
    params: Mapping[str, Any] | None = None
    kind: str = "ask"
    prepare: Callable[[Request], Request] | None = None
    check: Callable[[Completion], Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model:
            raise ValueError("Request.model must be a non-empty model name")
        if isinstance(self.messages, str | bytes | Mapping) or not isinstance(
            self.messages, Iterable
        ):
            raise TypeError("Request.messages must be a sequence of message mappings")
        messages = []
        for message in self.messages:
            if not isinstance(message, Mapping):
                raise TypeError(f"each message must be a mapping, not {type(message).__name__}")
            messages.append(types.MappingProxyType(copy.deepcopy(dict(message))))
        object.__setattr__(self, "messages", tuple(messages))
        params = self.params if self.params is not None else {}
        if not isinstance(params, Mapping):
            raise TypeError("Request.params must be a mapping of extra request fields")
        object.__setattr__(self, "params", types.MappingProxyType(copy.deepcopy(dict(params))))
        for hook in ("prepare", "check"):
            if getattr(self, hook) is not None and not callable(getattr(self, hook)):
                raise TypeError(f"Request.{hook} must be callable or None")

    def __hash__(self) -> int:
        return hash(
            (
                self.model,
                _freeze_for_hash(self.messages),
                self.stream,
                _freeze_for_hash(self.params),
                self.kind,
                self.prepare,
                self.check,
            )
        )

    def __reduce__(self):  # MappingProxyType does not pickle; rebuild from plain copies
        return (
            _rebuild_request,
            (
                self.model,
                _thaw(self.messages),
                self.stream,
                _thaw(self.params),
                self.kind,
                self.prepare,
                self.check,
            ),
        )


def _rebuild_request(model, messages, stream, params, kind, prepare=None, check=None) -> Request:
    return Request(
        model, messages, stream=stream, params=params, kind=kind, prepare=prepare, check=check
    )


QueryAction = Literal["list_models", "check", "detect", "model_info"]


@dataclass(frozen=True)
class Query:
    """A utility call instead of a chat: it ends in ``done`` with ``Event.result``.

    - ``list_models``: the model names the proxy offers to the key (``list[str]``);
    - ``check``: health, then the model list, which proves the key (``ServerCheck``);
    - ``detect``: the first of ``candidates`` (server URLs) whose health check answers
      (``ServerCheck``, its ``url`` set); fails naming every address tried;
    - ``model_info``: the JSON of LiteLLM's ``GET /model/info`` (what each model accepts), or
      None when the server answers without it (an HTTP error status: not a LiteLLM proxy, or
      a key that may not read it); fails only when the server cannot be reached.
    """

    action: QueryAction
    candidates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.action not in ("list_models", "check", "detect", "model_info"):
            raise ValueError(f"unknown Query action {self.action!r}")
        object.__setattr__(self, "candidates", tuple(self.candidates))
        if self.action == "detect" and not self.candidates:
            raise ValueError("Query('detect') needs candidate server URLs")


@dataclass(frozen=True)
class ServerCheck:
    """What ``check`` and ``detect`` found: where, how fast, and which models (when asked)."""

    url: str
    alive: bool
    ready: bool | None
    latency_ms: float
    models: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    """Something that happened to a job, handed to the main thread by ``Worker.poll()``.

    ``started`` means the worker took the job up (its request may still wait for a free
    connection); ``text`` holds new text for ``delta``; ``completion`` the finished answer for
    ``done`` (and ``result``: what a ``Query`` found, or what a ``Request.check`` returned);
    ``error`` a ``LiteLLMError`` for ``failed``.
    """

    job_id: str
    type: EventType
    text: str = ""
    completion: Completion | None = None
    error: LiteLLMError | None = field(default=None, compare=False)
    result: Any = None  # on ``done``: a ``Query``'s finding, or ``Request.check``'s return

    @property
    def terminal(self) -> bool:
        """True for done, failed and cancelled: the job's last event."""
        return self.type in TERMINAL_EVENTS


class _PendingDelta:
    """A delta waiting in the queue that later deltas of the same job are appended to."""

    __slots__ = ("job_id", "parts")

    def __init__(self, job_id: str, text: str) -> None:
        self.job_id = job_id
        self.parts = [text]

    def event(self) -> Event:
        return Event(self.job_id, "delta", "".join(self.parts))


# ---------------------------------------------------------------------------------------------
# Loop-side bookkeeping


class _ClientSlot:
    """One LiteLLMClient for one config, with the jobs using it; closed when retired and idle."""

    __slots__ = ("client", "config", "enter_lock", "entered", "retired", "users")

    def __init__(self, client: LiteLLMClient, config: ClientConfig) -> None:
        self.client = client
        self.config = config
        self.users = 0
        self.retired = False
        self.entered = False
        self.enter_lock = asyncio.Lock()

    async def ready(self) -> LiteLLMClient:
        async with self.enter_lock:
            if not self.entered:
                await self.client.__aenter__()
                self.entered = True
        return self.client


class _Job:
    __slots__ = ("cancel_requested", "checked", "id", "request", "slot", "task")

    def __init__(self, job_id: str, request: Request | Query) -> None:
        self.id = job_id
        self.request = request
        self.checked: Any = None  # what Request.check returned
        self.task: asyncio.Task | None = None  # set on the loop when the job starts
        self.slot: _ClientSlot | None = None
        self.cancel_requested = False


# ---------------------------------------------------------------------------------------------
# The worker


class Worker:
    """Runs LiteLLM requests on a background thread; every public method is thread-safe.

    ``wakeup``, when given, is called (on whichever thread queued the event, usually the
    worker's) each time events become available after ``poll()`` emptied the queue; it must be
    cheap and must not block. Blender ignores it (its timer polls), other hosts can use it to
    schedule a drain.
    """

    def __init__(self, config: ClientConfig, *, wakeup: Callable[[], None] | None = None) -> None:
        self._config = config
        self._config_version = 0
        self._wakeup = wakeup
        # One lock guards the job registry, the event queue and the lifecycle flags. It is only
        # ever held for a few dictionary/deque operations, never across a call out.
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}
        self._events: collections.deque[Event | _PendingDelta] = collections.deque()
        self._open_deltas: dict[str, _PendingDelta] = {}
        self._closed = False
        self._shutdown_requested = False
        self._loop_open = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ids = itertools.count(1)
        self._prefix = uuid.uuid4().hex[:6]
        # Loop-thread state (touched only on the worker thread).
        self._slot: _ClientSlot | None = None
        self._slot_version = -1
        self._slots: set[_ClientSlot] = set()
        self._closers: set[asyncio.Task] = set()
        self._shutdown_task: asyncio.Task | None = None

    # -- lifecycle (any thread) ---------------------------------------------------------------

    def start(self) -> Worker:
        """Start the thread and its loop (idempotent; ``submit`` starts it too)."""
        with self._lock:
            self._start_locked()
        return self

    def _start_locked(self) -> None:
        if self._closed:
            raise WorkerClosedError("the worker was shut down; create a new Worker")
        if self._thread is not None:
            return
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=self._run, args=(loop,), name=THREAD_NAME, daemon=True)
        self._loop, self._thread, self._loop_open = loop, thread, True
        thread.start()

    @property
    def is_alive(self) -> bool:
        """True while the worker thread runs."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    @property
    def closed(self) -> bool:
        """True once ``shutdown()`` was called: ``submit`` raises ``WorkerClosedError``."""
        return self._closed

    @property
    def active_jobs(self) -> int:
        """Jobs submitted whose terminal event has not been queued yet."""
        return len(self._jobs)

    def pending(self) -> int:
        """Events waiting for ``poll()`` (merged deltas count once)."""
        return len(self._events)

    def reconfigure(self, config: ClientConfig) -> None:
        """Use ``config`` (URL, key, timeouts...) for the jobs started from now on.

        Running jobs finish on the client they started with; that client is closed once they
        are done.
        """
        with self._lock:
            if config is self._config or config == self._config:
                return
            self._config = config
            self._config_version += 1
            if self._loop_open and self._loop is not None:
                self._loop.call_soon_threadsafe(self._retire_current_slot)

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Cancel the jobs in flight (each ends ``cancelled``), close the client, join the thread.

        Returns True when the thread ended within ``timeout`` seconds. If it did not (a client
        stuck beyond cancellation), the remaining jobs are still reported ``cancelled`` and the
        daemon thread is left to die with the process. Events not yet collected stay available
        to ``poll()``. Calling it again only waits for the thread again.
        """
        with self._lock:
            self._closed = True
            thread, loop = self._thread, self._loop
            live = thread is not None and self._loop_open and loop is not None
            if live and not self._shutdown_requested:
                self._shutdown_requested = True
                loop.call_soon_threadsafe(self._begin_shutdown, max(0.0, timeout))
        if thread is None:
            return True
        if thread is not threading.current_thread():
            thread.join(max(0.0, timeout))
        if thread.is_alive():
            logger.warning("worker thread did not stop within %.1f s", timeout)
            self._sweep("cancelled")
            return False
        return True

    # -- jobs (any thread) --------------------------------------------------------------------

    def submit(self, request: Request | Query) -> str:
        """Queue ``request`` (a chat ``Request`` or a utility ``Query``); returns its job id.
        Starts the thread if needed."""
        if not isinstance(request, Request | Query):
            raise TypeError(f"submit() takes a Request or a Query, not {type(request).__name__}")
        with self._lock:
            self._start_locked()
            if not self._loop_open or self._loop is None:
                raise WorkerClosedError("the worker thread has stopped; create a new Worker")
            job_id = f"{self._prefix}-{next(self._ids)}"
            self._jobs[job_id] = _Job(job_id, request)
            self._loop.call_soon_threadsafe(self._launch, job_id)
        return job_id

    def cancel(self, job_id: str) -> bool:
        """Ask to cancel a job; False when it is unknown or already has its terminal event.

        A job the loop has not started yet ends ``cancelled`` at once; a running one ends
        ``cancelled`` once its request is torn down (its HTTP connection closed).
        """
        with self._lock:
            known = job_id in self._jobs
            ready = self._cancel_locked(job_id)
        if ready:
            self._notify()
        return known

    def cancel_all(self) -> int:
        """Cancel every job not finished yet; returns how many were asked to stop."""
        with self._lock:
            ids = list(self._jobs)
            ready = False
            for job_id in ids:
                ready |= self._cancel_locked(job_id)
        if ready:
            self._notify()
        return len(ids)

    def _cancel_locked(self, job_id: str) -> bool:
        """Cancel under the lock; True when a terminal event was queued right away."""
        job = self._jobs.get(job_id)
        if job is None:
            return False
        if job.task is None:  # not started on the loop yet: end it here and now
            return self._finish_locked(job_id, Event(job_id, "cancelled"))
        if not job.cancel_requested:
            job.cancel_requested = True
            if self._loop_open and self._loop is not None:
                self._loop.call_soon_threadsafe(self._cancel_task, job)
        return False

    def poll(self) -> list[Event]:
        """Hand over the events queued since the last call (never blocks; cheap when idle)."""
        if not self._events:  # unlocked peek: a racing event is simply taken next time
            return []
        with self._lock:
            events, self._events = self._events, collections.deque()
            self._open_deltas.clear()
        return [item.event() if isinstance(item, _PendingDelta) else item for item in events]

    # -- event queue --------------------------------------------------------------------------

    def _queue_locked(self, event: Event) -> bool:
        """Append an event; True when the queue was empty (the consumer may need a wakeup)."""
        was_empty = not self._events
        self._events.append(event)
        return was_empty

    def _finish_locked(self, job_id: str, event: Event) -> bool:
        """Queue the job's terminal event, once: later attempts are ignored."""
        if self._jobs.pop(job_id, None) is None:
            return False
        self._open_deltas.pop(job_id, None)
        return self._queue_locked(event)

    def _emit(self, event: Event) -> None:
        """Queue a started or terminal event from the loop."""
        with self._lock:
            if event.type in TERMINAL_EVENTS:
                wake = self._finish_locked(event.job_id, event)
            elif event.job_id in self._jobs:
                self._open_deltas.pop(event.job_id, None)
                wake = self._queue_locked(event)
            else:
                wake = False
        if wake:
            self._notify()

    def _emit_delta(self, job_id: str, text: str) -> None:
        """Queue text, merged into the job's pending delta when there is one: O(1)."""
        with self._lock:
            if job_id not in self._jobs:
                return
            pending = self._open_deltas.get(job_id)
            if pending is not None:
                pending.parts.append(text)
                return
            pending = self._open_deltas[job_id] = _PendingDelta(job_id, text)
            was_empty = not self._events
            self._events.append(pending)
        if was_empty:
            self._notify()

    def _sweep(self, kind: EventType) -> None:
        """End every job still registered with ``kind`` (the thread is gone or going)."""
        with self._lock:
            wake = False
            for job_id in list(self._jobs):
                wake |= self._finish_locked(job_id, Event(job_id, kind))
        if wake:
            self._notify()

    def _notify(self) -> None:
        if self._wakeup is None:
            return
        try:
            self._wakeup()
        except Exception:
            logger.exception("worker wakeup hook failed")

    # -- the loop thread ----------------------------------------------------------------------

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        except BaseException:
            logger.exception("worker loop crashed")
        finally:
            try:
                self._unwind(loop)
            finally:
                with self._lock:
                    self._loop_open = False
                self._sweep("cancelled")
                asyncio.set_event_loop(None)
                loop.close()

    def _unwind(self, loop: asyncio.AbstractEventLoop) -> None:
        """After the loop stopped: cancel what is left and close clients, within bounds."""
        leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.wait(leftovers, timeout=_UNWIND_TIMEOUT))
        if self._slots:
            loop.run_until_complete(self._close_slots(list(self._slots)))
        loop.run_until_complete(loop.shutdown_asyncgens())
        try:
            loop.run_until_complete(
                asyncio.wait_for(loop.shutdown_default_executor(), _UNWIND_TIMEOUT)
            )
        except (TimeoutError, RuntimeError):
            logger.warning("worker executor did not shut down in time")

    def _launch(self, job_id: str) -> None:
        """On the loop: start a submitted job unless it was cancelled or shutdown began."""
        with self._lock:
            if job_id not in self._jobs:  # cancelled before it started
                return
            if self._closed:
                wake = self._finish_locked(job_id, Event(job_id, "cancelled"))
                config = None
            else:
                wake = False
                config, version = self._config, self._config_version
        if config is None:
            if wake:
                self._notify()
            return
        try:
            slot = self._current_slot(config, version)
        except Exception as error:  # e.g. the client package failed to import
            self._emit(Event(job_id, "started"))
            self._emit(Event(job_id, "failed", error=_as_litellm_error(error)))
            return
        loop = asyncio.get_running_loop()
        with self._lock:  # atomic with cancel(): either it ended the job, or it sees the task
            job = self._jobs.get(job_id)
            if job is None:
                return
            slot.users += 1
            job.slot = slot
            job.task = loop.create_task(self._execute(job, slot))
            job.task.add_done_callback(functools.partial(self._job_done, job))
            wake = self._queue_locked(Event(job_id, "started"))
        if wake:
            self._notify()

    async def _execute(self, job: _Job, slot: _ClientSlot) -> Any:
        request = job.request
        client = await slot.ready()
        if isinstance(request, Query):
            return await _run_query(request, client, slot.config)
        if request.prepare is not None:
            prepared = request.prepare(request)
            if not isinstance(prepared, Request):
                raise TypeError(
                    f"Request.prepare returned {type(prepared).__name__}, not a Request"
                )
            request = prepared
        completion = await self._chat(job, client, request)
        if request.check is not None:
            job.checked = request.check(completion)
        return completion

    async def _chat(self, job: _Job, client: LiteLLMClient, request: Request) -> Completion:
        messages = _thaw(request.messages)
        params = _thaw(request.params)
        if not request.stream:
            completion = await client.complete(request.model, messages, kind=request.kind, **params)
            if completion.text:
                self._emit_delta(job.id, completion.text)
            return completion
        async with client.stream(request.model, messages, kind=request.kind, **params) as s:
            async for text in s:
                if text:
                    self._emit_delta(job.id, text)
            completion = s.completion
        return completion

    def _job_done(self, job: _Job, task: asyncio.Task) -> None:
        """On the loop: turn the finished task into the job's terminal event."""
        slot = job.slot
        if slot is not None:
            slot.users -= 1
            if slot.retired and slot.users == 0:
                self._close_later(slot)
        if task.cancelled():
            event = Event(job.id, "cancelled")
        else:
            error = task.exception()
            if error is None and isinstance(job.request, Query):
                event = Event(job.id, "done", result=task.result())
            elif error is None:
                event = Event(job.id, "done", completion=task.result(), result=job.checked)
            elif job.cancel_requested:  # torn down while cancelling: still a cancellation
                event = Event(job.id, "cancelled")
            else:
                event = Event(job.id, "failed", error=_as_litellm_error(error))
        self._emit(event)

    def _cancel_task(self, job: _Job) -> None:
        if job.task is not None and not job.task.done():
            job.task.cancel()

    # -- clients (loop thread) ----------------------------------------------------------------

    def _current_slot(self, config: ClientConfig, version: int) -> _ClientSlot:
        """The client for the current config, created here (on the loop) at first use."""
        if self._slot is None or self._slot_version != version:
            self._retire_current_slot()
            from .client import LiteLLMClient  # on the worker thread: aiohttp loads here

            self._slot = _ClientSlot(LiteLLMClient(config), config)
            self._slot_version = version
            self._slots.add(self._slot)
        return self._slot

    def _retire_current_slot(self) -> None:
        slot, self._slot = self._slot, None
        if slot is None:
            return
        slot.retired = True
        if slot.users == 0:
            self._close_later(slot)

    def _close_later(self, slot: _ClientSlot) -> None:
        self._slots.discard(slot)
        task = asyncio.get_running_loop().create_task(self._close_slots([slot]))
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    async def _close_slots(self, slots: list[_ClientSlot]) -> None:
        for slot in slots:
            self._slots.discard(slot)
            try:
                await asyncio.wait_for(slot.client.close(), _CLOSE_TIMEOUT)
            except Exception:
                logger.warning("closing a LiteLLM client failed", exc_info=True)

    # -- shutdown (loop thread) ---------------------------------------------------------------

    def _begin_shutdown(self, budget: float) -> None:
        loop = asyncio.get_running_loop()
        # Leave part of the caller's join budget for unwinding the loop itself.
        deadline = loop.time() + budget * 0.8
        self._shutdown_task = loop.create_task(self._shutdown_async(deadline))

    async def _shutdown_async(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        try:
            with self._lock:
                jobs = list(self._jobs.values())
            tasks = []
            for job in jobs:
                job.cancel_requested = True
                if job.task is not None and not job.task.done():
                    job.task.cancel()
                    tasks.append(job.task)
            if tasks:
                await asyncio.wait(tasks, timeout=max(0.0, deadline - loop.time()))
            if self._closers:
                await asyncio.wait(list(self._closers), timeout=max(0.0, deadline - loop.time()))
            self._slot = None
            slots = list(self._slots)
            if slots:
                await asyncio.wait_for(self._close_slots(slots), max(0.01, deadline - loop.time()))
        except Exception:
            logger.warning("worker shutdown was not clean", exc_info=True)
        finally:
            self._sweep("cancelled")
            loop.stop()


async def _run_query(query: Query, client: LiteLLMClient, config: ClientConfig) -> Any:
    """Run a utility query on the worker's loop."""
    if query.action == "list_models":
        return await client.list_models()
    if query.action == "model_info":
        from .client import APIStatusError

        try:
            return await client.model_info()
        except APIStatusError:  # no model info here: callers fall back to documented defaults
            return None
    if query.action == "check":
        health = await client.health()
        models = await client.list_models()  # needs the key: proves it is accepted
        return ServerCheck(
            config.base_url, health.alive, health.ready, health.latency_ms, tuple(models)
        )
    return await _detect(query.candidates, config)


async def _detect(candidates: Sequence[str], config: ClientConfig) -> ServerCheck:
    """The first candidate URL whose LiteLLM health check answers alive."""
    import dataclasses

    from .client import APIConnectionError, LiteLLMClient, LiteLLMError

    tried = []
    for url in dict.fromkeys(candidates):  # in order, without repeats
        probe = dataclasses.replace(config, base_url=url, max_retries=0, cache_enabled=False)
        try:
            async with LiteLLMClient(probe) as client:
                health = await client.health()
        except LiteLLMError:
            health = None
        if health is not None and health.alive:
            return ServerCheck(probe.base_url, True, health.ready, health.latency_ms)
        tried.append(probe.base_url)
    raise APIConnectionError(
        f"no LiteLLM server answered at {', '.join(tried)}",
        hint="start your LiteLLM proxy (litellm --config ...), or type its address in the "
        "add-on preferences",
    )


def _as_litellm_error(error: BaseException) -> LiteLLMError:
    """The client's typed error as is; anything else wrapped, with the original chained."""
    from .client import LiteLLMError

    if isinstance(error, LiteLLMError):
        return error
    wrapped = LiteLLMError(
        f"unexpected {type(error).__name__} inside the client: {error}",
        hint="this is a bug in LiteLLM Screenwriter, please report it with the log",
    )
    wrapped.__cause__ = error
    return wrapped
