"""The pure parsers, fed hostile input directly: error bodies and payloads, nested messages,
the event-stream decoder, the wait and rate-limit headers, the retry decision, the quick
shape checks and saved conversations. None may raise anything but what it documents."""

from __future__ import annotations

import ast
import email.utils
import json
import math
import warnings

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from litellm_screenwriter.client import Conversation, defaults, json_codec
from litellm_screenwriter.client.error_bodies import (
    _valid_escapes,
    error_from_body,
    error_from_payload,
    parse_error_body,
    readable_message,
)
from litellm_screenwriter.client.errors import (
    APIStatusError,
    AuthenticationError,
    status_error_class,
)
from litellm_screenwriter.client.limiter import parse_reset, pause_from_headers
from litellm_screenwriter.client.quick_checks import (
    chunk_is_well_formed,
    completion_is_well_formed,
    request_is_well_formed,
)
from litellm_screenwriter.client.retry_policy import RetryPolicy, decide_retry, server_wait
from litellm_screenwriter.client.sse import SSEDecoder
from litellm_screenwriter.client.validation import schema_errors
from tests.fuzz.conftest import fuzz
from tests.fuzz.strategies import (
    CONTENT_TYPES,
    ERROR_STATUSES,
    HEADER_TEXT,
    JSON,
    completion_objects,
    error_bodies,
    error_messages,
    error_objects,
    render_event,
    response_headers,
    retry_after_values,
    stream_events,
    streams,
)

NOW = 1_750_000_000.0  # a fixed wall clock for the date forms
LIMIT = defaults.MAX_ERROR_MESSAGE_CHARS


def reads_as_one_line(error: APIStatusError) -> None:
    text = str(error)
    assert "\n" not in text
    assert text.endswith((".", "?"))


# -- error bodies -------------------------------------------------------------------------------


@fuzz(300)
@given(body=error_bodies(), content_type=CONTENT_TYPES, status=ERROR_STATUSES)
@example(body=b'{"error": {"message": "{[]: 1}"}}', content_type="", status=500)
@example(body=b'{"error": "x {{}} y"}', content_type="", status=429)
@example(body=b"[" * 100_000 + b"]" * 100_000, content_type="application/json", status=502)
def test_any_error_body_gives_the_status_class_and_a_short_message(body, content_type, status):
    error = error_from_body(status, body, content_type, request_id="r", url="http://h")
    assert error.status == status
    if error.type == "no_db_connection":
        assert type(error) is AuthenticationError
    else:
        assert type(error) is status_error_class(status)
    assert "\n" not in error.message
    assert len(error.message) <= LIMIT
    assert error.type is None or isinstance(error.type, str)
    assert error.code is None or isinstance(error.code, str)
    reads_as_one_line(error)


@fuzz(200)
@given(payload=error_objects() | JSON | error_messages())
@example(payload="{[]: 1}")
@example(payload={"error": {"message": "{{}}", "code": "429"}})
def test_any_error_event_payload_gives_a_status_error(payload):
    error = error_from_payload(payload, request_id="r")
    assert isinstance(error, APIStatusError)
    assert 400 <= error.status <= 599
    assert type(error) is status_error_class(error.status)
    assert len(error.message) <= LIMIT
    reads_as_one_line(error)


@fuzz(300)
@given(message=error_messages())
def test_readable_message_never_raises_and_keeps_plain_text(message):
    result = readable_message(message)
    assert isinstance(result, str)
    if "{" not in message:
        assert result == message


