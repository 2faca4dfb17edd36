"""The connection status and the rate limit of the automatic check (no Blender)."""

from __future__ import annotations

import pytest

from litellm_screenwriter import status
from litellm_screenwriter.client import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    RateLimitError,
)
from litellm_screenwriter.worker import ServerCheck


@pytest.fixture(autouse=True)
def fresh_status():
    status.reset()
    yield
    status.reset()


def test_a_check_is_due_at_once_then_once_a_minute() -> None:
    assert status.check_due(1000.0)
    status.record_attempt(1000.0)
    assert not status.check_due(1059.9)
    assert status.seconds_until_due(1030.0) == pytest.approx(30.0)
    assert status.check_due(1060.0)


def test_a_check_reports_latency_models_and_when() -> None:
    check = ServerCheck("http://127.0.0.1:4000", True, True, 12.4, ("a", "b", "c"))
    current = status.record_check(check, 500.0, wall=0.0)
    assert current.ok
    assert (current.latency_ms, current.models, current.url) == (12.4, 3, check.url)
    assert current.summary().startswith("Connected · 12 ms · 3 models · ")
    assert not status.check_due(559.0)  # a check a click sent counts for the rate limit too


def test_a_connection_or_key_failure_makes_it_fail_in_the_errors_words() -> None:
    error = APIConnectionError("Could not talk to the LiteLLM server at http://x:1")
    current = status.record_outcome(error, 10.0, wall=0.0)
    assert current.state == "failing"
    assert current.message == str(error)
    assert "is the LiteLLM server running" in current.message
    assert status.record_outcome(AuthenticationError("bad key", status=401), 11.0).state == (
        "failing"
    )


def test_errors_about_one_request_leave_the_status_alone() -> None:
    status.record_check(ServerCheck("http://h", True, True, 5.0, ("m",)), 1.0)
    for error in (BadRequestError("too long", status=400), RateLimitError("slow", status=429)):
        assert status.record_outcome(error, 2.0).state == "ok"


def test_an_answer_proves_the_server_works_and_keeps_what_the_check_knew() -> None:
    status.record_check(ServerCheck("http://h", True, True, 5.0, ("m", "n")), 1.0)
    status.record_outcome(APIConnectionError("down"), 2.0)
    current = status.record_outcome(None, 3.0)
    assert current.ok
    assert current.models == 2


def test_blocked_says_why_without_a_check() -> None:
    current = status.record_blocked("Online access is off")
    assert current.state == "blocked"
    assert current.summary() == "Not checked: online access is off"
