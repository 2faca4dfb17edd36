"""Hostile event streams over real HTTP: any mix of text chunks, finish and usage chunks, pings,
comments, ``id``/``retry`` fields, error events (JSON, plain words, braces ``ast.literal_eval``
cannot build, JSON nested past the parser's limit), chunks of the wrong shape and garbage,
with any line ends, cut anywhere into network writes, ended cleanly or dropped.

The contract: the stream ends with its completion or a ``LiteLLMError`` subclass; the text
handed to the caller is exactly ``s.text`` and is kept after a failure; it is the text of the
stream's own text chunks, whole and in order, and nothing after a chunk that must fail."""

from __future__ import annotations

import asyncio

from hypothesis import event, example, given
from hypothesis import strategies as st

from litellm_screenwriter.client import (
    APIConnectionError,
    ClientConfig,
    IncompleteStreamError,
    LiteLLMClient,
    LiteLLMError,
)
from tests.fuzz.conftest import fuzz
from tests.fuzz.strategies import (
    FAILING_KINDS,
    Stream,
    expected_texts,
    render_event,
    streams,
)
from tests.support.mock_server import MockServer, Scripted

USER = [{"role": "user", "content": "EXT. DESERT - DAY"}]
# Events that may fail the stream (or may pass: garbage that is a valid chunk, a usage object
# with an odd total) besides those that must.
RISKY = FAILING_KINDS | {"garbage", "usage"}


def serve(pieces: list[bytes], *, drop: bool, content_type: str) -> Scripted:
    """Write ``pieces`` one by one, then end the body, or abort the connection (``drop``)."""
    from aiohttp import web

    async def handle(request, server, recorded):
        response = web.StreamResponse(
            status=200, headers={"Content-Type": content_type, "x-request-id": "fuzz-stream"}
        )
        await response.prepare(request)
        for piece in pieces:
            await response.write(piece)
            await asyncio.sleep(0)  # let each piece leave as its own write
        if drop:
            request.transport.abort()
            return response
        await response.write_eof()
        return response

    return Scripted(handle, "fuzzed stream")


async def read(server: MockServer) -> tuple[list[str], str, object]:
    """Stream to the end: (deltas, s.text, completion or the error raised)."""
    config = ClientConfig(base_url=server.url, trust_env=False, max_retries=0)
    deltas: list[str] = []
    async with LiteLLMClient(config) as client:
        s = client.stream("mock-echo", USER)
        try:
            async with s:
                async for text in s:
                    deltas.append(text)
            outcome: object = s.completion
        except LiteLLMError as error:
            outcome = error
    return deltas, s.text, outcome


def check(stream: Stream, drop: bool, deltas: list[str], text: str, outcome: object) -> None:
    event(f"outcome: {type(outcome).__name__}")  # shown by --hypothesis-show-statistics
    texts, before_done = expected_texts(stream.events)
    joined = "".join(deltas)
    assert joined == text  # what the caller got is what the stream says it got
    # Whole text chunks, in order, from the start: some prefix of the stream's texts.
    prefixes = ["".join(texts[:k]) for k in range(len(texts) + 1)]
    assert joined in prefixes
    # Nothing after the first chunk that must fail reaches the caller.
    shown = 0
    for kind, _ in stream.events:
        if kind in FAILING_KINDS or kind == "done":
            break
        shown += kind == "text"
    assert len(joined) <= len("".join(texts[:shown]))
    if isinstance(outcome, LiteLLMError):
        message = str(outcome)
        assert "\n" not in message
        assert message.endswith((".", "?"))
    else:
        assert outcome is not None, "the stream ended without a completion or an error"
        assert outcome.text == joined
        assert joined == "".join(texts[:before_done])  # every text before [DONE], no more
        assert outcome.request_id == "fuzz-stream"
    kinds = {kind for kind, _ in stream.events}
    if "done" in kinds or kinds & RISKY:
        return
    if drop:  # cut off before [DONE], with nothing else wrong: the line dropped
        assert isinstance(outcome, APIConnectionError), outcome
    elif "finish" not in kinds:  # ended cleanly, but before its finish reason
        assert isinstance(outcome, IncompleteStreamError), outcome


def stream_of(events, eol="\n") -> Stream:
    raw = "".join(render_event(k, v, eol=eol, spaced=True, indent=None) for k, v in events)
    return Stream(events, eol, True, None, [raw.encode()])


@fuzz(200)
@given(stream=streams(), drop=st.integers(0, 4).map(lambda n: n == 0))
@example(stream=stream_of([("text", "Half "), ("error", "{[]: 1}"), ("text", "lost")]), drop=False)
@example(stream=stream_of([("text", "Half "), ("deep", "[" * 5000 + "]" * 5000)]), drop=False)
@example(stream=stream_of([("text", "A"), ("finish", "stop")], "\r"), drop=True)
def test_any_stream_keeps_its_text_and_ends_in_a_completion_or_a_typed_error(
    server, run, stream, drop
):
    server.reset()
    server.enqueue(serve(stream.pieces, drop=drop, content_type="text/event-stream"))
    deltas, text, outcome = run(read(server))
    check(stream, drop, deltas, text, outcome)


@fuzz(40)
@given(
    stream=streams(),
    content_type=st.sampled_from(
        ["text/event-stream; charset=utf-8", "TEXT/EVENT-STREAM", "application/json", "text/plain"]
    ),
)
def test_a_stream_under_another_content_type_is_read_or_refused_typed(
    server, run, stream, content_type
):
    server.reset()
    server.enqueue(serve(stream.pieces, drop=False, content_type=content_type))
    deltas, text, outcome = run(read(server))
    assert "".join(deltas) == text
    if not isinstance(outcome, LiteLLMError):
        assert outcome.text == text
