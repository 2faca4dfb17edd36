"""The error tree, how each error reads, and turning any error body into the right error."""

from __future__ import annotations

import copy
import json
import pickle
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litellm_screenwriter.client import defaults
from litellm_screenwriter.client.error_bodies import (
    ErrorDetails,
    error_from_body,
    error_from_payload,
    parse_error_body,
)
from litellm_screenwriter.client.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    IncompleteStreamError,
    InternalServerError,
    InvalidRequestError,
    LiteLLMError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    status_error_class,
)

DASH = "\N{EN DASH}"  # joins what went wrong and what to do

STATUS_CLASSES = [
    BadRequestError,
    AuthenticationError,
    PermissionDeniedError,
    NotFoundError,
    RateLimitError,
    InternalServerError,
]
ALL_CLASSES = [
    LiteLLMError,
    APIConnectionError,
    APITimeoutError,
    APIStatusError,
    *STATUS_CLASSES,
    APIResponseValidationError,
    IncompleteStreamError,
    InvalidRequestError,
]


def make(cls: type[LiteLLMError], message: str = "boom", **kw) -> LiteLLMError:
    if issubclass(cls, APIStatusError):
        kw.setdefault("status", 418)
    return cls(message, **kw)


def assert_one_sentence(text: str) -> None:
    assert "\n" not in text
    assert "  " not in text
    assert text.endswith((".", "?"))
    assert not text.endswith(("..", "?.", ".?"))
    assert text.count(f" {DASH} ") == 1


# -- the tree ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        (APIConnectionError, LiteLLMError),
        (APITimeoutError, APIConnectionError),
        (APIStatusError, LiteLLMError),
        (BadRequestError, APIStatusError),
        (AuthenticationError, APIStatusError),
        (PermissionDeniedError, APIStatusError),
        (NotFoundError, APIStatusError),
        (RateLimitError, APIStatusError),
        (InternalServerError, APIStatusError),
        (APIResponseValidationError, LiteLLMError),
        (IncompleteStreamError, LiteLLMError),
        (InvalidRequestError, LiteLLMError),
        (LiteLLMError, Exception),
    ],
)
def test_class_tree(child: type, parent: type) -> None:
    assert issubclass(child, parent)


def test_branches_of_the_tree_do_not_overlap() -> None:
    assert not issubclass(APITimeoutError, APIStatusError)
    assert not issubclass(APIStatusError, APIConnectionError)
    assert not issubclass(APIResponseValidationError, APIStatusError)
    assert not issubclass(IncompleteStreamError, APIConnectionError)
    for a in STATUS_CLASSES:
        for b in STATUS_CLASSES:
            assert issubclass(a, b) == (a is b)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (504, InternalServerError),
        (599, InternalServerError),
        (402, APIStatusError),
        (408, APIStatusError),
        (409, APIStatusError),
        (413, APIStatusError),
        (422, APIStatusError),
        (418, APIStatusError),
    ],
)
def test_status_error_class(status: int, cls: type) -> None:
    assert status_error_class(status) is cls


def test_every_error_carries_its_fields() -> None:
    error = RateLimitError(
        "Slow down",
        status=429,
        type="rate_limit_error",
        code="429",
        request_id="req-1",
        url="http://127.0.0.1:4000/v1/chat/completions",
        retry_after=2.0,
    )
    assert (error.status, error.message, error.type, error.code) == (
        429,
        "Slow down",
        "rate_limit_error",
        "429",
    )
    assert error.request_id == "req-1"
    assert error.url == "http://127.0.0.1:4000/v1/chat/completions"
    assert error.retry_after == 2.0
    assert error.args == ("Slow down",)
    assert "status=429" in repr(error)
    assert "request_id='req-1'" in repr(error)
    assert repr(error).startswith("RateLimitError(")


def test_status_errors_require_a_status() -> None:
    with pytest.raises(TypeError):
        APIStatusError("no status")  # type: ignore[call-arg]


# -- how errors read -----------------------------------------------------------------------------


