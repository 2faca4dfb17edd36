"""Hypothesis strategies for everything the client reads or sends, hostile input included.

Each strategy mixes well-formed values (so the success paths run too) with what real servers
and broken proxies send: JSON of the wrong shape, JSON nested past the parser's limit, text
with braces that look like JSON or a Python dict and are neither, HTML pages, raw bytes, and
header values in every form a server writes them.
"""

from __future__ import annotations

import email.utils
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from litellm_screenwriter.client import defaults
from litellm_screenwriter.client.validation import schema_errors

# -- JSON values ---------------------------------------------------------------------------------

# The names the client looks up, so generated objects hit its branches, and a few others.
KEYS = st.sampled_from(
    [
        "error",
        "message",
        "detail",
        "type",
        "code",
        "param",
        "loc",
        "msg",
        "choices",
        "delta",
        "content",
        "role",
        "finish_reason",
        "index",
        "usage",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "cost",
        "id",
        "model",
        "object",
        "data",
    ]
) | st.text(max_size=8)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()  # NaN and infinities too: Python's json reads and writes them
    | st.text(max_size=30)
)

JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=16,
)


@st.composite
def deep_json(draw: st.DrawFn) -> bytes:
    """JSON nested from a few levels to far past the recursion limit, near it most often."""
    depth = draw(
        st.integers(1, 50) | st.integers(850, 1100) | st.integers(2_000, 60_000),
    )
    kind = draw(st.sampled_from(["list", "object", "detail", "error"]))
    if kind == "list":
        return b"[" * depth + b"]" * depth
    if kind == "object":
        return b'{"a":' * depth + b"1" + b"}" * depth
    if kind == "detail":
        return b'{"detail":' * depth + b'"x"' + b"}" * depth
    return b'{"error":' * depth + b'{"message":"m"}' + b"}" * depth


def dumps(value: Any, **options: Any) -> bytes:
    """JSON as a sloppy server may write it: NaN allowed, ASCII escapes or not."""
    return json.dumps(value, **options).encode("utf-8", "surrogatepass")


# -- messages inside errors ---------------------------------------------------------------------

# Pieces that have broken or could break the nested-message reader.
_HOSTILE_FRAGMENTS = [
    "{[]: 1}",
    "{{}}",
    "{set()}",
    "{{}: 2}",
    "{'a': {[]: 1}}",
    "{1: 2}",
    "{'error': {'message': 'nested'}}",
    '{"error": {"message": "inner"}}',
    "{'error': b'bytes'}",
    "{'message': 1j}",
    "(" * 300 + ")" * 300,
    "{" * 2000 + "}" * 2000,
    "[" * 5000 + "]" * 5000,
    "{1e999999: 1}",
    "{" + "'a': " * 50 + "}",
    "{'a': " * 200 + "1" + "}" * 200,
    "{\x00}",
    "}{",
    "{",
    "}",
    "litellm.RateLimitError: OpenAIException - ",
]


@st.composite
def error_messages(draw: st.DrawFn) -> str:
    """An error message: words, JSON or a Python dict inside, hostile braces, all mixed."""
    nested = JSON.map(lambda v: json.dumps(v)) | JSON.map(repr)
    parts = draw(
        st.lists(
            st.sampled_from(_HOSTILE_FRAGMENTS)
            | st.text(alphabet=st.characters(codec="utf-8"), max_size=20)
            | st.text(alphabet="{}[]():,'\" \\abc012", max_size=20)
            | nested,
            max_size=5,
        )
    )
    return "".join(parts)


ERROR_TYPES = st.sampled_from(
    [
        "invalid_request_error",
        "authentication_error",
        "auth_error",
        "permission_error",
        "not_found_error",
        "rate_limit_error",
        "insufficient_quota",
        "server_error",
        "no_db_connection",
        "throttling",
        "None",
    ]
)
ERROR_CODES = (
    st.sampled_from(["400", "401", "404", "429", "500", "503", "invalid_api_key", "None"])
    | st.integers(-1000, 1000)
    | st.text(max_size=6)
)


