"""decide_retry() and server_wait(): which failures retry, how long to wait, when to give up."""

from __future__ import annotations

import dataclasses
import email.utils
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from litellm_screenwriter.client import defaults
from litellm_screenwriter.client.retry_policy import (
    RetryDecision,
    RetryPolicy,
    decide_retry,
    server_wait,
)

NOW = 1_700_000_000.0  # a fixed wall-clock time for the HTTP-date form
POLICY = RetryPolicy(max_retries=3, initial_backoff=0.5, max_backoff=8.0, max_retry_wait=60.0)


def http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


# -- the policy value ----------------------------------------------------------------------------


def test_policy_defaults_come_from_defaults_module() -> None:
    policy = RetryPolicy()
    assert policy.max_retries == defaults.DEFAULT_MAX_RETRIES
    assert policy.initial_backoff == defaults.DEFAULT_INITIAL_BACKOFF
    assert policy.max_backoff == defaults.DEFAULT_MAX_BACKOFF
    assert policy.max_retry_wait == defaults.DEFAULT_MAX_RETRY_WAIT
    assert policy.retry_statuses == frozenset({408, 409, 429})
    assert policy.jitter == defaults.JITTER
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.max_retries = 9  # type: ignore[misc]


# -- which statuses retry ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 501, 502, 503, 504, 529, 599])
def test_retryable_statuses_retry(status: int) -> None:
    assert POLICY.retryable_status(status)
    decision = decide_retry(POLICY, 0, status=status, random=0.0)
    assert decision.retry
    assert decision.delay == 0.5
    assert decision.server_wait is None
    assert decision.reason == "exponential backoff"


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 405, 410, 413, 415, 422, 451])
def test_other_4xx_are_final(status: int) -> None:
    assert not POLICY.retryable_status(status)
    decision = decide_retry(POLICY, 0, status=status)
    assert decision == RetryDecision(False, 0.0, None, f"status {status} is final")


def test_custom_retry_statuses() -> None:
    policy = RetryPolicy(retry_statuses=frozenset({425}))
    assert decide_retry(policy, 0, status=425).retry
    assert not decide_retry(policy, 0, status=429).retry
    assert decide_retry(policy, 0, status=500).retry  # every 5xx, whatever the set


def test_connection_errors_retry_and_a_failure_without_a_cause_does_not() -> None:
    assert decide_retry(POLICY, 0, connection_error=True).retry
    decision = decide_retry(POLICY, 0)
    assert not decision.retry
    assert decision.reason == "not a retryable failure"


# -- x-should-retry ------------------------------------------------------------------------------


def test_x_should_retry_true_makes_a_final_status_retry() -> None:
    decision = decide_retry(POLICY, 0, status=400, headers={"x-should-retry": "true"})
    assert decision.retry


def test_x_should_retry_false_stops_a_retryable_status() -> None:
    decision = decide_retry(POLICY, 0, status=503, headers={"x-should-retry": "false"})
    assert not decision.retry
    assert "x-should-retry" in decision.reason


def test_x_should_retry_false_stops_a_connection_error_and_reports_the_wait() -> None:
    headers = {"x-should-retry": "false", "retry-after": "5"}
    decision = decide_retry(POLICY, 0, connection_error=True, headers=headers)
    assert not decision.retry
    assert decision.server_wait == 5.0


@pytest.mark.parametrize(
    ("name", "value", "retry"),
    [
        ("X-Should-Retry", "TRUE", True),
        ("X-SHOULD-RETRY", " true ", True),
        ("x-should-retry", "False", False),
        ("x-should-retry", "maybe", False),  # unknown: the status decides (400 is final)
    ],
)
def test_x_should_retry_is_case_insensitive(name: str, value: str, retry: bool) -> None:
    assert decide_retry(POLICY, 0, status=400, headers={name: value}).retry is retry


def test_x_should_retry_true_does_not_override_attempts_or_the_wait_limit() -> None:
    headers = {"x-should-retry": "true"}
    assert not decide_retry(POLICY, 3, status=400, headers=headers).retry
    headers = {"x-should-retry": "true", "retry-after": "600"}
    assert not decide_retry(POLICY, 0, status=400, headers=headers).retry


def test_works_with_an_aiohttp_style_multidict() -> None:
    headers = CIMultiDict({"Retry-After-Ms": "250", "X-Should-Retry": "true"})
    decision = decide_retry(POLICY, 0, status=400, headers=headers)
    assert decision == RetryDecision(True, 0.25, 0.25, "server asked to wait")


