"""The exceptions the client raises, named after what a caller can do about them.

Every error carries ``status``, ``message`` (the server's own words), ``type``, ``code`` and
``request_id``; a status error also the response's ``headers`` and ``body`` and the
``retry_after`` the server asked for. Each error is built once, complete (``error_mapping.py``
builds the client's), and never changed afterwards: ``hint`` is fixed when it is made, and
``str(error)`` is one sentence with the status, that message and what to do next. The tree::

    LiteLLMError
     ├── APIConnectionError            the server could not be reached, or the line dropped
     │    └── APITimeoutError          a connect / first-byte / idle / total limit ran out
     ├── APIStatusError                the server answered with an error status (other codes)
     │    ├── BadRequestError          400
     │    ├── AuthenticationError      401
     │    ├── PermissionDeniedError    403
     │    ├── NotFoundError            404
     │    ├── RateLimitError           429 (``retry_after`` in seconds, when known)
     │    └── InternalServerError      >= 500
     ├── APIResponseValidationError    the answer is not OpenAI-shaped (breaks the schema)
     ├── IncompleteStreamError         a stream ended before its finish_reason or [DONE]
     └── InvalidRequestError           refused locally, before sending (bad payload or header)
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from . import defaults

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "IncompleteStreamError",
    "InternalServerError",
    "InvalidRequestError",
    "LiteLLMError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "status_error_class",
]


# The words of an InvalidRequestError for a request nested past Python's recursion limit.
TOO_DEEP = "the request nests lists or objects too deeply to be checked or sent"


def _seconds(value: float) -> str:
    if 0 < value < 0.1:  # "wait 0.0 s" would read as "no need to wait"
        return "0.1"
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


class LiteLLMError(Exception):
    """Base of every error the client raises."""

    message: str
    """The server's own words (or the client's, when no answer came), as received."""
    status: int | None
    """The HTTP status, or the status an error event in a stream stands for."""
    type: str | None
    """The server's error type (``"rate_limit_error"``), when it sent one."""
    code: str | None
    """The server's error code (``"invalid_api_key"``), when it sent one."""
    request_id: str | None
    """The server's request id for this request, else the one the client sent."""
    url: str | None
    """The server URL the request went to."""
    hint: str
    """What the screenwriter can do next (fixed when the error is made)."""

    default_hint = "see the LiteLLM server logs for details"

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        type: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
        url: str | None = None,
        hint: str | None = None,
    ) -> None:
        limit = defaults.MAX_ERROR_MESSAGE_CHARS
        if len(message) > limit:  # a line in a panel, not a page (a quoted body may be huge)
            message = message[: limit - 1] + "…"
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.request_id = request_id
        self.url = url
        self.hint = hint or self._default_hint()

    def _default_hint(self) -> str:
        return self.default_hint

    def _lead(self) -> str:
        return "The LiteLLM request failed"

    def __str__(self) -> str:
        message = _one_line(self.message).rstrip(".")
        lead = self._lead()
        body = f'{lead}: "{message}"' if message else lead
        hint = _one_line(self.hint).rstrip(".")
        end = "" if hint.endswith("?") else "."
        return f"{body} – {hint}{end}"  # noqa: RUF001 (an en dash, on purpose)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, message={self.message!r}, "
            f"type={self.type!r}, code={self.code!r}, request_id={self.request_id!r})"
        )

    def __reduce__(self):  # keep the keyword fields when pickled or copied
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[LiteLLMError], message: str, state: dict) -> LiteLLMError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class APIConnectionError(LiteLLMError):
    """The server could not be reached, or the connection broke before the answer was whole."""

    tls: bool
    """True when the TLS handshake failed or the certificate was refused (then the same
    request fails the same way again, so it is not retried)."""

    def __init__(self, message: str = "", *, tls: bool = False, **kw) -> None:
        self.tls = tls
        super().__init__(message, **kw)

    def _lead(self) -> str:
        where = f" at {self.url}" if self.url else ""
        return f"Could not talk to the LiteLLM server{where}"

    def _default_hint(self) -> str:
        where = self.url or "the configured address"
        return f"is the LiteLLM server running at {where}?"


