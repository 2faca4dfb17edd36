"""Main-thread delivery: worker events become Text edits, panel state and redraws.

``pump()`` is a persistent ``bpy.app.timers`` callback. Each call drains the worker without
blocking, merges each job's deltas into one Text write, and returns the next interval: fast
while jobs run, slow when idle. It holds Text *names* (and session ids to follow a rename),
never references, so a deleted text, a renamed text or a newly loaded file cannot make it raise.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import bpy
from bpy.app.handlers import persistent

from . import text_io
from .text_normalize import StreamNormalizer

if TYPE_CHECKING:
    from .worker import Event, Query, Request, Worker

__all__ = [
    "ACTIVE_INTERVAL",
    "IDLE_INTERVAL",
    "Job",
    "active_jobs",
    "cancel",
    "cancel_all",
    "jobs",
    "known_models",
    "latest_job",
    "pump",
    "reconfigure",
    "register",
    "server_job",
    "submit",
    "submit_query",
    "unregister",
]

log = logging.getLogger(__name__)

ACTIVE_INTERVAL = 0.05  # seconds between pumps while a job runs: smooth streaming
IDLE_INTERVAL = 0.5  # seconds between pumps when idle: next to no cost
# Seconds unregister() waits for the worker thread. Blender runs unregister() on its way out
# (addon_utils.disable_all(), from the bpy module's atexit too), so this bounds how long
# quitting takes with an answer streaming. A healthy worker stops in milliseconds; one that
# does not is a daemon thread and dies with the process.
SHUTDOWN_TIMEOUT = 0.5
KEEP_FINISHED = 20  # finished jobs kept for the panel

TERMINAL = ("done", "failed", "cancelled")


@dataclass
class Job:
    """What the panel shows of one request, and where its text goes."""

    job_id: str
    title: str
    text_name: str
    state: str = "queued"  # queued, running, done, failed, cancelled
    message: str = ""
    chars: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    completion: Any = None
    error: Any = None
    text_uid: int | None = None
    detached: bool = False  # its file was closed: events are dropped, the job is cancelled
    on_done: Callable[[Job], None] | None = None
    notes: list[str] = field(default_factory=list)  # what happened on the way; the end says it
    result: Any = None  # what a utility Query found (it writes no text)
    normalizer: StreamNormalizer = field(default_factory=StreamNormalizer, repr=False)

    @property
    def active(self) -> bool:
        return self.state not in TERMINAL

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started


_worker: Worker | None = None
_jobs: dict[str, Job] = {}
_models: list[str] = []


# -- what operators and panels call -----------------------------------------------------------


def submit(
    request: Request,
    *,
    title: str,
    text_name: str,
    header: str = "",
    append: bool = False,
    on_done: Callable[[Job], None] | None = None,
) -> Job:
    """Prepare the output text, hand the request to the worker, and start pumping fast.

    The request runs with the preferences as they are now (see ``_worker_for_next_request``).
    """
    text = bpy.data.texts.get(text_name) or bpy.data.texts.new(text_name)
    if not append:
        text.clear()
    if header:
        text_io.append(text, _separator(text_io.read_tail(text, 3)) + header)
    job_id = _worker_for_next_request().submit(request)
    job = Job(job_id, title, text.name, text_uid=_uid(text), on_done=on_done)
    _jobs[job_id] = job
    _forget_old_jobs()
    _kick()
    return job


def submit_query(query: Query, *, title: str, on_done: Callable[[Job], None] | None = None) -> Job:
    """Hand a utility query (model list, connection check, detection) to the worker.

    It writes no text; ``on_done`` runs on the main thread with ``job.result`` set.
    """
    job_id = _worker_for_next_request().submit(query)
    job = Job(job_id, title, "", on_done=on_done)
    _jobs[job_id] = job
    _forget_old_jobs()
    _kick()
    return job


def cancel(job_id: str) -> bool:
    job = _jobs.get(job_id)
    if job is None or not job.active or _worker is None:
        return False
    job.message = "Cancelling…"
    return _worker.cancel(job_id)


def cancel_all() -> int:
    count = 0
    for job in list(_jobs.values()):
        count += cancel(job.job_id)
    return count


def jobs() -> list[Job]:
    return list(_jobs.values())


def active_jobs() -> list[Job]:
    return [j for j in _jobs.values() if j.active]


def latest_job() -> Job | None:
    return next(reversed(_jobs.values()), None)


def server_job() -> Job | None:
    """The latest utility query (connection check, model list, detection), for the panels."""
    return next((j for j in reversed(_jobs.values()) if not j.text_name), None)


def known_models() -> list[str]:
    return list(_models) or [_current_model()]


def set_known_models(models: list[str]) -> None:
    _models[:] = models


def reconfigure() -> None:
    """Hand the worker the preferences as they are now (``submit`` does it for every request)."""
    if _worker is not None:
        from .preferences import client_config

        _worker.reconfigure(client_config())


# -- the timer --------------------------------------------------------------------------------


def pump() -> float:
    """Timer callback: deliver what the worker produced. Never raises into Blender."""
    try:
        return _pump()
    except Exception:  # a raising timer is unregistered by Blender: log and keep going
        log.exception("Screenwriter: error while delivering results")
        return IDLE_INTERVAL


def _pump() -> float:
    worker = _worker
    if worker is None:
        return IDLE_INTERVAL
    events = worker.poll()
    if events:
        _deliver(events)
    return ACTIVE_INTERVAL if any(j.active for j in _jobs.values()) else IDLE_INTERVAL


def _deliver(events: list[Event]) -> None:
    pending: dict[str, list[str]] = {}
    touched: dict[str, int | None] = {}  # text name -> its line count before this delivery
    for event in events:
        job = _jobs.get(event.job_id)
        if job is None:
            continue
        if event.type == "delta":
            if not job.detached:
                pending.setdefault(job.job_id, []).append(event.text)
            continue
        parts = pending.pop(job.job_id, None)
        chunk = job.normalizer.feed("".join(parts)) if parts else ""
        if event.type in TERMINAL and not job.detached:
            chunk += job.normalizer.flush()  # what a delta's end held back (a half surrogate)
        _write(job, chunk, touched)
        _apply(job, event)
        touched.setdefault(job.text_name, None)
    for job_id, parts in pending.items():
        job = _jobs[job_id]
        _write(job, job.normalizer.feed("".join(parts)), touched)
        if job.state == "queued":
            job.state = "running"
    _redraw(touched)


def _apply(job: Job, event: Event) -> None:
    if event.type == "started":
        if job.state == "queued":
            job.state = "running"
        return
    if not job.active:
        return
    job.finished = time.monotonic()
    if job.detached:  # its file is gone, and its text with it: whatever the worker says
        job.state = "cancelled"
        return
    job.state = event.type
    kept = f"{job.chars} characters kept." if job.chars else ""
    if event.type == "done":
        job.completion = event.completion
        job.result = event.result
        job.message = _with_notes(job, _done_message(job))
        if job.on_done is not None:
            try:
                job.on_done(job)
            except Exception as exc:  # a rendering problem must not lose the streamed text
                log.exception("Screenwriter: post-processing failed")
                job.message = f"{job.message} (post-processing failed: {exc})"
    elif event.type == "failed":
        job.error = event.error
        job.message = _with_notes(job, str(event.error), kept and f"The {kept}")
    else:
        job.message = _with_notes(job, "Cancelled.", kept)


def _with_notes(job: Job, *parts: str) -> str:
    """The final message: what happened, then what happened on the way (a recreated text)."""
    return " ".join(p for p in (*parts, *job.notes) if p)


def _done_message(job: Job) -> str:
    completion = job.completion
    usage = getattr(completion, "usage", None)
    parts = [f"Done in {job.elapsed:.1f} s"]
    if usage is not None:
        parts.append(f"{usage.total_tokens} tokens")
    cost = getattr(completion, "cost", None)
    if cost:
        parts.append(f"${cost:.4f}")
    if getattr(completion, "cached", False):
        parts.append("from cache")
    return ", ".join(parts) + "."


def _write(job: Job, chunk: str, touched: dict[str, int | None]) -> None:
    """Append normalised text to the job's text; the writer's cursor and selection stay put."""
    if not chunk:
        return
    text = _find_text(job)
    lines_before = len(text.lines)
    written = _append(text, chunk)
    job.chars += len(written)
    if touched.get(job.text_name) is None:
        touched[job.text_name] = lines_before


def _find_text(job: Job) -> bpy.types.Text:
    """The job's text: by name, else the same datablock renamed, else a new one (and say so)."""
    text = bpy.data.texts.get(job.text_name)
    if text is not None:
        return text
    if job.text_uid is not None:
        for candidate in bpy.data.texts:
            if _uid(candidate) == job.text_uid:
                job.text_name = candidate.name
                return candidate
    text = bpy.data.texts.new(job.text_name)
    job.text_uid = _uid(text)
    job.message = f"The output text was deleted; writing into a new '{text.name}'."
    job.text_name = text.name
    if job.message not in job.notes:
        job.notes.append(job.message)
    return text


