"""Turn whatever an error response carries into the typed error, with a readable message.

Servers in front of a model disagree on error bodies: OpenAI and LiteLLM send
``{"error": {...}}`` (LiteLLM often nests the provider's JSON inside the message string),
FastAPI sends ``{"detail": ...}``, a reverse proxy sends an HTML page, some send nothing.
"""

from __future__ import annotations

import ast
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import defaults
from .errors import APIStatusError, AuthenticationError, status_error_class
from .request_log import redact, redact_bytes

__all__ = ["ErrorDetails", "error_from_body", "error_from_payload", "parse_error_body"]

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)
_H1 = re.compile(rb"<h1[^>]*>(.*?)</h1>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")

# OpenAI error types, for error events that carry a type but no status code.
_STATUS_BY_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "auth_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "api_error": 500,
    "server_error": 500,
    "internal_server_error": 500,
}
# OpenAI error codes that name the failure better than its type does (a wrong key comes as
# type "invalid_request_error", code "invalid_api_key").
_STATUS_BY_CODE = {
    **_STATUS_BY_TYPE,
    "invalid_api_key": 401,
    "model_not_found": 404,
    "context_length_exceeded": 400,
}
# Malformed or hostile bodies may nest deeper than the parser's recursion limit.
_UNPARSABLE = (ValueError, RecursionError)
# A backslash and what follows it, read left to right as Python's string parser does.
_ESCAPE = re.compile(r"\\([0-7]{1,3}|.)", re.S)
_STRING_ESCAPES = frozenset("\n\\'\"abfnrtvxNuU")
# What ``ast.literal_eval`` raises for text it cannot read, as its documentation lists it:
# ``{[]: 1}`` or ``{{}}`` parse, then fail as unhashable keys or members with TypeError.
_NOT_A_LITERAL = (ValueError, TypeError, SyntaxError, MemoryError, RecursionError)


# Error types that mean "this key is not accepted", whatever status came with them.
_KEY_PROBLEM_TYPES = frozenset({"no_db_connection"})
_NO_DB_HINT = (
    "this LiteLLM proxy has no key database, so it accepts only its master key: check the API "
    "key in the add-on preferences"
)
_NO_KEY_HINT = (
    "no API key is set: if your LiteLLM proxy needs one (most do), set it in the add-on preferences"
)


def _may_want_a_key(status: int, message: str) -> bool:
    """Whether a refusal of a request sent without a key may be the missing key speaking:
    401/403, or a bare 500 (a LiteLLM proxy whose auth check itself fails answers so)."""
    if status in (401, 403):
        return True
    bare = message.strip().rstrip(".").lower() in ("", "internal server error")
    return status == 500 and bare


@dataclass(frozen=True)
class ErrorDetails:
    """What could be read out of an error body."""

    message: str
    type: str | None = None
    code: str | None = None


def _one_line(text: str, limit: int = defaults.MAX_ERROR_MESSAGE_CHARS) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _inner_message(value: Any) -> str | None:
    """The innermost human message of a decoded JSON error value."""
    for _ in range(5):
        if isinstance(value, Mapping):
            if "error" in value:
                value = value["error"]
                continue
            if "message" in value:
                value = value["message"]
                continue
            if "detail" in value:
                value = value["detail"]
                continue
            return None
        break
    return value if isinstance(value, str) else None


def readable_message(message: str) -> str:
    """Replace JSON nested inside a LiteLLM message string by the message it carries.

    ``litellm.RateLimitError: OpenAIException - {"error": {"message": "Slow down"}}`` reads
    ``litellm.RateLimitError: OpenAIException - Slow down``.
    """
    start = message.find("{")
    end = message.rfind("}")
    if start < 0 or end <= start:
        return message
    nested = message[start : end + 1]
    try:
        inner = _inner_message(json.loads(nested))
    except _UNPARSABLE:
        try:  # LiteLLM sometimes prints the provider's error as a Python dict
            inner = _inner_message(ast.literal_eval(_valid_escapes(nested)))
        except _NOT_A_LITERAL:
            inner = None
    if inner is None:
        return message
    inner = readable_message(inner)
    prefix = message[:start].rstrip(" -:")
    return f"{prefix} - {inner}" if prefix else inner


def _valid_escapes(source: str) -> str:
    """``source`` with each string escape Python warns about rewritten as one it reads to the
    same characters: ``C:\\data`` or ``\\d+`` with the backslash doubled, ``\\777`` as
    ``\\u01ff``. Python 3.12+ prints a SyntaxWarning to the console for each, from any thread;
    silencing it with ``warnings.catch_warnings`` is not thread-safe before Python 3.14."""
    if "\\" not in source:
        return source
    return _ESCAPE.sub(_valid_escape, source)


def _valid_escape(match: re.Match[str]) -> str:
    escaped = match[1]
    if escaped[0] in "01234567":
        code = int(escaped, 8)
        return match[0] if code <= 0o377 else f"\\u{code:04x}"
    return match[0] if escaped in _STRING_ESCAPES else "\\" + match[0]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


