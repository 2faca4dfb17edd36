"""LiteLLMClient.stream() end to end: deltas arrive while the server writes, the completion at the
end, every way a stream can break (dropped, cut short, error events, malformed or off-schema
chunks, timeouts) and what happens to the connection when the caller stops early."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from litellm_screenwriter.client import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    ChatStream,
    ClientConfig,
    IncompleteStreamError,
    InternalServerError,
    LiteLLMClient,
    RateLimitError,
    Timeout,
    Usage,
)
from tests.support.mock_server import MockServer, chunk, raw, reply, sse, stream

USER = [{"role": "user", "content": "Describe the barn"}]
DONE = b"data: [DONE]\n\n"


def config_for(server: MockServer, **options) -> ClientConfig:
    options.setdefault("max_retries", 0)
    options.setdefault("initial_backoff", 0.001)
    options.setdefault("max_backoff", 0.005)
    options.setdefault("trust_env", False)
    return ClientConfig(base_url=server.url, **options)


@pytest.fixture(autouse=True)
def _no_key_from_env(monkeypatch):
    monkeypatch.delenv("LITELLM_API_KEY", raising=False)


class Reader:
    """Reads one stream to the end, keeping the deltas and the stream even when it fails."""

    def __init__(self, client: LiteLLMClient) -> None:
        self.client = client
        self.deltas: list[str] = []
        self.stream: ChatStream | None = None

    async def __call__(self, **params) -> Reader:
        async with self.client.stream("mock-echo", USER, **params) as s:
            self.stream = s
            async for text in s:
                self.deltas.append(text)
        return self

    @property
    def completion(self):
        return self.stream.completion


async def collect(client: LiteLLMClient, **params):
    """Stream to the end; returns (deltas, stream)."""
    reader = await Reader(client)(**params)
    return reader.deltas, reader.stream


async def disconnected(server: MockServer, within: float = 1.0) -> bool:
    """Whether the server saw the client go away mid-stream (waiting ``within`` s at most)."""
    return await asyncio.to_thread(server.wait_for_disconnect, within)


# -- the happy path -----------------------------------------------------------------------------


async def test_the_first_delta_arrives_while_the_server_is_still_writing(mock_server):
    hold = threading.Event()
    mock_server.enqueue(stream(["INT. ", "BARN ", "- DAY"], hold=hold, hold_after=1))
    deltas = []
    client = LiteLLMClient(config_for(mock_server))
    async with client, client.stream("mock-echo", USER) as s:
        async for text in s:
            deltas.append(text)
            if len(deltas) == 1:
                # The server is paused after its first chunk: this delta cannot be a
                # stream read to the end and replayed.
                assert text == "INT. "
                assert s.completion is None
                assert s.text == "INT. "
                hold.set()
    assert "".join(deltas) == "INT. BARN - DAY"
    assert s.completion is not None
    assert s.completion.text == "INT. BARN - DAY"


async def test_stream_sends_stream_flags_and_ends_with_a_completion(mock_server):
    mock_server.enqueue(stream(["Dust ", "drifts."], cost=0.002))
    async with LiteLLMClient(config_for(mock_server)) as client:
        deltas, s = await collect(client, temperature=0.4)
        assert client.usage == s.completion.usage
    (sent,) = mock_server.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.json["stream"] is True
    assert sent.json["stream_options"] == {"include_usage": True}
    assert sent.json["temperature"] == 0.4
    assert sent.header("Content-Type") == "application/json"
    assert "".join(deltas) == "Dust drifts."
    completion = s.completion
    assert completion.text == "Dust drifts."
    assert completion.finish_reason == "stop"
    assert completion.usage == Usage(3, 2, 5)
    assert completion.cost == pytest.approx(0.002)
    assert completion.model == "mock-echo"
    assert completion.request_id == sent.header("X-Request-Id") == s.request_id
    assert completion.raw["choices"][0]["message"]["content"] == "Dust drifts."
    assert completion.raw["id"] == "chatcmpl-mock"
    assert s.text == "Dust drifts."


async def test_a_caller_can_ask_not_to_include_usage(mock_server):
    mock_server.enqueue(stream(["a"]))
    async with LiteLLMClient(config_for(mock_server)) as client:
        _, s = await collect(client, stream_options={"include_usage": False})
    assert mock_server.requests[0].json["stream_options"] == {"include_usage": False}
    assert s.completion.usage is None


async def test_events_of_one_network_read_are_joined_into_one_delta(mock_server):
    body = b"".join(
        sse(chunk(text, role="assistant" if i == 0 else None))
        for i, text in enumerate(["Fade ", "in", "."])
    )
    mock_server.enqueue(stream([], raw_lines=[body, sse(chunk(finish_reason="stop")) + DONE]))
    async with LiteLLMClient(config_for(mock_server)) as client:
        deltas, s = await collect(client)
    assert deltas == ["Fade in."]
    assert s.completion.text == "Fade in."


async def test_a_plain_json_answer_to_a_stream_request_is_one_delta(mock_server):
    from tests.support.mock_server import completion_body

    body = completion_body(
        "A whole answer at once.", usage={"prompt_tokens": 2, "completion_tokens": 5}
    )
    mock_server.enqueue(raw(json.dumps(body).encode(), headers={"x-litellm-response-cost": "0.01"}))
    async with LiteLLMClient(config_for(mock_server)) as client:
        deltas, s = await collect(client)
    assert deltas == ["A whole answer at once."]
    assert s.completion.text == "A whole answer at once."
    assert s.completion.usage == Usage(2, 5, 7)
    assert s.completion.cost == pytest.approx(0.01)
    assert s.completion.finish_reason == "stop"


async def test_a_plain_json_error_to_a_stream_request_is_typed(mock_server):
    mock_server.enqueue(raw(b'{"error": {"message": "overloaded", "type": "server_error"}}'))
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(InternalServerError, match="overloaded"):
            await collect(client)


async def test_only_the_first_choice_is_read(mock_server):
    second = chunk("ignored")
    second["choices"][0]["index"] = 1
    mock_server.enqueue(
        stream([], raw_lines=[sse(chunk("kept")), sse(second), sse(chunk(finish_reason="stop"))])
    )
    async with LiteLLMClient(config_for(mock_server)) as client:
        _, s = await collect(client)
    assert s.completion.text == "kept"


async def test_an_empty_delta_and_a_null_delta_yield_nothing(mock_server):
    empty = chunk(role="assistant")
    null = chunk()
    null["choices"][0]["delta"] = None
    mock_server.enqueue(
        stream(
            [], raw_lines=[sse(empty), sse(null), sse(chunk("x")), sse(chunk(finish_reason="stop"))]
        )
    )
    async with LiteLLMClient(config_for(mock_server)) as client:
        deltas, _ = await collect(client)
    assert "".join(deltas) == "x"
    assert all(deltas)


async def test_named_events_other_than_error_are_ignored(mock_server):
    ping = b"event: ping\ndata: {}\n\n"
    mock_server.enqueue(
        stream([], raw_lines=[ping, sse(chunk("a")), ping, sse(chunk(finish_reason="stop"))])
    )
    async with LiteLLMClient(config_for(mock_server)) as client:
        deltas, s = await collect(client)
    assert "".join(deltas) == "a"
    assert s.completion.finish_reason == "stop"


async def test_a_null_error_field_is_not_an_error(mock_server):
    quiet = chunk("fine")
    quiet["error"] = None
    mock_server.enqueue(stream([], raw_lines=[sse(quiet), sse(chunk(finish_reason="stop"))]))
    async with LiteLLMClient(config_for(mock_server)) as client:
        _, s = await collect(client)
    assert s.completion.text == "fine"


async def test_iterating_outside_the_block_is_a_clear_error(mock_server):
    hold = threading.Event()
    mock_server.enqueue(stream(["a", "b"], hold=hold, hold_after=0))
    async with LiteLLMClient(config_for(mock_server)) as client:
        s = client.stream("mock-echo", USER)
        with pytest.raises(RuntimeError, match="inside 'async with"):
            s.__aiter__()
        async with s:
            pass
        with pytest.raises(RuntimeError, match="inside 'async with"):
            s.__aiter__()
        assert await disconnected(mock_server)
    hold.set()


async def test_a_stream_can_be_iterated_only_once(mock_server):
    async with LiteLLMClient(config_for(mock_server)) as client:
        async with client.stream("mock-echo", USER) as s:
            async for _ in s:
                pass
            with pytest.raises(RuntimeError, match="only once"):
                s.__aiter__()
        assert s.completion.text == "Echo: Describe the barn"


# -- how streams end ----------------------------------------------------------------------------


async def test_a_dropped_connection_is_a_connection_error_and_keeps_the_text(mock_server):
    pieces = [sse(chunk("INT. ", role="assistant")), sse(chunk("BARN")), sse(chunk(" never"))]
    mock_server.enqueue(stream([], raw_lines=pieces, drop_after=2, delay=0.05))
    async with LiteLLMClient(config_for(mock_server, max_retries=2)) as client:
        reader = Reader(client)
        with pytest.raises(APIConnectionError) as caught:
            await reader()
        assert client.stats.retries == 0  # text had reached the caller
    assert "".join(reader.deltas) == "INT. BARN"
    assert reader.stream.text == "INT. BARN"
    assert reader.completion is None
    assert "dropped after 9 characters" in str(caught.value)
    assert caught.value.request_id == reader.stream.request_id
    assert not isinstance(caught.value, APITimeoutError)


async def test_a_stream_cut_short_is_an_incomplete_stream_error(mock_server):
    mock_server.enqueue(stream(["Once ", "upon"], finish_reason=None, done=False))
    async with LiteLLMClient(config_for(mock_server, max_retries=2)) as client:
        reader = Reader(client)
        with pytest.raises(IncompleteStreamError) as caught:
            await reader()
    assert "".join(reader.deltas) == reader.stream.text == "Once upon"
    assert reader.completion is None
    assert "without a finish reason after 9 characters" in str(caught.value)
    assert len(mock_server.requests) == 1


async def test_an_unterminated_last_event_does_not_count(mock_server):
    # The finish chunk lacks its blank line, so per the SSE rules it is never dispatched.
    mock_server.enqueue(
        stream([], raw_lines=[sse(chunk("a")), sse(chunk(finish_reason="stop"))[:-1]])
    )
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(IncompleteStreamError):
            await collect(client)


async def test_finish_reason_then_eof_without_done_is_complete(mock_server):
    mock_server.enqueue(stream(["The end."], done=False, finish_reason="length"))
    async with LiteLLMClient(config_for(mock_server)) as client:
        deltas, s = await collect(client)
    assert "".join(deltas) == "The end."
    assert s.completion.finish_reason == "length"
    assert s.completion.usage is not None


async def test_done_without_finish_reason_is_complete(mock_server):
    mock_server.enqueue(stream(["Cut."], finish_reason=None, done=True))
    async with LiteLLMClient(config_for(mock_server)) as client:
        _, s = await collect(client)
    assert s.completion.text == "Cut."
    assert s.completion.finish_reason is None


async def test_events_after_done_are_ignored(mock_server):
    mock_server.enqueue(stream([], raw_lines=[sse(chunk("a")) + DONE + sse(chunk("b"))]))
    async with LiteLLMClient(config_for(mock_server)) as client:
        _, s = await collect(client)
    assert s.completion.text == "a"


@pytest.mark.parametrize("as_event", [True, False])
async def test_an_error_event_mid_stream_raises_the_typed_error(mock_server, as_event):
    error = {"error": {"message": "Rate limit reached for gpt-4o", "code": "429"}}
    pieces = [sse(chunk("Hel", role="assistant")), sse(error, event="error" if as_event else None)]
    mock_server.enqueue(stream([], raw_lines=pieces, delay=0.05))
    async with LiteLLMClient(config_for(mock_server, max_retries=2)) as client:
        reader = Reader(client)
        with pytest.raises(RateLimitError) as caught:
            await reader()
    assert reader.deltas == ["Hel"]
    assert reader.stream.text == "Hel"
    assert caught.value.status == 429
    assert "Rate limit reached for gpt-4o" in str(caught.value)
    assert caught.value.request_id == reader.stream.request_id
    assert len(mock_server.requests) == 1


async def test_text_read_together_with_an_error_event_still_reaches_the_caller(mock_server):
    error = sse({"error": {"message": "provider failed", "type": "server_error"}}, event="error")
    mock_server.enqueue(stream([], raw_lines=[sse(chunk("Half a line")) + error]))
    async with LiteLLMClient(config_for(mock_server, max_retries=2)) as client:
        reader = Reader(client)
        with pytest.raises(InternalServerError, match="provider failed"):
            await reader()
        assert client.stats.retries == 0
    assert reader.deltas == ["Half a line"]
    assert reader.stream.text == "Half a line"
    assert len(mock_server.requests) == 1


async def test_an_error_event_with_plain_text_data(mock_server):
    mock_server.enqueue(stream([], raw_lines=[b"event: error\ndata: upstream overloaded\n\n"]))
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(InternalServerError, match="upstream overloaded"):
            await collect(client)


async def test_malformed_json_in_an_event_is_a_validation_error(mock_server):
    mock_server.enqueue(stream([], raw_lines=[sse(chunk("ok")), b'data: {"choices": [\n\n']))
    async with LiteLLMClient(config_for(mock_server, max_retries=2)) as client:
        with pytest.raises(APIResponseValidationError) as caught:
            await collect(client)
    assert "a stream event is not JSON" in str(caught.value)
    assert len(mock_server.requests) == 1


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ({"choices": {"0": {}}}, "choices must be array"),
        ({"choices": [{"delta": {"content": 7}}]}, "content must be string or null, not int"),
        ({"choices": [{"delta": {}, "finish_reason": "tired"}]}, "'tired'"),
        ({"choices": [], "usage": {"prompt_tokens": -1, "completion_tokens": 0}}, "usage"),
        ({"model": 4, "choices": []}, "model must be string or null"),
        ([1, 2], "must be object"),
    ],
)
async def test_a_chunk_that_breaks_the_schema_is_a_validation_error(mock_server, bad, expected):
    # A bad chunk fails the quick check and is named by the schema, first or later.
    mock_server.enqueue(
        stream([], raw_lines=[sse(chunk("ok")), sse(json.dumps(bad))], delay=0.02),
        stream([], raw_lines=[sse(json.dumps(bad))]),
    )
    async with LiteLLMClient(config_for(mock_server)) as client:
        for _ in range(2):
            with pytest.raises(APIResponseValidationError) as caught:
                await collect(client)
            assert "a stream chunk is malformed" in str(caught.value)
            assert expected in str(caught.value)


async def test_utf8_split_across_writes_arrives_intact(mock_server):
    text = "Señor Ça va? — 雪が降る 🎬"
    event = sse(json.dumps(chunk(text, role="assistant"), ensure_ascii=False))
    cut = event.index("🎬".encode()) + 2  # inside the 4-byte emoji
    cut2 = event.index("雪".encode()) + 1
    pieces = [event[:cut2], event[cut2:cut], event[cut:], sse(chunk(finish_reason="stop")), DONE]
    mock_server.enqueue(stream([], raw_lines=pieces, delay=0.01))
    async with LiteLLMClient(config_for(mock_server)) as client:
        deltas, s = await collect(client)
    assert "".join(deltas) == text
    assert s.completion.text == text


# -- timeouts -----------------------------------------------------------------------------------


async def test_a_stall_between_chunks_is_an_idle_timeout(mock_server):
    mock_server.enqueue(stream(["first ", "late"], delay=5))
    limits = Timeout(connect=1, first_byte=2, idle=0.15, total=10)
    async with LiteLLMClient(config_for(mock_server, max_retries=2)) as client:
        reader = Reader(client)
        with pytest.raises(APITimeoutError) as caught:
            await reader(timeout=limits)
        assert client.stats.retries == 0
    assert reader.deltas == ["first "]
    assert "no new text within 0.15 s (idle limit)" in str(caught.value)
    assert await disconnected(mock_server)


async def test_the_kind_picks_the_timeout_profile(mock_server):
    mock_server.enqueue(stream(["first ", "late"], delay=5))
    config = config_for(mock_server, timeouts={"dialogue": Timeout(idle=0.1)})
    async with LiteLLMClient(config) as client:
        reader = Reader(client)
        with pytest.raises(APITimeoutError, match="idle limit"):
            await reader(kind="dialogue")


async def test_no_first_chunk_in_time_is_a_first_byte_timeout(mock_server):
    mock_server.enqueue(stream(["late"], first_delay=5))
    limits = Timeout(first_byte=0.15, idle=5, total=10)
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(APITimeoutError) as caught:
            await collect(client, timeout=limits)
    assert "no answer within 0.15 s (first byte limit)" in str(caught.value)


async def test_no_headers_in_time_is_a_first_byte_timeout(mock_server):
    from tests.support.mock_server import stall

    mock_server.enqueue(stall(5))
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(APITimeoutError, match=r"within 0.15 s \(first byte limit\)"):
            await collect(client, timeout=Timeout(first_byte=0.15))


async def test_a_slow_stream_runs_into_the_total_limit(mock_server):
    mock_server.enqueue(stream(["a", "b", "c", "d", "e", "f"], delay=0.1))
    limits = Timeout(first_byte=5, idle=5, total=0.25)
    async with LiteLLMClient(config_for(mock_server)) as client:
        reader = Reader(client)
        with pytest.raises(APITimeoutError) as caught:
            await reader(timeout=limits)
    assert "not complete within 0.25 s (total limit)" in str(caught.value)
    text = reader.stream.text
    assert "abcdef".startswith(text)
    assert len(text) < 6


# -- stopping early and the connection ----------------------------------------------------------


async def test_cancelling_the_consumer_closes_the_connection(mock_server):
    hold = threading.Event()
    mock_server.enqueue(stream(["one ", "two"], hold=hold))
    first = asyncio.Event()
    async with LiteLLMClient(config_for(mock_server, max_concurrent_requests=1)) as client:

        async def consume():
            async with client.stream("mock-echo", USER) as s:
                async for _ in s:
                    first.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await disconnected(mock_server)
        hold.set()
        # The limiter slot came back: another request goes through at once.
        result = await asyncio.wait_for(client.complete("mock-echo", USER), 5)
    assert result.text.startswith("Echo")


async def test_breaking_out_then_leaving_the_block_closes_the_connection(mock_server):
    hold = threading.Event()
    mock_server.enqueue(stream(["one ", "two"], hold=hold))
    async with LiteLLMClient(config_for(mock_server, max_concurrent_requests=1)) as client:
        async with client.stream("mock-echo", USER) as s:
            async for text in s:
                assert text == "one "
                break
        assert await disconnected(mock_server)
        assert s.completion is None
        hold.set()
        assert (await asyncio.wait_for(client.complete("mock-echo", USER), 5)).text


async def test_leaving_the_block_without_iterating_closes_the_connection(mock_server):
    hold = threading.Event()
    mock_server.enqueue(stream(["one ", "two"], hold=hold, hold_after=0))
    async with LiteLLMClient(config_for(mock_server)) as client:
        async with client.stream("mock-echo", USER):
            assert await asyncio.to_thread(mock_server.wait_for_stream, 5)
        assert await disconnected(mock_server)
    hold.set()


async def test_an_exception_in_the_loop_body_closes_the_connection(mock_server):
    hold = threading.Event()
    mock_server.enqueue(stream(["one ", "two"], hold=hold))
    async with LiteLLMClient(config_for(mock_server)) as client:

        async def buggy_consumer():
            async with client.stream("mock-echo", USER) as s:
                async for _ in s:
                    raise KeyError("the caller's own bug")

        with pytest.raises(KeyError):
            await buggy_consumer()
        assert await disconnected(mock_server)
    hold.set()


async def test_fully_read_streams_reuse_one_connection(mock_server):
    async with LiteLLMClient(config_for(mock_server)) as client:
        for _ in range(4):
            deltas, _ = await collect(client)
            assert "".join(deltas) == "Echo: Describe the barn"
        stats = client.stats
    assert stats.requests == 4
    assert stats.connections_created == 1
    assert stats.connections_reused == 3
    assert stats.reuse_ratio == pytest.approx(0.75)


async def test_a_stream_closed_early_does_not_poison_the_pool(mock_server):
    hold = threading.Event()
    mock_server.enqueue(stream(["one ", "two"], hold=hold))
    async with LiteLLMClient(config_for(mock_server)) as client:
        async with client.stream("mock-echo", USER) as s:
            async for _ in s:
                break
        hold.set()
        for _ in range(2):
            deltas, _s = await collect(client)
            assert "".join(deltas) == "Echo: Describe the barn"
        stats = client.stats
    assert stats.connections_created == 2  # the abandoned one was dropped, not reused
    assert stats.connections_reused == 1


async def test_streamed_reply_words_join_back(mock_server):
    mock_server.enqueue(reply("EXT. FIELD - DAWN. Mist."))
    async with LiteLLMClient(config_for(mock_server)) as client:
        deltas, s = await collect(client)
    assert "".join(deltas) == "EXT. FIELD - DAWN. Mist."
    assert s.completion.usage.completion_tokens == 5


async def test_a_stream_takes_its_cost_from_the_usage_chunk(mock_server):
    """LiteLLM sends no cost header on a stream; the cost rides in the usage chunk."""
    usage = {"prompt_tokens": 8, "completion_tokens": 2, "total_tokens": 10, "cost": 5.2e-05}
    mock_server.enqueue(
        stream(
            [],
            raw_lines=[
                sse(chunk("Fade ", role="assistant")),
                sse(chunk("in.")),
                sse(chunk(finish_reason="stop")),
                sse(chunk(usage=usage, choices=False)),
                b"data: [DONE]\n\n",
            ],
        )
    )
    async with LiteLLMClient(config_for(mock_server)) as client:
        async with client.stream("mock-echo", USER) as s:
            text = "".join([piece async for piece in s])
        assert text == "Fade in."
        assert s.completion.cost == pytest.approx(5.2e-05)
        assert s.completion.usage.total_tokens == 10
        assert client.stats.cost == pytest.approx(5.2e-05)


@pytest.mark.parametrize("data", ["{[]: 1}", "{{}}", '{"error": {"message": "{[]: 1}"}}'])
async def test_an_error_event_whose_braces_literal_eval_cannot_build(mock_server, data):
    # Regression: ast.literal_eval raised TypeError out of the stream; the text so far is kept.
    event = f"event: error\ndata: {data}\n\n".encode()
    mock_server.enqueue(stream([], raw_lines=[sse(chunk("Half ", role="assistant")), event]))
    async with LiteLLMClient(config_for(mock_server)) as client:
        reader = Reader(client)
        with pytest.raises(InternalServerError) as caught:
            await reader()
    assert "{[]: 1}" in caught.value.message or "{{}}" in caught.value.message
    assert reader.deltas == ["Half "]
    assert reader.stream.text == "Half "


DEEP = 100_000  # far past the JSON parser's recursion limit


@pytest.mark.parametrize(
    "nested", [b"[" * DEEP + b"]" * DEEP, b'{"a":' * DEEP + b"1" + b"}" * DEEP]
)
async def test_a_stream_event_of_deeply_nested_json_is_a_validation_error(mock_server, nested):
    # Regression: json.loads raised RecursionError out of the stream; the text so far is kept.
    pieces = [sse(chunk("Half ", role="assistant")), b"data: " + nested + b"\n\n"]
    mock_server.enqueue(stream([], raw_lines=pieces))
    async with LiteLLMClient(config_for(mock_server)) as client:
        reader = Reader(client)
        with pytest.raises(APIResponseValidationError, match="nests too deeply"):
            await reader()
    assert reader.deltas == ["Half "]
    assert reader.stream.text == "Half "


async def test_an_error_event_of_deeply_nested_json_is_the_servers_error(mock_server):
    nested = b"[" * DEEP + b"]" * DEEP
    pieces = [sse(chunk("Half ", role="assistant")), b"event: error\ndata: " + nested + b"\n\n"]
    mock_server.enqueue(stream([], raw_lines=pieces))
    async with LiteLLMClient(config_for(mock_server)) as client:
        reader = Reader(client)
        with pytest.raises(InternalServerError) as caught:
            await reader()
    assert caught.value.message.startswith("[[[")
    assert len(caught.value.message) <= 300
    assert reader.stream.text == "Half "


async def test_a_plain_json_answer_to_a_stream_request_nested_too_deeply(mock_server):
    mock_server.enqueue(raw(b"[" * DEEP + b"]" * DEEP))
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(APIResponseValidationError, match="nested too deeply"):
            await collect(client)