# -- what the server asks for --------------------------------------------------------------------


def test_retry_after_ms() -> None:
    decision = decide_retry(POLICY, 0, status=429, headers={"retry-after-ms": "1500"})
    assert decision == RetryDecision(True, 1.5, 1.5, "server asked to wait")


def test_retry_after_ms_wins_over_retry_after() -> None:
    headers = {"retry-after-ms": "200", "retry-after": "30"}
    assert server_wait(headers, NOW) == 0.2


@pytest.mark.parametrize("bad", ["soon", "-5", "inf", "nan", ""])
def test_a_bad_retry_after_ms_falls_back_to_retry_after(bad: str) -> None:
    assert server_wait({"retry-after-ms": bad, "retry-after": "4"}, NOW) == 4.0
    assert server_wait({"retry-after-ms": bad}, NOW) is None


@pytest.mark.parametrize(("value", "wait"), [("3", 3.0), (" 2.5 ", 2.5), ("0", 0.0)])
def test_retry_after_seconds(value: str, wait: float) -> None:
    assert server_wait({"Retry-After": value}, NOW) == wait
    decision = decide_retry(POLICY, 1, status=503, headers={"Retry-After": value})
    assert decision == RetryDecision(True, wait, wait, "server asked to wait")


def test_a_server_wait_replaces_the_backoff_even_when_longer() -> None:
    decision = decide_retry(POLICY, 0, status=429, headers={"retry-after": "20"}, random=0.0)
    assert decision.delay == 20.0  # more than max_backoff: the server's word counts


def test_retry_after_http_date() -> None:
    headers = {"Retry-After": http_date(NOW + 30)}
    assert server_wait(headers, NOW) == pytest.approx(30.0)
    decision = decide_retry(POLICY, 0, status=503, headers=headers, now=NOW)
    assert decision.retry
    assert decision.delay == pytest.approx(30.0)


def test_retry_after_http_date_in_the_past_means_now() -> None:
    assert server_wait({"Retry-After": http_date(NOW - 3600)}, NOW) == 0.0


def test_retry_after_http_date_with_minus_zero_zone_is_utc_not_local_time(monkeypatch) -> None:
    # Regression: "-0000" gave a naive datetime, which .timestamp() read as local time.
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        value = http_date(NOW + 30).replace("GMT", "-0000")
        assert server_wait({"Retry-After": value}, NOW) == pytest.approx(30.0)
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    "bad",
    [
        "tomorrow",
        "-1",
        "nan",
        "inf",
        "Wed, 99 Foo 2024",
        "",
        # Found by make fuzz: datetime raised OverflowError for these, out of the client.
        "Wed, 2 Oct 2015 07777777777777777777777:0 GMT",
        "Wed, 2 Oct 99999999999 07:00:00 GMT",
        "Wed, 2 Oct 2015 07:00:00 +9999999999999",
        "Wed, 2 Oct 2015 07:00:00 +9999",
    ],
)
def test_unusable_retry_after_is_ignored(bad: str) -> None:
    assert server_wait({"retry-after": bad}, NOW) is None
    decision = decide_retry(POLICY, 0, status=503, headers={"retry-after": bad}, random=0.0)
    assert decision == RetryDecision(True, 0.5, None, "exponential backoff")


def test_no_headers_no_server_wait() -> None:
    assert server_wait(None, NOW) is None
    assert server_wait({}, NOW) is None
    assert server_wait({"content-type": "text/plain"}, NOW) is None


# -- the wait limit ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{"retry-after": "61"}, {"retry-after-ms": "61000"}, {"Retry-After": http_date(NOW + 3600)}],
)
def test_a_wait_over_max_retry_wait_fails_at_once_with_server_wait_set(headers) -> None:
    decision = decide_retry(POLICY, 0, status=429, headers=headers, now=NOW)
    assert not decision.retry
    assert decision.server_wait is not None
    assert decision.server_wait > POLICY.max_retry_wait
    assert "over the limit" in decision.reason


def test_a_wait_of_exactly_max_retry_wait_is_still_taken() -> None:
    decision = decide_retry(POLICY, 0, status=429, headers={"retry-after": "60"})
    assert decision == RetryDecision(True, 60.0, 60.0, "server asked to wait")


