"""Fuzz targets: the client's parsers fed raw bytes, checked against the client's promise.

Each target takes one input (bytes chosen by the fuzzer) and raises only when the promise
breaks: an exception that is not a ``LiteLLMError`` (a ``TypeError`` or a ``RecursionError``
escaping a parser), or a result that breaks a stated rule (an event stream decoded differently
when cut differently, an error message of two lines or over the limit, text handed out after a
chunk that failed). Plain Python: ``run.py`` drives them with atheris, and replays the corpus
under coverage.py for the report.

``client/`` is imported as a top-level package (it imports nothing outside itself), so the
targets need neither Blender nor the test suite.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def load_client():
    """Import the client modules the targets use (run.py wraps this in atheris' instrumenter)."""
    import importlib

    for name in (
        "sse",
        "error_bodies",
        "errors",
        "error_mapping",
        "limiter",
        "retry_policy",
        "completions",
        "transport",
        "streaming",
    ):
        importlib.import_module(f"client.{name}")


class _Input:
    """Reads typed values off the front of the fuzzer's bytes (like atheris'
    FuzzedDataProvider, but plain Python, so the coverage replay needs no atheris)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def byte(self) -> int:
        if self.at >= len(self.data):
            return 0
        self.at += 1
        return self.data[self.at - 1]

    def choice(self, options):
        return options[self.byte() % len(options)]

    def number(self, low: int, high: int) -> int:
        value = self.byte() << 8 | self.byte()
        return low + value % (high - low + 1)

    def rest(self) -> bytes:
        rest, self.at = self.data[self.at :], len(self.data)
        return rest


_TRANSPORTS: list = []


def _transport():
    """One client transport for every input: it never connects (nothing here does I/O)."""
    if not _TRANSPORTS:
        from client.config import ClientConfig
        from client.transport import Transport

        config = ClientConfig(base_url="http://127.0.0.1:9", trust_env=False)
        _TRANSPORTS.append(Transport(config))
    return _TRANSPORTS[0]


# -- the event-stream decoder and the stream's event handling -----------------------------------


def _decode(pieces: list[bytes]):
    from client.sse import SSEDecoder

    decoder = SSEDecoder()
    events = []
    for piece in pieces:
        events += decoder.feed(piece)
    decoder.close()
    return events, decoder


class _Headers(dict):
    """The headers of a stand-in answer: ``_finish`` reads a request id and a cost from them."""


class _Answer:
    """What ``ChatStream._finish`` reads from its reply (its headers and the server's request
    id), nothing more."""

    headers = _Headers()
    server_request_id = "rid"

    def release(self) -> None:
        pass

    def close(self) -> None:
        pass


def sse_target(data: bytes) -> None:
    """Decode a stream cut at fuzzer-chosen offsets; feed its events to a ChatStream."""
    from client.errors import LiteLLMError
    from client.streaming import ChatStream

    source = _Input(data)
    cuts = sorted(source.number(0, 8192) for _ in range(source.byte() % 8))
    raw = source.rest()
    cuts = [c for c in cuts if c <= len(raw)]
    pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    events, _ = _decode(pieces)
    whole, _ = _decode([raw])
    if [(e.event, e.data, e.id) for e in events] != [(e.event, e.data, e.id) for e in whole]:
        raise AssertionError("the same stream decoded differently when cut differently")
    for event in events:
        assert isinstance(event.data, str)
        assert isinstance(event.event, str)
        assert event.id is None or "\0" not in event.id
    # The stream's handling of those events, as ChatStream._read does it, minus the socket.
    stream = ChatStream(
        _transport(),
        None,
        "m",
        [{"role": "user", "content": "x"}],
        {},
        kind="ask",
        timeout=None,
        cache_force=None,
    )
    stream._reply = _Answer()
    handed = []
    try:
        for event in events:
            piece = stream._on_event(event.event, event.data)
            if piece is not None:
                assert isinstance(piece, str)
                if piece:
                    handed.append(piece)
            if stream._finished:
                break
        if stream._finished or stream._finish_reason is not None:
            stream._parts = handed
            stream._finish()
            assert stream.completion is not None
            assert stream.completion.text == "".join(handed)
    except LiteLLMError as error:
        _one_sentence(error)


# -- bodies and headers -------------------------------------------------------------------------

_CONTENT_TYPES = ["application/json", "text/html", "text/plain", "", "text/event-stream"]


def _one_sentence(error) -> None:
    from client import defaults

    text = str(error)
    if "\n" in text or not text.endswith((".", "?")):
        raise AssertionError(f"not one sentence: {text!r}")
    if len(error.message) > defaults.MAX_ERROR_MESSAGE_CHARS:
        raise AssertionError(f"a message of {len(error.message)} characters")


def body_target(data: bytes) -> None:
    """One of: an error body, an error event payload, a 200 completion body, a message with
    nested JSON, or a block of headers (wait, rate-limit, request id, cost)."""
    from client.error_bodies import error_from_body, error_from_payload, readable_message
    from client.errors import APIStatusError, LiteLLMError

    source = _Input(data)
    which = source.byte() % 5
    status = source.number(400, 599)
    content_type = source.choice(_CONTENT_TYPES)
    body = source.rest()
    if which == 0:
        error = error_from_body(status, body, content_type)
        assert isinstance(error, APIStatusError)
        assert error.status == status
        _one_sentence(error)
    elif which == 1:
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            payload = body.decode("utf-8", "replace")
        error = error_from_payload(payload)
        assert isinstance(error, APIStatusError)
        assert 400 <= error.status <= 599
        _one_sentence(error)
    elif which == 2:
        try:
            completion = _completion(body)
        except LiteLLMError as error:
            _one_sentence(error)
        else:
            assert isinstance(completion.text, str)
    elif which == 3:
        assert isinstance(readable_message(body.decode("utf-8", "replace")), str)
    else:
        _headers_target(body)


def _completion(body: bytes):
    """A 200 body read as ``complete()`` reads it: JSON (``Reply.json``), then the checked
    ``Completion`` (``completion_from``)."""
    from client.completions import completion_from

    errors = _transport().errors
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise errors.not_json(body, "chat completion", "rid", error) from error
    return completion_from(data, _Headers(), "rid", errors)


def _headers_target(block: bytes) -> None:
    import math

    from client.limiter import RateLimiter, parse_reset, pause_from_headers
    from client.retry_policy import RetryPolicy, decide_retry, server_wait

    headers = {}
    for line in block.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    now = 1_750_000_000.0
    wait = server_wait(headers, now)
    assert wait is None or (math.isfinite(wait) and wait >= 0)
    pause = pause_from_headers(headers, now)
    assert 0 <= pause <= 60
    for value in headers.values():
        reset = parse_reset(value, now)
        assert reset is None or (math.isfinite(reset) and reset >= 0)
    decision = decide_retry(RetryPolicy(), 0, status=429, headers=headers, now=now)
    assert math.isfinite(decision.delay)
    assert decision.delay >= 0
    limiter = RateLimiter(1, clock=lambda: 0.0)
    assert 0 <= limiter.observe(headers) <= 60


TARGETS = {"sse": sse_target, "bodies": body_target}


def seeds() -> dict[str, list[bytes]]:
    """A few well-formed inputs per target, so the fuzzer starts from what servers send."""
    chunk = {
        "id": "c",
        "model": "m",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}}],
    }
    stop = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    usage = {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}
    stream = (
        b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in (chunk, stop, usage))
        + b"data: [DONE]\n\n"
    )
    completion = {
        "id": "c",
        "object": "chat.completion",
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    error = {
        "error": {
            "message": 'litellm.RateLimitError: {"error": {"message": "slow"}}',
            "type": "rate_limit_error",
            "code": "429",
        }
    }
    return {
        "sse": [
            b"\x00" + stream,
            b"\x02\x00\x10\x00\x40" + stream.replace(b"\n", b"\r\n"),
            b"\x00event: error\ndata: " + json.dumps(error).encode() + b"\n\n",
            b"\x00: ping\nid: 7\nretry: 100\nevent: ping\ndata: {}\n\n",
            b"\x01\x00\x02\xef\xbb\xbfdata: [DONE]\r\r",  # a byte order mark, cut inside
            b"\x00event: error\ndata: upstream overloaded\n\n",
        ],
        "bodies": [
            b"\x00\x01\xad\x00" + json.dumps(error).encode(),
            b"\x00\x01\xf4\x01<html><title>502 Bad Gateway</title></html>",
            b"\x01\x00\x00\x00"
            + json.dumps({"error": {"message": "{'a': 1}", "code": 400}}).encode(),
            b"\x02\x00\x00\x00" + json.dumps(completion).encode(),
            b"\x03\x00\x00\x00AnthropicException - {'error': {'message': 'too long'}}",
            b'\x00\x01\x96\x00{"detail": [{"loc": ["body", "model"], "msg": "required"}]}',
            b'\x00\x01\x96\x00{"detail": {"error": {"message": "no"}}}',
            b'\x00\x01\x91\x00{"message": "Unauthorized", "type": "auth"}',
            b"\x00\x01\xf4\x01<HTML><BODY><H1>Service Unavailable</H1></BODY></HTML>",
            b"\x04\x00\x00\x00Retry-After: 20\nretry-after-ms: 150\n"
            b"x-ratelimit-remaining-requests: 0\nx-ratelimit-reset-requests: 6m0s\n"
            b"Retry-After: Wed, 21 Oct 2015 07:28:00 GMT",
        ],
    }
