"""What a real LiteLLM proxy answers when things go wrong, and how the client reads it: an
unknown model, a wrong key, rate limits and server errors (with retries), and timeouts.

The error bodies here are LiteLLM's own, not a mock's guess at them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from proxy_support import (
    BROKEN_MODEL,
    RATE_LIMITED_MODEL,
    SLOW_DELAY,
    SLOW_MODEL,
    TEXT_MODEL,
    user,
)

from litellm_screenwriter.client import (
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientConfig,
    InternalServerError,
    LiteLLMClient,
    LiteLLMError,
    NotFoundError,
    RateLimitError,
    Timeout,
)

pytestmark = pytest.mark.proxy

UNKNOWN_MODEL = "screenwriter-no-such-model"
WRONG_KEY = "sk-wrong-key-7f3a9c41d2"


async def ask(client: LiteLLMClient, mode: str, model: str, **params) -> str:
    """One request, whole (``complete``) or streamed to the end (``stream``); its text."""
    if mode == "complete":
        return (await client.complete(model, user(), **params)).text
    async with client.stream(model, user(), **params) as stream:
        return "".join([piece async for piece in stream])


def assert_one_actionable_sentence(error: LiteLLMError, *, hint_words: tuple[str, ...]) -> str:
    """``str(error)`` is one line and one sentence (the server's own words quoted inside it),
    ending with a hint that contains ``hint_words``; returns it."""
    text = str(error)
    assert text, repr(error)
    assert "\n" not in text
    assert text[0].isupper()
    assert text.endswith((".", "?"))
    outside_quotes = re.sub(r'"[^"]*"', '"…"', text)
    assert not re.search(r"[.!?]\s+[A-Z]", outside_quotes), text  # no second sentence
    assert " – " in outside_quotes  # noqa: RUF001 - the en dash between what and what to do
    hint = outside_quotes.rsplit(" – ", 1)[1]  # noqa: RUF001
    for word in hint_words:
        assert word in hint, text
    return text


# -- an unknown model ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["complete", "stream"])
async def test_an_unknown_model_is_a_bad_request_naming_the_model(
    client: LiteLLMClient, mode: str
) -> None:
    # LiteLLM answers 400 (not 404) with type invalid_request_error:
    # "/chat/completions: Invalid model name passed in model=<name>. Call `/v1/models` ..."
    with pytest.raises(BadRequestError) as caught:
        await ask(client, mode, UNKNOWN_MODEL)
    error = caught.value

    assert not isinstance(error, NotFoundError)
    assert error.status == 400
    assert error.type == "invalid_request_error"
    assert UNKNOWN_MODEL in error.message
    assert error.request_id
    text = assert_one_actionable_sentence(error, hint_words=("model",))
    assert UNKNOWN_MODEL in text
    assert client.stats.retries == 0  # a 400 is final


# -- a wrong API key ----------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["complete", "list_models"])
async def test_a_wrong_key_fails_without_echoing_the_key(
    proxy_config: Callable[..., ClientConfig], call: str
) -> None:
    # A proxy with a master key and no database answers any other key with
    # 400 {"error": {"message": "No connected db.", "type": "no_db_connection", ...}}.
    async with LiteLLMClient(proxy_config(api_key=WRONG_KEY, max_retries=2)) as client:
        request = (
            client.complete(TEXT_MODEL, user()) if call == "complete" else client.list_models()
        )
        with pytest.raises(APIStatusError) as caught:
            await request
        retries = client.stats.retries
    error = caught.value

    assert error.status in (400, 401)
    assert retries == 0  # not worth retrying: the same key fails the same way
    for shown in (str(error), repr(error), error.message, str(error.headers)):
        assert WRONG_KEY not in shown
        assert WRONG_KEY[3:] not in shown


async def test_a_wrong_key_reads_as_an_authentication_error(
    proxy_config: Callable[..., ClientConfig],
) -> None:
    async with LiteLLMClient(proxy_config(api_key=WRONG_KEY)) as client:
        try:
            await client.complete(TEXT_MODEL, user())
        except LiteLLMError as caught:
            error = caught
        else:
            pytest.fail("precondition: a wrong key must fail")
    if error.status != 400 or error.type != "no_db_connection":
        pytest.fail(f"precondition: the proxy answers as described in the reason: {error!r}")

    assert isinstance(error, AuthenticationError), repr(error)
    text = assert_one_actionable_sentence(error, hint_words=("API key", "preferences"))
    assert WRONG_KEY not in text


# -- rate limits and server errors, retried -----------------------------------------------------


@pytest.mark.parametrize("mode", ["complete", "stream"])
async def test_the_rate_limited_model_raises_rate_limit_error_after_the_retries(
    proxy_config: Callable[..., ClientConfig], mode: str
) -> None:
    async with LiteLLMClient(proxy_config(max_retries=2)) as client:
        with pytest.raises(RateLimitError) as caught:
            await ask(client, mode, RATE_LIMITED_MODEL)
        stats = client.stats
    error = caught.value

    assert stats.requests == 3  # the first try and two retries
    assert stats.retries == 2
    assert stats.rate_limit_waits == 2
    assert error.status == 429
    assert "rate limit" in error.message
    assert RATE_LIMITED_MODEL in error.message
    assert error.request_id
    assert_one_actionable_sentence(error, hint_words=("try again",))


async def test_the_broken_model_raises_internal_server_error_after_the_retries(
    proxy_config: Callable[..., ClientConfig],
) -> None:
    async with LiteLLMClient(proxy_config(max_retries=2)) as client:
        with pytest.raises(InternalServerError) as caught:
            await client.complete(BROKEN_MODEL, user())
        stats = client.stats
    error = caught.value

    assert stats.requests == 3
    assert stats.retries == 2
    assert stats.rate_limit_waits == 0
    assert error.status == 500
    assert "internal server error" in error.message.lower()
    assert BROKEN_MODEL in error.message
    assert_one_actionable_sentence(error, hint_words=("try again",))


async def test_a_retry_after_an_error_does_not_poison_the_next_request(
    proxy_config: Callable[..., ClientConfig],
) -> None:
    async with LiteLLMClient(proxy_config(max_retries=1)) as client:
        with pytest.raises(RateLimitError):
            await client.complete(RATE_LIMITED_MODEL, user())
        with pytest.raises(InternalServerError):
            await client.complete(BROKEN_MODEL, user())
        completion = await client.complete(TEXT_MODEL, user())

    assert completion.finish_reason == "stop"
    assert completion.text


# -- timeouts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["complete", "stream"])
async def test_the_slow_model_times_out_on_first_byte(
    proxy_config: Callable[..., ClientConfig], mode: str
) -> None:
    limits = Timeout(connect=5.0, first_byte=1.0, idle=5.0, total=30.0)
    started = time.monotonic()
    async with LiteLLMClient(proxy_config(max_retries=1)) as client:
        with pytest.raises(APITimeoutError) as caught:
            await ask(client, mode, SLOW_MODEL, timeout=limits)
        stats = client.stats
    elapsed = time.monotonic() - started
    error = caught.value

    assert stats.requests == 2  # a timeout is retried like a dropped connection
    assert stats.retries == 1
    assert elapsed < SLOW_DELAY  # gave up before the proxy would have answered
    assert error.status is None
    assert "first byte" in error.message
    assert_one_actionable_sentence(error, hint_words=("timeout",))


async def test_no_key_at_all_says_that_no_key_is_set(
    proxy_config: Callable[..., ClientConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A master-key proxy asked without any key: whatever it answers (this LiteLLM's own auth
    check fails with a bare 500 here), the screenwriter reads that no key is set."""
    monkeypatch.delenv("LITELLM_API_KEY", raising=False)
    async with LiteLLMClient(proxy_config(api_key=None)) as client:
        with pytest.raises(APIStatusError) as caught:
            await client.complete(TEXT_MODEL, user())
    error = caught.value
    assert error.status in (401, 403, 500), repr(error)
    text = assert_one_actionable_sentence(error, hint_words=("API key", "preferences"))
    assert "no API key is set" in text
