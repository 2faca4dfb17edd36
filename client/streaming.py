"""``ChatStream``: a streamed chat completion, read as text deltas while the server writes them.

Bytes from ``readany()`` go through the byte-fed ``SSEDecoder``; each chunk is parsed once and
checked by ``chunk_is_well_formed`` (full schema validation for the first chunk, for any chunk
that fails the quick check, and for the assembled completion). The deltas of one network read
are joined into one piece of text, so a fast server costs one yield per read, not per token.

The stream is retried like any request until text reaches the caller, never after: the text
already handed over stays with the caller, and the error says what happened. Text read in the
same network read as a failure (an error event, a malformed chunk) is handed over first, then
the error is raised. A stream that ends cleanly before any text counts as a dropped connection.
Named events other than ``error`` (a ``ping``) are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp

from . import defaults
from .error_bodies import error_from_payload
from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    IncompleteStreamError,
    LiteLLMError,
)
from .quick_checks import chunk_is_well_formed
from .sse import SSEDecoder
from .timeouts import Timeout
from .types import Completion
from .validation import schema_errors, summary

if TYPE_CHECKING:
    from .client import LiteLLMClient

__all__ = ["ChatStream"]

_DRAIN_TIMEOUT = 0.25  # seconds to wait for the end of the body after [DONE]


class ChatStream:
    """``async with client.stream(model, messages) as s: async for text in s: ...``.

    After the loop, ``completion`` holds the whole answer; ``text`` is what arrived so far at
    any time (also after an error).
    """

    def __init__(
        self,
        client: LiteLLMClient,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
        *,
        kind: str,
        timeout: Timeout | None,
        cache: bool | None,
    ) -> None:
        self._client = client
        self._model = model
        self._messages = messages
        self._params = dict(params)
        self.kind = kind
        self._limits = client._limits(kind, timeout)
        self._cache_force = cache
        self._cache_key: str | None = None
        self._cached: Completion | None = None
        self._body = b""
        self.request_id = ""
        self._response: aiohttp.ClientResponse | None = None
        self._deadline: float | None = None
        self._sent_at = 0.0  # loop time the current attempt was sent (first-byte limit)
        self._holding_slot = False
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
        self._checked_first = False
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
        client = self._client
        payload = client._payload(self._model, self._messages, self._params, stream=True)
        self._cache_key = client._cache_key(payload, self._params, self._cache_force)
        if self._cache_key is not None:
            hit = client.cache.get(self._cache_key)
            if hit is not None:
                client._counter.cache_hits += 1
                self._cached = dataclasses.replace(hit, cached=True)
                return self
        self._body = client._encode(payload)
        self.request_id = client._new_request_id()
        await client._retrying(self._open)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._exited = True
        iterator, self._iterator = self._iterator, None
        if iterator is not None:
            await iterator.aclose()
        self._close_response()

    def __aiter__(self) -> AsyncIterator[str]:
        if self._iterator is not None:
            raise RuntimeError("a ChatStream can be iterated only once")
        if self._exited or (self._response is None and self._cached is None):
            raise RuntimeError("iterate a ChatStream inside 'async with client.stream(...)'")
        self._iterator = self._iterate()
        return self._iterator

    # -- attempts -------------------------------------------------------------------------------

    async def _open(self, attempt: int) -> None:
        """One attempt: take a limiter slot (held until the stream closes) and send."""
        client = self._client
        self._attempt = attempt
        await client._limiter.acquire()
        self._holding_slot = True
        self._sent_at = asyncio.get_running_loop().time()
        try:
            self._response, self._deadline = await client._send(
                "POST",
                defaults.CHAT_PATH,
                self._body,
                self._limits,
                self.kind,
                self.request_id,
                attempt,
            )
        except BaseException:
            self._release_slot()
            raise

    def _release_slot(self) -> None:
        if self._holding_slot:
            self._holding_slot = False
            self._client._limiter.release()

    def _close_response(self) -> None:
        response, self._response = self._response, None
        if response is not None:
            if self._finished:
                response.release()  # read to the end: back to the pool
            else:
                response.close()  # abandoned mid-stream: drop the connection, the server sees it
        self._release_slot()

    async def _iterate(self) -> AsyncIterator[str]:
        if self._cached is not None:
            self._finish_cached()
            if self._cached.text:
                self._parts.append(self._cached.text)
                yield self._cached.text
            return
        client = self._client
        try:
            while True:
                try:
                    # aclosing: an early exit closes the reader now, not when it is collected.
                    async with contextlib.aclosing(self._read()) as reader:
                        async for text in reader:
                            self._yielded = True
                            yield text
                    break
                except LiteLLMError as error:
                    if self._yielded:
                        raise
                    self._close_response()
                    await client._pause_before_retry(error, self._attempt)
                    self._checked_first = False
                    self._finish_reason = self._usage = None
                    self._model_seen = self._id_seen = None
                    await client._retrying(self._open, self._attempt + 1)
            self._finish()
        except LiteLLMError as error:
            client._redacted(error)
            raise

    # -- reading --------------------------------------------------------------------------------

    async def _read(self) -> AsyncIterator[str]:
        response = self._response
        assert response is not None
        if response.content_type != "text/event-stream":
            # Some servers answer a stream request with the whole completion as JSON.
            raw = await self._client._read_all(response, self._deadline, request_id=self.request_id)
            completion = self._client._completion_from(raw, response, self.request_id)
            self._finish_reason = completion.finish_reason or "stop"
            self._usage = completion.raw.get("usage")
            self._model_seen = completion.model
            self._finished = True
            if completion.text:
                self._parts.append(completion.text)
                yield completion.text
            return
        content = response.content
        decoder = SSEDecoder()
        loop = asyncio.get_running_loop()
        limits = self._limits
        deadline = self._deadline
        first = True
        # One Deadline moved before each read: no loop timer is made or cancelled per read.
        read_deadline = self._client._deadlines.deadline(None)
        while not self._finished:
            now = loop.time()
            if first:  # the first-byte limit runs from sending the request, not the headers
                gap = limits.first_byte
                if gap is not None:
                    gap = max(self._sent_at + gap - now, 0.0)
                phase = "first_byte"
            else:
                gap, phase = limits.idle, "idle"
            if deadline is not None:
                left = deadline - now
                if gap is None or left < gap:
                    gap, phase = max(left, 0.0), "total"
            read_deadline.reschedule(None if gap is None else now + gap)
            try:
                async with read_deadline:
                    data = await content.readany()
            except (TimeoutError, aiohttp.ClientError, OSError) as error:
                raise self._broken(error, phase) from error
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
                raise IncompleteStreamError(
                    f"the stream ended without a finish reason after {chars} characters",
                    request_id=self.request_id,
                    url=self._client.config.base_url,
                )
            self._finished = True

    async def _drain(self, content: aiohttp.StreamReader) -> None:
        """Read the few bytes after ``[DONE]`` (the chunked terminator), so the connection
        goes back to the pool instead of being closed."""
        try:
            async with asyncio.timeout(_DRAIN_TIMEOUT):
                while await content.readany():
                    pass
        except (TimeoutError, aiohttp.ClientError, OSError):
            pass  # not reusable: _close_response will drop it

    def _broken(self, error: BaseException, phase: str) -> LiteLLMError:
        client = self._client
        if isinstance(error, TimeoutError) and not isinstance(error, aiohttp.ClientError):
            failure = client._connection_error(
                error, self._limits, "", self.request_id, phase=phase
            )
            assert isinstance(failure, APITimeoutError)
            return failure
        chars = sum(map(len, self._parts))
        return APIConnectionError(
            f"the connection dropped after {chars} characters of the answer "
            f"({error or type(error).__name__})",
            url=client.config.base_url,
            request_id=self.request_id,
        )

    def _on_event(self, name: str, data: str) -> str | None:
        """Handle one server-sent event; return its text (None when it carries none)."""
        if data[:6] == "[DONE]":
            self._finished = True
            return None
        if name != "message" and name != "error":
            return None  # a named event this client has no use for ("ping", ...)
        try:
            chunk = json.loads(data)
        except (ValueError, RecursionError) as error:
            if name == "error":  # an error event in plain words (or in unreadable JSON)
                raise error_from_payload(
                    data, request_id=self.request_id, url=self._client.config.base_url
                ) from error
            # RecursionError: JSON nested deeper than the parser's recursion limit.
            what = "is not JSON" if isinstance(error, ValueError) else "nests too deeply to read"
            raise APIResponseValidationError(
                f"a stream event {what}: {data[:80]!r}",
                request_id=self.request_id,
                url=self._client.config.base_url,
            ) from error
        if name == "error" or (type(chunk) is dict and chunk.get("error") is not None):
            raise error_from_payload(
                chunk, request_id=self.request_id, url=self._client.config.base_url
            )
        if not self._checked_first or not chunk_is_well_formed(chunk):
            problems = schema_errors("chunk", chunk)
            if problems:
                raise APIResponseValidationError(
                    summary(problems, "a stream chunk is malformed: "),
                    request_id=self.request_id,
                    url=self._client.config.base_url,
                )
            self._checked_first = True
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
        from .client import cost_from, usage_from

        client = self._client
        response = self._response
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
        problems = schema_errors("completion", raw)
        if problems:
            raise APIResponseValidationError(
                summary(problems[:1], "the assembled answer is malformed: "),
                request_id=self.request_id,
                url=client.config.base_url,
            )
        headers = response.headers if response is not None else {}
        completion = Completion(
            text=text,
            finish_reason=self._finish_reason,
            usage=usage_from(self._usage),
            cost=cost_from(headers, self._usage),
            request_id=client._request_id_of(response, self.request_id)
            if response is not None
            else self.request_id,
            model=self._model_seen,
            raw=raw,
        )
        self._completion = completion
        client._counter.add_usage(completion.usage, completion.cost)
        if self._cache_key is not None:
            client.cache.put(self._cache_key, completion)
        self._close_response()

    def _finish_cached(self) -> None:
        self._finished = True
        self._completion = self._cached
