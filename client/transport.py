"""``Transport``: one attempt of one HTTP request, done the same way for every call.

Every request of a client goes through here, chat completions, streams, model lists and health
checks alike: refuse unsafe headers, take a limiter slot (not for utility requests), send with
the request kind's deadlines on the client's one ``aiohttp.ClientSession``, log the attempt,
read the server's rate-limit headers, and turn an error status or an exception into the typed
error (``error_mapping.py``). What comes back is a ``Reply``: the open response, its deadline
and its slot, read and then released (or closed) by the caller.

``Transport.call`` is the one attempt loop: it runs attempts until one succeeds or the retry
policy (``retry_policy.py``) says stop, sleeping the backoff it decides in between. Streams use
the same loop for a failure that comes while reading, before any text reached the caller.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import random
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NamedTuple, TypeVar

import aiohttp
import yarl

from . import defaults
from .config import ClientConfig
from .deadlines import Deadline, DeadlineWatch
from .error_mapping import ErrorMapping
from .errors import LiteLLMError, RateLimitError
from .json_codec import loads
from .limiter import RateLimiter
from .proxies import proxy_from_environment
from .request_log import RequestLog, logger
from .retry_policy import RetryPolicy, decide, server_wait
from .stats import StatsCounter
from .timeouts import Timeout

__all__ = ["Reply", "Transport"]

T = TypeVar("T")


def _unsafe_header(headers: Mapping[str, str]) -> str | None:
    """The name of the first header whose name or value could split the HTTP request."""
    for name, value in headers.items():
        if any(c in str(name) for c in "\r\n:") or any(c in str(value) for c in "\r\n\0"):
            return str(name)
    return None


def _static_headers(config: ClientConfig) -> dict[str, str]:
    """What every request sends: who we are, what we accept, the key, the extra headers."""
    headers = {
        "User-Agent": defaults.USER_AGENT,
        "Accept": defaults.ACCEPT,
        "Content-Type": defaults.CONTENT_TYPE,
    }
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    for name, value in config.extra_headers.items():
        # Header names are case-insensitive: an extra "authorization" replaces ours
        # instead of going out as a second Authorization header.
        for existing in [k for k in headers if k.lower() == str(name).lower()]:
            del headers[existing]
        headers[name] = value
    return headers


class _Limits(NamedTuple):
    """A timeout profile as an attempt uses it (``Transport._limits_of``)."""

    profile: Timeout
    timeout: aiohttp.ClientTimeout  # aiohttp's part: the connect limit
    wait: float | None  # seconds from sending to the status line: first byte, or total
    phase: str  # which of the two ``wait`` is: "first_byte" or "total"


class Reply:
    """An answer with a successful status, its body not read yet.

    Holds the attempt's total deadline and, for a limited request, its limiter slot until
    ``release()`` (the body was read to its end: the connection goes back to the pool) or
    ``close()`` (abandoned: the connection is dropped, so the server sees it); both may be
    called more than once.
    """

    __slots__ = (
        "_limited",
        "_log_bodies",
        "_timer",
        "_transport",
        "deadline",
        "request_id",
        "response",
        "sent_at",
    )

    def __init__(
        self,
        transport: Transport,
        response: aiohttp.ClientResponse,
        deadline: float | None,
        request_id: str,
        sent_at: float,
        limited: bool,
        timer: Deadline,
        log_bodies: bool,
    ) -> None:
        self._transport = transport
        self.response = response
        self.deadline = deadline  # loop time by which the attempt must be over, or None
        self.request_id = request_id  # the id the client sent
        self.sent_at = sent_at  # loop time the request was sent (the first-byte limit)
        self._limited = limited
        self._timer = timer  # the attempt's one Deadline, moved from phase to phase
        self._log_bodies = log_bodies

    @property
    def status(self) -> int:
        return self.response.status

    @property
    def headers(self) -> Mapping[str, str]:
        return self.response.headers

    @property
    def content(self) -> aiohttp.StreamReader:
        """The body as it arrives (a stream reads it with ``readany()``)."""
        return self.response.content

    @property
    def is_event_stream(self) -> bool:
        # The header itself: aiohttp's content_type parses it with the email package.
        value = self.response.headers.get("Content-Type", "")
        return value.partition(";")[0].strip().lower() == defaults.EVENT_STREAM

    @property
    def server_request_id(self) -> str:
        """The server's id for this request when it sent one, else the client's."""
        # map/filter run the look-ups in C: this is read once per request.
        found = next(
            filter(None, map(self.response.headers.get, defaults.REQUEST_ID_HEADERS)), None
        )
        return found or self.request_id

    async def read(self, limit: int | None = None) -> bytes:
        """The whole body (at most ``limit`` bytes), within the attempt's total limit."""
        response = self.response
        try:
            if limit is None and response.content.is_eof():
                # All of it has arrived (a short answer comes with its headers): reading
                # cannot wait, so no deadline is entered.
                return await response.read()
            timer = self._timer
            timer.reschedule(self.deadline)
            with timer:
                if limit is None:
                    return await self.response.read()
                # content.read(n) returns what one network read brought: gather up to limit.
                parts: list[bytes] = []
                size = 0
                while size < limit:
                    part = await self.response.content.read(limit - size)
                    if not part:
                        break
                    parts.append(part)
                    size += len(part)
                return b"".join(parts)
        except BaseException as error:
            failure = self._transport.errors.read_failed(error, self.request_id)
            if failure is None:
                raise
            raise failure from error

    async def json(self, what: str) -> Any:
        """The whole body as JSON (whatever its Content-Type says); ``what`` names it in the
        error for a body that is not JSON."""
        raw = await self.read()
        try:
            data = loads(raw)
        except (ValueError, RecursionError) as error:
            errors = self._transport.errors
            raise errors.not_json(raw, what, self.server_request_id, error) from error
        if self._log_bodies:
            self._transport.log.body("response body", data)
        return data

    def release(self) -> None:
        self.response.release()
        self._give_slot()

    def close(self) -> None:
        self.response.close()
        self._give_slot()

    def _give_slot(self) -> None:
        if self._limited:
            self._limited = False
            self._transport.limiter.release()