@st.composite
def error_objects(draw: st.DrawFn) -> Any:
    """The decoded JSON of an error body in one of the shapes servers use, or anything."""
    message = draw(error_messages())
    shape = draw(st.integers(0, 6))
    if shape == 0:  # OpenAI / LiteLLM
        fields = draw(
            st.fixed_dictionaries(
                {"message": st.just(message) | JSON},
                optional={
                    "type": ERROR_TYPES | JSON,
                    "code": ERROR_CODES | JSON,
                    "param": JSON,
                },
            )
        )
        return {"error": fields}
    if shape == 1:
        return {"error": message, "type": draw(ERROR_TYPES | JSON)}
    if shape == 2:  # FastAPI
        return {"detail": message}
    if shape == 3:
        items = st.fixed_dictionaries(
            {}, optional={"loc": st.lists(st.text(max_size=5) | st.integers()) | JSON, "msg": JSON}
        )
        return {"detail": draw(st.lists(items | JSON, max_size=3))}
    if shape == 4:
        return {"message": message, "type": draw(ERROR_TYPES | JSON)}
    if shape == 5:
        return {"detail": {"error": {"message": message}}}
    return draw(JSON)


@st.composite
def html_pages(draw: st.DrawFn) -> bytes:
    title = draw(st.text(max_size=40))
    heading = draw(st.text(max_size=40))
    form = draw(st.integers(0, 3))
    if form == 0:
        page = f"<html><head><title>{title}</title></head><body><h1>{heading}</h1></body></html>"
    elif form == 1:
        page = f"<!DOCTYPE html><HTML><BODY><H1>{heading}</H1>{title}</BODY></HTML>"
    elif form == 2:
        page = f"<title>{title}"  # never closed
    else:
        page = f"<{title}>{heading}</{title}"
    return page.encode("utf-8", "surrogatepass")


@st.composite
def error_bodies(draw: st.DrawFn) -> bytes:
    """The bytes of an error response body of any form."""
    form = draw(st.integers(0, 6))
    if form == 0:
        return dumps(draw(error_objects()), ensure_ascii=draw(st.booleans()))
    if form == 1:
        return draw(html_pages())
    if form == 2:
        return draw(error_messages()).encode("utf-8", "surrogatepass")
    if form == 3:
        return draw(deep_json())
    if form == 4:  # JSON cut short, or with a byte order mark
        whole = dumps(draw(error_objects()))
        cut = draw(st.integers(0, len(whole)))
        return draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + whole[:cut]
    if form == 5:
        return draw(st.binary(max_size=200))
    return b""


CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/problem+json",
        "text/html",
        "text/html; charset=iso-8859-1",
        "text/plain",
        "text/event-stream",
        "application/octet-stream",
        "",
    ]
) | st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)

ERROR_STATUSES = st.sampled_from([400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504])
ERROR_STATUSES |= st.integers(400, 599)

# -- completions and chunks ---------------------------------------------------------------------

FINISH = st.sampled_from(sorted(defaults.FINISH_REASONS))
TOKENS = st.integers(0, 10**6)


def _usage() -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {"prompt_tokens": TOKENS, "completion_tokens": TOKENS},
        optional={"total_tokens": TOKENS | JSON, "cost": st.floats(0, 1) | JSON},
    )


USAGE = _usage() | st.fixed_dictionaries(
    {}, optional={"prompt_tokens": JSON, "completion_tokens": JSON, "total_tokens": JSON}
)


@st.composite
def completion_objects(draw: st.DrawFn) -> Any:
    """A chat.completion object: well-formed, or with any field of the wrong shape."""
    well = draw(st.booleans())

    def field(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return good if well else good | JSON

    message = st.fixed_dictionaries(
        {"role": field(st.just("assistant")), "content": field(st.text(max_size=40) | st.none())},
        optional={"tool_calls": JSON},
    )
    choice = st.fixed_dictionaries(
        {"index": field(st.just(0)), "message": field(message)},
        optional={"finish_reason": field(FINISH | st.none())},
    )
    body = draw(
        st.fixed_dictionaries(
            {"choices": field(st.lists(choice, min_size=1, max_size=3))},
            optional={
                "id": field(st.text(max_size=10)),
                "object": field(st.just("chat.completion")),
                "model": field(st.text(max_size=10)),
                "usage": field(_usage() | st.none()) | USAGE,
                "extra": JSON,
            },
        )
    )
    if draw(st.integers(0, 9)) == 0:
        body["error"] = draw(error_objects() | JSON)
    return body


@st.composite
def completion_bodies(draw: st.DrawFn) -> bytes:
    """The bytes of a 200 answer to a chat request."""
    form = draw(st.integers(0, 5))
    if form <= 1:
        return dumps(draw(completion_objects()), ensure_ascii=draw(st.booleans()))
    if form == 2:
        return dumps(draw(JSON))
    if form == 3:
        return draw(deep_json())
    if form == 4:
        whole = dumps(draw(completion_objects()))
        return whole[: draw(st.integers(0, len(whole)))]
    return draw(st.binary(max_size=200) | error_bodies())


def carries_text(value: Any) -> bool:
    """Whether a chunk would hand text to the caller (the stream strategy's garbage must not)."""
    if type(value) is not dict or type(value.get("choices")) is not list:
        return False
    for choice in value["choices"]:
        if type(choice) is dict and choice.get("index", 0) == 0:
            delta = choice.get("delta")
            if type(delta) is dict and isinstance(delta.get("content"), str) and delta["content"]:
                return True
    return False


# -- streams ------------------------------------------------------------------------------------

SSE_SAFE_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=20
)