def test_401_names_the_status_the_message_and_the_api_key() -> None:
    text = str(AuthenticationError("Invalid proxy server token passed.", status=401))
    assert text == (
        f'The LiteLLM server answered 401 Unauthorized: "Invalid proxy server token passed" {DASH} '
        "check the API key in the add-on preferences."
    )
    assert_one_sentence(text)


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [(5.0, "wait 5 s"), (1.5, "wait 1.5 s"), (12.34, "wait 12 s"), (0.04, "wait 0.1 s")],
)
def test_429_with_retry_after_says_how_long_to_wait(retry_after: float, wait: str) -> None:
    text = str(RateLimitError("Rate limit exceeded", status=429, retry_after=retry_after))
    assert "429 Too Many Requests" in text
    assert '"Rate limit exceeded"' in text
    assert f"{wait} and try again." in text
    assert_one_sentence(text)


@pytest.mark.parametrize("retry_after", [None, float("nan"), float("inf"), -3.0])
def test_429_without_a_usable_retry_after_says_wait_a_moment(retry_after) -> None:
    text = str(RateLimitError("Too many", status=429, retry_after=retry_after))
    assert text.endswith("wait a moment and try again.")
    assert_one_sentence(text)


@pytest.mark.parametrize(
    ("cls", "status", "words"),
    [
        (BadRequestError, 400, ["400 Bad Request", "shorten the text"]),
        (PermissionDeniedError, 403, ["403 Forbidden", "LiteLLM admin"]),
        (NotFoundError, 404, ["404 Not Found", "pick another model", "server URL"]),
        (InternalServerError, 500, ["500 Internal Server Error", "try again"]),
        (InternalServerError, 503, ["503 Service Unavailable", "pick another model"]),
        (APIStatusError, 418, ["answered 418:", "server logs"]),
        (APIStatusError, 409, ["409 Conflict", "server logs"]),
    ],
)
def test_status_errors_read_as_one_sentence_with_a_hint(cls, status, words) -> None:
    text = str(cls("The server said no", status=status))
    for word in words:
        assert word in text
    assert '"The server said no"' in text
    assert_one_sentence(text)


def test_a_retry_after_on_any_status_error_becomes_the_hint() -> None:
    assert "wait 3 s" in str(InternalServerError("x", status=503, retry_after=3))


def test_connection_error_asks_whether_the_server_runs_at_the_url() -> None:
    text = str(APIConnectionError("Connection refused", url="http://127.0.0.1:4000"))
    assert text == (
        "Could not talk to the LiteLLM server at http://127.0.0.1:4000: "
        f'"Connection refused" {DASH} is the LiteLLM server running at http://127.0.0.1:4000?'
    )
    assert_one_sentence(text)
    text = str(APIConnectionError("Connection refused"))
    assert "running at the configured address?" in text
    assert_one_sentence(text)


def test_timeout_error_says_it_took_too_long_and_what_to_raise() -> None:
    text = str(APITimeoutError("no first byte within 60 s", url="http://h:4000"))
    assert text.startswith("The LiteLLM server at http://h:4000 took too long")
    assert "raise the timeout" in text
    assert "?" not in text
    assert_one_sentence(text)


def test_validation_incomplete_and_invalid_request_errors_read_well() -> None:
    text = str(APIResponseValidationError("choices is missing", url="http://h/v1"))
    assert text.startswith("The server's answer is not a valid chat completion")
    assert "(http://h/v1) points at a LiteLLM proxy" in text
    assert_one_sentence(text)
    assert "without" not in str(APIResponseValidationError("x"))
    text = str(IncompleteStreamError("no finish_reason"))
    assert text.startswith("The answer stopped before it was finished")
    assert "cut short" in text
    assert_one_sentence(text)
    text = str(InvalidRequestError("messages is empty"))
    assert text.startswith('The request was not sent: "messages is empty"')
    assert_one_sentence(text)


def test_base_error_reads_too() -> None:
    text = str(LiteLLMError("odd"))
    assert text == (
        f'The LiteLLM request failed: "odd" {DASH} see the LiteLLM server logs for details.'
    )


