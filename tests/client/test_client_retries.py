"""Retries end to end: what is retried (429 with its wait, 5xx, dropped connections, streams that
failed before any text), what never is (4xx, x-should-retry: false, a wait over the limit, a
stream that already gave text), and what the stats count."""

from __future__ import annotations

import socket
import time

import pytest
from aiohttp import web

from litellm_screenwriter.client import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ClientConfig,
    InternalServerError,
    LiteLLMClient,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from tests.support.mock_server import MockServer, Scripted, chunk, reply, sse, status, stream

USER = [{"role": "user", "content": "Pitch a heist"}]
SLOW = {"error": {"message": "Slow down", "type": "rate_limit_error"}}


def config_for(server: MockServer, **options) -> ClientConfig:
    options.setdefault("max_retries", 2)
    options.setdefault("initial_backoff", 0.001)
    options.setdefault("max_backoff", 0.005)
    options.setdefault("trust_env", False)
    return ClientConfig(base_url=server.url, **options)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def read_stream(client: LiteLLMClient, into: list[str]) -> None:
    async with client.stream("mock-echo", USER) as s:
        async for text in s:
            into.append(text)


@pytest.mark.parametrize(
    "headers", [{"retry-after-ms": "20"}, {"Retry-After": "0"}, {"Retry-After": "0.02"}]
)
async def test_429_waits_as_asked_then_succeeds(mock_server, headers):
    mock_server.enqueue(status(429, SLOW, headers), reply("Got it."))
    async with LiteLLMClient(config_for(mock_server)) as client:
        result = await client.complete("mock-echo", USER)
        stats = client.stats
    assert result.text == "Got it."
    assert stats.retries == 1
    assert stats.rate_limit_waits == 1
    assert stats.requests == 2
    first, second = mock_server.chat_requests
    # One logical request: the same id on both attempts, the same body.
    assert first.header("X-Request-Id") == second.header("X-Request-Id")
    assert first.body == second.body


@pytest.mark.parametrize("code", [500, 502, 503, 504])
async def test_server_errors_are_retried(mock_server, code):
    mock_server.enqueue(status(code, "oops"), status(code, "oops"), reply("Third time lucky."))
    async with LiteLLMClient(config_for(mock_server)) as client:
        result = await client.complete("mock-echo", USER)
        stats = client.stats
    assert result.text == "Third time lucky."
    assert stats.retries == 2
    assert stats.rate_limit_waits == 0
    assert len(mock_server.chat_requests) == 3


async def test_retries_stop_after_max_retries(mock_server):
    mock_server.enqueue(*(status(503, {"error": {"message": "busy"}}) for _ in range(4)))
    async with LiteLLMClient(config_for(mock_server, max_retries=2)) as client:
        with pytest.raises(InternalServerError, match="busy") as caught:
            await client.complete("mock-echo", USER)
        assert client.stats.retries == 2
    assert caught.value.status == 503
    assert len(mock_server.chat_requests) == 3
    assert mock_server.pending == 1


@pytest.mark.parametrize(
    ("code", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (422, APIStatusError),
    ],
)
async def test_client_errors_are_never_retried(mock_server, code, error_class):
    mock_server.enqueue(status(code, {"error": {"message": "no"}}), reply("unused"))
    async with LiteLLMClient(config_for(mock_server, max_retries=3)) as client:
        with pytest.raises(error_class) as caught:
            await client.complete("mock-echo", USER)
        assert client.stats.retries == 0
    assert caught.value.status == code
    assert type(caught.value) is error_class
    assert len(mock_server.chat_requests) == 1


async def test_x_should_retry_false_stops_a_retryable_status(mock_server):
    mock_server.enqueue(status(503, "down", {"x-should-retry": "false"}), reply("unused"))
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(InternalServerError):
            await client.complete("mock-echo", USER)
        assert client.stats.retries == 0
    assert len(mock_server.chat_requests) == 1


async def test_x_should_retry_true_retries_a_final_status(mock_server):
    mock_server.enqueue(status(400, "flaky", {"X-Should-Retry": "true"}), reply("Recovered."))
    async with LiteLLMClient(config_for(mock_server)) as client:
        result = await client.complete("mock-echo", USER)
        assert client.stats.retries == 1
    assert result.text == "Recovered."


@pytest.mark.parametrize("header", ["Retry-After", "retry-after-ms"])
async def test_a_wait_beyond_max_retry_wait_fails_at_once(mock_server, header):
    value = "3600" if header == "Retry-After" else "3600000"
    mock_server.enqueue(status(429, SLOW, {header: value}), reply("unused"))
    async with LiteLLMClient(config_for(mock_server, max_retry_wait=30)) as client:
        started = time.monotonic()
        with pytest.raises(RateLimitError) as caught:
            await client.complete("mock-echo", USER)
        elapsed = time.monotonic() - started
        stats = client.stats
    assert elapsed < 1.0  # no sleep: a retry would have waited an hour
    assert caught.value.retry_after == pytest.approx(3600)
    assert "wait 3600 s and try again" in str(caught.value)
    assert stats.retries == 0
    assert stats.rate_limit_waits == 0
    assert len(mock_server.chat_requests) == 1


async def test_a_rate_limit_error_after_the_last_retry_keeps_its_wait(mock_server):
    mock_server.enqueue(*(status(429, SLOW, {"retry-after-ms": "5"}) for _ in range(2)))
    async with LiteLLMClient(config_for(mock_server, max_retries=1)) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.complete("mock-echo", USER)
        stats = client.stats
    assert caught.value.retry_after == pytest.approx(0.005)
    assert stats.rate_limit_waits == 1
    assert stats.retries == 1


