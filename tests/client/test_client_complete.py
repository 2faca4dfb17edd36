"""LiteLLMClient.complete() end to end against the scripted mock server: what is sent (path,
headers, body), what comes back (text, finish reason, usage, cost, ids, raw), what is refused
before sending, plus list_models(), health(), stats and the client's lifecycle."""

from __future__ import annotations

import json
import socket

import pytest

from litellm_screenwriter.client import (
    APIConnectionError,
    APIResponseValidationError,
    ClientConfig,
    Completion,
    InvalidRequestError,
    LiteLLMClient,
    LiteLLMError,
    Timeout,
    Usage,
)
from litellm_screenwriter.client import defaults as client_defaults
from tests.support.mock_server import MockServer, raw, reply, stall, status

USER = [{"role": "user", "content": "Write a logline"}]
# Nesting far past the recursion limit of the parsers, json and repr, on Python 3.11 and 3.13
# (3.13 encodes and reads 5,000 levels, and refuses 20,000).
DEEP = 100_000


def config_for(server: MockServer, **options) -> ClientConfig:
    """A fast config for ``server``: tiny backoffs, no environment proxies, no key."""
    options.setdefault("max_retries", 0)
    options.setdefault("initial_backoff", 0.001)
    options.setdefault("max_backoff", 0.005)
    options.setdefault("trust_env", False)
    return ClientConfig(base_url=server.url, **options)


@pytest.fixture(autouse=True)
def _no_key_from_env(monkeypatch):
    monkeypatch.delenv("LITELLM_API_KEY", raising=False)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the answer ---------------------------------------------------------------------------------


async def test_complete_returns_text_usage_cost_ids_and_raw(mock_server):
    mock_server.enqueue(reply("INT. KITCHEN - NIGHT", cost=0.00125, model="mock-analysis"))
    async with LiteLLMClient(config_for(mock_server)) as client:
        result = await client.complete("mock-analysis", USER)

    assert isinstance(result, Completion)
    assert result.text == "INT. KITCHEN - NIGHT"
    assert result.finish_reason == "stop"
    assert result.usage == Usage(prompt_tokens=3, completion_tokens=4, total_tokens=7)
    assert result.cost == pytest.approx(0.00125)
    assert result.model == "mock-analysis"
    assert result.raw["object"] == "chat.completion"
    assert result.raw["choices"][0]["message"]["content"] == "INT. KITCHEN - NIGHT"
    assert result.cached is False
    (sent,) = mock_server.chat_requests
    assert result.request_id == sent.header("X-Request-Id")


async def test_complete_posts_the_payload_to_v1_chat_completions(mock_server):
    async with LiteLLMClient(config_for(mock_server)) as client:
        result = await client.complete("mock-echo", USER, temperature=0.5, max_tokens=40)
    assert result.text == "Echo: Write a logline"
    (sent,) = mock_server.requests
    assert sent.method == "POST"
    assert sent.path == "/v1/chat/completions"
    assert sent.json == {
        "model": "mock-echo",
        "messages": USER,
        "temperature": 0.5,
        "max_tokens": 40,
    }
    assert "stream" not in sent.json


async def test_complete_without_usage_or_cost_leaves_them_none(mock_server):
    mock_server.enqueue(reply("Fade in.", usage=False), reply("Fade out.", finish_reason="length"))
    async with LiteLLMClient(config_for(mock_server)) as client:
        first = await client.complete("mock-echo", USER)
        second = await client.complete("mock-echo", USER)
    assert (first.usage, first.cost) == (None, None)
    assert second.finish_reason == "length"


async def test_complete_with_null_content_gives_empty_text(mock_server):
    body = (
        b'{"id": "x", "model": "m", "choices": [{"index": 0, "message": {"role": "assistant", '
        b'"content": null}, "finish_reason": "content_filter"}]}'
    )
    mock_server.enqueue(raw(body))
    async with LiteLLMClient(config_for(mock_server)) as client:
        result = await client.complete("mock-echo", USER)
    assert result.text == ""
    assert result.finish_reason == "content_filter"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<html>not json</html>", "is not JSON"),
        (b'{"choices": []}', "choices is empty"),
        (b'{"choices": [{"message": {"content": 5}}]}', "content must be string"),
        (b'{"choices": [{"message": {}, "finish_reason": "bored"}]}', "'bored'"),
        (b'{"choices": [{"message": {}, "finish_reason": ["stop"]}]}', "['stop']"),
        (
            b'{"choices": [{"message": {}}], "usage": {"prompt_tokens": 1, '
            b'"completion_tokens": 1, "total_tokens": null}}',
            "usage: {",
        ),
    ],
)
async def test_a_malformed_completion_body_is_a_validation_error(mock_server, body, expected):
    mock_server.enqueue(raw(body))
    async with LiteLLMClient(config_for(mock_server, max_retries=2)) as client:
        with pytest.raises(APIResponseValidationError) as caught:
            await client.complete("mock-echo", USER)
        assert client.stats.retries == 0  # a malformed answer is not retried
    assert expected in str(caught.value)
    assert caught.value.request_id


