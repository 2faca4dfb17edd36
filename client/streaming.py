"""``ChatStream``: a streamed chat completion, read as text deltas while the server writes them.

Bytes from ``readany()`` go through the byte-fed ``SSEDecoder``; each chunk is parsed once and
checked by ``chunk_is_well_formed``, the assembled completion by ``completion_is_well_formed``;
whatever a quick check refuses goes through full schema validation, which names the problem
(a quick check never accepts what the schema rejects: the property tests hold it to that).
The deltas of one network read are joined into one piece of text, so a fast server costs one
yield per read, not per token.

A failure while the stream is read goes to the transport's one attempt loop
(``Transport.call``), which retries it as the policy says until text reaches the caller, never
after: the text already handed over stays with the caller, and the error says what happened.
Text read in the same network read as a failure (an error event, a malformed chunk) is handed
over first, then the error is raised. A stream that ends cleanly before its finish is an
``IncompleteStreamError`` (retried like a dropped connection while no text was handed over).
Named events other than ``error`` (a ``ping``) are skipped. Everything it needs from the client
comes through the ``Transport`` and the ``Reply`` it opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import aiohttp

from . import defaults
from .cache import ResponseCache
from .completions import (
    call_limits,
    chat_payload,
    completion_from,
    cost_from,
    encode,
    usage_from,
)
from .errors import LiteLLMError
from .json_codec import loads_text
from .quick_checks import chunk_is_well_formed, completion_is_well_formed
from .sse import SSEDecoder
from .timeouts import Timeout
from .transport import Reply, Transport
from .types import Completion
from .validation import schema_errors, summary

__all__ = ["ChatStream"]


class ChatStream:
    """``async with client.stream(model, messages) as s: async for text in s: ...``.

    After the loop, ``completion`` holds the whole answer; ``text`` is what arrived so far at
    any time (also after an error).
    """

    def __init__(
        self,
        transport: Transport,
        cache: ResponseCache | None,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
        *,
        kind: str,
        timeout: Timeout | None,
        cache_force: bool | None,
    ) -> None:
        self._transport = transport
        self._cache = cache
        self._model = model
        self._messages = messages
        self._params = dict(params)
        self.kind = kind
        self._limits = call_limits(transport.config, kind, timeout)
        self._cache_force = cache_force
        self._cache_key: str | None = None
        self._cached: Completion | None = None
        self._body = b""
        self.request_id = ""
        self._reply: Reply | None = None
        self._attempt = 0
        self._iterator: AsyncIterator[str] | None = None
        self._exited = False
        self._parts: list[str] = []
        self._yielded = False
        self._finished = False
        self._finish_reason: str | None = None
        self._usage: Any = None
        self._model_seen: str | None = None
        self._id_seen: str | None = None
        self._completion: Completion | None = None

    # -- public ---------------------------------------------------------------------------------

    @property
    def completion(self) -> Completion | None:
        """The finished answer, once the stream ended normally; None before that."""
        return self._completion

    @property
    def text(self) -> str:
        """The text received so far."""
        return "".join(self._parts)

    async def __aenter__(self) -> ChatStream:
        payload = chat_payload(self._model, self._messages, self._params, stream=True)
        cache = self._cache
        if cache is not None:
            self._cache_key = cache.key_for(payload, self._params, self._cache_force)
        if self._cache_key is not None:
            hit = cache.get(self._cache_key)
            if hit is not None:
                self._transport.stats.cache_hits += 1
                self._cached = dataclasses.replace(hit, cached=True)
                return self
        self._body = encode(payload)
        self.request_id = self._transport.new_request_id()
        await self._transport.call(self._open)
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        self._exited = True
        iterator, self._iterator = self._iterator, None
        if iterator is not None:
            await iterator.aclose()
        self._close_reply()

    def __aiter__(self) -> AsyncIterator[str]:
        if self._iterator is not None:
            raise RuntimeError("a ChatStream can be iterated only once")
        if self._exited or (self._reply is None and self._cached is None):
            raise RuntimeError("iterate a ChatStream inside 'async with client.stream(...)'")
        self._iterator = self._iterate()
        return self._iterator

    # -- attempts -------------------------------------------------------------------------------

    async def _open(self, attempt: int) -> None:
        """One attempt: send, and hold the reply (and its limiter slot) until the stream ends."""
        self._attempt = attempt
        self._reply = await self._transport.open(
            "POST",
            defaults.CHAT_PATH,
            self._body,
            self._limits,
            self.kind,
            self.request_id,
            attempt,
        )

    def _close_reply(self) -> None:
        reply, self._reply = self._reply, None
        if reply is not None:
            if self._finished:
                reply.release()  # read to the end: back to the pool
            else:
                reply.close()  # abandoned mid-stream: drop the connection, the server sees it

    async def _iterate(self) -> AsyncIterator[str]:
        if self._cached is not None:
            self._finish_cached()
            if self._cached.text:
                self._parts.append(self._cached.text)
                yield self._cached.text
            return
        while True:
            try:
                # aclosing: an early exit closes the reader now, not when it is collected.
                async with contextlib.aclosing(self._read()) as reader:
                    async for text in reader:
                        self._yielded = True
                        yield text
                break
            except LiteLLMError as error:
                self._close_reply()
                self._finish_reason = self._usage = None
                self._model_seen = self._id_seen = None
                # The one attempt loop: it raises the failure it does not retry (any, once
                # text reached the caller) and otherwise opens the next attempt.
                await self._transport.call(
                    self._open, number=self._attempt + 1, failed=error, delivered=self._yielded
                )
        self._finish()

    # -- reading --------------------------------------------------------------------------------

    async def _read(self) -> AsyncIterator[str]:
        reply = self._reply
        assert reply is not None
        errors = self._transport.errors
        if not reply.is_event_stream:
            # Some servers answer a stream request with the whole completion as JSON.
            data = await reply.json("chat completion")
            completion = completion_from(data, reply.headers, reply.server_request_id, errors)
            self._finish_reason = completion.finish_reason or "stop"
            self._usage = completion.raw.get("usage")
            self._model_seen = completion.model
            self._finished = True
            if completion.text:
                self._parts.append(completion.text)
                yield completion.text
            return
        content = reply.content
        decoder = SSEDecoder()
        loop = asyncio.get_running_loop()
        limits = self._limits
        deadline = reply.deadline
        first = True
        # One Deadline moved before each read: no loop timer is made or cancelled per read.
        read_deadline = self._transport.deadlines.deadline(None)
        while not self._finished:
            now = loop.time()
            if first:  # the first-byte limit runs from sending the request, not the headers
                gap = limits.first_byte
                if gap is not None:
                    gap = max(reply.sent_at + gap - now, 0.0)
                phase = "first_byte"
            else:
                gap, phase = limits.idle, "idle"
            if deadline is not None:
                left = deadline - now
                if gap is None or left < gap:
                    gap, phase = max(left, 0.0), "total"
            read_deadline.reschedule(None if gap is None else now + gap)
            try:
                with read_deadline:
                    data = await content.readany()
            except (TimeoutError, aiohttp.ClientError, OSError) as error:
                chars = sum(map(len, self._parts))
                raise errors.dropped(error, phase, limits, chars, self.request_id) from error
            if not data:
                break
            first = False
            pieces = []
            try:
                for event in decoder.feed(data):
                    piece = self._on_event(event.event, event.data)
                    if piece:
                        pieces.append(piece)
                    if self._finished:
                        break
            except LiteLLMError:
                if not pieces:
                    raise
                # Text read together with the failure still goes to the caller first.
                text = "".join(pieces)
                self._parts.append(text)
                yield text
                raise
            if pieces:
                text = pieces[0] if len(pieces) == 1 else "".join(pieces)
                self._parts.append(text)
                yield text
        decoder.close()
        if self._finished and not content.at_eof():
            await self._drain(content)
        if not self._finished:
            if self._finish_reason is None:
                chars = sum(map(len, self._parts))
                raise errors.incomplete(chars, self.request_id)
            self._finished = True

    async def _drain(self, content: aiohttp.StreamReader) -> None:
        """Read the few bytes after ``[DONE]`` (the chunked terminator), so the connection
        goes back to the pool instead of being closed."""
        drain_by = asyncio.get_running_loop().time() + defaults.DRAIN_TIMEOUT
        try:
            with self._transport.deadlines.deadline(drain_by):
                while await content.readany():
                    pass
        except (TimeoutError, aiohttp.ClientError, OSError):
            pass  # not reusable: _close_reply will drop it

    def _on_event(self, name: str, data: str) -> str | None:
        """Handle one server-sent event; return its text (None when it carries none)."""
        if data[:6] == "[DONE]":
            self._finished = True
            return None
        if name != "message" and name != "error":
            return None  # a named event this client has no use for ("ping", ...)
        try:
            chunk = loads_text(data)
        except (ValueError, RecursionError) as error:
            errors = self._transport.errors
            if name == "error":  # an error event in plain words (or in unreadable JSON)
                raise errors.event(data, self.request_id) from error
            # RecursionError: JSON nested deeper than the parser's recursion limit.
            what = "is not JSON" if isinstance(error, ValueError) else "nests too deeply to read"
            raise errors.invalid(
                f"a stream event {what}: {data[:80]!r}", self.request_id
            ) from error
        if name == "error" or (type(chunk) is dict and chunk.get("error") is not None):
            raise self._transport.errors.event(chunk, self.request_id)
        if not chunk_is_well_formed(chunk):
            problems = schema_errors("chunk", chunk)
            if problems:
                raise self._transport.errors.invalid(
                    summary(problems, "a stream chunk is malformed: "), self.request_id
                )
        if self._model_seen is None:
            self._model_seen = chunk.get("model")
            self._id_seen = chunk.get("id")
        usage = chunk.get("usage")
        if usage is not None:
            self._usage = usage
        text = None
        for choice in chunk["choices"]:
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            if delta:
                text = delta.get("content")
            reason = choice.get("finish_reason")
            if reason is not None:
                self._finish_reason = reason
        return text

    # -- the end --------------------------------------------------------------------------------

    def _finish(self) -> None:
        reply = self._reply
        text = "".join(self._parts)
        self._parts = [text] if text else []
        raw = {
            "id": self._id_seen,
            "object": "chat.completion",
            "model": self._model_seen,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": self._finish_reason,
                }
            ],
            "usage": self._usage,
        }
        if not completion_is_well_formed(raw):
            problems = schema_errors("completion", raw)
            if problems:
                raise self._transport.errors.invalid(
                    summary(problems[:1], "the assembled answer is malformed: "), self.request_id
                )
        completion = Completion(
            text=text,
            finish_reason=self._finish_reason,
            usage=usage_from(self._usage),
            cost=cost_from(reply.headers if reply is not None else {}, self._usage),
            request_id=reply.server_request_id if reply is not None else self.request_id,
            model=self._model_seen,
            raw=raw,
        )
        self._completion = completion
        self._transport.stats.add_usage(completion.usage, completion.cost)
        if self._cache_key is not None and self._cache is not None:
            self._cache.put(self._cache_key, completion)
        self._close_reply()

    def _finish_cached(self) -> None:
        self._finished = True
        self._completion = self._cached
