"""``Worker``: the thread, its asyncio loop, the clients it runs jobs on, and shutdown.

Every public method is thread-safe. Jobs run on the loop as tasks; each one is handed the client
of the configuration current when it started and runs itself on it (``Request.run``,
``Query.run``), its text going straight to the mailbox. A new configuration gets a new client;
the old one is closed once its last job is over.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .mailbox import Mailbox
from .messages import Event, Query, Request

if TYPE_CHECKING:  # the client is imported on the worker thread only
    from ..client import ClientConfig, LiteLLMClient, LiteLLMError

__all__ = ["THREAD_NAME", "Worker", "WorkerClosedError"]

logger = logging.getLogger(__name__)

THREAD_NAME = "litellm-screenwriter-worker"
"""The worker thread's name, so tests and ``unregister()`` can check none is left behind."""

# How long shutdown() gives an old client to close, and the loop's leftovers to unwind.
_CLOSE_TIMEOUT = 2.0
_UNWIND_TIMEOUT = 0.5


class WorkerClosedError(RuntimeError):
    """The worker was shut down: it accepts no more jobs (create a new Worker instead)."""


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
        # The mailbox's lock also guards the lifecycle flags below (see mailbox.py).
        self._box = Mailbox(wakeup)
        self._lock = self._box.lock
        self._jobs: dict[str, _Job] = self._box.jobs
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
        return self._box.pending()

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
            self._box.sweep("cancelled")
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
            self._box.notify()
        return known

    def cancel_all(self) -> int:
        """Cancel every job not finished yet; returns how many were asked to stop."""
        with self._lock:
            ids = list(self._jobs)
            ready = False
            for job_id in ids:
                ready |= self._cancel_locked(job_id)
        if ready:
            self._box.notify()
        return len(ids)

    def _cancel_locked(self, job_id: str) -> bool:
        """Cancel under the lock; True when a terminal event was queued right away."""
        job = self._jobs.get(job_id)
        if job is None:
            return False
        if job.task is None:  # not started on the loop yet: end it here and now
            return self._box.finish_locked(job_id, Event(job_id, "cancelled"))
        if not job.cancel_requested:
            job.cancel_requested = True
            if self._loop_open and self._loop is not None:
                self._loop.call_soon_threadsafe(self._cancel_task, job)
        return False

    def poll(self) -> list[Event]:
        """Hand over the events queued since the last call (never blocks; cheap when idle)."""
        return self._box.poll()

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
                self._box.sweep("cancelled")
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
                wake = self._box.finish_locked(job_id, Event(job_id, "cancelled"))
                config = None
            else:
                wake = False
                config, version = self._config, self._config_version
        if config is None:
            if wake:
                self._box.notify()
            return
        try:
            slot = self._current_slot(config, version)
        except Exception as error:  # e.g. the client package failed to import
            self._box.emit(Event(job_id, "started"))
            self._box.emit(Event(job_id, "failed", error=_as_litellm_error(error)))
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
            wake = self._box.queue_locked(Event(job_id, "started"))
        if wake:
            self._box.notify()

    async def _execute(self, job: _Job, slot: _ClientSlot) -> Any:
        """Run the job on its client: whatever it is, it knows how (``run``)."""
        client = await slot.ready()
        job_request = job.request
        if isinstance(job_request, Query):
            return await job_request.run(client, functools.partial(self._box.emit_delta, job.id))
        request = job_request.prepared()  # the Request.prepare hook, here on the worker thread
        completion = await request.run(client, functools.partial(self._box.emit_delta, job.id))
        if request.check is not None:
            job.checked = request.check(completion)
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
        self._box.emit(event)

    def _cancel_task(self, job: _Job) -> None:
        if job.task is not None and not job.task.done():
            job.task.cancel()

    # -- clients (loop thread) ----------------------------------------------------------------

    def _current_slot(self, config: ClientConfig, version: int) -> _ClientSlot:
        """The client for the current config, created here (on the loop) at first use."""
        if self._slot is None or self._slot_version != version:
            self._retire_current_slot()
            from ..client import LiteLLMClient  # on the worker thread: aiohttp loads here

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
            self._box.sweep("cancelled")
            loop.stop()


def _as_litellm_error(error: BaseException) -> LiteLLMError:
    """The client's typed error as is; anything else wrapped, with the original chained."""
    from ..client import LiteLLMError

    if isinstance(error, LiteLLMError):
        return error
    wrapped = LiteLLMError(
        f"unexpected {type(error).__name__} inside the client: {error}",
        hint="this is a bug in LiteLLM Screenwriter, please report it with the log",
    )
    wrapped.__cause__ = error
    return wrapped