async def test_an_error_object_in_a_200_body_raises_the_typed_error(mock_server):
    from litellm_screenwriter.client import NotFoundError

    mock_server.enqueue(raw(b'{"error": {"message": "no such model", "code": "model_not_found"}}'))
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(NotFoundError, match="no such model"):
            await client.complete("mock-echo", USER)


# -- headers ------------------------------------------------------------------------------------


async def test_headers_with_a_key(mock_server):
    config = config_for(mock_server, api_key="sk-test-1234", extra_headers={"X-Team": "writers"})
    async with LiteLLMClient(config) as client:
        await client.complete("mock-echo", USER)
    sent = mock_server.requests[0]
    assert sent.header("Authorization") == "Bearer sk-test-1234"
    assert sent.header("User-Agent") == f"litellm-screenwriter/{client_defaults.VERSION}"
    assert client_defaults.VERSION != "0.0.0"  # read from blender_manifest.toml
    assert sent.header("Content-Type") == "application/json"
    assert sent.header("X-Team") == "writers"


async def test_no_authorization_header_at_all_without_a_key(mock_server):
    async with LiteLLMClient(config_for(mock_server)) as client:
        await client.complete("mock-echo", USER)
        await client.list_models()
    for sent in mock_server.requests:
        assert not any(name.lower() == "authorization" for name in sent.headers)
        assert sent.header("User-Agent").startswith("litellm-screenwriter/")


async def test_a_fresh_request_id_for_every_call(mock_server):
    async with LiteLLMClient(config_for(mock_server)) as client:
        results = [await client.complete("mock-echo", USER) for _ in range(3)]
    sent_ids = [r.header("X-Request-Id") for r in mock_server.requests]
    assert len(set(sent_ids)) == 3
    assert [r.request_id for r in results] == sent_ids


async def test_the_server_request_id_wins_when_it_sends_one(mock_server):
    mock_server.enqueue(reply("ok", headers={"x-request-id": "srv-42"}))
    async with LiteLLMClient(config_for(mock_server)) as client:
        result = await client.complete("mock-echo", USER)
    assert result.request_id == "srv-42"


async def test_extra_headers_replace_ours_whatever_their_case(mock_server):
    extra = {
        "authorization": "Bearer from-extra",
        "user-agent": "my-pipeline/2",
        "X-REQUEST-ID": "fixed",
        "content-type": "application/json; charset=utf-8",
    }
    config = config_for(mock_server, api_key="sk-configured", extra_headers=extra)
    async with LiteLLMClient(config) as client:
        await client.complete("mock-echo", USER)
        await client.complete("mock-echo", USER)
        await client.list_models()
        await client.health()
    first, second, models, *health = mock_server.requests

    def values(recorded, name):
        return [v for k, v in recorded.headers.items() if k.lower() == name]

    assert values(first, "authorization") == ["Bearer from-extra"]
    assert values(first, "user-agent") == ["my-pipeline/2"]
    assert values(first, "content-type") == ["application/json; charset=utf-8"]
    ids = [values(r, "x-request-id") for r in (first, second, models)]
    assert all(len(found) == 1 and found != ["fixed"] for found in ids)
    assert len({found[0] for found in ids}) == 3  # still one fresh id per call
    for get in (models, *health):
        assert values(get, "content-type") == []


async def test_a_cost_header_that_is_not_a_number_is_ignored(mock_server):
    mock_server.enqueue(
        reply("a", headers={"x-litellm-response-cost": "nan"}),
        reply("b", headers={"x-litellm-response-cost": "free"}),
        reply("c", cost=0.5),
    )
    async with LiteLLMClient(config_for(mock_server)) as client:
        costs = [(await client.complete("mock-echo", USER)).cost for _ in range(3)]
        assert client.stats.cost == pytest.approx(0.5)
    assert costs == [None, None, 0.5]