def _from_json(data: Any) -> ErrorDetails | None:
    if isinstance(data, Mapping):
        error = data.get("error")
        if isinstance(error, Mapping):
            message = _inner_message(error) or json.dumps(error)
            return ErrorDetails(
                readable_message(message), _text(error.get("type")), _text(error.get("code"))
            )
        if isinstance(error, str):
            return ErrorDetails(readable_message(error), _text(data.get("type")))
        detail = data.get("detail")
        if isinstance(detail, str):
            return ErrorDetails(readable_message(detail))
        if isinstance(detail, list):  # FastAPI validation errors
            parts = []
            for item in detail:
                if isinstance(item, Mapping):
                    loc = item.get("loc")
                    if not isinstance(loc, list | tuple):
                        loc = () if loc is None else (loc,)
                    where = ".".join(str(p) for p in loc if p != "body")
                    msg = str(item.get("msg", ""))
                    parts.append(f"{where}: {msg}" if where else msg)
                else:
                    parts.append(str(item))
            return ErrorDetails("; ".join(parts), "validation_error")
        if isinstance(detail, Mapping):
            found = _from_json(detail)
            return found or ErrorDetails(json.dumps(detail))
        if isinstance(data.get("message"), str):
            return ErrorDetails(readable_message(data["message"]), _text(data.get("type")))
        return ErrorDetails(json.dumps(data)) if data else None
    if isinstance(data, str):
        return ErrorDetails(readable_message(data))
    return None


def parse_error_body(body: bytes, content_type: str = "") -> ErrorDetails:
    """Read the message (and type and code) out of an error body of any form."""
    stripped = body.strip()
    if not stripped:
        return ErrorDetails("")
    if stripped[:1] in b'{["':  # JSON, whatever the Content-Type says
        try:
            found = _from_json(json.loads(stripped))
        except _UNPARSABLE:
            found = None
        if found is not None:
            return ErrorDetails(_one_line(found.message), found.type, found.code)
    if b"<html" in stripped[:512].lower() or "html" in content_type or stripped[:1] == b"<":
        match = _TITLE.search(stripped) or _H1.search(stripped)
        if match:
            title = html.unescape(_TAG.sub(" ", match.group(1).decode("utf-8", "replace")))
        else:
            title = html.unescape(_TAG.sub(" ", stripped.decode("utf-8", "replace")))
        return ErrorDetails(_one_line(f"{_one_line(title, 120)} (an HTML page, not the API)"))
    return ErrorDetails(_one_line(stripped.decode("utf-8", "replace")))


def _status_of(code: str | None, type_: str | None, fallback: int) -> int:
    if code is not None and code.isdigit() and 400 <= int(code) <= 599:
        return int(code)
    if code is not None and code.lower() in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[code.lower()]
    if type_ is not None and type_.lower() in _STATUS_BY_TYPE:
        return _STATUS_BY_TYPE[type_.lower()]
    return fallback


def error_from_body(
    status: int,
    body: bytes,
    content_type: str = "",
    *,
    request_id: str | None = None,
    url: str | None = None,
    retry_after: float | None = None,
    headers: Mapping[str, str] | None = None,
    keyless: bool = False,
    secrets: tuple[str, ...] = (),
) -> APIStatusError:
    """The typed error for an HTTP error response, complete: its message (``secrets`` masked
    in it and in the kept ``body``), the response ``headers``, ``retry_after`` and the hint.
    ``keyless`` says the request went without an API key: a refusal then says so."""
    details = parse_error_body(body, content_type)
    message = redact(details.message, secrets)
    cls = status_error_class(status)
    hint = None
    if (details.type or "").lower() in _KEY_PROBLEM_TYPES:
        # LiteLLM without a key database answers any key but its master key with 400
        # "No connected db.": for the screenwriter that is a wrong key, not a bad request.
        cls, hint = AuthenticationError, _NO_DB_HINT
    elif keyless and _may_want_a_key(status, message):
        hint = _NO_KEY_HINT
    return cls(
        message,
        status=status,
        type=details.type,
        code=details.code,
        request_id=request_id,
        url=url,
        retry_after=retry_after,
        headers=headers,
        body=redact_bytes(body, secrets),
        hint=hint,
    )


def error_from_payload(
    payload: Any,
    *,
    request_id: str | None = None,
    url: str | None = None,
    secrets: tuple[str, ...] = (),
) -> APIStatusError:
    """The typed error for an error event inside a stream (``{"error": {...}}`` or a string),
    ``secrets`` masked in its message; ``body`` keeps the event as decoded.

    The HTTP status was 200, so the status comes from the error's ``code`` or ``type``; an
    error without either counts as a server failure (500).
    """
    try:
        details = _from_json(payload if isinstance(payload, Mapping | str) else str(payload))
    except RecursionError:
        details = None
    details = details or ErrorDetails("")
    status = _status_of(details.code, details.type, 500)
    return status_error_class(status)(
        redact(_one_line(details.message), secrets),
        status=status,
        type=details.type,
        code=details.code,
        request_id=request_id,
        url=url,
        body=payload,
    )
