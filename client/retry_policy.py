"""When to retry a failed request and how long to wait first: data plus one pure function.

``RetryPolicy`` holds the rules as data (which statuses and which failures retry, the backoff,
the caps); ``decide_retry()`` looks at one failure (status or kind of failure, headers, attempt
number, whether text already reached the caller) and returns a ``RetryDecision``; ``decide()``
does the same for a ``LiteLLMError``. No I/O, no clock or randomness of its own (both are
passed in), so every rule is testable in isolation. The client's one attempt loop
(``Transport.call``) asks nothing else.
"""

from __future__ import annotations

import datetime
import email.utils
import math
from collections.abc import Mapping
from dataclasses import dataclass

from . import defaults
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    IncompleteStreamError,
    LiteLLMError,
)

__all__ = ["RetryDecision", "RetryPolicy", "decide", "decide_retry", "failure_kind", "server_wait"]


@dataclass(frozen=True)
class RetryPolicy:
    """What retries and how: ``max_retries`` after the first attempt; the statuses in
    ``retry_statuses`` and every 5xx; the failures without a status in ``retry_failures``
    (``"connection"``, ``"timeout"``, ``"incomplete_stream"``; not ``"tls"``); backoff
    ``initial_backoff * 2**attempt`` capped at ``max_backoff`` with jitter; a server-asked
    wait above ``max_retry_wait`` failing at once."""

    max_retries: int = defaults.DEFAULT_MAX_RETRIES
    initial_backoff: float = defaults.DEFAULT_INITIAL_BACKOFF
    max_backoff: float = defaults.DEFAULT_MAX_BACKOFF
    max_retry_wait: float = defaults.DEFAULT_MAX_RETRY_WAIT
    retry_statuses: frozenset[int] = defaults.RETRYABLE_STATUSES
    retry_failures: frozenset[str] = defaults.RETRYABLE_FAILURES
    jitter: float = defaults.JITTER

    def retryable_status(self, status: int) -> bool:
        """408, 409, 429 and every 5xx."""
        return status in self.retry_statuses or status >= 500


@dataclass(frozen=True)
class RetryDecision:
    """``retry``: try again after ``delay`` seconds. ``server_wait``: what the server asked
    for (seconds), if it did; ``reason`` explains the decision for the log."""

    retry: bool
    delay: float = 0.0
    server_wait: float | None = None
    reason: str = ""


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None:  # plain dicts are case-sensitive; multidicts are not
        lowered = name.lower()
        for key, candidate in headers.items():
            if key.lower() == lowered:
                return candidate
    return value


# LiteLLM's proxy passes on a provider's headers under this prefix, its own router's wait too
# (past a deployment's rpm it answers 429 with ``llm_provider-retry-after: 60`` and no
# ``Retry-After``; see docs/reliability.md).
_PREFIXES = ("", "llm_provider-")


def server_wait(headers: Mapping[str, str] | None, now: float) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, else ``Retry-After`` as
    seconds or an HTTP date (``now`` is the wall-clock time, for the date form); else the same
    two under LiteLLM's ``llm_provider-`` prefix."""
    for prefix in _PREFIXES:
        wait = _wait(headers, prefix, now)
        if wait is not None:
            return wait
    return None


def _wait(headers: Mapping[str, str] | None, prefix: str, now: float) -> float | None:
    value = _header(headers, prefix + "retry-after-ms")
    if value is not None:
        try:
            wait = float(value) / 1000.0
        except ValueError:
            wait = None
        if wait is not None and math.isfinite(wait) and wait >= 0:
            return wait
    value = _header(headers, prefix + "retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        wait = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            if when is None:
                return None
            if when.tzinfo is None:  # "-0000": a UTC time of unknown origin, not local time
                when = when.replace(tzinfo=datetime.UTC)
            return max(0.0, when.timestamp() - now)
        # OverflowError: a year, an hour or a zone too large for datetime ("2015 0777...:0").
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return wait if math.isfinite(wait) and wait >= 0 else None


def failure_kind(error: LiteLLMError) -> str | None:
    """What kind of failure without a status ``error`` is, as ``retry_failures`` names them:
    ``"tls"``, ``"timeout"``, ``"connection"``, ``"incomplete_stream"``; None for a status
    error or a failure no retry can mend (a refused request, a malformed answer)."""
    if isinstance(error, APIConnectionError):
        if error.tls:
            return "tls"
        return "timeout" if isinstance(error, APITimeoutError) else "connection"
    if isinstance(error, IncompleteStreamError):
        return "incomplete_stream"
    return None


def decide_retry(
    policy: RetryPolicy,
    attempt: int,
    *,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
    connection_error: bool = False,
    failure: str | None = None,
    delivered: bool = False,
    now: float = 0.0,
    random: float = 1.0,
) -> RetryDecision:
    """Decide on one failure.

    ``attempt`` counts from 0 (the first try failed); ``status`` is the HTTP status, or None
    for a failure without one, whose kind ``failure`` names (``connection_error=True`` is
    ``failure="connection"``); ``delivered`` says text of this answer already reached the
    caller, which a retry would repeat, so nothing retries then; ``random`` in [0, 1] picks
    the jitter. A server wait longer than ``max_retry_wait`` returns ``retry=False`` with
    ``server_wait`` set, so the caller can fail at once and say how long to wait.
    """
    wait = server_wait(headers, now)
    if delivered:
        return RetryDecision(False, server_wait=wait, reason="text already reached the caller")
    should = (_header(headers, "x-should-retry") or "").strip().lower()
    if should == "false":
        return RetryDecision(False, server_wait=wait, reason="server said x-should-retry: false")
    if status is not None and should != "true" and not policy.retryable_status(status):
        return RetryDecision(False, server_wait=wait, reason=f"status {status} is final")
    if connection_error and failure is None:
        failure = "connection"
    if status is None and failure is None:
        return RetryDecision(False, reason="not a retryable failure")
    if status is None and failure not in policy.retry_failures:
        return RetryDecision(False, reason=f"a {failure} failure is final")
    if wait is not None and wait > policy.max_retry_wait:
        return RetryDecision(
            False, server_wait=wait, reason=f"server asks to wait {wait:g} s, over the limit"
        )
    if attempt >= policy.max_retries:
        return RetryDecision(False, server_wait=wait, reason="no retries left")
    if wait is not None:
        return RetryDecision(True, wait, wait, "server asked to wait")
    # The exponent is capped: 2.0**1024 overflows, and 2**64 times any backoff is over the cap.
    backoff = min(policy.initial_backoff * 2.0 ** min(attempt, 64), policy.max_backoff)
    backoff *= 1.0 - policy.jitter * min(max(random, 0.0), 1.0)
    return RetryDecision(True, backoff, None, "exponential backoff")


def decide(
    policy: RetryPolicy,
    error: LiteLLMError,
    attempt: int,
    *,
    delivered: bool = False,
    now: float = 0.0,
    random: float = 1.0,
) -> RetryDecision:
    """``decide_retry`` for a ``LiteLLMError``: its status and headers, or its kind of failure."""
    if isinstance(error, APIStatusError):
        return decide_retry(
            policy,
            attempt,
            status=error.status,
            headers=error.headers,
            delivered=delivered,
            now=now,
            random=random,
        )
    return decide_retry(
        policy, attempt, failure=failure_kind(error), delivered=delivered, random=random
    )