def test_an_empty_message_leaves_out_the_quotes() -> None:
    text = str(InternalServerError("", status=502))
    assert text.startswith(f"The LiteLLM server answered 502 Bad Gateway {DASH} ")
    assert '"' not in text
    assert_one_sentence(text)


def test_a_trailing_period_is_not_doubled_and_a_custom_hint_wins() -> None:
    text = str(BadRequestError("Too long.", status=400, hint="cut the scene in two."))
    assert text.endswith(f'"Too long" {DASH} cut the scene in two.')
    assert_one_sentence(text)
    assert BadRequestError("x", status=400, hint="h").hint == "h"
    assert APIConnectionError("x", hint="plug it in").hint == "plug it in"
    assert APITimeoutError("x", hint="be patient").hint == "be patient"
    assert APIResponseValidationError("x", hint="mine").hint == "mine"
    assert RateLimitError("x", status=429, retry_after=3, hint="mine").hint == "mine"


def test_a_multi_line_message_still_reads_as_one_line() -> None:
    # Regression: newlines of a server message used to go straight into str(error).
    text = str(InternalServerError("Traceback:\n  File x\n\tboom  ", status=500))
    assert '"Traceback: File x boom"' in text
    assert_one_sentence(text)
    assert InternalServerError("a\nb", status=500).message == "a\nb"  # the raw text is kept


@settings(max_examples=200, deadline=None)
@given(
    cls=st.sampled_from(ALL_CLASSES),
    message=st.text(max_size=80),
    status=st.integers(100, 999),
    retry_after=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    url=st.none() | st.just("http://127.0.0.1:4000"),
)
def test_any_error_reads_as_one_line_and_never_raises(
    cls, message: str, status: int, retry_after, url
) -> None:
    kw: dict = {"url": url}
    if issubclass(cls, APIStatusError):
        kw.update(status=status, retry_after=retry_after)
    text = str(cls(message, **kw))
    assert "\n" not in text
    assert text.endswith((".", "?"))
    assert f" {DASH} " in text


# -- pickling and copying ------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_pickle_round_trip_keeps_class_fields_and_text(cls: type[LiteLLMError]) -> None:
    kw = {"type": "t", "code": "c", "request_id": "req-9", "url": "http://h:4000", "hint": None}
    if issubclass(cls, APIStatusError):
        kw.update(status=429 if cls is RateLimitError else 418, retry_after=7.0)
    error = cls("the server's words", **kw)
    for clone in (
        pickle.loads(pickle.dumps(error)),
        copy.copy(error),
        copy.deepcopy(error),
    ):
        assert type(clone) is cls
        assert clone is not error
        assert str(clone) == str(error)
        assert repr(clone) == repr(error)
        assert clone.args == error.args
        assert vars(clone) == vars(error)


def test_pickle_keeps_a_custom_hint_and_retry_after() -> None:
    error = RateLimitError("x", status=429, retry_after=4.0, hint="go make tea")
    clone = pickle.loads(pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL))
    assert clone.hint == "go make tea"
    assert clone.retry_after == 4.0
    assert isinstance(clone, APIStatusError)


# -- parse_error_body: OpenAI and LiteLLM --------------------------------------------------------


def body(value) -> bytes:
    return json.dumps(value).encode()