def _append(text: bpy.types.Text, chunk: str) -> str:
    """The one place the pump writes into a Text (tests count its calls)."""
    return text_io.append(text, chunk)


def _separator(existing: str) -> str:
    """What goes between a text's content and an appended header: one blank line, or nothing."""
    if not existing:
        return ""
    return "\n" * (2 - min(2, len(existing) - len(existing.rstrip("\n"))))


def _uid(text: bpy.types.Text) -> int | None:
    return getattr(text, "session_uid", None)


def _redraw(touched: dict[str, int | None]) -> None:
    """Redraw text editors; one that showed the end of a text just written follows it.

    ``touched`` maps a text's name to its line count before the write (None: not written).
    An editor scrolled up to read earlier lines stays where it is.
    """
    wm = bpy.context.window_manager
    if wm is None:
        return
    for window in wm.windows:
        screen = window.screen
        if screen is None:
            continue
        for area in screen.areas:
            if area.type != "TEXT_EDITOR":
                continue
            space = area.spaces.active
            text = getattr(space, "text", None)
            if text is not None and text.name in touched:
                visible = max(space.visible_lines, 1)
                lines_before = touched[text.name]
                if lines_before is not None and space.top + visible >= lines_before:
                    space.top = max(0, len(text.lines) - visible)
                area.tag_redraw()
            elif space.show_region_ui:  # the sidebar shows our panel's job state
                area.tag_redraw()


