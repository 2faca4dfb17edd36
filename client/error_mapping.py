"""Every error the client raises is made here, once and complete, from what happened.

An aiohttp or asyncio exception, an error status with its body, an error event inside a
stream, a malformed answer: ``ErrorMapping`` turns each into the typed error of ``errors.py``
with the server URL, the request id, the API key masked out of anything the server echoed,
and the hint that fits (a refusal of a request sent without a key says that no key is set).
Nothing patches an error after this: the attempt loop raises what it is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from .error_bodies import error_from_body, error_from_payload
from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    IncompleteStreamError,
    InvalidRequestError,
    LiteLLMError,
)
from .request_log import redact
from .timeouts import Timeout

__all__ = ["ErrorMapping"]

_NO_ANSWER = {
    "first_byte": "no answer",
    "idle": "no new text",
    "total": "the answer was not complete",
}


class ErrorMapping:
    """The error factory of one client: its server URL and its API key (to mask)."""

    __slots__ = ("_keyless", "_secrets", "url")

    def __init__(self, url: str, api_key: str | None) -> None:
        self.url = url
        self._secrets = (api_key,) if api_key else ()
        self._keyless = api_key is None

    def redact(self, text: str) -> str:
        """``text`` with the API key masked."""
        return redact(text, self._secrets) if self._secrets else text

    # -- answers that are errors -------------------------------------------------------------

    def status(
        self,
        status: int,
        body: bytes,
        headers: Mapping[str, str],
        request_id: str,
        retry_after: float | None,
    ) -> APIStatusError:
        """An error status, from its body (any form) and headers."""
        return error_from_body(
            status,
            body,
            headers.get("Content-Type", ""),
            request_id=request_id,
            url=self.url,
            retry_after=retry_after,
            headers=headers,
            keyless=self._keyless,
            secrets=self._secrets,
        )

    def event(self, payload: Any, request_id: str) -> APIStatusError:
        """An error event inside a stream, or an error object in a 200 body."""
        return error_from_payload(
            payload, request_id=request_id, url=self.url, secrets=self._secrets
        )

    def invalid(self, message: str, request_id: str | None = None) -> APIResponseValidationError:
        """An answer that breaks the schema (``message`` names what is wrong)."""
        return APIResponseValidationError(self.redact(message), request_id=request_id, url=self.url)

    def not_json(
        self, raw: bytes, what: str, request_id: str | None, error: Exception
    ) -> APIResponseValidationError:
        """A body that is not JSON, or JSON nested past the parser's recursion limit."""
        if isinstance(error, RecursionError):
            return self.invalid(f"the {what} is JSON nested too deeply to read", request_id)
        snippet = raw[:80].decode("utf-8", "replace").strip() or "an empty body"
        return self.invalid(f"the {what} is not JSON (it starts with {snippet!r})", request_id)

    def incomplete(self, chars: int, request_id: str) -> IncompleteStreamError:
        """A stream that ended cleanly before its finish reason or ``[DONE]``."""
        return IncompleteStreamError(
            f"the stream ended without a finish reason after {chars} characters",
            request_id=request_id,
            url=self.url,
        )

    # -- failures without an answer ----------------------------------------------------------

    def timeout(self, phase: str, limits: Timeout, request_id: str | None) -> APITimeoutError:
        """One of our limits ran out: ``phase`` is ``first_byte``, ``idle`` or ``total``."""
        limit = getattr(limits, phase)
        return APITimeoutError(
            f"{_NO_ANSWER[phase]} within {limit:g} s ({phase.replace('_', ' ')} limit)",
            url=self.url,
            request_id=request_id,
        )

    def exception(
        self, error: BaseException, limits: Timeout, phase: str, request_id: str | None
    ) -> LiteLLMError | None:
        """The typed error for what aiohttp or asyncio raised while sending; None to let it
        through (a cancellation, a bug)."""
        if isinstance(error, LiteLLMError):
            return error
        url = self.url
        if isinstance(error, aiohttp.ConnectionTimeoutError) and limits.connect is not None:
            return APITimeoutError(
                f"no connection within {limits.connect:g} s (connect limit)",
                url=url,
                request_id=request_id,
            )
        if isinstance(error, TimeoutError):
            if getattr(limits, phase, None) is None:  # the OS's or the network's, not ours
                return APITimeoutError(
                    f"the connection timed out ({error or type(error).__name__})",
                    url=url,
                    request_id=request_id,
                )
            return self.timeout(phase, limits, request_id)
        if isinstance(error, aiohttp.ClientConnectorCertificateError):
            return APIConnectionError(
                f"the server's TLS certificate was not accepted ({error.certificate_error})",
                url=url,
                request_id=request_id,
                tls=True,
                hint="set the CA file of your server's certificate authority in the add-on "
                "preferences, or (test servers only) turn Verify TLS off",
            )
        if isinstance(error, aiohttp.ClientSSLError):
            return APIConnectionError(
                f"the TLS handshake failed ({error})",
                url=url,
                request_id=request_id,
                tls=True,
                hint="check that the server speaks HTTPS (use http:// in the Server URL if it "
                "does not), or set its CA file in the add-on preferences",
            )
        if isinstance(error, aiohttp.InvalidURL):
            return self.bad_url(repr(str(error.url)))
        if isinstance(error, aiohttp.ClientError | OSError):
            message = self.redact(str(error) or type(error).__name__)
            return APIConnectionError(message, url=url, request_id=request_id)
        return None

    def read_failed(self, error: BaseException, request_id: str | None) -> LiteLLMError | None:
        """What broke while a whole body was read within the total limit; None to let it
        through."""
        if isinstance(error, TimeoutError):
            return APITimeoutError(
                "the answer was not complete within the total time limit",
                url=self.url,
                request_id=request_id,
            )
        if isinstance(error, aiohttp.ClientError | OSError):
            return APIConnectionError(
                f"the connection broke while reading the answer ({error or type(error).__name__})",
                url=self.url,
                request_id=request_id,
            )
        return None

    def dropped(
        self, error: BaseException, phase: str, limits: Timeout, chars: int, request_id: str
    ) -> LiteLLMError:
        """A stream read that failed: one of our limits, or the line dropped."""
        if isinstance(error, TimeoutError) and not isinstance(error, aiohttp.ClientError):
            failure = self.exception(error, limits, phase, request_id)
            assert isinstance(failure, APITimeoutError)
            return failure
        return APIConnectionError(
            f"the connection dropped after {chars} characters of the answer "
            f"({error or type(error).__name__})",
            url=self.url,
            request_id=request_id,
        )

    def nothing_answered(self, tried: Sequence[str]) -> APIConnectionError:
        """No candidate server address answered a health check."""
        return APIConnectionError(
            f"no LiteLLM server answered at {', '.join(tried)}",
            hint="start your LiteLLM proxy (litellm --config ...), or type its address in the "
            "add-on preferences",
        )

    # -- refused before sending --------------------------------------------------------------

    def bad_url(self, shown: str, reason: str = "") -> InvalidRequestError:
        """The server URL cannot be parsed."""
        reason = f" ({reason})" if reason else ""
        return InvalidRequestError(
            f"the server URL {shown} is not valid{reason}",
            url=self.url,
            hint="check the Server URL in the add-on preferences",
        )

    def bad_header(self, name: str) -> InvalidRequestError:
        """A header that could split the HTTP request."""
        return InvalidRequestError(
            f"the header {name!r} contains a line break, a NUL character or (in its name) a colon",
            url=self.url,
            hint="remove line breaks from the API key and extra headers in the preferences",
        )

    def bad_ca_file(self, path: str, error: Exception) -> InvalidRequestError:
        """The CA file cannot be read."""
        return InvalidRequestError(
            f"the CA file {path} cannot be read ({error})",
            hint="choose a PEM certificate file in the add-on preferences, or clear it",
        )

    def closed(self) -> LiteLLMError:
        """The client was closed."""
        return LiteLLMError(
            "this client was closed", hint="create a new LiteLLMClient to send more requests"
        )
