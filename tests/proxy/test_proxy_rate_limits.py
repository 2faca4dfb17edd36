"""A real LiteLLM proxy's rate limit, driven past: ``screenwriter-rpm`` allows one request a
minute (``rpm`` in litellm_config.yaml). What LiteLLM sends then is read off the wire here and
written down in docs/reliability.md; the client waits as LiteLLM asks and then succeeds, or,
when the wait is longer than ``max_retry_wait``, fails at once with ``RateLimitError`` and the
wait."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest
from proxy_support import MASTER_KEY, RPM_MODEL, RPM_REPLY, RPM_WAIT, ProxyProcess, user

from litellm_screenwriter.client import ClientConfig, LiteLLMClient, RateLimitError

pytestmark = pytest.mark.proxy


def raw_request(proxy: ProxyProcess) -> tuple[int, dict[str, str], bytes]:
    """One chat request with the standard library: status, headers (lower-cased) and body,
    exactly as the proxy sent them."""
    body = json.dumps({"model": RPM_MODEL, "messages": user("ready?")}).encode()
    request = urllib.request.Request(proxy.url + "/v1/chat/completions", data=body)
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {MASTER_KEY}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


async def ask(client: LiteLLMClient, mode: str) -> str:
    if mode == "complete":
        return (await client.complete(RPM_MODEL, user())).text
    async with client.stream(RPM_MODEL, user()) as stream:
        return "".join([piece async for piece in stream])


def spend_the_minute(proxy: ProxyProcess) -> tuple[int, dict[str, str], bytes]:
    """Send until the proxy refuses (one request a minute: two at most); the refusal."""
    for _ in range(3):
        answer = raw_request(proxy)
        if answer[0] == 429:
            return answer
    raise AssertionError(f"{RPM_MODEL} never refused: is its rpm limit in the config?")


async def test_past_the_rpm_limit_litellm_answers_429_asking_for_a_minute(
    litellm_proxy: ProxyProcess,
) -> None:
    status, headers, body = await asyncio.to_thread(spend_the_minute, litellm_proxy)
    assert status == 429
    # LiteLLM's own router refuses, and hands its wait on as a provider header.
    assert headers["llm_provider-retry-after"] == f"{RPM_WAIT:g}"
    assert "retry-after" not in headers
    assert "x-ratelimit-remaining-requests" not in headers
    assert headers["content-type"] == "application/json"
    assert headers["x-litellm-call-id"]
    error = json.loads(body)["error"]
    assert error["type"] == "throttling_error"
    assert error["code"] == "429"
    assert error["message"].startswith(
        "litellm.RateLimitError: No deployments available for selected model. "
        f"Passed model={RPM_MODEL}. Deployments="
    )


@pytest.mark.parametrize("mode", ["complete", "stream"])
async def test_a_wait_over_max_retry_wait_fails_at_once_with_the_wait(
    litellm_proxy: ProxyProcess, proxy_config: Callable[..., ClientConfig], mode: str
) -> None:
    await asyncio.to_thread(spend_the_minute, litellm_proxy)
    async with LiteLLMClient(proxy_config(max_retries=2, max_retry_wait=10.0)) as client:
        started = time.monotonic()
        with pytest.raises(RateLimitError) as caught:
            await ask(client, mode)
        elapsed = time.monotonic() - started
        stats = client.stats
    error = caught.value
    assert error.status == 429
    assert error.retry_after == RPM_WAIT
    assert stats.requests == 1  # no retry: a minute is over the 10 s limit
    assert stats.retries == 0
    assert elapsed < 5.0
    text = str(error)
    assert "\n" not in text
    assert "No deployments available for selected model" in text
    assert text.endswith("wait 60 s and try again.")


@pytest.mark.slow
async def test_the_client_waits_the_minute_litellm_asks_and_then_succeeds(
    litellm_proxy: ProxyProcess, proxy_config: Callable[..., ClientConfig]
) -> None:
    """The default max_retry_wait (60 s) accepts LiteLLM's minute: about 60 s of waiting."""
    await asyncio.to_thread(spend_the_minute, litellm_proxy)
    async with LiteLLMClient(proxy_config(max_retries=1, max_retry_wait=60.0)) as client:
        started = time.monotonic()
        completion = await client.complete(RPM_MODEL, user())
        elapsed = time.monotonic() - started
        stats = client.stats
    assert completion.text == RPM_REPLY
    assert stats.requests == 2
    assert stats.retries == 1
    assert stats.rate_limit_waits == 1
    assert RPM_WAIT - 0.5 <= elapsed < RPM_WAIT + 20  # it waited as asked, then went through