def _forget_old_jobs() -> None:
    finished = [j for j in _jobs.values() if not j.active]
    for job in finished[:-KEEP_FINISHED]:
        del _jobs[job.job_id]


# -- worker lifecycle -------------------------------------------------------------------------


def _worker_for_next_request() -> Worker:
    """The worker, configured from the preferences as they are now.

    Building the configuration at each submit is what makes a changed preference (retries,
    timeout scale, URL, key, TLS, cache, log file) apply to the next request. The worker
    ignores a configuration equal to its own, and jobs already running finish on the client
    they started with.
    """
    global _worker
    from .preferences import client_config

    config = client_config()
    if _worker is None:
        from .worker import Worker

        _worker = Worker(config)
        _worker.start()
    else:
        _worker.reconfigure(config)
    return _worker


def _current_model() -> str:
    from .preferences import get_preferences

    return get_preferences().model


def _kick() -> None:
    """Pump soon: the idle interval would delay the first tokens by up to half a second."""
    if bpy.app.timers.is_registered(pump):
        bpy.app.timers.unregister(pump)
    bpy.app.timers.register(pump, first_interval=0.01, persistent=True)


@persistent
def _on_load_pre(*_args: Any) -> None:
    """Every Text is about to go: cancel jobs still writing and say why.

    Utility queries (no text) do not depend on the file and carry on.
    """
    for job in _jobs.values():
        if job.active and job.text_name:
            job.detached = True
            job.message = "Cancelled: another file was opened while the answer streamed."
            if _worker is not None:
                _worker.cancel(job.job_id)


@persistent
def _on_load_post(*_args: Any) -> None:
    _redraw({})


_HANDLERS = ((bpy.app.handlers.load_pre, _on_load_pre), (bpy.app.handlers.load_post, _on_load_post))


def register() -> None:
    for handlers, fn in _HANDLERS:
        if fn not in handlers:
            handlers.append(fn)
    if not bpy.app.timers.is_registered(pump):
        bpy.app.timers.register(pump, first_interval=IDLE_INTERVAL, persistent=True)


def unregister() -> None:
    global _worker
    if bpy.app.timers.is_registered(pump):
        bpy.app.timers.unregister(pump)
    for handlers, fn in _HANDLERS:
        while fn in handlers:
            handlers.remove(fn)
    worker, _worker = _worker, None
    if worker is not None:
        worker.cancel_all()
        worker.shutdown(timeout=SHUTDOWN_TIMEOUT)
    _jobs.clear()