async def test_the_configured_key_reaches_a_server_that_demands_it():
    with MockServer(api_key="sk-master-9876") as server:
        async with LiteLLMClient(config_for(server, api_key="sk-master-9876")) as client:
            result = await client.complete("mock-echo", USER)
    assert result.text == "Echo: Write a logline"


@pytest.mark.parametrize(
    "options",
    [
        {"api_key": "sk-abcd\r\nX-Injected: yes"},
        {"extra_headers": {"X-Note": "one\ntwo"}},
        {"extra_headers": {"X-Bad:Name": "v"}},
        {"extra_headers": {"X-Nul": "a\0b"}},
    ],
)
async def test_a_header_that_could_split_the_request_is_refused_before_sending(
    mock_server, options
):
    async with LiteLLMClient(config_for(mock_server, max_retries=2, **options)) as client:
        with pytest.raises(InvalidRequestError) as caught:
            await client.complete("mock-echo", USER)
        with pytest.raises(InvalidRequestError):
            async with client.stream("mock-echo", USER):
                pass
        with pytest.raises(InvalidRequestError):
            await client.list_models()
        with pytest.raises(InvalidRequestError):
            await client.health()
        assert client.stats.retries == 0
    assert "line break" in str(caught.value)
    assert "X-Injected" not in str(caught.value)
    assert mock_server.requests == []


# -- local validation ---------------------------------------------------------------------------


async def refused_locally(mock_server, config, messages, params) -> str:
    """The message of the InvalidRequestError that complete() and stream() both raise for
    ``messages``/``params``, having sent nothing."""
    async with LiteLLMClient(config) as client:
        with pytest.raises(InvalidRequestError) as caught:
            await client.complete("mock-echo", messages, **params)
        with pytest.raises(InvalidRequestError):
            async with client.stream("mock-echo", messages, **params):
                pass
    assert str(caught.value).startswith("The request was not sent")
    assert mock_server.requests == []
    return str(caught.value)


@pytest.mark.parametrize(
    ("messages", "params", "expected"),
    [
        ([], {}, "messages is empty"),
        (USER, {"temperature": 3}, "temperature must be between 0 and 2, not 3"),
        ([{"role": "narrator", "content": "x"}], {}, "'narrator', which is not one of"),
        (USER, {"max_tokens": 0}, "max_tokens must be at least 1"),
        ("just a string", {}, "messages must be a list"),
        # Regression: None and a number raised TypeError ("object is not iterable").
        (
            None,
            {},
            "messages must be a list of {'role': ..., 'content': ...} objects, not NoneType",
        ),
        (7, {}, "messages must be a list of {'role': ..., 'content': ...} objects, not int"),
    ],
)
async def test_a_bad_payload_fails_locally_with_a_clear_message(
    mock_server, messages, params, expected
):
    config = config_for(mock_server, max_retries=2)
    assert expected in await refused_locally(mock_server, config, messages, params)


@pytest.mark.parametrize(
    "params",
    [
        {"seed": 1, "metadata": {"when": object()}},
        {"temperature": float("nan")},
        {"logit_bias": {"50256": float("-inf")}},
    ],
)
async def test_a_payload_that_is_not_json_is_refused(mock_server, params):
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(InvalidRequestError, match="cannot be sent as JSON"):
            await client.complete("mock-echo", USER, **params)
    assert mock_server.requests == []


def nested(depth: int) -> list:
    """A list holding a list ... ``depth`` levels deep (built without recursion)."""
    outer: list = []
    inner = outer
    for _ in range(depth):
        inner.append([])
        inner = inner[0]
    return outer


def circular() -> list:
    loop: list = []
    loop.append(loop)
    return loop


@pytest.mark.parametrize(
    ("messages", "params", "expected"),
    [
        (USER, {"stop": nested(DEEP)}, "nests lists or objects too deeply"),  # in the schema
        (USER, {"metadata": nested(DEEP)}, "nests lists or objects too deeply"),  # encoding
        (USER, {"metadata": nested(DEEP), "cache": True}, "too deeply"),  # the cache key
        (USER, {"temperature": circular()}, "temperature must be number, not list [[[["),
        (USER, {"metadata": {"loop": circular()}}, "Circular reference"),
        (USER, {"kind": ["ask"]}, "kind must be a request kind such as 'ask'"),
        # with a timeout the kind picks no profile, but the limiter and the log still read it
        (USER, {"kind": [], "timeout": Timeout()}, "kind must be a request kind such as 'ask'"),
        (USER, {"timeout": 30}, "timeout must be a Timeout(connect, first_byte, idle, total)"),
    ],
    ids=[
        "deep-stop",
        "deep-metadata",
        "deep-cache-key",
        "circular",
        "circular-meta",
        "kind",
        "kind-with-timeout",
        "t",
    ],
)
async def test_a_request_python_cannot_check_or_encode_is_refused_locally(
    mock_server, messages, params, expected
):
    # Regression: RecursionError, ValueError, TypeError or AttributeError escaped the client.
    config = config_for(mock_server, cache_enabled=True)
    assert expected in await refused_locally(mock_server, config, messages, params)