async def test_connection_refused_is_retried_then_a_connection_error():
    config = ClientConfig(
        base_url=f"http://127.0.0.1:{closed_port()}",
        max_retries=3,
        initial_backoff=0.001,
        max_backoff=0.002,
        trust_env=False,
    )
    async with LiteLLMClient(config) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.complete("mock-echo", USER)
        stats = client.stats
    assert stats.retries == 3
    assert stats.requests == 4
    assert stats.rate_limit_waits == 0
    assert "Could not talk to the LiteLLM server" in str(caught.value)
    assert caught.value.request_id


async def test_a_dropped_response_body_is_retried(mock_server):
    async def truncated(request, server, recorded):
        # Content-Length promises more than arrives, then the server hangs up.
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = 1000
        await response.prepare(request)
        await response.write(b'{"choices": [')
        server._drop(request)
        return response

    mock_server.enqueue(Scripted(truncated, "truncated body"), reply("Whole."))
    async with LiteLLMClient(config_for(mock_server)) as client:
        result = await client.complete("mock-echo", USER)
        assert client.stats.retries == 1
    assert result.text == "Whole."
    assert len(mock_server.chat_requests) == 2


async def test_a_dropped_response_body_out_of_retries_is_a_connection_error(mock_server):
    async def truncated(request, server, recorded):
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = 1000
        await response.prepare(request)
        await response.write(b'{"choices": [')
        server._drop(request)
        return response

    mock_server.enqueue(Scripted(truncated, "truncated body"))
    async with LiteLLMClient(config_for(mock_server, max_retries=0)) as client:
        with pytest.raises(APIConnectionError, match="broke while reading the answer") as caught:
            await client.complete("mock-echo", USER)
    assert caught.value.request_id


# -- streams ------------------------------------------------------------------------------------


async def test_a_stream_refused_with_503_is_retried(mock_server):
    mock_server.enqueue(status(503, "busy"), stream(["Back ", "again."]))
    received: list[str] = []
    async with LiteLLMClient(config_for(mock_server)) as client:
        await read_stream(client, received)
        assert client.stats.retries == 1
    assert "".join(received) == "Back again."


async def test_a_stream_that_fails_before_any_text_is_retried(mock_server):
    # Only the role chunk arrives, then the connection drops: nothing reached the caller.
    role_only = sse(chunk(role="assistant"))
    mock_server.enqueue(
        stream([], raw_lines=[role_only, b"never"], drop_after=1, delay=0.02),
        stream([], raw_lines=[sse({"error": {"message": "busy", "code": "503"}}, event="error")]),
        stream(["Fresh ", "start."]),
    )
    received: list[str] = []
    async with LiteLLMClient(config_for(mock_server)) as client:
        async with client.stream("mock-echo", USER) as s:
            async for text in s:
                received.append(text)
        stats = client.stats
    assert "".join(received) == "Fresh start."
    assert s.completion.text == "Fresh start."
    assert s.completion.usage is not None
    assert stats.retries == 2
    assert len(mock_server.chat_requests) == 3


async def test_a_stream_is_never_retried_after_text_reached_the_caller(mock_server):
    mock_server.enqueue(stream(["Half ", "a ", "line"], drop_after=1), reply("unused"))
    received: list[str] = []
    async with LiteLLMClient(config_for(mock_server, max_retries=3)) as client:
        with pytest.raises(APIConnectionError):
            await read_stream(client, received)
        assert client.stats.retries == 0
    assert received == ["Half "]
    assert len(mock_server.chat_requests) == 1


async def test_a_stream_rate_limited_mid_way_before_text_waits_and_retries(mock_server):
    error = {"error": {"message": "tokens per minute", "code": "429"}}
    mock_server.enqueue(
        stream([], raw_lines=[sse(error, event="error")]),
        stream(["ok"]),
    )
    received: list[str] = []
    async with LiteLLMClient(config_for(mock_server)) as client:
        await read_stream(client, received)
        stats = client.stats
    assert received == ["ok"]
    assert stats.retries == 1
    assert stats.rate_limit_waits == 1


async def test_a_stream_runs_out_of_retries(mock_server):
    mock_server.enqueue(
        *(
            status(
                502,
                "<html><title>502 Bad Gateway</title></html>",
            )
            for _ in range(2)
        )
    )
    async with LiteLLMClient(config_for(mock_server, max_retries=1)) as client:
        with pytest.raises(InternalServerError, match="502 Bad Gateway"):
            await read_stream(client, [])
        assert client.stats.retries == 1


async def test_a_stream_that_ends_early_before_any_text_is_retried(mock_server):
    mock_server.enqueue(
        stream([], raw_lines=[]),  # an empty event stream: closed before anything came
        stream([], raw_lines=[sse(chunk(role="assistant"))]),  # no text, no end
        stream(["Third ", "try."]),
    )
    received: list[str] = []
    async with LiteLLMClient(config_for(mock_server)) as client:
        await read_stream(client, received)
        assert client.stats.retries == 2
    assert "".join(received) == "Third try."


async def test_a_stream_that_keeps_ending_early_is_an_incomplete_stream_error(mock_server):
    from litellm_screenwriter.client import IncompleteStreamError

    mock_server.enqueue(*(stream([], raw_lines=[]) for _ in range(2)))
    async with LiteLLMClient(config_for(mock_server, max_retries=1)) as client:
        with pytest.raises(IncompleteStreamError, match="after 0 characters"):
            await read_stream(client, [])
        assert client.stats.retries == 1