def test_openai_error_body() -> None:
    details = parse_error_body(
        body(
            {
                "error": {
                    "message": "Incorrect API key provided: sk-abc***.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            }
        ),
        "application/json",
    )
    assert details == ErrorDetails(
        "Incorrect API key provided: sk-abc***.", "invalid_request_error", "invalid_api_key"
    )


def test_litellm_error_with_numeric_code_becomes_a_string_code() -> None:
    details = parse_error_body(body({"error": {"message": "m", "type": "None", "code": 429}}))
    assert details.code == "429"
    assert details.type == "None"


def test_litellm_nested_json_inside_the_message() -> None:
    inner = json.dumps({"error": {"message": "Rate limit reached for gpt-4o", "type": "tokens"}})
    details = parse_error_body(
        body(
            {
                "error": {
                    "message": f"litellm.RateLimitError: RateLimitError: OpenAIException - {inner}",
                    "type": "throttling_error",
                    "param": None,
                    "code": "429",
                }
            }
        )
    )
    assert details.message == (
        "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached for gpt-4o"
    )
    assert (details.type, details.code) == ("throttling_error", "429")


def test_litellm_python_dict_inside_the_message() -> None:
    message = (
        "litellm.BadRequestError: AnthropicException - "
        "{'type': 'error', 'error': {'type': 'invalid_request_error', "
        "'message': 'prompt is too long: 210000 tokens > 200000 maximum'}, 'extra': None}"
    )
    details = parse_error_body(body({"error": {"message": message, "code": "400"}}))
    assert details.message == (
        "litellm.BadRequestError: AnthropicException - "
        "prompt is too long: 210000 tokens > 200000 maximum"
    )


@pytest.mark.parametrize(
    ("written", "read"),
    [
        (r"cannot open C:\data\script.fountain", r"cannot open C:\data\script.fountain"),
        (r"pattern \d+ did not match", r"pattern \d+ did not match"),
        (r"octal \777 and \101", "octal \u01ff and A"),
        (r"known \\ \x41\u00e9 \'quoted\'", "known \\ A\u00e9 'quoted'"),
    ],
    ids=["windows-path", "regex", "octal", "known-escapes"],
)
def test_a_python_dict_with_escapes_python_warns_about_is_read_without_a_warning(
    written: str, read: str
) -> None:
    # Python 3.12+ printed "SyntaxWarning: invalid escape sequence" to Blender's console.
    message = f"litellm.APIError: OpenAIException - {{'error': {{'message': '{written}'}}}}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        details = parse_error_body(body({"error": {"message": message}}))
    assert details.message == f"litellm.APIError: OpenAIException - {read}"
    assert [str(w.message) for w in caught] == []


def test_doubly_nested_json_message_is_unwrapped_all_the_way() -> None:
    innermost = json.dumps({"error": {"message": "quota gone"}})
    middle = json.dumps({"error": {"message": f"VertexException - {innermost}"}})
    details = parse_error_body(body({"error": {"message": f"litellm.APIError: {middle}"}}))
    assert details.message == "litellm.APIError - VertexException - quota gone"


@pytest.mark.parametrize(
    "message",
    [
        "Invalid value {temperature} for {model}",
        "set {'a', 'b'} is not allowed",
        "dict {'no_message_here': 1}",
        "unbalanced { brace",
    ],
)
def test_braces_that_are_not_an_error_object_leave_the_message_alone(message: str) -> None:
    assert parse_error_body(body({"error": {"message": message}})).message == message


# Text that ast.literal_eval parses but cannot build (unhashable keys or members).
UNBUILDABLE_LITERALS = ["{[]: 1}", "{{}}", "litellm.APIError: {[]: 1}", "{'a': {set()}}", "{{}: 2}"]


@pytest.mark.parametrize("message", UNBUILDABLE_LITERALS)
def test_braces_literal_eval_cannot_build_leave_the_message_alone(message: str) -> None:
    # Regression: ast.literal_eval raised TypeError (unhashable type) out of the parser.
    assert parse_error_body(body({"error": {"message": message}})).message == message
    assert parse_error_body(message.encode(), "text/plain").message == message
    error = error_from_payload(message)
    assert (type(error), error.message) == (InternalServerError, message)


def test_error_as_a_plain_string_and_top_level_message() -> None:
    assert parse_error_body(body({"error": "Model not found", "type": "nf"})) == ErrorDetails(
        "Model not found", "nf"
    )
    assert parse_error_body(body({"message": "Unauthorized", "type": "auth"})) == ErrorDetails(
        "Unauthorized", "auth"
    )


def test_error_object_without_a_message_is_shown_as_json() -> None:
    details = parse_error_body(body({"error": {"type": "weird", "code": 7}}))
    assert json.loads(details.message) == {"type": "weird", "code": 7}
    assert details.code == "7"


def test_unknown_json_object_is_shown_as_json_and_empty_object_as_text() -> None:
    assert json.loads(parse_error_body(body({"status": "down"})).message) == {"status": "down"}
    assert parse_error_body(b"{}").message == "{}"


# -- parse_error_body: FastAPI -------------------------------------------------------------------


def test_fastapi_detail_string() -> None:
    assert parse_error_body(body({"detail": "Not authenticated"})) == ErrorDetails(
        "Not authenticated"
    )


def test_fastapi_validation_list_names_each_field_without_body() -> None:
    detail = [
        {"loc": ["body", "messages", 0, "role"], "msg": "field required", "type": "missing"},
        {"loc": ["body", "temperature"], "msg": "must be <= 2", "type": "value_error"},
        {"loc": ["body"], "msg": "bad body"},
        "a bare string",
    ]
    details = parse_error_body(body({"detail": detail}), "application/json")
    assert details == ErrorDetails(
        "messages.0.role: field required; temperature: must be <= 2; bad body; a bare string",
        "validation_error",
    )


@pytest.mark.parametrize("loc", [5, None, "temperature"])
def test_fastapi_validation_item_with_an_odd_loc_does_not_crash(loc) -> None:
    # Regression: a "loc" that is not a list raised TypeError out of the parser.
    details = parse_error_body(body({"detail": [{"loc": loc, "msg": "wrong"}]}))
    assert details.message.endswith("wrong")
    assert details.type == "validation_error"


def test_fastapi_detail_dict() -> None:
    assert parse_error_body(body({"detail": {"error": "Key expired"}})).message == "Key expired"
    assert parse_error_body(body({"detail": {"message": "m", "type": "t"}})) == ErrorDetails(
        "m", "t"
    )
    assert json.loads(parse_error_body(body({"detail": {"x": 1}})).message) == {"x": 1}
    assert parse_error_body(body({"detail": {}})).message == "{}"


# -- parse_error_body: HTML, text, empty ---------------------------------------------------------


NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def test_html_page_from_a_reverse_proxy_gives_its_title() -> None:
    details = parse_error_body(NGINX_502, "text/html")
    assert details == ErrorDetails("502 Bad Gateway (an HTML page, not the API)")


def test_html_page_is_recognised_without_a_content_type() -> None:
    assert parse_error_body(NGINX_502).message == "502 Bad Gateway (an HTML page, not the API)"


def test_html_without_title_uses_h1_then_the_text() -> None:
    page = b"<!DOCTYPE html><body><h1>Service &amp; <b>Gateway</b>\n down</h1></body>"
    assert parse_error_body(page).message == "Service & Gateway down (an HTML page, not the API)"
    page = b"<div>Cloudflare:\n  origin &lt;unreachable&gt;</div>"
    assert (
        parse_error_body(page, "text/html; charset=utf-8").message
        == "Cloudflare: origin <unreachable> (an HTML page, not the API)"
    )


def test_html_title_is_shortened() -> None:
    page = b"<html><title>" + b"very long title " * 50 + b"</title></html>"
    message = parse_error_body(page).message
    assert message.endswith("… (an HTML page, not the API)")
    assert len(message) < 160


@pytest.mark.parametrize("raw", [b"", b"   ", b"\r\n\t "])
def test_empty_body(raw: bytes) -> None:
    assert parse_error_body(raw, "application/json") == ErrorDetails("")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "text/html", "application/octet-stream", ""]
)
def test_json_under_a_wrong_content_type_is_still_read_as_json(content_type: str) -> None:
    raw = body({"error": {"message": "Invalid model name", "type": "invalid_request_error"}})
    details = parse_error_body(raw, content_type)
    assert details == ErrorDetails("Invalid model name", "invalid_request_error")


