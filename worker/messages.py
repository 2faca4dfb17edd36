"""What crosses the thread boundary: the jobs handed to the worker and the events it hands back.

A job is immutable (the caller may keep and reuse its own lists) and knows how to run itself on
a ``LiteLLMClient`` (``run``), so the worker thread runs every job the same way without knowing
what it does: a ``Request`` streams or completes a chat, a ``Query`` makes one of the client's
server calls.
"""

from __future__ import annotations

import copy
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # the client is imported on the worker thread only
    from ..client import Completion, LiteLLMClient, LiteLLMError

__all__ = ["TERMINAL_EVENTS", "Event", "EventType", "Query", "Request"]

EventType = Literal["started", "delta", "done", "failed", "cancelled"]
TERMINAL_EVENTS: frozenset[str] = frozenset({"done", "failed", "cancelled"})

OnText = Callable[[str], None]


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

    def prepared(self) -> Request:
        """The request to send: what ``prepare`` makes of this one (itself without a hook)."""
        if self.prepare is None:
            return self
        prepared = self.prepare(self)
        if not isinstance(prepared, Request):
            raise TypeError(f"Request.prepare returned {type(prepared).__name__}, not a Request")
        return prepared

    async def run(self, client: LiteLLMClient, on_text: OnText) -> Completion | None:
        """Run it on ``client``: each piece of text goes to ``on_text`` as it arrives (a
        non-streamed answer as one piece); returns the finished ``Completion``."""
        messages = _thaw(self.messages)
        params = _thaw(self.params)
        if not self.stream:
            completion = await client.complete(self.model, messages, kind=self.kind, **params)
            if completion.text:
                on_text(completion.text)
            return completion
        async with client.stream(self.model, messages, kind=self.kind, **params) as s:
            async for text in s:
                if text:
                    on_text(text)
        return s.completion

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
    - ``check``: health, then the model list, which proves the key (``ServerCheck``, from
      the client);
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

    async def run(self, client: LiteLLMClient, on_text: OnText) -> Any:
        """Run it on ``client`` (one of its server calls; no text); returns what it found."""
        if self.action == "list_models":
            return await client.list_models()
        if self.action == "check":
            return await client.check_connection()
        if self.action == "model_info":
            from ..client import APIStatusError

            try:
                return await client.model_info()
            except APIStatusError:  # no model info here: callers fall back to documented defaults
                return None
        return await client.detect_server(self.candidates)


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