def test_the_wait_limit_applies_to_connection_errors_too() -> None:
    decision = decide_retry(POLICY, 0, connection_error=True, headers={"retry-after": "120"})
    assert (decision.retry, decision.server_wait) == (False, 120.0)


def test_a_final_status_still_reports_what_the_server_asked() -> None:
    decision = decide_retry(POLICY, 0, status=400, headers={"retry-after": "7"})
    assert (decision.retry, decision.server_wait) == (False, 7.0)


# -- attempts ------------------------------------------------------------------------------------


def test_attempts_exhausted() -> None:
    for attempt in range(POLICY.max_retries):
        assert decide_retry(POLICY, attempt, status=503).retry, attempt
    decision = decide_retry(POLICY, POLICY.max_retries, status=503)
    assert decision == RetryDecision(False, 0.0, None, "no retries left")
    assert not decide_retry(POLICY, POLICY.max_retries + 5, connection_error=True).retry


def test_attempts_exhausted_still_reports_the_server_wait() -> None:
    decision = decide_retry(POLICY, 3, status=429, headers={"retry-after": "2"})
    assert (decision.retry, decision.server_wait, decision.reason) == (
        False,
        2.0,
        "no retries left",
    )


def test_max_retries_zero_never_retries() -> None:
    policy = RetryPolicy(max_retries=0)
    assert not decide_retry(policy, 0, status=503).retry
    assert not decide_retry(policy, 0, connection_error=True).retry


# -- backoff -------------------------------------------------------------------------------------


def test_backoff_doubles_then_caps() -> None:
    policy = RetryPolicy(max_retries=100, initial_backoff=0.5, max_backoff=8.0, jitter=0.25)
    delays = [decide_retry(policy, a, status=500, random=0.0).delay for a in range(8)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]


def test_jitter_shortens_the_backoff_by_at_most_its_share() -> None:
    policy = RetryPolicy(max_retries=10, initial_backoff=1.0, max_backoff=100.0, jitter=0.25)
    assert decide_retry(policy, 2, status=500, random=0.0).delay == 4.0
    assert decide_retry(policy, 2, status=500, random=1.0).delay == 3.0
    assert decide_retry(policy, 2, status=500, random=0.5).delay == 3.5
    # random outside [0, 1] is clamped, never stretching or inverting the delay
    assert decide_retry(policy, 2, status=500, random=7.0).delay == 3.0
    assert decide_retry(policy, 2, status=500, random=-7.0).delay == 4.0


def test_a_huge_attempt_number_does_not_overflow() -> None:
    # Regression: 2.0 ** attempt raised OverflowError from attempt 1024 on.
    policy = RetryPolicy(max_retries=10**9, initial_backoff=0.5, max_backoff=8.0)
    for attempt in (63, 64, 65, 1023, 1024, 5000, 10**8):
        decision = decide_retry(policy, attempt, status=500, random=0.0)
        assert decision == RetryDecision(True, 8.0, None, "exponential backoff")


def test_zero_initial_backoff_retries_at_once() -> None:
    policy = RetryPolicy(initial_backoff=0.0)
    assert decide_retry(policy, 1, status=500).delay == 0.0


@settings(max_examples=200, deadline=None)
@given(
    attempt=st.integers(0, 2000),
    initial=st.floats(0.0, 10.0),
    cap=st.floats(0.0, 120.0),
    jitter=st.floats(0.0, 1.0),
    random=st.floats(0.0, 1.0),
)
def test_backoff_stays_within_its_bounds(
    attempt: int, initial: float, cap: float, jitter: float, random: float
) -> None:
    policy = RetryPolicy(
        max_retries=attempt + 1, initial_backoff=initial, max_backoff=cap, jitter=jitter
    )
    decision = decide_retry(policy, attempt, connection_error=True, random=random)
    base = min(initial * 2.0 ** min(attempt, 64), cap)
    assert decision.retry
    assert decision.server_wait is None
    assert base * (1.0 - jitter) - 1e-9 <= decision.delay <= base + 1e-9
    assert 0.0 <= decision.delay <= cap + 1e-9


