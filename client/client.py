"""``LiteLLMClient``: the asyncio client for a LiteLLM proxy (any OpenAI-compatible server).

One ``aiohttp.ClientSession`` with a pooled ``TCPConnector`` per client; every request goes
through the same path: check the payload, wait for the client-side limiter, send with the
request kind's timeouts, turn failures into typed errors, retry what may be retried. Streaming
lives in ``streaming.py`` and reuses these pieces.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import math
import random
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import aiohttp
import yarl

from . import defaults
from .cache import ResponseCache, is_deterministic
from .config import ClientConfig
from .deadlines import DeadlineWatch
from .error_bodies import error_from_body, error_from_payload
from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    IncompleteStreamError,
    InvalidRequestError,
    LiteLLMError,
    RateLimitError,
)
from .limiter import RateLimiter
from .proxies import proxy_from_environment
from .quick_checks import completion_is_well_formed, request_is_well_formed
from .request_log import RequestLog, logger, redact
from .retry_policy import RetryDecision, RetryPolicy, decide_retry
from .stats import ClientStats, StatsCounter
from .streaming import ChatStream
from .timeouts import Timeout
from .types import Completion, Health, Usage
from .validation import schema_errors, summary, validate_request

__all__ = ["LiteLLMClient"]

T = TypeVar("T")

_MAX_ERROR_BODY = 64 * 1024  # bytes of an error body worth reading
# A request whose lists or objects nest past Python's recursion limit.
_TOO_DEEP = "the request nests lists or objects too deeply to be checked or sent"


def _unsafe_header(headers: Mapping[str, str]) -> str | None:
    """The name of the first header whose name or value could split the HTTP request."""
    for name, value in headers.items():
        if any(c in str(name) for c in "\r\n:") or any(c in str(value) for c in "\r\n\0"):
            return str(name)
    return None


def _float_header(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    # "nan" or "inf" would poison every total it is added to.
    return number if math.isfinite(number) else None


_NO_KEY_HINT = (
    "no API key is set: if your LiteLLM proxy needs one (most do), set it in the add-on preferences"
)


def _may_want_a_key(error: APIStatusError) -> bool:
    """Whether a failure seen without a key may be the missing key speaking: 401/403, or a
    bare 500 (a LiteLLM proxy whose auth check itself fails answers a keyless request so)."""
    if error.status in (401, 403):
        return True
    bare = error.message.strip().rstrip(".").lower() in ("", "internal server error")
    return error.status == 500 and bare


def cost_from(headers: Mapping[str, str], usage: Any) -> float | None:
    """The request's cost: LiteLLM's ``x-litellm-response-cost`` header, else the ``cost`` it
    puts in the usage object (streams carry it only there)."""
    cost = _float_header(headers, defaults.COST_HEADER)
    if cost is not None and cost < 0:  # a cost is never negative: the header is wrong
        cost = None
    if cost is None and isinstance(usage, dict):
        value = usage.get("cost")
        if type(value) in (int, float) and math.isfinite(value) and value >= 0:
            cost = float(value)
    return cost


def usage_from(data: Any) -> Usage | None:
    """The ``Usage`` of a validated ``usage`` object, or None when absent."""
    if not isinstance(data, dict):
        return None
    prompt = data.get("prompt_tokens", 0)
    completion = data.get("completion_tokens", 0)
    return Usage(prompt, completion, data.get("total_tokens") or prompt + completion)


class LiteLLMClient:
    """An async client for one LiteLLM proxy. Use it as ``async with LiteLLMClient(config)``.

    Not thread-safe: use it from the event loop it first ran on (the worker thread does).
    """

    def __init__(
        self, config: ClientConfig | None = None, *, cache: ResponseCache | None = None
    ) -> None:
        self.config = config if config is not None else ClientConfig()
        cfg = self.config
        if cache is None and cfg.cache_enabled:
            cache = ResponseCache(cfg.cache_max_entries, cfg.cache_ttl)
        self.cache = cache
        self._policy = RetryPolicy(
            max_retries=cfg.max_retries,
            initial_backoff=cfg.initial_backoff,
            max_backoff=cfg.max_backoff,
            max_retry_wait=cfg.max_retry_wait,
        )
        self._limiter = RateLimiter(cfg.max_concurrent_requests, cfg.requests_per_minute)
        self._counter = StatsCounter()
        self._log = RequestLog(cfg.log_file, (cfg.api_key,))
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._random = random.random
        headers = {
            "User-Agent": defaults.USER_AGENT,
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
        }
        if cfg.api_key:
            headers["Authorization"] = f"Bearer {cfg.api_key}"
        for name, value in cfg.extra_headers.items():
            # Header names are case-insensitive: an extra "authorization" replaces ours
            # instead of going out as a second Authorization header.
            for existing in [k for k in headers if k.lower() == str(name).lower()]:
                del headers[existing]
            headers[name] = value
        # Every call sends its own request id: a fixed one from the extra headers would clash.
        self._headers = {k: v for k, v in headers.items() if k.lower() != "x-request-id"}
        # What every request sends goes into the session once; a call adds only its own id
        # (and, with a body, its content type): aiohttp merges per-request headers in Python.
        self._session_headers = {
            k: v for k, v in self._headers.items() if k.lower() != "content-type"
        }
        self._content_type = next(
            (v for k, v in self._headers.items() if k.lower() == "content-type"),
            "application/json",
        )
        self._bad_header = _unsafe_header(headers)
        # Request ids: random per client, counted per call (cheaper than a uuid4 per call).
        self._id_prefix = uuid.uuid4().hex[:20]
        self._ids = itertools.count(1)
        self._urls: dict[str, yarl.URL] = {}  # parsed once per path
        self._deadlines = DeadlineWatch()  # one loop timer for every pending deadline
        self._client_timeouts: dict[Timeout, aiohttp.ClientTimeout] = {}
        self._proxy: yarl.URL | None = None  # from the environment, once per session

    # -- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> LiteLLMClient:
        self._ensure_session()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the pool and the request log; safe to call more than once."""
        self._closed = True
        session, self._session = self._session, None
        self._deadlines.close()
        if session is not None and not session.closed:
            await session.close()
        self._log.close()

    @property
    def closed(self) -> bool:
        """True once ``close()`` ran (or the ``async with`` block ended): no more requests."""
        return self._closed

    def __repr__(self) -> str:
        key = "None" if self.config.api_key is None else "'***'"
        return f"LiteLLMClient(base_url={self.config.base_url!r}, api_key={key})"

    @property
    def stats(self) -> ClientStats:
        """Pool reuse, requests, retries, rate-limit waits, cache hits, tokens and cost so far."""
        return self._counter.snapshot(self._limiter.waits)

    @property
    def usage(self) -> Usage:
        """Tokens used by every request of this client, added up."""
        return self._counter.usage

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise LiteLLMError(
                "this client was closed", hint="create a new LiteLLMClient to send more requests"
            )
        if self._session is None:
            cfg = self.config
            connector = self._counter.connector(
                limit=cfg.max_connections,
                keepalive_timeout=defaults.KEEPALIVE_TIMEOUT,
                ssl=self._ssl_setting(),
            )
            # trust_env is resolved here, once, not by aiohttp on every request (proxies.py).
            if cfg.trust_env:
                self._proxy = proxy_from_environment(cfg.base_url)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None),
                headers=self._session_headers,
            )
        return self._session

    def _ssl_setting(self) -> ssl.SSLContext | bool:
        cfg = self.config
        if not cfg.verify:
            logger.warning(
                "TLS certificate verification is OFF for %s: use this only for a test server",
                cfg.base_url,
            )
            return False
        if not cfg.base_url.startswith("https:") and not cfg.ca_file:
            return True  # plain HTTP: aiohttp's default, no bundle to load
        import certifi

        context = ssl.create_default_context(cafile=certifi.where())
        if cfg.ca_file:
            try:
                context.load_verify_locations(cfg.ca_file)
            except (OSError, ssl.SSLError) as error:
                raise InvalidRequestError(
                    f"the CA file {cfg.ca_file} cannot be read ({error})",
                    hint="choose a PEM certificate file in the add-on preferences, or clear it",
                ) from error
        return context

    # -- public API -----------------------------------------------------------------------------

    async def complete(
        self,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        kind: str = defaults.DEFAULT_KIND,
        timeout: Timeout | None = None,  # noqa: ASYNC109 - a per-phase profile, not one number
        cache: bool | None = None,
        **params: Any,
    ) -> Completion:
        """One chat completion, whole. ``kind`` picks the timeout profile; ``cache`` forces
        (True) or forbids (False) the response cache, which otherwise serves temperature 0."""
        limits = self._limits(kind, timeout)
        payload = self._payload(model, messages, params, stream=False)
        key = self._cache_key(payload, params, cache)
        if key is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self._counter.cache_hits += 1
                return dataclasses.replace(hit, cached=True)
        request_id = self._new_request_id()
        body = self._encode(payload)

        limiter = self._limiter

        async def attempt(number: int) -> Completion:
            if not limiter.try_acquire():
                await limiter.acquire()
            try:
                response, deadline = await self._send(
                    "POST", defaults.CHAT_PATH, body, limits, kind, request_id, number
                )
                try:
                    raw = await self._read_all(response, deadline, request_id=request_id)
                except BaseException:
                    response.close()
                    raise
                response.release()
            finally:
                limiter.release()
            return self._completion_from(raw, response, request_id)

        try:  # the first attempt directly: one coroutine fewer on the hot path
            completion = await attempt(0)
        except LiteLLMError as error:
            await self._pause_before_retry(error, 0)
            completion = await self._retrying(attempt, 1)
        self._counter.add_usage(completion.usage, completion.cost)
        if key is not None:
            self.cache.put(key, completion)
        return completion

    def stream(
        self,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        kind: str = defaults.DEFAULT_KIND,
        timeout: Timeout | None = None,
        cache: bool | None = None,
        **params: Any,
    ) -> ChatStream:
        """A streamed chat completion: ``async with client.stream(...) as s: async for text in s``;
        afterwards ``s.completion`` holds the whole ``Completion`` (usage included)."""
        return ChatStream(self, model, messages, params, kind=kind, timeout=timeout, cache=cache)

    async def list_models(self) -> list[str]:
        """The model names the proxy offers to this key, in the server's order."""
        data = await self._get_json(defaults.MODELS_PATH)
        problems = schema_errors("models", data)
        if problems:
            raise APIResponseValidationError(
                summary(problems[:1], "the model list is malformed: "), url=self.config.base_url
            )
        return [item["id"] for item in data["data"]]

    async def health(self) -> Health:
        """Ask the proxy whether it is alive (and ready, where it says). Raises
        ``APIConnectionError`` when nothing answers at all."""
        limits = self.config.timeout_for("utility")
        started = time.perf_counter()
        alive_status, alive_text = await self._probe(defaults.HEALTH_LIVELINESS_PATH, limits)
        latency_ms = (time.perf_counter() - started) * 1000.0
        ready: bool | None = None
        detail = alive_text
        if 200 <= alive_status < 300:
            ready_status, ready_text = await self._probe(defaults.HEALTH_READINESS_PATH, limits)
            if ready_status != 404:
                ready = 200 <= ready_status < 300
                detail = ready_text or detail
        return Health(
            alive=200 <= alive_status < 300,
            ready=ready,
            latency_ms=latency_ms,
            url=self.config.base_url,
            detail=detail[:200],
        )

    # -- building requests ----------------------------------------------------------------------

    def _payload(
        self,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
        *,
        stream: bool,
    ) -> dict[str, Any]:
        if isinstance(messages, str | bytes | Mapping) or not isinstance(messages, Iterable):
            raise InvalidRequestError(
                "messages must be a list of {'role': ..., 'content': ...} objects, "
                f"not {type(messages).__name__}"
            )
        # A parameter set to None is not sent (as if left out), like the cache key reads it.
        payload = {"model": model, "messages": list(messages)}
        payload.update((k, v) for k, v in params.items() if v is not None)
        if stream:
            payload["stream"] = True
            payload.setdefault("stream_options", {"include_usage": True})
        else:
            payload.pop("stream", None)
        if not request_is_well_formed(payload):
            try:
                problems = validate_request(payload)
            except RecursionError as error:
                raise InvalidRequestError(_TOO_DEEP) from error
            if problems:
                raise InvalidRequestError(summary(problems))
        return payload

    def _limits(self, kind: str, timeout: Timeout | None) -> Timeout:
        """The timeout profile of one call: ``timeout`` when given, else the kind's."""
        if timeout is not None:
            if not isinstance(timeout, Timeout):
                raise InvalidRequestError(
                    "timeout must be a Timeout(connect, first_byte, idle, total), "
                    f"not {type(timeout).__name__}"
                )
            return timeout
        if not isinstance(kind, str):
            raise InvalidRequestError(
                "kind must be a request kind such as 'ask' or 'analysis', "
                f"not {type(kind).__name__}"
            )
        return self.config.timeout_for(kind)

    @staticmethod
    def _encode(payload: Mapping[str, Any]) -> bytes:
        try:
            # allow_nan=False: NaN and Infinity are not JSON, and a server would refuse them.
            # ASCII escapes keep json in its C encoder; the server reads the same JSON.
            return json.dumps(payload, allow_nan=False).encode()
        except (TypeError, ValueError) as error:
            raise InvalidRequestError(f"the request cannot be sent as JSON: {error}") from error
        except RecursionError as error:
            raise InvalidRequestError(_TOO_DEEP) from error

    def _cache_key(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], force: bool | None
    ) -> str | None:
        if self.cache is None or force is False:
            return None
        if not is_deterministic(params, force):
            return None
        try:
            return ResponseCache.key(payload["model"], payload["messages"], params)
        except RecursionError as error:
            raise InvalidRequestError(_TOO_DEEP) from error

    # -- sending --------------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        body: bytes | None,
        limits: Timeout,
        kind: str,
        request_id: str,
        attempt: int,
    ) -> tuple[aiohttp.ClientResponse, float | None]:
        """Send one attempt and wait for a successful status line.

        Returns the open response (body unread) and the loop-time deadline of this attempt;
        raises the typed error for a failed connection, a timeout or an error status.
        """
        self._check_headers()
        session = self._ensure_session()
        url = self.config.base_url + path
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + limits.total if limits.total is not None else None
        wait, phase = limits.first_byte, "first_byte"
        if limits.total is not None and (wait is None or limits.total < wait):
            wait, phase = limits.total, "total"
        if body is None:
            headers = {"x-request-id": request_id}
        else:
            headers = {"Content-Type": self._content_type, "x-request-id": request_id}
        self._counter.requests += 1
        if body is not None:
            self._log.body("request body", body)
        try:
            async with self._deadlines.deadline(None if wait is None else started + wait):
                response = await session.request(
                    method,
                    self._url(path),
                    data=body,
                    headers=headers,
                    timeout=self._client_timeout(limits),
                    proxy=self._proxy,
                )
        except BaseException as error:
            failure = self._connection_error(error, limits, url, request_id, phase=phase)
            self._log_attempt(method, url, None, started, attempt, request_id, kind, failure, error)
            if failure is None:
                raise
            raise failure from error
        self._log_attempt(method, url, response.status, started, attempt, request_id, kind)
        self._limiter.observe(response.headers)
        if response.status >= 400:
            try:
                raise await self._status_error(response, deadline, request_id)
            finally:
                response.release()
        return response, deadline

    def _log_attempt(
        self,
        method: str,
        url: str,
        status: int | None,
        started: float,
        attempt: int,
        request_id: str,
        kind: str,
        failure: LiteLLMError | None = None,
        error: BaseException | None = None,
    ) -> None:
        """The per-attempt log line; ``error`` is what ended an attempt without a status."""
        if not self._log.enabled():
            return
        reason = None
        if status is None:
            if failure is not None:
                reason = f"{type(failure).__name__}: {failure.message}".rstrip(": ")
            elif isinstance(error, asyncio.CancelledError):
                reason = "cancelled"
            else:
                reason = str(error) or type(error).__name__
        self._log.attempt(
            method=method,
            url=url,
            status=status,
            latency=asyncio.get_running_loop().time() - started,
            attempt=attempt,
            request_id=request_id,
            kind=kind,
            error=reason,
        )

    def _new_request_id(self) -> str:
        """A request id unique across clients and calls, sent as ``x-request-id``."""
        return f"{self._id_prefix}{next(self._ids):012x}"  # 32 hex digits, like a uuid

    def _client_timeout(self, limits: Timeout) -> aiohttp.ClientTimeout:
        """aiohttp's part of a profile (the socket connect limit), built once per profile."""
        timeout = self._client_timeouts.get(limits)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=limits.connect, connect=None)
            self._client_timeouts[limits] = timeout
        return timeout

    def _url(self, path: str) -> yarl.URL:
        url = self._urls.get(path)
        if url is None:
            text = self.config.base_url + path
            try:
                url = yarl.URL(text)
            except ValueError as error:
                raise InvalidRequestError(
                    f"the server URL {text!r} is not valid ({error})",
                    url=self.config.base_url,
                    hint="check the Server URL in the add-on preferences",
                ) from error
            self._urls[path] = url
        return url

    def _check_headers(self) -> None:
        """Refuse to send headers that could split the HTTP request (before any I/O)."""
        if self._bad_header is not None:
            raise InvalidRequestError(
                f"the header {self._bad_header!r} contains a line break, a NUL character or "
                "(in its name) a colon",
                url=self.config.base_url,
                hint="remove line breaks from the API key and extra headers in the preferences",
            )

    def _connection_error(
        self,
        error: BaseException,
        limits: Timeout,
        url: str,
        request_id: str,
        *,
        phase: str,
    ) -> LiteLLMError | None:
        """The typed error for what aiohttp or asyncio raised; None to let it through."""
        base = self.config.base_url
        if isinstance(error, LiteLLMError):
            return error
        if isinstance(error, aiohttp.ConnectionTimeoutError) and limits.connect is not None:
            return APITimeoutError(
                f"no connection within {limits.connect:g} s (connect limit)",
                url=base,
                request_id=request_id,
            )
        if isinstance(error, TimeoutError):
            limit = getattr(limits, phase, None)
            if limit is None:  # a timeout of the OS or the network, not one of ours
                return APITimeoutError(
                    f"the connection timed out ({error or type(error).__name__})",
                    url=base,
                    request_id=request_id,
                )
            what = {
                "first_byte": "no answer",
                "idle": "no new text",
                "total": "the answer was not complete",
            }[phase]
            return APITimeoutError(
                f"{what} within {limit:g} s ({phase.replace('_', ' ')} limit)",
                url=base,
                request_id=request_id,
            )
        if isinstance(error, aiohttp.ClientConnectorCertificateError):
            return APIConnectionError(
                f"the server's TLS certificate was not accepted ({error.certificate_error})",
                url=base,
                request_id=request_id,
                hint="set the CA file of your server's certificate authority in the add-on "
                "preferences, or (test servers only) turn Verify TLS off",
            )
        if isinstance(error, aiohttp.ClientSSLError):
            return APIConnectionError(
                f"the TLS handshake failed ({error})",
                url=base,
                request_id=request_id,
                hint="check that the server speaks HTTPS (use http:// in the Server URL if it "
                "does not), or set its CA file in the add-on preferences",
            )
        if isinstance(error, aiohttp.InvalidURL):
            return InvalidRequestError(
                f"the server URL {str(error.url)!r} is not valid",
                url=base,
                hint="check the Server URL in the add-on preferences",
            )
        if isinstance(error, aiohttp.ClientError | OSError):
            message = redact(str(error) or type(error).__name__, (self.config.api_key,))
            return APIConnectionError(message, url=base, request_id=request_id)
        return None

    async def _status_error(
        self, response: aiohttp.ClientResponse, deadline: float | None, request_id: str
    ) -> APIStatusError:
        try:
            body = await self._read_all(
                response, deadline, limit=_MAX_ERROR_BODY, request_id=request_id
            )
        except LiteLLMError:
            body = b""
        from .retry_policy import server_wait

        error = error_from_body(
            response.status,
            body,
            response.headers.get("Content-Type", ""),
            request_id=self._request_id_of(response, request_id),
            url=self.config.base_url,
            retry_after=server_wait(response.headers, time.time()),
        )
        error.headers = dict(response.headers)  # the key is masked by _pause_before_retry
        if self.config.api_key is None and _may_want_a_key(error):
            error._hint = _NO_KEY_HINT
        return error

    async def _read_all(
        self,
        response: aiohttp.ClientResponse,
        deadline: float | None,
        limit: int | None = None,
        *,
        request_id: str | None = None,
    ) -> bytes:
        """The whole body, within the attempt's total limit."""
        try:
            async with self._deadlines.deadline(deadline):
                if limit is None:
                    return await response.read()
                # content.read(n) returns what one network read brought: gather up to limit.
                parts: list[bytes] = []
                size = 0
                while size < limit:
                    part = await response.content.read(limit - size)
                    if not part:
                        break
                    parts.append(part)
                    size += len(part)
                return b"".join(parts)
        except TimeoutError as error:
            raise APITimeoutError(
                "the answer was not complete within the total time limit",
                url=self.config.base_url,
                request_id=request_id,
            ) from error
        except (aiohttp.ClientError, OSError) as error:
            raise APIConnectionError(
                f"the connection broke while reading the answer ({error or type(error).__name__})",
                url=self.config.base_url,
                request_id=request_id,
            ) from error

    @staticmethod
    def _request_id_of(response: aiohttp.ClientResponse, fallback: str) -> str:
        for name in defaults.REQUEST_ID_HEADERS:
            value = response.headers.get(name)
            if value:
                return value
        return fallback

    def _completion_from(
        self, raw: bytes, response: aiohttp.ClientResponse, request_id: str
    ) -> Completion:
        """Parse and check a chat.completion body (JSON whatever its Content-Type says)."""
        request_id = self._request_id_of(response, request_id)
        data = self._json(raw, request_id, "chat completion")
        if isinstance(data, dict) and "error" in data:
            raise error_from_payload(data, request_id=request_id, url=self.config.base_url)
        if not completion_is_well_formed(data):
            problems = schema_errors("completion", data)
            if problems:
                raise APIResponseValidationError(
                    summary(problems), request_id=request_id, url=self.config.base_url
                )
        self._log.body("response body", data)
        choice = data["choices"][0]
        return Completion(
            text=choice["message"].get("content") or "",
            finish_reason=choice.get("finish_reason"),
            usage=usage_from(data.get("usage")),
            cost=cost_from(response.headers, data.get("usage")),
            request_id=request_id,
            model=data.get("model"),
            raw=data,
        )

    def _json(self, raw: bytes, request_id: str | None, what: str) -> Any:
        try:
            return json.loads(raw)
        except ValueError as error:
            snippet = raw[:80].decode("utf-8", "replace").strip() or "an empty body"
            raise APIResponseValidationError(
                f"the {what} is not JSON (it starts with {snippet!r})",
                request_id=request_id,
                url=self.config.base_url,
            ) from error
        except RecursionError as error:  # JSON nested deeper than the parser's recursion limit
            raise APIResponseValidationError(
                f"the {what} is JSON nested too deeply to read",
                request_id=request_id,
                url=self.config.base_url,
            ) from error

    # -- retries --------------------------------------------------------------------------------

    def _decide(self, error: LiteLLMError, attempt: int) -> RetryDecision:
        if isinstance(error, APIStatusError):
            return decide_retry(
                self._policy,
                attempt,
                status=error.status,
                headers=getattr(error, "headers", None),
                now=time.time(),
                random=self._random(),
            )
        if isinstance(error, APIConnectionError):
            if isinstance(error.__cause__, aiohttp.ClientSSLError):
                # A refused certificate or a failed handshake fails the same way next time.
                return RetryDecision(False, reason="TLS failure")
            return decide_retry(self._policy, attempt, connection_error=True, random=self._random())
        if isinstance(error, IncompleteStreamError):
            # Only reached for a stream that ended before any text reached the caller (after
            # that, the stream raises without asking): a clean but early close, like a drop.
            return decide_retry(self._policy, attempt, connection_error=True, random=self._random())
        return RetryDecision(False, reason="not retryable")

    async def _retrying(self, attempt: Callable[[int], Awaitable[T]], first_attempt: int = 0) -> T:
        """Run ``attempt(n)`` until it succeeds or the retry policy says stop."""
        number = first_attempt
        while True:
            try:
                return await attempt(number)
            except LiteLLMError as error:
                await self._pause_before_retry(error, number)
            number += 1

    def _redacted(self, error: LiteLLMError) -> LiteLLMError:
        """``error`` with the API key masked in its message (a server may echo the key)."""
        key = self.config.api_key
        if key and error.message and key in error.message:
            error.message = redact(error.message, (key,))
            error.args = (error.message,)
        return error

    async def _pause_before_retry(self, error: LiteLLMError, attempt: int) -> None:
        """Sleep before the next attempt, or re-raise ``error`` when it must not be retried."""
        self._redacted(error)
        decision = self._decide(error, attempt)
        if not decision.retry:
            if isinstance(error, APIStatusError) and error.retry_after is None:
                error.retry_after = decision.server_wait
            raise error
        self._counter.retries += 1
        if isinstance(error, RateLimitError):
            self._counter.rate_limit_waits += 1
        # DEBUG: the INFO log has one line per attempt, which already shows the failure.
        logger.debug(
            "retrying in %.2f s (%s): %s", decision.delay, decision.reason, type(error).__name__
        )
        await asyncio.sleep(decision.delay)

    # -- small GETs -----------------------------------------------------------------------------

    async def _get_json(self, path: str) -> Any:
        limits = self.config.timeout_for("utility")
        request_id = self._new_request_id()

        async def attempt(number: int) -> Any:
            response, deadline = await self._send(
                "GET", path, None, limits, "utility", request_id, number
            )
            try:
                raw = await self._read_all(response, deadline, request_id=request_id)
            finally:
                response.release()
            return self._json(raw, self._request_id_of(response, request_id), "answer")

        return await self._retrying(attempt)

    async def _probe(self, path: str, limits: Timeout) -> tuple[int, str]:
        """Status and text of a health endpoint; any status is an answer, not an error."""
        self._check_headers()
        session = self._ensure_session()
        url = self.config.base_url + path
        request_id = self._new_request_id()
        self._counter.requests += 1
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(limits.total):
                async with session.get(
                    url,
                    headers={"x-request-id": request_id},
                    timeout=self._client_timeout(limits),
                    proxy=self._proxy,
                ) as response:
                    text = await response.text(errors="replace")
        except BaseException as error:
            failure = self._connection_error(error, limits, url, request_id, phase="total")
            self._log_attempt("GET", url, None, started, 0, request_id, "utility", failure, error)
            if failure is None:
                raise
            raise failure from error
        self._log_attempt("GET", url, response.status, started, 0, request_id, "utility")
        return response.status, text.strip()
