"""Chat completions through a real LiteLLM proxy: whole answers, streams, the JSON script
analysis, concurrency and connection reuse."""

from __future__ import annotations

import asyncio

import pytest
from proxy_support import (
    ANALYSIS_MODEL,
    TEXT_MODEL,
    TEXT_REPLY,
    text_cost,
    user,
)

from litellm_screenwriter.analysis import parse_analysis, render_analysis
from litellm_screenwriter.client import LiteLLMClient

pytestmark = pytest.mark.proxy


async def test_complete_returns_the_mock_text_with_usage_cost_and_request_id(
    client: LiteLLMClient,
) -> None:
    completion = await client.complete(TEXT_MODEL, user(), kind="dialogue")

    assert completion.text == TEXT_REPLY
    assert completion.finish_reason == "stop"
    assert completion.model == TEXT_MODEL
    assert completion.usage is not None
    assert completion.usage.prompt_tokens > 0
    assert completion.usage.completion_tokens > 0
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    # The model has a custom price, so the proxy sends x-litellm-response-cost.
    expected = text_cost(completion.usage.prompt_tokens, completion.usage.completion_tokens)
    assert completion.cost == pytest.approx(expected)
    # The proxy's call id (x-litellm-call-id) names the request in its logs.
    assert completion.request_id
    assert completion.raw["choices"][0]["message"]["content"] == TEXT_REPLY
    stats = client.stats
    assert stats.requests == 1
    assert stats.retries == 0
    assert stats.usage == completion.usage
    assert stats.cost == pytest.approx(expected)


async def test_stream_yields_the_mock_text_in_pieces_with_usage(client: LiteLLMClient) -> None:
    pieces: list[str] = []
    async with client.stream(TEXT_MODEL, user(), kind="dialogue") as stream:
        async for text in stream:
            pieces.append(text)
    completion = stream.completion

    assert "".join(pieces) == TEXT_REPLY
    assert all(pieces)
    assert completion is not None
    assert completion.text == TEXT_REPLY
    assert completion.finish_reason == "stop"
    assert completion.model == TEXT_MODEL
    # Usage comes from the last chunk, sent because the client asks for
    # stream_options.include_usage.
    assert completion.usage is not None
    assert completion.usage.prompt_tokens > 0
    assert completion.usage.completion_tokens > 0
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    assert client.stats.usage == completion.usage
    # LiteLLM puts the streamed answer's cost into that usage chunk, not into a header.
    usage = completion.raw["usage"]
    assert usage["cost"] == pytest.approx(
        text_cost(usage["prompt_tokens"], usage["completion_tokens"])
    )


async def test_stream_reports_the_cost_the_proxy_sends(client: LiteLLMClient) -> None:
    async with client.stream(TEXT_MODEL, user()) as stream:
        text = "".join([piece async for piece in stream])
    completion = stream.completion
    if completion is None or text != TEXT_REPLY or "cost" not in (completion.raw["usage"] or {}):
        pytest.fail("precondition: the proxy streamed the answer with a cost in its usage")
    sent = completion.raw["usage"]["cost"]

    assert completion.cost == pytest.approx(sent)
    assert client.stats.cost == pytest.approx(sent)


async def test_the_analysis_model_answer_parses_as_a_script_analysis(
    client: LiteLLMClient,
) -> None:
    completion = await client.complete(ANALYSIS_MODEL, user("FADE IN: ..."), kind="analysis")
    analysis = parse_analysis(completion.text)

    assert set(analysis) == {
        "logline",
        "genre",
        "tone",
        "structure",
        "characters",
        "strengths",
        "weaknesses",
        "suggestions",
    }
    assert analysis["genre"] == "Drama"
    assert [person["name"] for person in analysis["characters"]] == ["MAYA", "LEO"]
    assert [part["act"] for part in analysis["structure"]] == ["Act 1", "Act 2", "Act 3"]
    breakdown = render_analysis(completion.text)
    assert breakdown.startswith("SCRIPT ANALYSIS")
    assert "- MAYA (protagonist): from control to trust" in breakdown
    assert "- Cut the dream sequence" in breakdown


async def test_the_streamed_analysis_reassembles_into_the_same_json(
    client: LiteLLMClient,
) -> None:
    whole = await client.complete(ANALYSIS_MODEL, user("FADE IN: ..."), kind="analysis")
    async with client.stream(ANALYSIS_MODEL, user("FADE IN: ..."), kind="analysis") as stream:
        streamed = "".join([piece async for piece in stream])

    assert streamed == whole.text
    assert parse_analysis(streamed) == parse_analysis(whole.text)


async def test_concurrent_streams_each_get_the_whole_text(client: LiteLLMClient) -> None:
    async def one(index: int) -> str:
        async with client.stream(TEXT_MODEL, user(f"line {index}")) as stream:
            return "".join([piece async for piece in stream])

    texts = await asyncio.gather(*(one(index) for index in range(8)))

    assert texts == [TEXT_REPLY] * 8
    assert client.stats.requests == 8
    # max_concurrent_requests is 4: the pool never needs more than that many connections.
    assert 1 <= client.stats.connections_created <= 4


async def test_twenty_sequential_requests_reuse_the_pooled_connection(
    client: LiteLLMClient,
) -> None:
    for index in range(20):
        completion = await client.complete(TEXT_MODEL, user(f"take {index}"), cache=False)
        assert completion.text == TEXT_REPLY
    stats = client.stats

    assert stats.requests == 20
    assert stats.connections_created + stats.connections_reused == 20
    assert stats.reuse_ratio >= 0.9, stats
