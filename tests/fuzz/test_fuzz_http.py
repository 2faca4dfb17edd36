"""Hostile answers over real HTTP, through the real client and the in-process aiohttp mock
server: error bodies for every status and content type, 2xx and 3xx bodies of any shape, the
wait, rate-limit, request-id and cost headers, model lists and health answers. Every call ends
in a result or a ``LiteLLMError`` subclass that reads as one sentence, nothing else."""

from __future__ import annotations

import json
import math
import time
from unittest import mock

from hypothesis import event, example, given
from hypothesis import strategies as st

from litellm_screenwriter.client import (
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    ClientConfig,
    LiteLLMClient,
    LiteLLMError,
    defaults,
)
from litellm_screenwriter.client.errors import status_error_class
from litellm_screenwriter.client.retry_policy import server_wait
from litellm_screenwriter.client.validation import schema_errors
from tests.fuzz.conftest import fuzz
from tests.fuzz.strategies import (
    CONTENT_TYPES,
    ERROR_STATUSES,
    JSON,
    completion_bodies,
    dumps,
    error_bodies,
    response_headers,
)
from tests.support.mock_server import MockServer, raw, reply

USER = [{"role": "user", "content": "INT. KITCHEN - NIGHT"}]
MAX_RETRY_WAIT = 0.2  # seconds: a drawn wait above it fails at once, below it is slept


def config(server: MockServer, **options) -> ClientConfig:
    options.setdefault("max_retries", 0)
    return ClientConfig(
        base_url=server.url,
        trust_env=False,
        initial_backoff=0.001,
        max_backoff=0.002,
        max_retry_wait=MAX_RETRY_WAIT,
        **options,
    )


def one_sentence(error: LiteLLMError) -> str:
    text = str(error)
    assert "\n" not in text
    assert text.endswith((".", "?"))
    assert len(error.message) <= defaults.MAX_ERROR_MESSAGE_CHARS
    return text


def expected_class(status: int, error: APIStatusError) -> type:
    if error.type == "no_db_connection":
        return AuthenticationError
    return status_error_class(status)


# -- error answers ------------------------------------------------------------------------------


@fuzz(120)
@given(
    status=ERROR_STATUSES,
    body=error_bodies(),
    content_type=CONTENT_TYPES,
    streaming=st.booleans(),
)
@example(status=500, body=b'{"error": {"message": "{[]: 1}"}}', content_type="", streaming=True)
@example(status=400, body=b"{{}}", content_type="text/plain", streaming=False)
def test_an_error_answer_of_any_form_is_its_status_error(
    server, run, status, body, content_type, streaming
):
    server.reset()
    server.enqueue(raw(body, content_type, status_code=status))

    async def call() -> LiteLLMError:
        async with LiteLLMClient(config(server)) as client:
            try:
                if streaming:
                    async with client.stream("mock-echo", USER) as s:
                        async for _ in s:
                            pass
                else:
                    await client.complete("mock-echo", USER)
            except LiteLLMError as error:
                return error
        raise AssertionError("an error status was taken for an answer")

    error = run(call())
    assert isinstance(error, APIStatusError)
    assert error.status == status
    assert type(error) is expected_class(status, error)
    assert error.request_id  # the mock echoes ours back in x-request-id
    one_sentence(error)
    assert len(server.chat_requests) == 1  # max_retries=0: no second attempt


# -- 2xx and 3xx answers ------------------------------------------------------------------------


async def complete_or_error(server: MockServer):
    """One complete() against ``server``: its Completion, or the LiteLLMError it raised."""
    async with LiteLLMClient(config(server)) as client:
        try:
            return await client.complete("mock-echo", USER)
        except LiteLLMError as error:
            return error