def text_chunk(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fuzz",
        "object": "chat.completion.chunk",
        "model": "fuzz",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
    }


@st.composite
def stream_events(draw: st.DrawFn) -> tuple[str, Any]:
    """One event of a stream as (kind, value); ``render_event`` turns it into bytes."""
    kind = draw(
        st.sampled_from(
            ["text"] * 6
            + ["finish", "usage", "done", "comment", "ping", "fields"]
            + ["error", "inline_error", "garbage", "bad_chunk", "deep"]
        )
    )
    if kind == "text":
        return kind, draw(st.text(min_size=1, max_size=12))
    if kind == "finish":
        return kind, draw(FINISH)
    if kind == "usage":
        return kind, draw(_usage())
    if kind in ("comment", "fields"):
        return kind, draw(SSE_SAFE_TEXT)
    if kind == "error":
        data = draw(
            error_objects().map(json.dumps) | error_messages() | deep_json().map(bytes.decode)
        )
        data = data.replace("\r", "").replace("\n", " ")
        return kind, "x" + data if data.startswith("[DONE]") else data
    if kind == "inline_error":
        return kind, {"error": draw(error_objects() | JSON)}
    if kind == "garbage":
        value = draw(JSON.filter(lambda v: not carries_text(v)).map(json.dumps) | SSE_SAFE_TEXT)
        return kind, "x" + value if value.startswith("[DONE]") else value
    if kind == "bad_chunk":
        wrong = draw(JSON.filter(lambda v: not isinstance(v, str) and v is not None))
        chunk = text_chunk("lost")
        where = draw(st.sampled_from(["content", "delta", "choices", "finish_reason", "usage"]))
        if where == "content":
            chunk["choices"][0]["delta"]["content"] = wrong
        elif where == "delta":
            chunk["choices"][0]["delta"] = wrong
        elif where == "choices":
            chunk["choices"] = wrong
        elif where == "finish_reason":
            chunk["choices"][0]["finish_reason"] = wrong
            chunk["choices"][0]["delta"] = {}
        else:
            chunk["usage"] = wrong
            chunk["choices"] = []
        if carries_text(chunk) or not schema_errors("chunk", chunk):
            # The wrong value happened to be right: make it wrong for sure.
            chunk = text_chunk("lost")
            chunk["choices"][0]["delta"]["content"] = [wrong]
        return kind, chunk
    if kind == "deep":
        return kind, draw(deep_json()).decode()
    return kind, None  # done, ping


# Event kinds after which the stream must fail (and no later text may reach the caller).
FAILING_KINDS = frozenset({"error", "inline_error", "bad_chunk", "deep"})


def render_event(kind: str, value: Any, *, eol: str, spaced: bool, indent: int | None) -> str:
    """One event in event-stream syntax with the given line end and ``data:`` spacing."""
    data = "data: " if spaced else "data:"

    def lines(text: str, event: str | None = None) -> str:
        head = f"event: {event}{eol}" if event else ""
        return head + "".join(f"{data}{line}{eol}" for line in text.split("\n")) + eol

    if kind == "text":
        return lines(json.dumps(text_chunk(value), indent=indent))
    if kind == "finish":
        chunk = text_chunk("")
        chunk["choices"][0].update(delta={}, finish_reason=value)
        return lines(json.dumps(chunk, indent=indent))
    if kind == "usage":
        return lines(json.dumps({"choices": [], "usage": value}, indent=indent))
    if kind == "done":
        return lines("[DONE]")
    if kind == "comment":
        return f":{value}{eol}"
    if kind == "ping":
        return lines("{}", "ping")
    if kind == "fields":
        return f"id: {value.replace(chr(0), '')}{eol}retry: 10{eol}"
    if kind == "error":
        return lines(value, "error")
    if kind in ("inline_error", "bad_chunk"):
        return lines(json.dumps(value, indent=indent))
    return lines(value)  # garbage, deep