@settings(max_examples=200, deadline=None)
@given(
    attempt=st.integers(0, 6),
    status=st.integers(400, 599),
    wait=st.none() | st.floats(0.0, 200.0),
    should=st.sampled_from([None, "true", "false"]),
)
def test_decisions_are_consistent(attempt: int, status: int, wait, should) -> None:
    headers = {}
    if wait is not None:
        headers["retry-after"] = repr(wait)
    if should is not None:
        headers["x-should-retry"] = should
    decision = decide_retry(POLICY, attempt, status=status, headers=headers, random=0.5)
    if decision.retry:
        assert should != "false"
        assert attempt < POLICY.max_retries
        assert should == "true" or POLICY.retryable_status(status)
        assert decision.delay >= 0
        if wait is not None:
            assert decision.delay == decision.server_wait == wait <= POLICY.max_retry_wait
    else:
        assert decision.delay == 0.0
        assert decision.reason
    if wait is not None:
        assert decision.server_wait == wait


def test_litellm_s_llm_provider_retry_after_is_the_wait_when_there_is_no_retry_after() -> None:
    """What LiteLLM 1.108.7 sends past a deployment's rpm (usage-based routing), captured in
    docs/reliability.md: 429, ``llm_provider-retry-after: 60``, no ``Retry-After``."""
    assert server_wait({"llm_provider-retry-after": "60"}, NOW) == 60.0
    assert server_wait({"LLM_PROVIDER-RETRY-AFTER-MS": "250"}, NOW) == 0.25
    both = {"retry-after": "5", "llm_provider-retry-after": "60"}
    assert server_wait(both, NOW) == 5.0  # the proxy's own word first
    unreadable = {"retry-after": "soon", "llm_provider-retry-after": "60"}
    assert server_wait(unreadable, NOW) == 60.0
    decision = decide_retry(POLICY, 0, status=429, headers={"llm_provider-retry-after": "60"})
    assert decision == RetryDecision(True, 60.0, 60.0, "server asked to wait")  # at the limit
    brief = RetryPolicy(max_retry_wait=10.0)
    decision = decide_retry(brief, 0, status=429, headers={"llm_provider-retry-after": "60"})
    assert decision == RetryDecision(False, 0.0, 60.0, "server asks to wait 60 s, over the limit")


# -- failures without a status, and text already delivered ----------------------------------------


def test_the_policy_names_the_failures_that_retry() -> None:
    assert RetryPolicy().retry_failures == frozenset({"connection", "timeout", "incomplete_stream"})
    for failure in ("connection", "timeout", "incomplete_stream"):
        assert decide_retry(POLICY, 0, failure=failure, random=0.0).retry
    decision = decide_retry(POLICY, 0, failure="tls")
    assert not decision.retry
    assert decision.reason == "a tls failure is final"
    assert decide_retry(RetryPolicy(retry_failures=frozenset({"tls"})), 0, failure="tls").retry
    assert not decide_retry(RetryPolicy(retry_failures=frozenset()), 0, failure="timeout").retry


def test_nothing_retries_once_text_reached_the_caller() -> None:
    for kw in ({"status": 503}, {"failure": "connection"}, {"failure": "incomplete_stream"}):
        decision = decide_retry(POLICY, 0, delivered=True, **kw)
        assert not decision.retry
        assert decision.reason == "text already reached the caller"


def test_failure_kinds_and_decide_read_the_error() -> None:
    from litellm_screenwriter.client.errors import (
        APIConnectionError,
        APIResponseValidationError,
        APITimeoutError,
        IncompleteStreamError,
        InvalidRequestError,
        RateLimitError,
    )
    from litellm_screenwriter.client.retry_policy import decide, failure_kind

    assert failure_kind(APIConnectionError("refused")) == "connection"
    assert failure_kind(APIConnectionError("bad cert", tls=True)) == "tls"
    assert failure_kind(APITimeoutError("slow")) == "timeout"
    assert failure_kind(IncompleteStreamError("cut")) == "incomplete_stream"
    assert failure_kind(APIResponseValidationError("odd")) is None
    assert failure_kind(InvalidRequestError("no")) is None
    assert decide(POLICY, APIConnectionError("refused"), 0).retry
    assert not decide(POLICY, APIConnectionError("bad cert", tls=True), 0).retry
    assert not decide(POLICY, InvalidRequestError("no"), 0).retry
    limited = RateLimitError("x", status=429, headers={"Retry-After": "2"})
    decision = decide(POLICY, limited, 0, now=NOW)
    assert (decision.retry, decision.delay, decision.server_wait) == (True, 2.0, 2.0)
    assert not decide(POLICY, limited, 0, delivered=True).retry
    assert not decide(POLICY, RateLimitError("x", status=429), 3).retry  # no retries left
