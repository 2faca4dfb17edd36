"""Error answers over real HTTP: every body shape a server in front of a model sends becomes a
typed error that reads as one sentence (status, the server's message, what to do next), and the
API key never shows: not in errors, reprs, log lines nor the JSON-lines log file, even when the
server echoes it back."""

from __future__ import annotations

import json
import logging

import pytest

from litellm_screenwriter.client import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ClientConfig,
    InternalServerError,
    LiteLLMClient,
    LiteLLMError,
    RateLimitError,
)
from tests.support.mock_server import MockServer, chunk, raw, reply, sse, status, stream

USER = [{"role": "user", "content": "Tighten act two"}]
KEY = "sk-litellm-0123456789abcdef"


def config_for(server: MockServer, **options) -> ClientConfig:
    options.setdefault("max_retries", 0)
    options.setdefault("trust_env", False)
    return ClientConfig(base_url=server.url, **options)


async def failure(server: MockServer, **options) -> LiteLLMError:
    async with LiteLLMClient(config_for(server, **options)) as client:
        with pytest.raises(LiteLLMError) as caught:
            await client.complete("mock-echo", USER)
    return caught.value


def one_sentence(error: LiteLLMError) -> str:
    text = str(error)
    assert "\n" not in text
    assert text.endswith((".", "?"))
    assert " – " in text  # lead and message, then the hint  # noqa: RUF001
    return text


async def test_openai_style_error_body(mock_server):
    body = {
        "error": {
            "message": "This model's maximum context length is 8192 tokens.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
    }
    mock_server.enqueue(status(400, body, {"x-request-id": "req-abc"}))
    error = await failure(mock_server)
    assert type(error) is BadRequestError
    assert error.status == 400
    assert error.message == "This model's maximum context length is 8192 tokens."
    assert error.type == "invalid_request_error"
    assert error.code == "context_length_exceeded"
    assert error.request_id == "req-abc"
    assert one_sentence(error) == (
        "The LiteLLM server answered 400 Bad Request: \"This model's maximum context length is "
        '8192 tokens" – shorten the text or check the request settings and model name.'  # noqa: RUF001
    )


async def test_litellm_nested_provider_error(mock_server):
    message = (
        'litellm.RateLimitError: OpenAIException - {"error": {"message": "Rate limit reached '
        'for gpt-4o in organization org-1", "type": "tokens"}}'
    )
    mock_server.enqueue(
        status(429, {"error": {"message": message, "type": "throttling", "code": "429"}})
    )
    error = await failure(mock_server)
    assert isinstance(error, RateLimitError)
    text = one_sentence(error)
    assert "429 Too Many Requests" in text
    assert "OpenAIException - Rate limit reached for gpt-4o in organization org-1" in text
    assert "{" not in text
    assert "wait a moment and try again" in text


async def test_fastapi_detail_string_and_list(mock_server):
    mock_server.enqueue(
        status(404, {"detail": "Not Found"}),
        status(
            422,
            {"detail": [{"loc": ["body", "messages"], "msg": "field required", "type": "missing"}]},
        ),
    )
    not_found = await failure(mock_server)
    assert not_found.status == 404
    assert '404 Not Found: "Not Found"' in one_sentence(not_found)
    assert "check the server URL" in str(not_found)
    invalid = await failure(mock_server)
    assert type(invalid) is APIStatusError
    assert invalid.message == "messages: field required"
    assert "422 Unprocessable Entity" in one_sentence(invalid)


async def test_html_page_from_a_reverse_proxy(mock_server):
    page = (
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
        "Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n"
    )
    mock_server.enqueue(status(502, page))
    error = await failure(mock_server)
    assert isinstance(error, InternalServerError)
    text = one_sentence(error)
    assert text.startswith('The LiteLLM server answered 502 Bad Gateway: "502 Bad Gateway (an HTML')
    assert "<" not in text


async def test_empty_error_body(mock_server):
    mock_server.enqueue(status(503))
    error = await failure(mock_server)
    assert isinstance(error, InternalServerError)
    assert error.message == ""
    assert one_sentence(error) == (
        "The LiteLLM server answered 503 Service Unavailable – the model provider failed: try "  # noqa: RUF001
        "again in a moment or pick another model."
    )


async def test_json_error_under_text_plain(mock_server):
    mock_server.enqueue(
        status(
            401, '{"error": {"message": "Invalid proxy server token"}}', content_type="text/plain"
        )
    )
    error = await failure(mock_server, api_key=KEY)
    assert isinstance(error, AuthenticationError)
    assert error.message == "Invalid proxy server token"
    assert "check the API key in the add-on preferences" in one_sentence(error)


async def test_plain_text_error_body(mock_server):
    mock_server.enqueue(status(500, "Internal Server Error\n\ntraceback hidden"))
    error = await failure(mock_server)
    assert error.message == "Internal Server Error traceback hidden"
    one_sentence(error)


async def test_a_huge_error_body_is_cut_short(mock_server):
    mock_server.enqueue(
        raw([b"x" * 40_000, b"y" * 40_000, b"z" * 40_000], "text/plain", status_code=500)
    )
    error = await failure(mock_server)
    assert isinstance(error, InternalServerError)
    assert len(error.message) <= 300
    assert error.message.startswith("xxx")


async def test_the_real_servers_401_for_a_missing_key():
    with MockServer(api_key=KEY) as server:
        error = await failure(server)
    assert isinstance(error, AuthenticationError)
    assert "Invalid proxy server token passed" in one_sentence(error)


# -- the key never leaks ------------------------------------------------------------------------


def echo_key_handlers():
    """Answers that put the key back in every place a careless server might."""
    message = {"error": {"message": f"Invalid key: {KEY}", "code": "401"}}
    return [
        status(401, message, {"x-echo": KEY}),
        status(400, f"<html><title>bad key {KEY}</title></html>"),
        raw(json.dumps({"error": {"message": f"key {KEY} over budget"}}).encode()),
        raw(f"not json {KEY}".encode()),
    ]


@pytest.mark.parametrize("index", range(4))
async def test_the_key_never_shows_in_errors_logs_or_the_log_file(
    mock_server, tmp_path, caplog, index
):
    log_file = tmp_path / "requests.jsonl"
    mock_server.enqueue(echo_key_handlers()[index])
    caplog.set_level(logging.DEBUG, logger="litellm_screenwriter.client")
    config = config_for(mock_server, api_key=KEY, log_file=str(log_file))
    async with LiteLLMClient(config) as client:
        with pytest.raises(LiteLLMError) as caught:
            await client.complete("mock-echo", USER)
        shown = [str(caught.value), repr(caught.value), repr(client), repr(client.config)]
    assert caught.value.message
    assert KEY not in " ".join(shown)
    assert "***" in str(caught.value)
    assert KEY not in caplog.text
    assert caplog.records  # something was logged at all
    assert KEY not in log_file.read_text("utf-8")
    assert mock_server.requests[0].header("Authorization") == f"Bearer {KEY}"


async def test_the_key_never_shows_in_a_stream_error_event(mock_server, caplog):
    event = sse({"error": {"message": f"Bad key {KEY}", "type": "auth_error"}}, event="error")
    mock_server.enqueue(stream([], raw_lines=[sse(chunk("Hi")), event], delay=0.02))
    caplog.set_level(logging.DEBUG, logger="litellm_screenwriter.client")
    async with LiteLLMClient(config_for(mock_server, api_key=KEY)) as client:

        async def read():
            async with client.stream("mock-echo", USER) as s:
                async for _ in s:
                    pass

        with pytest.raises(AuthenticationError) as caught:
            await read()
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value)
    assert KEY not in " ".join(str(a) for a in caught.value.args)
    assert "Bad key ***" in str(caught.value)
    assert KEY not in caplog.text