async def test_a_role_that_is_not_text_is_refused_not_crashed(mock_server):
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(InvalidRequestError, match="role"):
            await client.complete("mock-echo", [{"role": ["user"], "content": "x"}])
    assert mock_server.requests == []


async def test_an_unusual_but_valid_payload_is_sent(mock_server):
    messages = [
        {"role": "system", "content": "You are a script doctor."},
        {"role": "user", "name": "ana", "content": [{"type": "text", "text": "Hi"}]},
    ]
    async with LiteLLMClient(config_for(mock_server)) as client:
        result = await client.complete("mock-echo", messages, stop=["FADE OUT."], seed=7)
    assert result.text == "Echo: Hi"
    assert mock_server.requests[0].json["stop"] == ["FADE OUT."]


@pytest.mark.parametrize("suffix", ["/", "/v1", "/v1/", "//"])
async def test_a_base_url_with_a_trailing_slash_or_v1_works(mock_server, suffix):
    config = ClientConfig(base_url=mock_server.url + suffix, max_retries=0, trust_env=False)
    assert config.base_url == mock_server.url
    async with LiteLLMClient(config) as client:
        result = await client.complete("mock-echo", USER)
        models = await client.list_models()
    assert result.text == "Echo: Write a logline"
    assert models == ["mock-echo", "mock-analysis"]
    assert [r.path for r in mock_server.requests] == ["/v1/chat/completions", "/v1/models"]


async def test_an_invalid_base_url_is_an_invalid_request_error():
    config = ClientConfig(base_url="http://[::1", max_retries=2, trust_env=False)
    async with LiteLLMClient(config) as client:
        with pytest.raises(InvalidRequestError, match="Server URL"):
            await client.complete("mock-echo", USER)
        assert client.stats.retries == 0


# -- list_models, health ------------------------------------------------------------------------


async def test_list_models(mock_server):
    mock_server.models = ["gpt-4o-mini", "claude-sonnet"]
    async with LiteLLMClient(config_for(mock_server)) as client:
        assert await client.list_models() == ["gpt-4o-mini", "claude-sonnet"]
    (sent,) = mock_server.requests
    assert (sent.method, sent.path) == ("GET", "/v1/models")
    assert sent.header("Content-Type") is None
    assert sent.body == b""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"data": 5}', "model list is malformed"),
        (b'{"data": [{"object": "model"}]}', "model list is malformed"),
        (b'{"models": []}', "model list is malformed"),
        (b"<html>login</html>", "not JSON"),
    ],
)
async def test_a_malformed_model_list_is_a_validation_error(mock_server, body, expected):
    mock_server.enqueue_for("/v1/models", raw(body))
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(APIResponseValidationError, match=expected):
            await client.list_models()


async def test_list_models_error_status_is_typed(mock_server):
    from litellm_screenwriter.client import AuthenticationError

    mock_server.enqueue_for("/v1/models", status(401, {"error": {"message": "bad key"}}))
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(AuthenticationError, match="bad key"):
            await client.list_models()


async def test_health_alive_and_ready(mock_server):
    async with LiteLLMClient(config_for(mock_server)) as client:
        health = await client.health()
    assert health.alive is True
    assert health.ready is True
    assert health.ok
    assert health.latency_ms >= 0
    assert health.url == mock_server.url
    assert "connected" in health.detail
    assert [r.path for r in mock_server.requests] == ["/health/liveliness", "/health/readiness"]


async def test_health_not_ready():
    with MockServer(ready=False) as server:
        async with LiteLLMClient(config_for(server)) as client:
            health = await client.health()
    assert (health.alive, health.ready, health.ok) == (True, False, False)
    assert "unhealthy" in health.detail


async def test_health_ready_unknown_when_readiness_is_missing(mock_server):
    mock_server.enqueue_for("/health/readiness", status(404, {"detail": "Not Found"}))
    async with LiteLLMClient(config_for(mock_server)) as client:
        health = await client.health()
    assert (health.alive, health.ready, health.ok) == (True, None, True)