def literal_eval_quietly(source: str) -> tuple[object, list[str]]:
    """What ``ast.literal_eval`` reads of ``source`` (or the exception type) and its warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value: object = ast.literal_eval(source)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as error:
            value = type(error)
    return value, [str(w.message) for w in caught]


@fuzz(300)
@given(inside=st.text(alphabet=st.sampled_from("\\\\\\01234789abdfnNrtuUvx{}'\"\n é")))
@example(inside="C:\\data \\d+ \\777 \\8")
def test_escapes_python_warns_about_are_rewritten_to_read_the_same(inside):
    source = f"{{'message': '{inside}'}}"
    before, _ = literal_eval_quietly(source)
    after, warned = literal_eval_quietly(_valid_escapes(source))
    assert warned == []
    if not isinstance(before, type):  # Python could read it: the same characters come out
        assert after == before


@fuzz(100)
@given(body=error_bodies(), content_type=CONTENT_TYPES)
def test_parse_error_body_is_a_pure_function(body, content_type):
    assert parse_error_body(body, content_type) == parse_error_body(body, content_type)


# -- the event-stream decoder -------------------------------------------------------------------


def decode(pieces: list[bytes]) -> list[tuple[str, str]]:
    decoder = SSEDecoder()
    events = []
    for piece in pieces:
        events += [(e.event, e.data) for e in decoder.feed(piece)]
    decoder.close()
    return events


@fuzz(300)
@given(stream=streams())
def test_the_decoder_gives_every_event_whatever_the_line_ends_and_cuts(stream):
    wanted = []
    for kind, value in stream.events:  # each event alone, LF line ends, in one piece
        one = render_event(kind, value, eol="\n", spaced=stream.spaced, indent=stream.indent)
        wanted += decode([one.encode()])
    assert decode(stream.pieces) == wanted


@fuzz(200)
@given(raw=st.binary(max_size=400), cuts=st.lists(st.integers(0, 400), max_size=10))
def test_the_decoder_takes_any_bytes_cut_anywhere(raw, cuts):
    points = sorted(c for c in cuts if c <= len(raw))
    pieces = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    assert decode(pieces) == decode([raw])


@fuzz(100)
@given(event=stream_events(), eol=st.sampled_from(["\n", "\r\n", "\r"]))
def test_a_lone_event_decodes_to_its_data(event, eol):
    kind, value = event
    if kind in ("comment", "fields"):
        return  # no event of their own: covered by the whole-stream property
    decoded = decode([render_event(kind, value, eol=eol, spaced=False, indent=None).encode()])
    assert len(decoded) == 1


# -- headers ------------------------------------------------------------------------------------


@fuzz(300)
@given(headers=response_headers(NOW))
def test_server_wait_is_none_or_a_finite_non_negative_number(headers):
    wait = server_wait(headers, NOW)
    assert wait is None or (math.isfinite(wait) and wait >= 0)


@fuzz(200)
@given(seconds=st.integers(0, 10**6))
def test_retry_after_in_seconds_is_read_as_seconds(seconds):
    assert server_wait({"Retry-After": str(seconds)}, NOW) == seconds
    assert server_wait({"retry-after-ms": str(seconds)}, NOW) == seconds / 1000


@fuzz(200)
@given(offset=st.integers(-(10**6), 10**6), gmt=st.booleans())
def test_retry_after_as_an_http_date_is_the_time_left(offset, gmt):
    date = email.utils.formatdate(NOW + offset, usegmt=gmt)
    assert server_wait({"retry-after": date}, NOW) == max(0, offset)


@fuzz(200)
@given(value=retry_after_values(NOW), ms=HEADER_TEXT)
def test_a_valid_retry_after_ms_wins_over_retry_after(value, ms):
    headers = {"Retry-After": value, "retry-after-ms": ms}
    wait = server_wait(headers, NOW)
    try:
        millis = float(ms)
    except ValueError:
        millis = None
    if millis is not None and math.isfinite(millis) and millis >= 0:
        assert wait == millis / 1000
    else:
        assert wait == server_wait({"Retry-After": value}, NOW)


@fuzz(300)
@given(headers=response_headers(NOW))
def test_the_rate_limit_pause_is_finite_and_capped(headers):
    pause = pause_from_headers(headers, NOW)
    assert 0 <= pause <= defaults.MAX_HEADER_PAUSE


@fuzz(200)
@given(value=HEADER_TEXT | st.floats().map(repr))
def test_parse_reset_is_none_or_a_finite_non_negative_number(value):
    seconds = parse_reset(value, NOW)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("20", 20), ("1.5", 1.5), ("6m0s", 360), ("1s", 1), ("250ms", 0.25), ("1h2m3s", 3723)],
)
def test_parse_reset_reads_every_form_providers_send(value, seconds):
    assert parse_reset(value, NOW) == pytest.approx(seconds)
    assert parse_reset(repr(NOW + seconds), NOW) == pytest.approx(seconds)


@fuzz(300)
@given(
    headers=response_headers(NOW),
    status=st.none() | ERROR_STATUSES,
    attempt=st.integers(0, 10**6),
    random=st.floats(-1, 2),
    max_retry_wait=st.floats(0, 100),
)
def test_the_retry_decision_is_always_a_finite_bounded_wait(
    headers, status, attempt, random, max_retry_wait
):
    policy = RetryPolicy(max_retries=3, max_retry_wait=max_retry_wait)
    decision = decide_retry(
        policy,
        attempt,
        status=status,
        headers=headers,
        connection_error=status is None,
        now=NOW,
        random=random,
    )
    assert math.isfinite(decision.delay)
    assert 0 <= decision.delay <= max(policy.max_backoff, max_retry_wait)
    if decision.retry:
        assert attempt < policy.max_retries


# -- whole JSON bodies ----------------------------------------------------------------------------


def _outcome(function, value):
    """What a call gave: its value, or the type and the words of what it raised."""
    try:
        return "ok", function(value)
    except (TypeError, ValueError, RecursionError) as error:
        return "error", type(error), str(error)


def _stdlib_dumps(value):
    return json.dumps(value, allow_nan=False).encode()


@fuzz(400)
@given(
    raw=st.binary(max_size=64)
    | JSON.map(lambda value: json.dumps(value, ensure_ascii=False).encode())
    | st.text(max_size=40).map(lambda text: json.dumps({"t": text}).encode("utf-16-le"))
    | st.text(max_size=40).map(lambda text: ("{" + text).encode("utf-8", "surrogatepass"))
)
@example(raw=b"{")
@example(raw=b"{\x00")
@example(raw=b'{"a": "\xed\xa0\x80"}')  # a lone surrogate, UTF-8 encoded
@example(raw='{"a": 1}'.encode("utf-16-le"))
@example(raw=b'\xef\xbb\xbf{"a": 1}')  # UTF-8 with a BOM
@example(raw=b'{"a": "\xff"}')  # not UTF-8
@example(raw=b'{"a": 1} ')  # whitespace after the object
@example(raw=b'{"a": 1}{"b": 2}')  # extra data
@example(raw=b"{" * 100_000)  # deeper than the parser's recursion limit
def test_the_body_decoder_is_json_loads(raw):
    """json_codec.loads skips json.loads' encoding guess and its whitespace regexes for a body
    that can only be UTF-8: it must give the same value, or fail with the same exception and
    the same words, for any bytes."""
    assert _outcome(json_codec.loads, raw) == _outcome(json.loads, raw)


@fuzz(300)
@given(text=st.text(max_size=40).map(lambda text: "{" + text) | JSON.map(json.dumps))
@example(text="{")
@example(text='{"a": [1, 2.5, null, true]}\n')
@example(text='{"a": 1}x')
@example(text="\ufeff{}")  # a BOM: json.loads refuses it in its own words
@example(text='{"a": NaN, "b": -Infinity}')
def test_the_event_decoder_is_json_loads(text):
    assert _outcome(json_codec.loads_text, text) == _outcome(json.loads, text)


def _circular() -> list:
    loop: list = []
    loop.append(loop)
    return loop


@fuzz(300)
@given(
    value=JSON
    | st.dictionaries(st.text(max_size=5), st.floats() | st.text() | st.none(), max_size=4)
    | st.lists(st.sampled_from([math.nan, math.inf, b"bytes", {1, 2}, object()]), max_size=3)
)
@example(value={"metadata": {"loop": _circular()}})
@example(value={"a": [[[[]]]], "é": "\U0001f3ac \u201ccurly\u201d \u05e9\u05dc\u05d5\u05dd"})
@example(value="a bare string")
@example(value={1: "int key", None: "null key", 2.5: "float key"})
def test_the_request_encoder_is_json_dumps(value):
    """json_codec.dumps is json.dumps(allow_nan=False) for any value, failures included."""
    assert _outcome(json_codec.dumps, value) == _outcome(_stdlib_dumps, value)


def test_the_request_encoder_recovers_from_every_kind_of_failure():
    """A failed encode leaves the ids of the lists and dicts it was inside in the encoder's
    circular-reference markers. The request fixed and sent again (the same dict) must not be
    refused as circular."""
    request = {"messages": [{"role": "user", "content": "Hi"}], "metadata": {}}
    for bad in (object(), math.nan, _circular(), b"bytes"):
        request["metadata"] = {"tags": [bad]}
        with pytest.raises((TypeError, ValueError)):
            json_codec.dumps(request)
        request["metadata"] = {"tags": ["fixed"]}
        assert json_codec.dumps(request) == _stdlib_dumps(request)
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    request["metadata"] = {"tags": deep}
    with pytest.raises(RecursionError):
        json_codec.dumps(request)
    request["metadata"] = {}
    assert json_codec.dumps(request) == _stdlib_dumps(request)


def test_each_thread_encodes_with_its_own_markers():
    """The worker thread, the main thread and the CLI may encode at once. A shared markers
    dict would let one encode see another's ids (a value called circular) or clear them: the
    C encoder and its markers must be each thread's own."""
    import threading

    seen = {}

    def record() -> None:
        json_codec.dumps({"a": 1})
        local = json_codec._thread_encoder
        seen[threading.current_thread().name] = (local.encode, local.markers)

    record()
    thread = threading.Thread(target=record, name="other")
    thread.start()
    thread.join()
    (mine, my_markers), (theirs, their_markers) = seen["MainThread"], seen["other"]
    assert mine is not theirs
    assert my_markers is not their_markers


