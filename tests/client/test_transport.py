"""One path for every request: each call goes through the transport's one attempt and its one
retry loop, and every error comes out of it built once, complete, and never changed afterwards.
Against the scripted mock server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading

import pytest

from litellm_screenwriter.client import (
    APIConnectionError,
    AuthenticationError,
    ClientConfig,
    IncompleteStreamError,
    InternalServerError,
    LiteLLMClient,
    LiteLLMError,
    RateLimitError,
)
from litellm_screenwriter.client.errors import APIStatusError
from tests.support.mock_server import MockServer, chunk, reply, sse, status, stream

USER = [{"role": "user", "content": "Rewrite the cold open"}]
KEY = "sk-litellm-0123456789abcdef"


def config_for(server: MockServer, **options) -> ClientConfig:
    options.setdefault("max_retries", 2)
    options.setdefault("initial_backoff", 0.001)
    options.setdefault("trust_env", False)
    return ClientConfig(base_url=server.url, **options)


@pytest.fixture
def frozen_errors(monkeypatch):
    """Make every LiteLLMError refuse a change to its fields once its __init__ is over."""
    built: set[int] = set()
    # The built errors are kept alive: a freed one's id could be given to the next error
    # while its __init__ still runs, which then looked like a change after it was built.
    alive: list[LiteLLMError] = []
    original_init = LiteLLMError.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        alive.append(self)
        built.add(id(self))

    def setattr_(self, name, value):
        if id(self) in built and not name.startswith("__"):
            raise AssertionError(f"{type(self).__name__}.{name} changed after it was built")
        object.__setattr__(self, name, value)

    monkeypatch.setattr(LiteLLMError, "__init__", init)
    monkeypatch.setattr(LiteLLMError, "__setattr__", setattr_)
    return built


async def test_a_status_error_is_built_complete_and_never_changed(mock_server, frozen_errors):
    headers = {"retry-after": "0", "x-request-id": "req-429"}
    body = {"error": {"message": f"Slow down, {KEY}", "type": "rate_limit_error"}}
    mock_server.enqueue(*[status(429, body, headers)] * 3)
    async with LiteLLMClient(config_for(mock_server, api_key=KEY)) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.complete("mock-echo", USER)
        assert client.stats.retries == 2
    error = caught.value
    assert id(error) in frozen_errors
    assert error.status == 429
    assert error.request_id == "req-429"
    assert error.retry_after == 0.0
    assert error.headers["Retry-After"] == error.headers["retry-after"] == "0"
    assert error.message == "Slow down, ***"  # the key masked when the error was made
    assert isinstance(error.body, bytes)
    assert b"Slow down, ***" in error.body
    assert KEY.encode() not in error.body
    assert error.type == "rate_limit_error"
    assert error.hint == "wait 0 s and try again"


async def test_a_refusal_without_a_key_says_so_from_the_start(mock_server, frozen_errors):
    mock_server.enqueue(status(401, {"error": {"message": "Authentication Error"}}))
    async with LiteLLMClient(config_for(mock_server, max_retries=0)) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.complete("mock-echo", USER)
    assert "no API key is set" in caught.value.hint
    assert "no API key is set" in str(caught.value)


@pytest.mark.parametrize("case", ["event", "drop", "incomplete"])
async def test_stream_errors_are_built_once_too(mock_server, frozen_errors, case):
    if case == "event":
        error = {"error": {"message": f"provider failed for {KEY}", "type": "server_error"}}
        pieces = [sse(chunk("Half", role="assistant")), sse(error, event="error")]
        mock_server.enqueue(stream([], raw_lines=pieces, delay=0.02))
    elif case == "drop":
        pieces = [sse(chunk("INT. ")), sse(chunk("BARN")), sse(chunk(" never"))]
        mock_server.enqueue(stream([], raw_lines=pieces, drop_after=2, delay=0.02))
    else:
        mock_server.enqueue(stream(["Once ", "upon"], finish_reason=None, done=False))
    expected = {
        "event": InternalServerError,
        "drop": APIConnectionError,
        "incomplete": IncompleteStreamError,
    }[case]

    async def read(client: LiteLLMClient) -> None:
        async with client.stream("mock-echo", USER) as s:
            async for _ in s:
                pass

    async with LiteLLMClient(config_for(mock_server, api_key=KEY)) as client:
        with pytest.raises(expected) as caught:
            await read(client)
        assert client.stats.retries == 0  # text had reached the caller
    assert id(caught.value) in frozen_errors
    assert KEY not in str(caught.value)
    if case == "event":
        assert caught.value.body == error  # the event as decoded


async def test_a_stream_that_fails_before_any_text_is_retried_by_the_same_loop(mock_server):
    mock_server.enqueue(
        status(503, {"error": {"message": "warming up"}}),
        stream([], raw_lines=[sse({"error": {"message": "busy", "code": "503"}})]),
        stream(["Fine."]),
    )
    async with LiteLLMClient(config_for(mock_server)) as client:
        async with client.stream("mock-echo", USER) as s:
            text = "".join([t async for t in s])
        assert client.stats.retries == 2
    assert text == "Fine."
    assert len(mock_server.chat_requests) == 3


async def test_model_lists_and_health_checks_are_counted_and_logged_like_chats(mock_server):
    async with LiteLLMClient(config_for(mock_server)) as client:
        await client.list_models()
        await client.health()
        await client.complete("mock-echo", USER)
        assert client.stats.requests == 4  # models, liveliness, readiness, chat
        assert client.stats.connections_created == 1  # one pool for all of them


async def test_model_lists_retry_and_health_checks_report_the_server_as_it_is(mock_server):
    mock_server.enqueue_for("/v1/models", status(503, "busy"))
    mock_server.enqueue_for("/health/liveliness", status(503, "starting"))
    async with LiteLLMClient(config_for(mock_server)) as client:
        assert await client.list_models() == mock_server.models
        health = await client.health()
        assert client.stats.retries == 1  # the model list's; a health check answers at once
    assert health.alive is False
    assert health.detail == "starting"


async def test_utility_requests_do_not_wait_for_the_limiter(mock_server):
    hold = threading.Event()
    mock_server.enqueue(stream(["one ", "two"], hold=hold))
    config = config_for(mock_server, max_concurrent_requests=1)
    async with LiteLLMClient(config) as client, client.stream("mock-echo", USER) as s:
        iterator = aiter(s)
        assert await anext(iterator) == "one "  # the only slot is held by this stream
        models = await asyncio.wait_for(client.list_models(), 5)
        health = await asyncio.wait_for(client.health(), 5)
        hold.set()
        rest = [text async for text in iterator]
    assert models == mock_server.models
    assert health.ok
    assert "".join(rest) == "two"


async def test_a_chat_waits_for_the_limiter(mock_server):
    hold = threading.Event()
    mock_server.enqueue(stream(["one ", "two"], hold=hold))
    config = config_for(mock_server, max_concurrent_requests=1)
    async with LiteLLMClient(config) as client:
        async with client.stream("mock-echo", USER) as s:
            iterator = aiter(s)
            await anext(iterator)
            waiting = asyncio.create_task(client.complete("mock-echo", USER))
            await asyncio.sleep(0.2)
            assert not waiting.done()
            assert len(mock_server.chat_requests) == 1
            hold.set()
            async for _ in iterator:
                pass
        result = await asyncio.wait_for(waiting, 5)
    assert result.text.startswith("Echo")


def test_status_errors_declare_what_they_keep():
    error = APIStatusError("x", status=418)
    assert dict(error.headers) == {}
    assert error.body is None
    assert error.retry_after is None
    for name in ("message", "status", "type", "code", "request_id", "url", "hint"):
        assert name in LiteLLMError.__annotations__
    for name in ("retry_after", "headers", "body"):
        assert name in APIStatusError.__annotations__


async def test_a_failed_attempt_gives_its_limiter_slot_back(mock_server):
    mock_server.enqueue(status(400, {"error": {"message": "no"}}), status(503, "down"))
    config = config_for(mock_server, max_concurrent_requests=1, max_retries=0)
    async with LiteLLMClient(config) as client:
        for _ in range(2):
            with pytest.raises(APIStatusError):
                await client.complete("mock-echo", USER)
        result = await asyncio.wait_for(client.complete("mock-echo", USER), 5)
    assert result.text.startswith("Echo")


async def test_the_server_checks_are_client_calls(mock_server):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with LiteLLMClient(config_for(mock_server)) as client:
        check = await client.check_connection()
        found = await client.detect_server([down, mock_server.url + "/v1", mock_server.url])
        with pytest.raises(APIConnectionError) as caught:
            await client.detect_server([down])
    assert (check.url, check.alive, check.ready) == (mock_server.url, True, True)
    assert check.models == tuple(mock_server.models)
    assert (found.url, found.alive, found.models) == (mock_server.url, True, ())
    assert down in str(caught.value)
    assert "preferences" in str(caught.value)


async def test_a_new_timeout_per_call_keeps_the_profile_table_bounded(mock_server):
    """Each Timeout object's attempt figures are kept by identity: a caller that builds a new
    one for every call must not grow the table without end."""
    from litellm_screenwriter.client import Timeout, defaults

    count = defaults.MAX_TIMEOUT_PROFILES + 6
    mock_server.enqueue(*[reply("ok") for _ in range(count)])
    async with LiteLLMClient(config_for(mock_server)) as client:
        for _ in range(count):
            answer = await client.complete("m", USER, timeout=Timeout(5, 5, 5, 10))
            assert answer.text == "ok"
        profiles = client._transport._limits
        assert 0 < len(profiles) <= defaults.MAX_TIMEOUT_PROFILES