async def test_health_not_alive_skips_readiness(mock_server):
    mock_server.enqueue_for("/health/liveliness", status(500, "boom"))
    async with LiteLLMClient(config_for(mock_server)) as client:
        health = await client.health()
    assert (health.alive, health.ready, health.ok) == (False, None, False)
    assert health.detail == "boom"
    assert [r.path for r in mock_server.requests] == ["/health/liveliness"]


async def test_health_when_nothing_listens_is_a_connection_error():
    config = ClientConfig(base_url=f"http://127.0.0.1:{closed_port()}", trust_env=False)
    async with LiteLLMClient(config) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.health()
    assert "is the LiteLLM server running at http://127.0.0.1:" in str(caught.value)


async def test_health_times_out_with_the_utility_profile(mock_server):
    from litellm_screenwriter.client import APITimeoutError, Timeout

    mock_server.enqueue_for("/health/liveliness", stall(5))
    config = config_for(mock_server, timeouts={"utility": Timeout(total=0.2)})
    async with LiteLLMClient(config) as client:
        with pytest.raises(APITimeoutError, match=r"0\.2 s"):
            await client.health()


# -- stats, usage, lifecycle --------------------------------------------------------------------


async def test_usage_and_cost_add_up_across_calls(mock_server):
    mock_server.enqueue(reply("one two", cost=0.5), reply("three", cost=0.25))
    async with LiteLLMClient(config_for(mock_server)) as client:
        first = await client.complete("mock-echo", USER)
        second = await client.complete("mock-echo", USER)
        async with client.stream("mock-echo", USER) as s:
            async for _ in s:
                pass
        assert s.completion is not None
        expected = first.usage + second.usage + s.completion.usage
        assert client.usage == expected
        stats = client.stats
    assert stats.usage == expected
    assert stats.cost == pytest.approx(0.75)
    assert stats.requests == 3
    assert stats.connections_created == 1
    assert stats.connections_reused == 2
    assert stats.reuse_ratio == pytest.approx(2 / 3)


async def test_close_is_idempotent_and_a_closed_client_refuses_work(mock_server):
    client = LiteLLMClient(config_for(mock_server))
    assert client.stats.reuse_ratio == 0.0
    async with client:
        await client.complete("mock-echo", USER)
    assert client.closed
    await client.close()
    await client.close()
    with pytest.raises(LiteLLMError, match="closed"):
        await client.complete("mock-echo", USER)
    with pytest.raises(LiteLLMError, match="closed"):
        async with client.stream("mock-echo", USER):
            pass
    with pytest.raises(LiteLLMError, match="closed"):
        await client.list_models()
    with pytest.raises(LiteLLMError, match="closed"):
        await client.health()
    with pytest.raises(LiteLLMError, match="closed"):
        async with client:
            pass
    assert len(mock_server.requests) == 1


async def test_a_client_never_entered_works_and_closes(mock_server):
    client = LiteLLMClient(config_for(mock_server))
    await client.close()  # nothing opened yet
    client = LiteLLMClient(config_for(mock_server))
    try:
        assert (await client.complete("mock-echo", USER)).text.startswith("Echo")
    finally:
        await client.close()
    assert client.closed


async def test_repr_and_default_config(monkeypatch):
    monkeypatch.delenv("LITELLM_BASE_URL", raising=False)
    monkeypatch.delenv("LITELLM_PROXY_URL", raising=False)
    client = LiteLLMClient()
    assert client.config.base_url == "http://localhost:4000"
    assert repr(client) == "LiteLLMClient(base_url='http://localhost:4000', api_key=None)"
    keyed = LiteLLMClient(ClientConfig(api_key="sk-secret-value"))
    assert "sk-secret-value" not in repr(keyed)
    assert "'***'" in repr(keyed)
    await client.close()
    await keyed.close()


async def test_connection_refused_on_complete():
    config = ClientConfig(
        base_url=f"http://127.0.0.1:{closed_port()}", max_retries=0, trust_env=False
    )
    async with LiteLLMClient(config) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.complete("mock-echo", USER)
    assert caught.value.url == config.base_url
    assert "Could not talk to the LiteLLM server" in str(caught.value)


async def test_a_body_slower_than_the_total_limit_times_out(mock_server):
    from litellm_screenwriter.client import APITimeoutError, Timeout

    mock_server.enqueue(raw([b'{"choices": ', b"[]}"], delay=5))
    limits = Timeout(first_byte=5, total=0.2)
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(APITimeoutError, match="total time limit") as caught:
            await client.complete("mock-echo", USER, timeout=limits)
    assert caught.value.request_id == mock_server.requests[0].header("X-Request-Id")