@dataclass(frozen=True)
class Stream:
    """A generated event stream: its events, how they were written, and the bytes cut into the
    pieces the server writes one by one."""

    events: list[tuple[str, Any]]
    eol: str
    spaced: bool
    indent: int | None
    pieces: list[bytes]


@st.composite
def streams(draw: st.DrawFn) -> Stream:
    events = draw(st.lists(stream_events(), max_size=12))
    if draw(st.booleans()):  # most real streams end properly
        events += [("finish", "stop"), ("done", None)]
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    spaced = draw(st.booleans())
    indent = draw(st.sampled_from([None, None, 1]))
    body = "".join(render_event(k, v, eol=eol, spaced=spaced, indent=indent) for k, v in events)
    raw = body.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:
        raw = b"\xef\xbb\xbf" + raw
    cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=8)))
    pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    return Stream(events, eol, spaced, indent, [piece for piece in pieces if piece])


def expected_texts(events: list[tuple[str, Any]]) -> tuple[list[str], int]:
    """The text deltas in order, and how many come before the stream's end ([DONE])."""
    texts: list[str] = []
    before_done = None
    for kind, value in events:
        if kind == "done" and before_done is None:
            before_done = len(texts)
        if kind == "text":
            texts.append(value)
    return texts, len(texts) if before_done is None else before_done


# -- headers ------------------------------------------------------------------------------------

HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=24)


@st.composite
def http_dates(draw: st.DrawFn, now: float) -> str:
    offset = draw(st.sampled_from([-3600.0, -1.0, 0.0]) | st.floats(-1e6, 1e6) | st.just(1e9))
    return email.utils.formatdate(now + offset, usegmt=draw(st.booleans()))


@st.composite
def broken_dates(draw: st.DrawFn, now: float) -> str:
    """An HTTP date with one of its numbers (day, year, hour, minute, zone) out of any range."""
    parts = email.utils.formatdate(now, usegmt=True).replace(":", " : ").split(" ")
    numeric = [i for i, part in enumerate(parts) if part.isdigit()]
    where = draw(st.sampled_from(numeric))
    parts[where] = str(draw(st.integers(0, 10**4) | st.integers(10**9, 10**40)))
    text = " ".join(parts).replace(" : ", ":")
    return text.replace("GMT", draw(st.sampled_from(["GMT", "+9999", "-0000", "+99999999999"])))


def retry_after_values(now: float) -> st.SearchStrategy[str]:
    """``Retry-After`` in both forms (seconds, HTTP date), and what servers get wrong."""
    seconds = st.integers(0, 120).map(str) | st.floats(0, 0.2).map(repr)
    odd = st.sampled_from(["-1", "1e308", "inf", "nan", "", " 2 ", "0x10", "soon", "1,5"])
    return seconds | http_dates(now) | broken_dates(now) | odd | HEADER_TEXT


def reset_values() -> st.SearchStrategy[str]:
    """``x-ratelimit-reset-*``: seconds, ``6m0s``, ``250ms``, a Unix time, or junk."""
    durations = st.sampled_from(["1s", "250ms", "6m0s", "1h2m3.5s", "0.05", "20", "1.5s", "59"])
    unix = st.floats(1.7e9, 2.1e9).map(repr)
    return durations | unix | st.floats(-10, 1e12).map(repr) | HEADER_TEXT


REQUEST_ID_NAMES = list(defaults.REQUEST_ID_HEADERS)


@st.composite
def response_headers(draw: st.DrawFn, now: float) -> dict[str, str]:
    """The headers the client reads, each present or not, well-formed or not."""
    headers: dict[str, str] = {}
    if draw(st.booleans()):
        name = draw(st.sampled_from(["Retry-After", "retry-after", "RETRY-AFTER"]))
        headers[name] = draw(retry_after_values(now))
    if draw(st.booleans()):
        headers["retry-after-ms"] = draw(
            st.integers(0, 150).map(str) | st.sampled_from(["-5", "nan", "1e9"]) | HEADER_TEXT
        )
    if draw(st.integers(0, 3)) == 0:  # what LiteLLM's router sends past a deployment's rpm
        headers["llm_provider-retry-after"] = draw(retry_after_values(now))
    for kind in ("requests", "tokens"):
        if draw(st.booleans()):
            headers[f"x-ratelimit-remaining-{kind}"] = draw(
                st.sampled_from(["0", "1", "0.0", "-1", "nan", "100"]) | HEADER_TEXT
            )
        if draw(st.booleans()):
            headers[f"x-ratelimit-reset-{kind}"] = draw(reset_values())
        if draw(st.booleans()):
            headers[f"x-ratelimit-limit-{kind}"] = draw(st.integers(0, 10**6).map(str))
    for name in REQUEST_ID_NAMES:
        if draw(st.booleans()):
            headers[name] = draw(HEADER_TEXT)
    if draw(st.booleans()):
        headers[defaults.COST_HEADER] = draw(
            st.floats().map(repr) | st.sampled_from(["-1", "0", "1e-05"]) | HEADER_TEXT
        )
    if draw(st.integers(0, 4)) == 0:
        headers["x-should-retry"] = draw(st.sampled_from(["true", "false", "TRUE", "maybe"]))
    return headers


