"""The plain values the client hands back: a finished completion, its token usage, a health
report, a server check.

They are frozen dataclasses with no behaviour, so the cache, the worker and the UI can pass them
around (and across threads) without caring how they were produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["Completion", "Health", "ServerCheck", "Usage"]


def filled(cls: type[T], **fields: Any) -> T:
    """An instance of the frozen dataclass ``cls`` from every one of its fields: the object
    its generated ``__init__`` makes, without that ``__init__``'s one ``object.__setattr__``
    call per field (the client builds a ``Completion`` and a ``Usage`` per request).
    ``tests/client/test_types.py`` holds the two to the same result."""
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


@dataclass(frozen=True)
class Usage:
    """Token counts of one request, as the server reported them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.total_tokens + other.total_tokens,
        )


@dataclass(frozen=True)
class Completion:
    """One finished answer: the text, why it stopped, what it cost and where it came from."""

    text: str
    finish_reason: str | None = None
    usage: Usage | None = None
    cost: float | None = None
    request_id: str | None = None
    model: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    cached: bool = False


@dataclass(frozen=True)
class Health:
    """What the server said about itself: alive, ready (None when not offered), and how fast."""

    alive: bool
    ready: bool | None
    latency_ms: float
    url: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the server is alive and not reported unready."""
        return self.alive and self.ready is not False


@dataclass(frozen=True)
class ServerCheck:
    """What ``check_connection()`` and ``detect_server()`` found: where, how fast, and which
    models (``check_connection()`` only)."""

    url: str
    alive: bool
    ready: bool | None
    latency_ms: float
    models: tuple[str, ...] = ()