async def test_an_error_status_whose_body_breaks_off_is_still_typed(mock_server):
    from aiohttp import web

    from litellm_screenwriter.client import InternalServerError
    from tests.support.mock_server import Scripted

    async def broken(request, server, recorded):
        response = web.StreamResponse(status=500, headers={"Content-Type": "text/plain"})
        response.content_length = 500
        await response.prepare(request)
        await response.write(b"partial")
        server._drop(request)
        return response

    mock_server.enqueue(Scripted(broken, "500 with a broken body"))
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(InternalServerError) as caught:
            await client.complete("mock-echo", USER)
    assert caught.value.status == 500


def test_the_package_names_its_public_api():
    import litellm_screenwriter.client as package

    assert package.LiteLLMClient is LiteLLMClient
    assert {"LiteLLMClient", "ChatStream", "RateLimitError"} <= set(dir(package))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        package.Nope  # noqa: B018


async def test_a_parameter_set_to_none_is_not_sent(mock_server):
    async with LiteLLMClient(config_for(mock_server)) as client:
        completion = await client.complete("mock-echo", USER, temperature=None, max_tokens=None)
    assert completion.text.startswith("Echo:")
    (sent,) = mock_server.chat_requests
    assert "temperature" not in sent.json
    assert "max_tokens" not in sent.json


@pytest.mark.parametrize(
    "body",
    [
        b"[" * DEEP + b"]" * DEEP,
        b'{"a":' * DEEP + b"1" + b"}" * DEEP,
        b'{"choices": [{"message": {"content": ' + b"[" * DEEP + b"]" * DEEP + b"}}]}",
    ],
    ids=["deep-array", "deep-object", "deep-content"],
)
async def test_a_200_body_of_deeply_nested_json_is_a_validation_error(mock_server, body):
    # Regression: json.loads raised RecursionError out of complete().
    mock_server.enqueue(raw(body))
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(APIResponseValidationError, match="nested too deeply") as caught:
            await client.complete("mock-echo", USER)
    assert "check that the server URL" in str(caught.value)


async def test_a_negative_cost_header_is_no_cost(mock_server):
    # Found by tests/fuzz: x-litellm-response-cost: -1 became a negative cost in the stats.
    mock_server.enqueue(reply("Cut.", headers={"x-litellm-response-cost": "-1"}))
    async with LiteLLMClient(config_for(mock_server)) as client:
        result = await client.complete("mock-echo", USER)
        assert result.cost is None
        assert client.stats.cost == 0


async def test_a_validation_error_message_stays_within_the_limit(mock_server):
    body = {"choices": [{"message": None, "finish_reason": {"x" * 400: None}}] * 3, "id": []}
    mock_server.enqueue(raw(json.dumps(body).encode()))
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(APIResponseValidationError) as caught:
            await client.complete("mock-echo", USER)
    assert len(caught.value.message) <= client_defaults.MAX_ERROR_MESSAGE_CHARS
    assert caught.value.message.startswith("choices[0].finish_reason is {'xxxx")


async def test_a_body_of_control_characters_is_quoted_within_the_message_limit(mock_server):
    # Found by make fuzz (atheris): repr() of 80 NUL bytes is 320 characters.
    mock_server.enqueue(raw(b"{" + b"\x00" * 200))
    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(APIResponseValidationError, match="is not JSON") as caught:
            await client.complete("mock-echo", USER)
    assert len(caught.value.message) == client_defaults.MAX_ERROR_MESSAGE_CHARS
    assert caught.value.message.endswith("…")


async def test_model_info_returns_litellms_json_with_the_key():
    info = {"data": [{"model_name": "mock-echo", "model_info": {"max_input_tokens": 8192}}]}
    with MockServer(api_key="sk-right", model_info=info) as server:
        async with LiteLLMClient(config_for(server, api_key="sk-right")) as client:
            assert await client.model_info() == info
    assert server.requests[0].path == "/model/info"
    assert server.requests[0].headers["Authorization"] == "Bearer sk-right"


async def test_model_info_from_a_server_without_it_is_not_found(mock_server):
    from litellm_screenwriter.client import NotFoundError

    async with LiteLLMClient(config_for(mock_server)) as client:
        with pytest.raises(NotFoundError):
            await client.model_info()
