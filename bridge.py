"""Main-thread delivery: worker events become Text edits, job state and redraws.

``pump()`` is the ``bpy.app.timers`` callback. Each call drains the worker without blocking,
merges each job's deltas into one Text write, records what happened in ``job_state`` (the one
place panels read), hands each ended job to ``results.finish`` (what its request type declares
it does), lets ``health`` send the status check when one is due, and redraws only what shows
our panel or an output text. It holds Text *names* (and session ids to follow a rename), never
references, so a deleted text, a renamed text or a newly loaded file cannot make it raise.

The timer unregisters itself when idle (``pump()`` returns None) unless a Screenwriter panel is
on screen, where it wakes once a minute for the status check; ``submit``, ``submit_query`` and
every panel draw arm it again. So an idle Blender without our panel runs none of our code.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import bpy
from bpy.app.handlers import persistent

# Imported here, not at first use: a first import inside pump() (3 ms when it compiles) was the
# slowest main-thread moment of a whole stream.
from . import health, info_log, job_state, results, screen, text_io
from .job_state import Job, Origin

if TYPE_CHECKING:
    from .worker import Event, Query, Request, Worker

__all__ = [
    "ACTIVE_INTERVAL",
    "PANEL_REFRESH",
    "Job",
    "Origin",
    "active_jobs",
    "arm",
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
PANEL_REFRESH = 0.25  # seconds between sidebar redraws while a job runs (its clock, its figures)
MIN_IDLE_WAKE = 1.0  # the shortest idle sleep while a panel is on screen
# Seconds unregister() waits for the worker thread. Blender runs unregister() on its way out
# (addon_utils.disable_all(), from the bpy module's atexit too), so this bounds how long
# quitting takes with an answer streaming. A healthy worker stops in milliseconds; one that
# does not is a daemon thread and dies with the process.
SHUTDOWN_TIMEOUT = 0.5

_worker: Worker | None = None
_models: list[str] = []
_panels_redrawn = 0.0


# -- what operators and panels call -----------------------------------------------------------


def submit(
    request: Request,
    *,
    title: str,
    text_name: str,
    header: str = "",
    append: bool = False,
    origin: Origin | None = None,
    typical_tokens: int = 400,
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
    job = Job(
        job_id,
        title,
        text.name,
        kind=request.kind,
        origin=origin,
        first_byte_timeout=_first_byte_timeout(request.kind),
        typical_tokens=typical_tokens,
        text_uid=_uid(text),
    )
    job_state.add(job)
    _kick()
    return job


def submit_query(query: Query, *, title: str, automatic: bool = False) -> Job:
    """Hand a server query (model list, status check, detection) to the worker.

    It writes no text; what its result does is declared by its action (``results.py``).
    ``automatic`` marks the timer's own status checks, which the panels do not list.
    """
    job_id = _worker_for_next_request().submit(query)
    job = job_state.add(Job(job_id, title, "", kind=query.action, automatic=automatic))
    _kick()
    return job


def cancel(job_id: str) -> bool:
    job = job_state.get(job_id)
    if job is None or not job.active or _worker is None:
        return False
    job_state.set_message(job, "Cancelling…")
    return _worker.cancel(job_id)


def cancel_all() -> int:
    return sum(cancel(job.job_id) for job in job_state.active_jobs() if not job.automatic)


jobs = job_state.jobs
active_jobs = job_state.active_jobs
latest_job = job_state.latest
server_job = job_state.latest_query


def known_models() -> list[str]:
    return list(_models) or [_current_model()]


def set_known_models(models: list[str]) -> None:
    _models[:] = models


def reconfigure() -> None:
    """Preferences changed: the next jobs use the new URL, key and limits."""
    if _worker is not None:
        from .preferences import client_config

        _worker.reconfigure(client_config())


def arm(first_interval: float = 0.0) -> None:
    """Make sure the timer runs (a panel drew, or work was handed over)."""
    if not bpy.app.timers.is_registered(pump):
        bpy.app.timers.register(pump, first_interval=first_interval, persistent=True)


# -- the timer --------------------------------------------------------------------------------


def pump() -> float | None:
    """Timer callback: deliver what the worker produced; the next interval, or None to stop.

    Never raises into Blender (a raising timer is unregistered by it).
    """
    try:
        return _pump()
    except Exception:
        log.exception("Screenwriter: error while delivering results")
        return ACTIVE_INTERVAL if job_state.active_jobs() else None


def _pump() -> float | None:
    global _panels_redrawn
    now = time.monotonic()
    worker = _worker
    changed = False  # a job started or ended, or the status changed: redraw the panels now
    if worker is not None:
        events = worker.poll()
        if events:
            changed = _deliver(events, now)
    if health.maybe_check(now):
        changed = True
    running = bool(job_state.active_jobs())
    # Streamed text alone redraws only the Text Editors showing it; the panels' figures follow
    # at PANEL_REFRESH.
    if changed or (running and now - _panels_redrawn >= PANEL_REFRESH):
        screen.redraw({})
        _panels_redrawn = now
    if running:
        return ACTIVE_INTERVAL
    if screen.panel_regions():
        return max(MIN_IDLE_WAKE, health.seconds_until_due(now))
    return None


def _deliver(events: list[Event], now: float) -> bool:
    """Write the texts, record what happened, run what ended jobs do; True when a job started
    or ended (more than text arrived)."""
    pending: dict[str, list[str]] = {}
    touched: dict[str, int | None] = {}  # text name -> its line count before this delivery
    ended: list[Job] = []
    started = False
    for event in events:
        job = job_state.get(event.job_id)
        if job is None:
            continue
        if event.type == "delta":
            if not job.detached:
                pending.setdefault(job.job_id, []).append(event.text)
            continue
        parts = pending.pop(job.job_id, None)
        chunk = job.normalizer.feed("".join(parts)) if parts else ""
        if event.type != "started" and not job.detached:
            chunk += job.normalizer.flush()  # what a delta's end held back (a half surrogate)
        _write(job, chunk, touched)
        if event.type == "started":
            job_state.record_start(job)
            started = True
        elif job_state.record_end(job, event, now):
            ended.append(job)
        if job.text_name:
            touched.setdefault(job.text_name, None)
    for job_id, parts in pending.items():
        job = job_state.get(job_id)
        _write(job, job.normalizer.feed("".join(parts)), touched)
    for job in ended:
        results.finish(job)
        if job.state == "failed" and not job.automatic:
            info_log.report("ERROR", f"Screenwriter: {job.title} failed: {job.message}")
    screen.redraw(touched, panels=False)
    return started or bool(ended)


def _write(job: Job, chunk: str, touched: dict[str, int | None]) -> None:
    """Append normalised text to the job's text; the writer's cursor and selection stay put."""
    if not chunk:
        return
    text = _find_text(job)
    lines_before = len(text.lines)
    written = _append(text, chunk)
    job_state.record_text(job, len(written), time.monotonic())
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


def _first_byte_timeout(kind: str) -> float | None:
    """Seconds the server has for the first token of a ``kind`` request (the progress ring)."""
    from .preferences import client_config

    return client_config().timeout_for(kind).first_byte


def _kick() -> None:
    """Pump soon: a sleeping timer would delay the first tokens."""
    if bpy.app.timers.is_registered(pump):
        bpy.app.timers.unregister(pump)
    bpy.app.timers.register(pump, first_interval=0.01, persistent=True)


@persistent
def _on_load_pre(*_args: Any) -> None:
    """Every Text is about to go: cancel jobs still writing and say why.

    Utility queries (no text) do not depend on the file and carry on.
    """
    for job in job_state.active_jobs():
        if job.text_name:
            job.detached = True
            job_state.set_message(
                job, "Cancelled: another file was opened while the answer streamed."
            )
            if _worker is not None:
                _worker.cancel(job.job_id)


@persistent
def _on_load_post(*_args: Any) -> None:
    screen.redraw({})


_HANDLERS = ((bpy.app.handlers.load_pre, _on_load_pre), (bpy.app.handlers.load_post, _on_load_post))


def register() -> None:
    for handlers, fn in _HANDLERS:
        if fn not in handlers:
            handlers.append(fn)
    arm(first_interval=MIN_IDLE_WAKE)


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
    job_state.clear()
    screen.forget()
    health.reset()
    info_log.reset()
