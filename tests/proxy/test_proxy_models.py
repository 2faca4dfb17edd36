"""The model list and health checks of a real LiteLLM proxy, and one request to every model it
lists (the failing mock models must fail with their typed errors)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from proxy_support import (
    ANALYSIS_MODEL,
    BROKEN_MODEL,
    CONFIG_PATH,
    PROXY_MODELS,
    RATE_LIMITED_MODEL,
    RPM_MODEL,
    RPM_REPLY,
    SLOW_DELAY,
    SLOW_MODEL,
    SLOW_REPLY,
    TEXT_MODEL,
    TEXT_REPLY,
    ProxyProcess,
    user,
)

from litellm_screenwriter.analysis import parse_analysis
from litellm_screenwriter.client import (
    APITimeoutError,
    ClientConfig,
    InternalServerError,
    LiteLLMClient,
    LiteLLMError,
    RateLimitError,
    Timeout,
)

pytestmark = pytest.mark.proxy

# What one request to each configured model must end in: its text, or its typed error.
EXPECTED: dict[str, str | type[LiteLLMError] | tuple] = {
    TEXT_MODEL: TEXT_REPLY,
    ANALYSIS_MODEL: "analysis",
    RATE_LIMITED_MODEL: RateLimitError,
    BROKEN_MODEL: InternalServerError,
    SLOW_MODEL: APITimeoutError,
    # Its text, or (when this minute's one request is already spent) a wait of 60 s.
    RPM_MODEL: (RPM_REPLY, RateLimitError),
}


def test_the_config_file_and_the_test_constants_name_the_same_models() -> None:
    text = CONFIG_PATH.read_text("utf-8")
    names = re.findall(r"^\s*-\s*model_name:\s*(\S+)\s*$", text, re.M)

    assert tuple(names) == PROXY_MODELS
    assert set(EXPECTED) == set(PROXY_MODELS)
    assert TEXT_REPLY in text
    assert SLOW_REPLY in text
    assert re.search(rf"mock_delay:\s*{SLOW_DELAY:g}\b", text)


async def test_list_models_names_every_configured_model(client: LiteLLMClient) -> None:
    models = await client.list_models()

    assert sorted(models) == sorted(PROXY_MODELS)
    assert len(models) == len(set(models))


async def test_every_listed_model_answers_once_with_its_text_or_its_typed_error(
    proxy_config: Callable[..., ClientConfig],
) -> None:
    quick = Timeout(connect=5.0, first_byte=2.0, idle=5.0, total=30.0)
    outcomes: dict[str, object] = {}
    async with LiteLLMClient(proxy_config(max_retries=0)) as client:
        models = await client.list_models()
        for model in models:
            try:
                outcomes[model] = await client.complete(model, user(), timeout=quick)
            except LiteLLMError as error:
                outcomes[model] = error
        stats = client.stats

    assert set(outcomes) == set(EXPECTED)
    for model, outcome in outcomes.items():
        expected = EXPECTED[model]
        if isinstance(expected, tuple):  # either this text or this error
            text, error = expected
            expected = error if isinstance(outcome, Exception) else text
        if isinstance(expected, type):
            assert isinstance(outcome, expected), f"{model}: {outcome!r}"
            assert "\n" not in str(outcome)
        elif expected == "analysis":
            assert not isinstance(outcome, Exception), f"{model}: {outcome!r}"
            assert parse_analysis(outcome.text)["characters"]
        else:
            assert not isinstance(outcome, Exception), f"{model}: {outcome!r}"
            assert outcome.text == expected
            assert outcome.finish_reason == "stop"
    # One model list and exactly one request per model: nothing was retried.
    assert stats.requests == 1 + len(models)
    assert stats.retries == 0


async def test_health_reports_alive_ready_and_a_latency(
    client: LiteLLMClient, litellm_proxy: ProxyProcess
) -> None:
    health = await client.health()

    assert health.alive is True
    assert health.ready is True  # /health/readiness exists and says "healthy"
    assert health.ok is True
    assert health.latency_ms > 0
    assert health.url == litellm_proxy.url
    assert "healthy" in health.detail
