"""The response cache and the client-side limiter, end to end: what is served from the cache (and
replayed as a stream), what never is, and how the limiter holds requests back (concurrency,
requests per minute, the server's x-ratelimit headers)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from litellm_screenwriter.client import (
    ClientConfig,
    IncompleteStreamError,
    InternalServerError,
    LiteLLMClient,
    ResponseCache,
)
from tests.support.mock_server import MockServer, reply, stall, status, stream

USER = [{"role": "user", "content": "Suggest a title"}]


def config_for(server: MockServer, **options) -> ClientConfig:
    options.setdefault("max_retries", 0)
    options.setdefault("initial_backoff", 0.001)
    options.setdefault("trust_env", False)
    return ClientConfig(base_url=server.url, **options)


async def read(client: LiteLLMClient, **params):
    async with client.stream("mock-echo", USER, **params) as s:
        deltas = [text async for text in s]
    return deltas, s


# -- cache --------------------------------------------------------------------------------------


async def test_temperature_zero_is_served_from_the_cache_the_second_time(mock_server):
    mock_server.enqueue(reply("The Long Take", cost=0.01))
    async with LiteLLMClient(config_for(mock_server, cache_enabled=True)) as client:
        first = await client.complete("mock-echo", USER, temperature=0)
        second = await client.complete("mock-echo", USER, temperature=0.0)
        stats = client.stats
    assert len(mock_server.chat_requests) == 1
    assert (first.cached, second.cached) == (False, True)
    assert second.text == first.text == "The Long Take"
    assert second.usage == first.usage
    assert second.request_id == first.request_id
    assert stats.cache_hits == 1
    assert stats.requests == 1
    assert stats.usage == first.usage  # a cached answer costs nothing more
    assert stats.cost == pytest.approx(0.01)


async def test_a_streamed_request_replays_the_cached_text(mock_server):
    mock_server.enqueue(reply("Night Shift"))
    async with LiteLLMClient(config_for(mock_server, cache_enabled=True)) as client:
        first = await client.complete("mock-echo", USER, temperature=0)
        deltas, s = await read(client, temperature=0)
        again, s2 = await read(client, temperature=0)
    assert deltas == again == ["Night Shift"]
    assert s.completion.cached is True
    assert s.completion.text == first.text
    assert s.text == "Night Shift"
    assert s2.completion.cached is True
    assert len(mock_server.chat_requests) == 1


async def test_a_finished_stream_fills_the_cache(mock_server):
    mock_server.enqueue(stream(["Dead ", "Air"]))
    async with LiteLLMClient(config_for(mock_server, cache_enabled=True)) as client:
        deltas, s = await read(client, temperature=0)
        cached = await client.complete("mock-echo", USER, temperature=0)
    assert "".join(deltas) == "Dead Air"
    assert s.completion.cached is False
    assert cached.cached is True
    assert cached.text == "Dead Air"
    assert cached.usage == s.completion.usage
    assert len(mock_server.chat_requests) == 1


async def test_an_empty_cached_answer_replays_no_delta(mock_server):
    mock_server.enqueue(reply(""))
    async with LiteLLMClient(config_for(mock_server, cache_enabled=True)) as client:
        await client.complete("mock-echo", USER, temperature=0)
        deltas, s = await read(client, temperature=0)
    assert deltas == []
    assert s.completion.text == ""
    assert s.completion.cached


async def test_temperature_above_zero_is_not_cached(mock_server):
    async with LiteLLMClient(config_for(mock_server, cache_enabled=True)) as client:
        first = await client.complete("mock-echo", USER, temperature=0.7)
        second = await client.complete("mock-echo", USER, temperature=0.7)
        await client.complete("mock-echo", USER)  # no temperature: the server's default
        await read(client, temperature=0.7)
        assert client.stats.cache_hits == 0
    assert (first.cached, second.cached) == (False, False)
    assert len(mock_server.chat_requests) == 4


async def test_cache_true_forces_and_cache_false_forbids(mock_server):
    async with LiteLLMClient(config_for(mock_server, cache_enabled=True)) as client:
        await client.complete("mock-echo", USER, temperature=0.7, cache=True)
        forced = await client.complete("mock-echo", USER, temperature=0.7, cache=True)
        await client.complete("mock-echo", USER, temperature=0, cache=False)
        forbidden = await client.complete("mock-echo", USER, temperature=0, cache=False)
        _, streamed = await read(client, temperature=0.7, cache=True)
    assert forced.cached is True
    assert forbidden.cached is False
    assert streamed.completion.cached is True
    assert len(mock_server.chat_requests) == 3


async def test_different_requests_do_not_share_an_entry(mock_server):
    async with LiteLLMClient(config_for(mock_server, cache_enabled=True)) as client:
        one = await client.complete("mock-echo", USER, temperature=0)
        other = await client.complete(
            "mock-echo", [{"role": "user", "content": "Another"}], temperature=0
        )
        longer = await client.complete("mock-echo", USER, temperature=0, max_tokens=5)
    assert [one.cached, other.cached, longer.cached] == [False, False, False]
    assert other.text == "Echo: Another"
    assert len(mock_server.chat_requests) == 3


async def test_no_cache_unless_enabled_or_given(mock_server):
    async with LiteLLMClient(config_for(mock_server)) as client:
        assert client.cache is None
        await client.complete("mock-echo", USER, temperature=0)
        again = await client.complete("mock-echo", USER, temperature=0, cache=True)
    assert again.cached is False
    given = ResponseCache(max_entries=4, ttl=60)
    async with LiteLLMClient(config_for(mock_server), cache=given) as client:
        await client.complete("mock-echo", USER, temperature=0)
        hit = await client.complete("mock-echo", USER, temperature=0)
    assert hit.cached is True
    assert len(given) == 1
    assert given.hits == 1
    assert len(mock_server.chat_requests) == 3


async def test_failures_and_broken_streams_are_not_cached(mock_server):
    mock_server.enqueue(
        status(500, "boom"),
        stream(["Half"], finish_reason=None, done=False),
        reply("Whole"),
    )
    async with LiteLLMClient(config_for(mock_server, cache_enabled=True)) as client:
        with pytest.raises(InternalServerError):
            await client.complete("mock-echo", USER, temperature=0)
        with pytest.raises(IncompleteStreamError):
            await read(client, temperature=0)
        result = await client.complete("mock-echo", USER, temperature=0)
        hit = await client.complete("mock-echo", USER, temperature=0)
    assert (result.cached, result.text) == (False, "Whole")
    assert hit.cached is True
    assert len(mock_server.chat_requests) == 3


# -- limiter ------------------------------------------------------------------------------------


async def test_max_concurrent_requests_caps_what_the_server_sees(mock_server):
    mock_server.enqueue(*(stall(0.15) for _ in range(5)))
    async with LiteLLMClient(config_for(mock_server, max_concurrent_requests=2)) as client:
        results = await asyncio.gather(*(client.complete("mock-echo", USER) for _ in range(5)))
    assert len(results) == 5
    assert all(r.text == "Echo: Suggest a title" for r in results)
    assert mock_server.max_in_flight == 2
    assert len(mock_server.chat_requests) == 5


async def test_an_open_stream_holds_its_slot(mock_server):
    hold = threading.Event()
    mock_server.enqueue(stream(["a", "b"], hold=hold))
    async with LiteLLMClient(config_for(mock_server, max_concurrent_requests=1)) as client:
        async with client.stream("mock-echo", USER) as s:
            iterator = aiter(s)
            assert await anext(iterator) == "a"
            waiting = asyncio.create_task(client.complete("mock-echo", USER))
            await asyncio.sleep(0.1)
            assert not waiting.done()
            assert len(mock_server.chat_requests) == 1  # held back by the open stream
            hold.set()
            assert [text async for text in iterator] == ["b"]
        result = await asyncio.wait_for(waiting, 5)
    assert result.text.startswith("Echo")
    assert mock_server.max_in_flight == 1


async def test_requests_per_minute_holds_back_the_request_over_budget(mock_server):
    async with LiteLLMClient(config_for(mock_server, requests_per_minute=2)) as client:
        await client.complete("mock-echo", USER)
        await client.complete("mock-echo", USER)
        third = asyncio.create_task(client.complete("mock-echo", USER))
        await asyncio.sleep(0.2)
        assert not third.done()  # the minute's budget is spent: it waits, it does not fail
        assert client.stats.rate_limit_waits == 1
        third.cancel()
        with pytest.raises(asyncio.CancelledError):
            await third
        assert len(mock_server.chat_requests) == 2


async def test_ratelimit_headers_hold_the_next_request_until_the_reset(mock_server):
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "600ms"}
    mock_server.enqueue(reply("first", headers=headers), reply("second"))
    async with LiteLLMClient(config_for(mock_server)) as client:
        await client.complete("mock-echo", USER)
        second = asyncio.create_task(client.complete("mock-echo", USER))
        await asyncio.sleep(0.1)
        assert len(mock_server.chat_requests) == 1  # still waiting for the window to reset
        result = await asyncio.wait_for(second, 5)
        stats = client.stats
    assert result.text == "second"
    assert stats.rate_limit_waits == 1
    assert stats.retries == 0
    first, later = mock_server.chat_requests
    assert later.time - first.time >= 0.5


async def test_ratelimit_headers_with_budget_left_do_not_wait(mock_server):
    headers = {"x-ratelimit-remaining-requests": "10", "x-ratelimit-reset-requests": "60s"}
    mock_server.enqueue(reply("first", headers=headers))
    async with LiteLLMClient(config_for(mock_server)) as client:
        await client.complete("mock-echo", USER)
        await asyncio.wait_for(client.complete("mock-echo", USER), 1.0)
        assert client.stats.rate_limit_waits == 0