def test_plain_text_and_broken_json_are_shown_as_text() -> None:
    assert parse_error_body(b"Internal Server Error").message == "Internal Server Error"
    assert parse_error_body(b'{"error": {"message": ').message == '{"error": {"message":'
    assert parse_error_body(b"upstream\n  connect error").message == "upstream connect error"
    assert parse_error_body(b"bad \xff bytes").message == "bad \ufffd bytes"
    assert parse_error_body(b'"just a json string"').message == "just a json string"
    assert parse_error_body(b"[1, 2]").message == "[1, 2]"


def test_a_long_message_is_cut_to_the_limit() -> None:
    details = parse_error_body(body({"error": {"message": "word " * 500}}))
    assert len(details.message) == defaults.MAX_ERROR_MESSAGE_CHARS
    assert details.message.endswith("…")
    assert "\n" not in details.message


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"detail":' * 50_000 + b'"x"' + b"}" * 50_000,
        body({"error": {"message": "litellm.APIError: " + "[" * 100_000 + "]" * 100_000}}),
    ],
    ids=["deep-array", "deep-detail", "deep-nested-message"],
)
def test_absurdly_deep_json_does_not_crash_the_parser(raw: bytes) -> None:
    # Regression: json.loads raised RecursionError (not a ValueError) out of parse_error_body.
    details = parse_error_body(raw)
    assert isinstance(details.message, str)
    assert len(details.message) <= defaults.MAX_ERROR_MESSAGE_CHARS