class APITimeoutError(APIConnectionError):
    """A connect, first-byte, idle or total time limit ran out."""

    default_hint = "the server or the model is slow: try again, or raise the timeout"

    def _lead(self) -> str:
        where = f" at {self.url}" if self.url else ""
        return f"The LiteLLM server{where} took too long"

    def _default_hint(self) -> str:
        return self.default_hint


class APIStatusError(LiteLLMError):
    """The server answered with an error status."""

    status: int
    retry_after: float | None
    """Seconds the server asked to wait (``Retry-After``, ``retry-after-ms``), when it did."""
    headers: Mapping[str, str]
    """The response headers, looked up in any case (empty for an error event in a stream)."""
    body: object
    """What the server sent: the bytes of the error response (up to 64 KB), or the decoded
    error event of a stream; None when the error was made by hand."""

    default_hint = "see the LiteLLM server logs for details"

    def __init__(
        self,
        message: str = "",
        *,
        status: int,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
        body: object = None,
        **kw,
    ) -> None:
        from multidict import CIMultiDict  # aiohttp's; here only once an error is made

        self.retry_after = retry_after
        self.headers = CIMultiDict(headers or {})
        self.body = body
        super().__init__(message, status=status, **kw)

    def _lead(self) -> str:
        reason = defaults.STATUS_REASONS.get(self.status or 0, "")
        status = f"{self.status} {reason}".strip()
        return f"The LiteLLM server answered {status}"

    def _default_hint(self) -> str:
        wait = self.retry_after
        if wait is not None and math.isfinite(wait) and wait >= 0:
            return f"wait {_seconds(wait)} s and try again"
        return self.default_hint


class BadRequestError(APIStatusError):
    """400: the server refused the request as malformed (too long a prompt, a bad parameter)."""

    default_hint = "shorten the text or check the request settings and model name"


class AuthenticationError(APIStatusError):
    """401: no API key, or the wrong one."""

    default_hint = "check the API key in the add-on preferences"


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but may not use this model or route."""

    default_hint = "pick another model, or ask the LiteLLM admin to allow this one for your key"


class NotFoundError(APIStatusError):
    """404: an unknown model, or a server URL that is not a LiteLLM proxy."""

    default_hint = "pick another model, or check the server URL in the add-on preferences"


class RateLimitError(APIStatusError):
    """429: too many requests or tokens; ``retry_after`` says how long to wait, when known."""

    default_hint = "wait a moment and try again"


class InternalServerError(APIStatusError):
    """>= 500: the proxy or the model provider behind it failed."""

    default_hint = "the model provider failed: try again in a moment or pick another model"


class APIResponseValidationError(LiteLLMError):
    """The answer is not what an OpenAI-compatible server sends (breaks the response schema)."""

    def _lead(self) -> str:
        return "The server's answer is not a valid chat completion"

    def _default_hint(self) -> str:
        where = f" ({self.url})" if self.url else ""
        return f"check that the server URL{where} points at a LiteLLM proxy"


class IncompleteStreamError(LiteLLMError):
    """A stream ended cleanly but before its finish_reason or ``[DONE]``: the text is partial."""

    default_hint = "the answer is cut short: try again"

    def _lead(self) -> str:
        return "The answer stopped before it was finished"


class InvalidRequestError(LiteLLMError):
    """Refused before sending: the payload breaks the request schema or a header is unsafe."""

    default_hint = "fix the request and send it again"

    def _lead(self) -> str:
        return "The request was not sent"


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The most specific ``APIStatusError`` subclass for an HTTP status."""
    if status >= 500:
        return InternalServerError
    return _BY_STATUS.get(status, APIStatusError)
