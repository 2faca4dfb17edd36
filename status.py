"""Whether the LiteLLM server works, as the screenwriter last saw it: the connection status.

Pure Python (no ``bpy``). Three things update it: a status check (health, then the model list,
which proves the key), the outcome of every request (an answer proves the server works; a
connection or key failure says it does not), and Blender refusing to go online. ``check_due``
is the rate limit of the automatic check: at most one every ``CHECK_INTERVAL`` seconds. Whether
a Screenwriter panel is on screen, and whether online access allows it, the caller decides.
Failure messages are the client's errors as they read (the README's error table).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "CHECK_INTERVAL",
    "ConnectionStatus",
    "check_due",
    "current",
    "record_blocked",
    "record_check",
    "record_outcome",
    "reset",
    "seconds_until_due",
]

CHECK_INTERVAL = 60.0  # seconds between automatic checks while a panel shows the status

# Errors that say the server cannot serve this screenwriter at all (not this one request):
# nothing answers, it timed out, the key is refused, it is not a LiteLLM proxy, or it is down.
_FAILING_ERRORS = (
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "APIResponseValidationError",
    "InternalServerError",
)


@dataclass(frozen=True)
class ConnectionStatus:
    """``state`` is "unknown" until something is known; ``checked_at`` is wall-clock time."""

    state: Literal["unknown", "ok", "failing", "blocked"] = "unknown"
    message: str = ""
    latency_ms: float | None = None
    models: int | None = None
    checked_at: float | None = None  # time.time() of the last evidence
    checked_mono: float | None = None  # time.monotonic() of the last check (the rate limit)
    url: str = ""

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    def summary(self) -> str:
        """One line for the panel: state, latency, models, when."""
        if self.state == "unknown":
            return "Connection not checked yet"
        if self.state == "blocked":
            return "Not checked: online access is off"
        if self.state == "failing":
            head = "Failing"
        else:
            parts = ["Connected"]
            if self.latency_ms is not None:
                parts.append(f"{self.latency_ms:.0f} ms")
            if self.models is not None:
                parts.append(f"{self.models} model{'s' if self.models != 1 else ''}")
            head = " · ".join(parts)
        if self.checked_at is not None:
            head += time.strftime(" · %H:%M:%S", time.localtime(self.checked_at))
        return head


_status = ConnectionStatus()
_last_attempt: float | None = None  # monotonic time an automatic check was last sent


def current() -> ConnectionStatus:
    return _status


def check_due(now: float) -> bool:
    """True when no check was sent or completed in the last ``CHECK_INTERVAL`` seconds."""
    return seconds_until_due(now) <= 0.0


def seconds_until_due(now: float) -> float:
    latest = max((t for t in (_last_attempt, _status.checked_mono) if t is not None), default=None)
    if latest is None:
        return 0.0
    return max(0.0, latest + CHECK_INTERVAL - now)


def record_attempt(now: float) -> None:
    """An automatic check was sent: the next one waits a full interval, whatever comes back."""
    global _last_attempt
    _last_attempt = now


def record_check(check: Any, now: float, *, wall: float | None = None) -> ConnectionStatus:
    """A status check answered: ``check`` is the worker's ``ServerCheck``."""
    global _status
    ready = getattr(check, "ready", None)
    _status = ConnectionStatus(
        state="ok",
        message="" if ready is not False else "The server reports it is not ready.",
        latency_ms=check.latency_ms,
        models=len(check.models),
        checked_at=wall if wall is not None else time.time(),
        checked_mono=now,
        url=check.url,
    )
    return _status


def record_outcome(error: Any, now: float, *, wall: float | None = None) -> ConnectionStatus:
    """A request ended: None (answered, so the server works) or its ``LiteLLMError``.

    Errors about the one request (a bad parameter, a rate limit, an unknown model) say nothing
    against the connection and leave the status as it was.
    """
    global _status
    wall = wall if wall is not None else time.time()
    if error is None:
        _status = ConnectionStatus(
            state="ok",
            latency_ms=_status.latency_ms,
            models=_status.models,
            checked_at=wall,
            checked_mono=_status.checked_mono,
            url=_status.url,
        )
    elif any(c.__name__ in _FAILING_ERRORS for c in type(error).__mro__):
        _status = ConnectionStatus(
            state="failing",
            message=str(error),
            latency_ms=_status.latency_ms,  # kept for when it works again
            models=_status.models,
            checked_at=wall,
            checked_mono=_status.checked_mono,
            url=_status.url,
        )
    return _status


def record_blocked(message: str) -> ConnectionStatus:
    """Online access forbids reaching the server: say so instead of checking."""
    global _status
    if _status.state != "blocked" or _status.message != message:
        _status = ConnectionStatus(state="blocked", message=message, url=_status.url)
    return _status


def reset() -> None:
    global _status, _last_attempt
    _status = ConnectionStatus()
    _last_attempt = None