async def test_the_key_never_shows_in_debug_bodies(mock_server, caplog, tmp_path):
    mock_server.enqueue(reply(f"The key you sent is {KEY}"))
    caplog.set_level(logging.DEBUG, logger="litellm_screenwriter.client")
    async with LiteLLMClient(config_for(mock_server, api_key=KEY)) as client:
        result = await client.complete("mock-echo", [{"role": "user", "content": f"is {KEY} ok"}])
    assert KEY in result.text  # the model's own words are the caller's business
    assert "response body" in caplog.text
    assert "request body" in caplog.text
    assert KEY not in caplog.text


async def test_a_short_key_is_still_hidden_from_repr(mock_server):
    config = config_for(mock_server, api_key="abc")
    assert "abc" not in repr(config)
    assert "abc" not in repr(LiteLLMClient(config))


@pytest.fixture
def no_key_in_env(monkeypatch):
    monkeypatch.delenv("LITELLM_API_KEY", raising=False)


@pytest.mark.usefixtures("no_key_in_env")
@pytest.mark.parametrize(
    ("code", "body"),
    [
        (401, {"error": {"message": "Authentication Error, No api key passed in."}}),
        (403, {"error": {"message": "Forbidden"}}),
        (500, "Internal Server Error"),  # LiteLLM whose auth check itself failed
    ],
)
async def test_without_a_key_the_message_says_no_key_is_set(mock_server, code, body):
    mock_server.enqueue(status(code, body))
    error = await failure(mock_server)
    assert error.status == code
    assert "no API key is set" in str(error)
    assert "add-on preferences" in str(error)


@pytest.mark.usefixtures("no_key_in_env")
async def test_without_a_key_a_500_with_a_real_message_keeps_its_own_hint(mock_server):
    mock_server.enqueue(status(500, {"error": {"message": "upstream model crashed"}}))
    error = await failure(mock_server)
    assert isinstance(error, InternalServerError)
    assert "no API key" not in str(error)
    assert "upstream model crashed" in str(error)


async def test_with_a_key_a_401_keeps_the_check_the_key_hint(mock_server):
    mock_server.enqueue(status(401, {"error": {"message": "Invalid key"}}))
    error = await failure(mock_server, api_key=KEY)
    assert isinstance(error, AuthenticationError)
    assert "check the API key" in str(error)
    assert "no API key is set" not in str(error)


@pytest.mark.parametrize("message", ["{[]: 1}", "{{}}", "litellm.APIError: {'a': {[]: 2}}"])
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
async def test_braces_literal_eval_cannot_build_read_as_the_message(mock_server, message, as_json):
    # Regression: ast.literal_eval raised TypeError (unhashable type), not a LiteLLMError.
    body = {"error": {"message": message}} if as_json else message
    mock_server.enqueue(status(502, body))
    error = await failure(mock_server)
    assert type(error) is InternalServerError
    assert error.message == message
    one_sentence(error)


async def test_a_retry_after_date_too_large_for_datetime_is_no_wait(mock_server):
    # Found by make fuzz: parsedate_to_datetime raised OverflowError out of complete().
    date = "Wed, 2 Oct 2015 0" + "7" * 120 + ":0 GMT"
    mock_server.enqueue(status(429, {"error": {"message": "busy"}}, {"Retry-After": date}))
    error = await failure(mock_server)
    assert type(error) is RateLimitError
    assert error.retry_after is None
    assert "wait a moment" in one_sentence(error)