@settings(max_examples=200, deadline=None)
@given(
    raw=st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(
                    st.sampled_from(["error", "message", "detail", "type", "code", "loc", "msg"]),
                    inner,
                    max_size=4,
                )
            ),
            max_leaves=12,
        ).map(lambda v: json.dumps(v).encode()),
    ),
    content_type=st.sampled_from(["", "application/json", "text/html", "text/plain"]),
)
def test_any_body_gives_a_short_single_line_message(raw: bytes, content_type: str) -> None:
    details = parse_error_body(raw, content_type)
    assert "\n" not in details.message
    assert len(details.message) <= defaults.MAX_ERROR_MESSAGE_CHARS
    assert details.type is None or isinstance(details.type, str)
    assert details.code is None or isinstance(details.code, str)


# -- error_from_body -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (404, NotFoundError),
        (502, InternalServerError),
        (422, APIStatusError),
    ],
)
def test_error_from_body_picks_the_class_and_keeps_everything(status: int, cls: type) -> None:
    error = error_from_body(
        status,
        body({"error": {"message": "Nope", "type": "some_type", "code": str(status)}}),
        "application/json",
        request_id="req-42",
        url="http://127.0.0.1:4000/v1/chat/completions",
    )
    assert type(error) is cls
    assert (error.status, error.message, error.type, error.code) == (
        status,
        "Nope",
        "some_type",
        str(status),
    )
    assert error.request_id == "req-42"
    assert error.url == "http://127.0.0.1:4000/v1/chat/completions"
    assert error.retry_after is None
    assert f"answered {status}" in str(error)
    assert '"Nope"' in str(error)


def test_error_from_body_429_with_retry_after_says_how_long() -> None:
    error = error_from_body(429, b"Too Many Requests", "text/plain", retry_after=30.0)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 30.0
    assert error.message == "Too Many Requests"
    assert "wait 30 s and try again" in str(error)


def test_error_from_body_with_an_html_page() -> None:
    error = error_from_body(502, NGINX_502, "text/html")
    assert isinstance(error, InternalServerError)
    assert "502 Bad Gateway (an HTML page, not the API)" in str(error)


def test_error_from_body_with_an_empty_body() -> None:
    error = error_from_body(503, b"")
    assert isinstance(error, InternalServerError)
    assert error.message == ""
    assert str(error).startswith(f"The LiteLLM server answered 503 Service Unavailable {DASH} ")


# -- error_from_payload (error events inside a stream) -------------------------------------------