# -- shape checks against the schemas -----------------------------------------------------------


@fuzz(300)
@given(body=completion_objects() | JSON)
def test_the_quick_completion_check_never_accepts_what_the_schema_refuses(body):
    if completion_is_well_formed(body):
        assert schema_errors("completion", body) == []


@fuzz(300)
@given(event=stream_events())
def test_the_quick_chunk_check_never_accepts_what_the_schema_refuses(event):
    rendered = render_event(*event, eol="\n", spaced=True, indent=None).encode()
    for _name, data in decode([rendered]):
        try:
            chunk = json.loads(data)
        except (ValueError, RecursionError):
            continue  # not JSON: the stream fails before any shape check
        if chunk_is_well_formed(chunk):
            assert schema_errors("chunk", chunk) == []


@fuzz(200)
@given(payload=st.dictionaries(st.sampled_from(["model", "messages", "temperature"]), JSON))
def test_the_quick_request_check_never_accepts_what_the_schema_refuses(payload):
    if request_is_well_formed(payload):
        assert schema_errors("request", payload) == []


# -- saved conversations ------------------------------------------------------------------------


@fuzz(200)
@given(
    text=JSON.map(json.dumps)
    | st.fixed_dictionaries({"version": st.just(1) | JSON, "messages": JSON}).map(json.dumps)
    | st.text(max_size=50)
    | st.integers(1, 60_000).map(lambda d: "[" * d + "]" * d)
)
@example(text='{"version": 1, "messages": ' + "[" * 100_000 + "]" * 100_000 + "}")
@example(text='{"version":1,"messages":[{"role":[]}]}')  # an unhashable role: was a TypeError
def test_a_saved_conversation_loads_or_raises_value_error(text):
    try:
        conversation = Conversation.from_json(text)
    except ValueError as error:
        message = str(error)
        assert message.startswith(("a saved conversation", "unsupported saved", "invalid saved"))
    else:
        assert Conversation.from_json(conversation.to_json()) == conversation
