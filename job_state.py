"""The one place that knows what every request is doing: the jobs, their timing, the totals.

Pure Python (no ``bpy``). ``bridge.py`` feeds worker events in (``record_start``,
``record_text``, ``record_end``); panels and operators only read (``jobs()``, ``busy_output()``,
``totals()`` and the figures of a ``Job``). Every figure takes ``now`` (``time.monotonic()``)
so it can be checked against a stream of known timing.

Tokens while an answer streams are an estimate, one token per ``CHARS_PER_TOKEN`` characters
received (the rule the client's ``Conversation`` budgets with); once the answer is done they
are the exact count the server reported in its ``usage``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from .text_normalize import StreamNormalizer

__all__ = [
    "CHARS_PER_TOKEN",
    "Job",
    "Origin",
    "Progress",
    "Totals",
    "active_jobs",
    "add",
    "busy_output",
    "clear",
    "get",
    "jobs",
    "latest",
    "latest_query",
    "record_end",
    "record_start",
    "record_text",
    "totals",
]

CHARS_PER_TOKEN = 4  # estimated tokens of text mid-stream: ceil(characters / 4)
KEEP_FINISHED = 20  # finished jobs kept for the panel
TERMINAL = ("done", "failed", "cancelled")
_MIN_RATE_SECONDS = 0.2  # a rate over less streaming time than this says nothing


@dataclass(frozen=True)
class Origin:
    """Where a request came from, for what its result does: the scene, the question asked.

    ``built`` holds the messages when the worker thread builds them (``Request.prepare``):
    then the question is their last message, known once the request was sent.
    """

    scene_name: str
    question: str
    fresh: bool = False  # start the type's conversation anew with this exchange
    built: Any = field(default=None, compare=False)  # grounding.DeferredMessages

    @property
    def asked(self) -> str:
        """The question as sent (the last message of the built messages, when built)."""
        messages = getattr(self.built, "messages", None)
        return messages[-1]["content"] if messages else self.question


@dataclass(frozen=True)
class Progress:
    """What a progress display shows: how full (0..1), which shape, and its words."""

    factor: float
    shape: Literal["RING", "BAR"]
    text: str


@dataclass
class Job:
    """One request or server query, as the panels show it and the bridge delivers it."""

    job_id: str
    title: str
    text_name: str  # the output text ("" for a server query, which writes none)
    kind: str = ""  # the request type ("dialogue", …) or the query action ("check", …)
    automatic: bool = False  # a status check the timer sent, not a click
    origin: Origin | None = None
    first_byte_timeout: float | None = None  # seconds the server has for its first token
    typical_tokens: int = 400  # a usual answer of this type: what the progress bar fills toward
    state: str = "queued"  # queued, running, done, failed, cancelled
    message: str = ""
    chars: int = 0
    started: float = field(default_factory=time.monotonic)
    first_text_at: float | None = None
    finished: float | None = None
    completion: Any = None
    error: Any = None
    result: Any = None  # what a server query found (it writes no text)
    text_uid: int | None = None
    detached: bool = False  # its file was closed: events are dropped, the job is cancelled
    notes: list[str] = field(default_factory=list)  # what happened on the way; the end says it
    # Joins a CR and LF (or a surrogate pair) that arrive in two deltas before they reach the Text.
    normalizer: StreamNormalizer = field(default_factory=StreamNormalizer, repr=False)

    @property
    def active(self) -> bool:
        return self.state not in TERMINAL

    @property
    def is_query(self) -> bool:
        return not self.text_name

    @property
    def elapsed(self) -> float:
        return self.elapsed_at(time.monotonic())

    def elapsed_at(self, now: float) -> float:
        return (self.finished or now) - self.started

    @property
    def time_to_first_token(self) -> float | None:
        """Seconds from the click to the first text Blender received (None before it)."""
        return None if self.first_text_at is None else self.first_text_at - self.started

    @property
    def usage(self) -> Any:
        return getattr(self.completion, "usage", None)

    @property
    def tokens_exact(self) -> bool:
        return self.usage is not None

    @property
    def tokens(self) -> int:
        """Answer tokens: the server's count once done, else estimated from the characters."""
        usage = self.usage
        if usage is not None:
            return usage.completion_tokens
        return math.ceil(self.chars / CHARS_PER_TOKEN)

    def tokens_per_second(self, now: float) -> float | None:
        """Answer tokens per second of streaming (from the first token on, so the wait for
        the model to start does not dilute it); None until there is enough to say."""
        if self.first_text_at is None:
            return None
        seconds = (self.finished or now) - self.first_text_at
        if seconds < _MIN_RATE_SECONDS:
            return None
        return self.tokens / seconds

    @property
    def cost(self) -> float | None:
        return getattr(self.completion, "cost", None)

    def progress(self, now: float) -> Progress:
        """A ring while waiting for the first token (full at the first-byte timeout), then a
        bar toward a usual answer's length (it stops short of full until the answer ends)."""
        if not self.active:
            return Progress(1.0, "BAR", self.state.capitalize())
        if self.first_text_at is None:
            waited = self.elapsed_at(now)
            limit = self.first_byte_timeout
            factor = min(1.0, waited / limit) if limit else 0.0
            return Progress(factor, "RING", f"Waiting for the first token, {waited:.1f} s")
        rate = self.tokens_per_second(now)
        words = f"~{self.tokens} tokens" + (f", {rate:.1f}/s" if rate is not None else "")
        return Progress(min(0.95, self.tokens / max(self.typical_tokens, 1)), "BAR", words)