class Transport:
    """The session, pool, limiter, deadlines, request log, retry policy and error mapping of
    one client. Not thread-safe: one event loop, like the client."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.errors = ErrorMapping(config.base_url, config.api_key)
        self.policy = RetryPolicy(
            max_retries=config.max_retries,
            initial_backoff=config.initial_backoff,
            max_backoff=config.max_backoff,
            max_retry_wait=config.max_retry_wait,
        )
        # A health check reports the server as it is now: one attempt, never retried.
        self.single_attempt = dataclasses.replace(self.policy, max_retries=0)
        self.limiter = RateLimiter(config.max_concurrent_requests, config.requests_per_minute)
        self.stats = StatsCounter()
        self.deadlines = DeadlineWatch()  # one loop timer for every pending deadline
        self.random: Callable[[], float] = random.random  # the backoff jitter
        self.log = RequestLog(config.log_file, (config.api_key,))
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        headers = _static_headers(config)
        self._bad_header = _unsafe_header(headers)
        # Every call sends its own request id: a fixed one from the extra headers would clash.
        headers = {k: v for k, v in headers.items() if k.lower() != "x-request-id"}
        # What every request sends goes into the session once; a call adds only its own id
        # (and, with a body, its content type): aiohttp merges per-request headers in Python.
        self._session_headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        self._content_type = next(
            (v for k, v in headers.items() if k.lower() == "content-type"), defaults.CONTENT_TYPE
        )
        # Request ids: random per client, counted per call (cheaper than a uuid4 per call).
        self._id_prefix = uuid.uuid4().hex[:20]
        self._ids = itertools.count(1)
        self._urls: dict[str, yarl.URL] = {}  # parsed once per path
        # id(profile) -> _Limits of the profile; the profile kept so its id stays its own
        self._limits: dict[int, _Limits] = {}
        self._proxy: yarl.URL | None = None  # from the environment, once per session
        # The loop the session was opened on: its clock times the attempts (asking asyncio for
        # the running loop is a getpid() system call on Python 3.11).
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def session(self) -> aiohttp.ClientSession:
        """The client's one session, opened on first use."""
        if self._closed:
            raise self.errors.closed()
        if self._session is None:
            config = self.config
            connector = self.stats.connector(
                limit=config.max_connections,
                keepalive_timeout=defaults.KEEPALIVE_TIMEOUT,
                ssl=self._ssl_setting(),
            )
            # trust_env is resolved here, once, not by aiohttp on every request (proxies.py).
            if config.trust_env:
                self._proxy = proxy_from_environment(config.base_url)
            self._loop = asyncio.get_running_loop()
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None),
                headers=self._session_headers,
            )
        return self._session

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        """Close the pool and the request log; safe to call more than once."""
        self._closed = True
        session, self._session = self._session, None
        self.deadlines.close()
        if session is not None and not session.closed:
            await session.close()
        self.log.close()

    def _ssl_setting(self) -> ssl.SSLContext | bool:
        config = self.config
        if not config.verify:
            logger.warning(
                "TLS certificate verification is OFF for %s: use this only for a test server",
                config.base_url,
            )
            return False
        if not config.base_url.startswith("https:") and not config.ca_file:
            return True  # plain HTTP: aiohttp's default, no bundle to load
        import certifi

        context = ssl.create_default_context(cafile=certifi.where())
        if config.ca_file:
            try:
                context.load_verify_locations(config.ca_file)
            except (OSError, ssl.SSLError) as error:
                raise self.errors.bad_ca_file(config.ca_file, error) from error
        return context

    # -- one attempt --------------------------------------------------------------------------

    def new_request_id(self) -> str:
        """A request id unique across clients and calls, sent as ``x-request-id``."""
        return f"{self._id_prefix}{next(self._ids):012x}"  # 32 hex digits, like a uuid

    async def open(
        self,
        method: str,
        path: str,
        body: bytes | None,
        limits: Timeout,
        kind: str,
        request_id: str,
        attempt: int,
        *,
        raise_for_status: bool = True,
    ) -> Reply:
        """Send one attempt and wait for its status line.

        Returns the ``Reply`` (body unread, limiter slot held); raises the typed error for a
        refused header, a failed connection, a timeout or (with ``raise_for_status``) an error
        status, with the slot given back.
        """
        if self._bad_header is not None:
            raise self.errors.bad_header(self._bad_header)
        limiter = self.limiter
        limited = kind not in defaults.UNLIMITED_KINDS
        if limited and not limiter.try_acquire():
            await limiter.acquire()
        try:  # one coroutine for the whole attempt: a frame fewer per request
            session = self._session or self.session()
            started = self._loop.time()
            entry = self._limits.get(id(limits))
            if entry is None or entry.profile is not limits:
                entry = self._limits_of(limits)
            total = limits.total
            deadline = started + total if total is not None else None
            wait, phase = entry.wait, entry.phase
            log_on = self.log.enabled()
            headers = {"x-request-id": request_id}
            if body is not None:
                if log_on:
                    self.log.body("request body", body)
                # The content type rides on the payload, not in the headers: aiohttp merges
                # each per-request header in Python, and it copies the payload's anyway.
                body = aiohttp.BytesPayload(body, content_type=self._content_type)
            self.stats.requests += 1
            timer = Deadline(self.deadlines, None if wait is None else started + wait)
            try:
                with timer:
                    response = await session.request(
                        method,
                        self._urls.get(path) or self._url(path),
                        data=body,
                        headers=headers,
                        timeout=entry.timeout,
                        proxy=self._proxy,
                    )
            except BaseException as error:
                failure = self.errors.exception(error, limits, phase, request_id)
                self._log_attempt(
                    method, path, None, started, attempt, request_id, kind, error, failure
                )
                if failure is None:
                    raise
                raise failure from error
            if log_on:
                self._log_attempt(method, path, response.status, started, attempt, request_id, kind)
            self.limiter.observe(response.headers)
            if response.status >= 400 and raise_for_status:
                raise await self._status_error(
                    Reply(self, response, deadline, request_id, started, False, timer, log_on)
                )
            return Reply(self, response, deadline, request_id, started, limited, timer, log_on)
        except BaseException:
            if limited:
                limiter.release()
            raise

    async def _status_error(self, reply: Reply) -> LiteLLMError:
        """The typed error of an error status, its body read (as far as it comes)."""
        try:
            body = await reply.read(defaults.MAX_ERROR_BODY_BYTES)
        except LiteLLMError:
            body = b""
        finally:
            reply.release()
        headers = reply.headers
        return self.errors.status(
            reply.status, body, headers, reply.server_request_id, server_wait(headers, time.time())
        )

    def _log_attempt(
        self,
        method: str,
        path: str,
        status: int | None,
        started: float,
        attempt: int,
        request_id: str,
        kind: str,
        error: BaseException | None = None,
        failure: LiteLLMError | None = None,
    ) -> None:
        """The per-attempt log line; ``error`` is what ended an attempt without a status."""
        if not self.log.enabled():
            return
        reason = None
        if status is None:
            if failure is not None:
                reason = f"{type(failure).__name__}: {failure.message}".rstrip(": ")
            elif isinstance(error, asyncio.CancelledError):
                reason = "cancelled"
            else:
                reason = str(error) or type(error).__name__
        self.log.attempt(
            method=method,
            url=self.config.base_url + path,
            status=status,
            latency=asyncio.get_running_loop().time() - started,
            attempt=attempt,
            request_id=request_id,
            kind=kind,
            error=reason,
        )

    def _limits_of(self, limits: Timeout) -> _Limits:
        """What an attempt needs of a timeout profile, worked out once per profile (kept by
        identity: a dataclass hash is computed in Python on every look-up)."""
        wait, phase = limits.first_byte, "first_byte"
        total = limits.total
        if total is not None and (wait is None or total < wait):
            wait, phase = total, "total"
        # aiohttp's part of the profile is the socket connect limit; the rest is ours.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=limits.connect, connect=None)
        if len(self._limits) >= defaults.MAX_TIMEOUT_PROFILES:  # a new Timeout per call
            self._limits.clear()
        entry = self._limits[id(limits)] = _Limits(limits, timeout, wait, phase)
        return entry

    def _url(self, path: str) -> yarl.URL:
        url = self._urls.get(path)
        if url is None:
            text = self.config.base_url + path
            try:
                url = yarl.URL(text)
            except ValueError as error:
                raise self.errors.bad_url(repr(text), str(error)) from error
            self._urls[path] = url
        return url

    # -- the attempt loop ---------------------------------------------------------------------

    async def call(
        self,
        attempt: Callable[[int], Awaitable[T]],
        *,
        number: int = 0,
        failed: LiteLLMError | None = None,
        delivered: bool = False,
        policy: RetryPolicy | None = None,
    ) -> T:
        """Run ``attempt(number)``, and the next numbers after each failure the policy retries,
        until one succeeds; raise the failure it does not retry.

        ``failed`` is the failure of attempt ``number - 1``, seen by its caller (a stream that
        broke while it was read); ``delivered`` says text of it already reached the caller.
        ``policy`` replaces the client's (``single_attempt`` for a health check).
        """
        policy = policy or self.policy
        while True:
            if failed is not None:
                await self._pause_or_raise(policy, failed, number - 1, delivered)
                delivered = False
            try:
                return await attempt(number)
            except LiteLLMError as error:
                failed = error
            number += 1

    async def _pause_or_raise(
        self, policy: RetryPolicy, error: LiteLLMError, attempt: int, delivered: bool
    ) -> None:
        """Sleep before the next attempt, or raise ``error`` when the policy says stop."""
        decision = decide(
            policy, error, attempt, delivered=delivered, now=time.time(), random=self.random()
        )
        if not decision.retry:
            raise error
        self.stats.retries += 1
        if isinstance(error, RateLimitError):
            self.stats.rate_limit_waits += 1
        # DEBUG: the INFO log has one line per attempt, which already shows the failure.
        logger.debug(
            "retrying in %.2f s (%s): %s", decision.delay, decision.reason, type(error).__name__
        )
        await asyncio.sleep(decision.delay)