# -- request parameters -------------------------------------------------------------------------


class Unserialisable:
    """A value json cannot encode (stands for whatever a caller might pass by mistake)."""

    def __repr__(self) -> str:
        return "Unserialisable()"


ODD_VALUES = (
    st.sampled_from([float("nan"), float("inf"), -0.0, b"bytes", 10**400, (1, 2)])
    | st.builds(Unserialisable)
    | st.frozensets(st.integers(), max_size=2)
)
ANY_VALUE = JSON | ODD_VALUES

ROLES = st.sampled_from(sorted(defaults.ALLOWED_ROLES)) | st.text(max_size=8) | JSON


@st.composite
def chat_messages(draw: st.DrawFn) -> Any:
    """``messages``: a proper list most often, and anything a caller might pass instead."""
    content = (
        st.text(max_size=30)
        | st.none()
        | st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=10)}))
        | ANY_VALUE
    )
    message = st.fixed_dictionaries({"role": ROLES, "content": content}, optional={"name": JSON})
    good = st.lists(
        st.fixed_dictionaries({"role": st.just("user"), "content": st.text(max_size=30)}),
        min_size=1,
        max_size=3,
    )
    return draw(good | st.lists(message | ANY_VALUE, max_size=3) | ANY_VALUE)


PARAM_NAMES = st.sampled_from(
    [
        "temperature",
        "top_p",
        "max_tokens",
        "n",
        "stop",
        "seed",
        "stream",
        "stream_options",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "user",
        "metadata",
        "response_format",
        "tools",
        "tool_choice",
    ]
) | st.from_regex(r"[a-z_]{1,12}", fullmatch=True).filter(
    lambda name: name not in ("model", "messages", "kind", "timeout", "cache")
)

GOOD_PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "temperature": st.floats(0, 2),
        "max_tokens": st.integers(1, 4096),
        "top_p": st.floats(0, 1),
        "stop": st.lists(st.text(min_size=1, max_size=5), max_size=3),
        "seed": st.integers(0, 2**31),
        "user": st.text(max_size=10),
    },
)

PARAMS = GOOD_PARAMS | st.dictionaries(PARAM_NAMES, ANY_VALUE, max_size=4)
KINDS = st.sampled_from(["ask", "analysis", "dialogue", "utility"]) | st.text(max_size=8) | JSON


@dataclass(frozen=True)
class Call:
    """The arguments of one ``complete()`` or ``stream()`` call."""

    model: Any
    messages: Any
    params: dict[str, Any]
    kind: Any
    timeout: Any
    cache: bool | None


TIMEOUTS = st.sampled_from([None, 30, "30s", (1, 2)])
GOOD_MESSAGES = st.lists(
    st.fixed_dictionaries({"role": st.just("user"), "content": st.text(max_size=30)}),
    min_size=1,
    max_size=3,
)


@st.composite
def calls(draw: st.DrawFn) -> Call:
    """A call that is right, right but for one argument, or anything at all (a third each),
    so both the sending and the refusing paths run often."""
    from litellm_screenwriter.client import Timeout

    good = {
        "model": st.sampled_from(["mock-echo", "gpt-4o"]),
        "messages": GOOD_MESSAGES,
        "params": GOOD_PARAMS,
        "kind": st.sampled_from(["ask", "analysis", "dialogue", "utility", "unknown-kind"]),
        "timeout": st.sampled_from([None, Timeout(5, 5, 5, 10)]),
    }
    wild = {
        "model": st.text(max_size=12) | JSON,
        "messages": chat_messages(),
        "params": PARAMS,
        "kind": KINDS,
        "timeout": TIMEOUTS,
    }
    mode = draw(st.sampled_from(["good", "one-bad", "wild"]))
    bad = draw(st.sampled_from(sorted(good))) if mode == "one-bad" else None
    chosen = {
        name: draw(wild[name] if mode == "wild" or name == bad else good[name]) for name in good
    }
    return Call(cache=draw(st.none() | st.booleans()), **chosen)