@dataclass
class Totals:
    """What this Blender session's answers used, as their servers reported it."""

    answers: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    priced: int = 0  # answers that came with a cost (a proxy without prices sends none)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


_jobs: dict[str, Job] = {}
_totals = Totals()


# -- reading (panels, operators, tests) -------------------------------------------------------


def jobs() -> list[Job]:
    """Every job kept, oldest first."""
    return list(_jobs.values())


def get(job_id: str) -> Job | None:
    return _jobs.get(job_id)


def active_jobs() -> list[Job]:
    return [j for j in _jobs.values() if j.active]


def latest() -> Job | None:
    return next(reversed(_jobs.values()), None)


def latest_query() -> Job | None:
    """The latest server query a click sent (the timer's status checks aside)."""
    return next((j for j in reversed(_jobs.values()) if j.is_query and not j.automatic), None)


def busy_output(text_name: str) -> Job | None:
    """The job still streaming into ``text_name``, if one is."""
    return next((j for j in _jobs.values() if j.active and j.text_name == text_name), None)


def totals() -> Totals:
    return _totals


# -- writing (the bridge only) ----------------------------------------------------------------


def add(job: Job) -> Job:
    _jobs[job.job_id] = job
    finished = [j for j in _jobs.values() if not j.active]
    for old in finished[:-KEEP_FINISHED]:
        del _jobs[old.job_id]
    return job


def record_start(job: Job) -> None:
    if job.state == "queued":
        job.state = "running"


def record_text(job: Job, chars: int, now: float) -> None:
    """``chars`` more characters of the answer reached its text."""
    if job.first_text_at is None:
        job.first_text_at = now
    job.chars += chars
    record_start(job)


def record_end(job: Job, event: Any, now: float) -> bool:
    """The job's terminal event (done, failed, cancelled); False when it had already ended."""
    if not job.active:
        return False
    job.finished = now
    if job.detached:  # its file is gone, and its text with it: whatever the worker says
        job.state = "cancelled"
        return True
    job.state = event.type
    kept = f"{job.chars} characters kept." if job.chars else ""
    if event.type == "done":
        job.completion = event.completion
        job.result = event.result
        job.message = _with_notes(job, _done_message(job))
        if not job.is_query:
            _count(job)
    elif event.type == "failed":
        job.error = event.error
        job.message = _with_notes(job, str(event.error), kept and f"The {kept}")
        if not job.is_query:
            _totals.failed += 1
    else:
        job.message = _with_notes(job, "Cancelled.", kept)
    return True


def add_to_message(job: Job, sentence: str) -> None:
    """What the job's result did, said after how it ended."""
    if sentence:
        job.message = f"{job.message} {sentence}".strip()


def set_message(job: Job, message: str) -> None:
    job.message = message


def clear() -> None:
    """Forget every job and the totals (the add-on is being disabled)."""
    _jobs.clear()
    global _totals
    _totals = Totals()


def _count(job: Job) -> None:
    _totals.answers += 1
    usage = job.usage
    if usage is not None:
        _totals.prompt_tokens += usage.prompt_tokens
        _totals.completion_tokens += usage.completion_tokens
    if job.cost:
        _totals.cost += job.cost
        _totals.priced += 1


def _with_notes(job: Job, *parts: str) -> str:
    """The final message: what happened, then what happened on the way (a recreated text)."""
    return " ".join(p for p in (*parts, *job.notes) if p)


def _done_message(job: Job) -> str:
    parts = [f"Done in {job.elapsed:.1f} s"]
    usage = job.usage
    if usage is not None:
        parts.append(f"{usage.total_tokens} tokens")
    if job.cost:
        parts.append(f"${job.cost:.4f}")
    if getattr(job.completion, "cached", False):
        parts.append("from cache")
    return ", ".join(parts) + "."