@pytest.mark.parametrize(
    ("payload", "status", "cls"),
    [
        ({"error": {"message": "m", "code": 429}}, 429, RateLimitError),
        ({"error": {"message": "m", "code": "401"}}, 401, AuthenticationError),
        ({"error": {"message": "m", "type": "rate_limit_error"}}, 429, RateLimitError),
        ({"error": {"message": "m", "type": "Invalid_Request_Error"}}, 400, BadRequestError),
        ({"error": {"message": "m", "type": "authentication_error"}}, 401, AuthenticationError),
        ({"error": {"message": "m", "type": "permission_error"}}, 403, PermissionDeniedError),
        ({"error": {"message": "m", "type": "not_found_error"}}, 404, NotFoundError),
        ({"error": {"message": "m", "type": "server_error"}}, 500, InternalServerError),
        ({"error": {"message": "m", "type": "mystery"}}, 500, InternalServerError),
        ({"error": {"message": "m", "code": "200"}}, 500, InternalServerError),
        (
            {"error": {"message": "m", "code": "503", "type": "rate_limit_error"}},
            503,
            InternalServerError,
        ),
        # OpenAI puts the telling part in "code": a rate limit is type "requests"/"tokens".
        (
            {"error": {"message": "m", "type": "requests", "code": "rate_limit_exceeded"}},
            429,
            RateLimitError,
        ),
        (
            {"error": {"message": "m", "type": "insufficient_quota", "code": "insufficient_quota"}},
            429,
            RateLimitError,
        ),
        (
            {"error": {"message": "m", "type": "invalid_request_error", "code": "invalid_api_key"}},
            401,
            AuthenticationError,
        ),
        (
            {"error": {"message": "m", "type": "invalid_request_error", "code": "model_not_found"}},
            404,
            NotFoundError,
        ),
    ],
)
def test_error_from_payload_status_from_code_or_type(payload, status: int, cls: type) -> None:
    error = error_from_payload(payload, request_id="req-7", url="http://h/v1/chat/completions")
    assert type(error) is cls
    assert error.status == status
    assert error.message == "m"
    assert error.request_id == "req-7"
    assert error.url == "http://h/v1/chat/completions"


def test_error_from_payload_with_a_string_a_bare_object_and_junk() -> None:
    error = error_from_payload("the model crashed")
    assert (type(error), error.status, error.message) == (
        InternalServerError,
        500,
        "the model crashed",
    )
    error = error_from_payload({"message": "odd shape", "type": "rate_limit_error"})
    assert (type(error), error.message) == (RateLimitError, "odd shape")
    error = error_from_payload({})
    assert (type(error), error.message) == (InternalServerError, "")
    error = error_from_payload(["a", 1])
    assert error.message == "['a', 1]"
    assert error.status == 500
    error = error_from_payload(None)
    assert error.message == "None"


def test_error_from_payload_unwraps_litellm_nesting_and_stays_short() -> None:
    inner = json.dumps({"error": {"message": "context window exceeded"}})
    error = error_from_payload(
        {"error": {"message": f"litellm.ContextWindowExceededError: {inner}", "code": 400}}
    )
    assert isinstance(error, BadRequestError)
    assert error.message == "litellm.ContextWindowExceededError - context window exceeded"
    long = error_from_payload({"error": {"message": "x\n" * 1000}})
    assert len(long.message) == defaults.MAX_ERROR_MESSAGE_CHARS
    assert "\n" not in long.message


def test_error_from_payload_survives_deep_nesting() -> None:
    payload: dict = {"detail": "bottom"}
    for _ in range(5000):
        payload = {"detail": payload}
    error = error_from_payload(payload)
    assert isinstance(error, APIStatusError)
    assert error.status == 500


def test_litellm_without_a_key_database_reads_as_a_wrong_key():
    """LiteLLM with a master key and no database answers any other key with this 400."""
    body = (
        b'{"error": {"message": "No connected db.", "type": "no_db_connection", '
        b'"param": null, "code": "400"}}'
    )
    error = error_from_body(400, body, "application/json")
    assert isinstance(error, AuthenticationError)
    assert error.status == 400
    assert error.type == "no_db_connection"
    text = str(error)
    assert "No connected db" in text
    assert "API key in the add-on preferences" in text
    assert "shorten the text" not in text


@pytest.mark.parametrize("cls", [LiteLLMError, APIResponseValidationError, InvalidRequestError])
def test_a_message_over_the_limit_is_cut_once_for_every_error(cls: type[LiteLLMError]) -> None:
    error = cls("x" * 5000)
    assert len(error.message) == defaults.MAX_ERROR_MESSAGE_CHARS
    assert error.message.endswith("…")
    assert error.args == (error.message,)