def oracle(body: bytes) -> type | str:
    """What the client must make of a 2xx body: the text, or the error class."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return APIResponseValidationError
    if isinstance(data, dict) and "error" in data:
        return APIStatusError
    if schema_errors("completion", data):
        return APIResponseValidationError
    return data["choices"][0]["message"].get("content") or ""


@fuzz(150)
@given(
    body=completion_bodies(),
    status=st.sampled_from([200, 200, 200, 201, 203]),
    content_type=st.sampled_from(["application/json", "text/plain", ""]),
)
@example(body=b"[" * 50_000 + b"]" * 50_000, status=200, content_type="application/json")
@example(body=b'{"a":' * 990 + b"1" + b"}" * 990, status=200, content_type="application/json")
def test_a_completion_body_of_any_shape_is_its_text_or_a_typed_error(
    server, run, body, status, content_type
):
    server.reset()
    server.enqueue(raw(body, content_type, status_code=status))
    expected = oracle(body)

    result = run(complete_or_error(server))
    event(f"outcome: {type(result).__name__}")
    if isinstance(expected, str):
        assert not isinstance(result, LiteLLMError), result
        assert result.text == expected
        assert result.request_id
    else:
        assert isinstance(result, expected), (expected, result)
        one_sentence(result)


@fuzz(40)
@given(
    status=st.sampled_from([300, 301, 302, 303, 304, 305, 307, 308, 202, 204, 205, 206]),
    body=completion_bodies(),
)
def test_a_redirect_without_location_or_an_odd_2xx_fails_typed_or_answers(
    server, run, status, body
):
    server.reset()
    if status in (204, 205, 304):
        body = b""  # these carry no body
    server.enqueue(raw(body, "application/json", status_code=status))

    result = run(complete_or_error(server))
    if isinstance(result, LiteLLMError):
        one_sentence(result)
    else:
        assert isinstance(oracle(body), str)
        assert result.text == oracle(body)


# -- headers ------------------------------------------------------------------------------------


def first_request_id(drawn: dict[str, str], sent: str) -> str:
    """The id the client must report: the first non-empty id header of the answer (the mock
    echoes ours in x-request-id and sends x-litellm-call-id, unless drawn headers replace
    them), else the one it sent."""
    answer = {"x-request-id": sent, "x-litellm-call-id": "mock-call"}
    answer.update({k.lower(): v.strip() for k, v in drawn.items()})
    for name in defaults.REQUEST_ID_HEADERS:
        if answer.get(name):
            return answer[name]
    return sent


@fuzz(150)
@given(
    headers=response_headers(time.time()),
    status=st.sampled_from([429, 429, 503, 500, 408]),
)
@example(headers={"Retry-After": "120"}, status=429)
@example(headers={"retry-after-ms": "50"}, status=429)
@example(
    headers={"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s"},
    status=429,
)
def test_wait_and_rate_limit_headers_are_obeyed_or_reported(server, run, headers, status):
    """A retryable failure, then a success: the client waits what it is asked when that is
    within ``max_retry_wait`` (and succeeds), else fails at once with the wait it was asked."""
    server.reset()
    body = {"error": {"message": "slow down", "type": "rate_limit_error"}}
    # The mock adds x-request-id and x-litellm-call-id; drawn headers replace them.
    server.enqueue(
        raw(dumps(body), status_code=status, headers=headers),
        reply("Fade in.", headers=headers),
    )
    asked = server_wait(headers, time.time())
    should = {k.lower(): v for k, v in headers.items()}.get("x-should-retry", "").lower()

    async def call():
        async with LiteLLMClient(config(server, max_retries=1)) as client:
            started = time.monotonic()
            try:
                result = await client.complete("mock-echo", USER)
            except LiteLLMError as error:
                result = error
            return result, time.monotonic() - started, client.stats

    # A spent x-ratelimit budget holds the next request until its reset (60 s at most): the
    # cap is 50 ms here, so a drawn "6m0s" costs no time (tests/client/test_limiter.py and
    # test_fuzz_parsers.py hold the uncapped pause to the headers).
    with mock.patch.object(defaults, "MAX_HEADER_PAUSE", 0.05):
        result, elapsed, stats = run(call())
    event(f"outcome: {type(result).__name__}")
    if isinstance(result, LiteLLMError):
        assert isinstance(result, APIStatusError)
        assert result.status == status
        one_sentence(result)
        assert should == "false" or (asked is not None and asked > MAX_RETRY_WAIT)
        assert len(server.chat_requests) == 1  # failed at once, without a second attempt
        if asked is not None:
            assert result.retry_after is not None
            assert math.isclose(result.retry_after, asked, abs_tol=2.0)
            assert "wait" in str(result)  # the hint says how long
        sent = server.chat_requests[0].header("x-request-id")
        assert result.request_id == first_request_id(headers, sent)
    else:
        assert result.text == "Fade in."
        assert stats.retries == 1
        assert len(server.chat_requests) == 2
        if asked is not None:
            # It waited as asked: exactly, for a number of seconds; for an HTTP date, the time
            # left when the answer came, which the time since ``asked`` was read shortens.
            relative = server_wait(headers, time.time() + 10.0) == asked
            assert elapsed >= (asked - 0.002 if relative else asked - 1.0)
        sent = server.chat_requests[1].header("x-request-id")
        assert result.request_id == first_request_id(headers, sent)
        assert result.cost is None or (math.isfinite(result.cost) and result.cost >= 0)
    assert elapsed < 5.0


# -- model lists and health ---------------------------------------------------------------------


@fuzz(80)
@given(
    body=JSON.map(dumps)
    | st.fixed_dictionaries(
        {"data": st.lists(st.fixed_dictionaries({"id": st.text(max_size=8) | JSON}) | JSON)}
    ).map(dumps)
    | completion_bodies(),
    status=st.sampled_from([200, 200, 404, 500]),
)
def test_a_model_list_of_any_shape_is_names_or_a_typed_error(server, run, body, status):
    server.reset()
    server.enqueue_for("/v1/models", raw(body, status_code=status))

    async def call():
        async with LiteLLMClient(config(server)) as client:
            try:
                return await client.list_models()
            except LiteLLMError as error:
                return error

    result = run(call())
    if isinstance(result, LiteLLMError):
        one_sentence(result)
    else:
        assert status == 200
        assert all(isinstance(name, str) for name in result)


@fuzz(60)
@given(
    body=JSON.map(dumps) | error_bodies(),
    status=st.sampled_from([200, 204, 401, 404, 500, 503]) | ERROR_STATUSES,
    ready_status=st.sampled_from([200, 404, 503]),
)
def test_health_answers_whatever_the_server_says(server, run, body, status, ready_status):
    server.reset()
    if status == 204:
        body = b""
    server.enqueue_for("/health/liveliness", raw(body, status_code=status))
    server.enqueue_for("/health/readiness", raw(b'{"status": "x"}', status_code=ready_status))

    async def call():
        async with LiteLLMClient(config(server)) as client:
            return await client.health()

    health = run(call())
    assert health.alive == (200 <= status < 300)
    assert len(health.detail) <= 200
