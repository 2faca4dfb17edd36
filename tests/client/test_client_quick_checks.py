"""The hand-written hot-path checks never accept what the JSON Schemas reject.

``request_is_well_formed`` and ``completion_is_well_formed`` may say False for valid data (it
then goes through full validation), but a True must mean the schema agrees, and no input may make
them raise. Hypothesis builds near-valid documents, mutated at random, to probe the edges.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litellm_screenwriter.client.quick_checks import (
    completion_is_well_formed,
    request_is_well_formed,
)
from litellm_screenwriter.client.validation import schema_errors

ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.lists(st.integers(0, 2), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(0, 2), max_size=2),
)


def maybe(strategy):
    """Usually ``strategy``, sometimes any odd value instead."""
    return st.one_of(strategy, strategy, strategy, ODD)


ROLES = st.sampled_from(["system", "developer", "user", "assistant", "tool", "function", "hero"])
FINISH = st.sampled_from(["stop", "length", "tool_calls", "content_filter", "eos", "nope", None])

messages = st.lists(
    st.fixed_dictionaries(
        {"role": maybe(ROLES)},
        optional={
            "content": maybe(st.one_of(st.text(max_size=8), st.none())),
            "name": maybe(st.text(max_size=3)),
            "extra": ODD,
        },
    ),
    max_size=3,
)
requests = st.fixed_dictionaries(
    {"model": maybe(st.text(max_size=6)), "messages": maybe(messages)},
    optional={
        "temperature": maybe(st.floats(-1, 3) | st.integers(-1, 3)),
        "stream": maybe(st.booleans()),
        "stream_options": maybe(st.fixed_dictionaries({}, optional={"include_usage": ODD})),
        "max_tokens": maybe(st.integers(-1, 5)),
    },
)
usage = st.fixed_dictionaries(
    {},
    optional={
        "prompt_tokens": maybe(st.integers(-1, 9)),
        "completion_tokens": maybe(st.integers(-1, 9)),
        "total_tokens": maybe(st.integers(-1, 9)),
    },
)
choices = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "index": maybe(st.integers(0, 2)),
            "message": maybe(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "role": maybe(st.just("assistant")),
                        "content": maybe(st.text(max_size=5) | st.none()),
                    },
                )
            ),
            "finish_reason": maybe(FINISH),
        },
    ),
    max_size=3,
)
completions = st.fixed_dictionaries(
    {},
    optional={
        "id": maybe(st.text(max_size=4)),
        "object": maybe(st.just("chat.completion")),
        "model": maybe(st.text(max_size=4)),
        "choices": maybe(choices),
        "usage": maybe(usage | st.none()),
    },
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests)
def test_a_request_the_quick_check_accepts_is_valid(payload):
    if request_is_well_formed(payload):
        assert schema_errors("request", payload) == []


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(completions)
def test_a_completion_the_quick_check_accepts_is_valid(body):
    if completion_is_well_formed(body):
        assert schema_errors("completion", body) == []


@settings(max_examples=200, deadline=None)
@given(st.one_of(ODD, st.lists(ODD, max_size=3)))
def test_anything_at_all_is_answered_not_raised(value):
    assert completion_is_well_formed(value) in (True, False)
    if isinstance(value, dict):
        assert request_is_well_formed(value) in (True, False)


USER = {"role": "user", "content": "hi"}


@pytest.mark.parametrize(
    "payload",
    [
        {"model": "m", "messages": [USER]},
        {"model": "m", "messages": [USER], "temperature": 0},
        {"model": "m", "messages": [USER], "temperature": 2.0},
        {"model": "m", "messages": [{"role": "system"}, USER], "stream": True},
        {"model": "m", "messages": [USER], "stream_options": {"include_usage": True}},
        {"model": "m", "messages": [{"role": "assistant", "content": None}]},
    ],
)
def test_the_common_requests_take_the_fast_path(payload):
    assert request_is_well_formed(payload)
    assert schema_errors("request", payload) == []


@pytest.mark.parametrize(
    "payload",
    [
        {"model": "m", "messages": [{"role": ["user"], "content": "x"}]},  # unhashable role
        {"model": "m", "messages": [{"role": {"r": 1}, "content": "x"}]},
        {"model": "m", "messages": [USER], "temperature": math.nan},
        {"model": "m", "messages": [USER], "temperature": True},
        {"model": "m", "messages": [USER], "stream_options": {"include_usage": 1}},
        {"model": "m", "messages": [USER], "stream_options": []},
        {"model": "m", "messages": [USER], "stream": "yes"},
        {"model": "m", "messages": [{"role": "user", "name": "x"}]},
        {"model": "m", "messages": [{"role": "user", "content": 5}]},
        {"model": "m", "messages": ["hi"]},
        {"model": "m", "messages": []},
        {"model": "", "messages": [USER]},
        {"model": "m", "messages": [USER], "top_p": 0.5},  # left to the schema
    ],
)
def test_anything_unusual_goes_to_full_validation(payload):
    assert request_is_well_formed(payload) is False


def body(**choice) -> dict:
    return {"choices": [{"message": {"content": "x"}, **choice}]}


@pytest.mark.parametrize(
    "value",
    [
        body(finish_reason=["stop"]),  # unhashable finish reason
        body(finish_reason={"why": "stop"}),
        body(finish_reason="bored"),
        body(index=True),
        {"choices": [{"message": {"content": "x"}}], "usage": {"prompt_tokens": 1}},
        {
            "choices": [{"message": {"content": "x"}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": None},
        },
        {
            "choices": [{"message": {"content": "x"}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": -1},
        },
        {"choices": [{"message": {"content": "x"}}], "usage": [1]},
        {"choices": [{"message": {"content": "x", "role": 1}}]},
        {"choices": [{"message": "x"}]},
        {"choices": ["x"]},
        {"choices": []},
        {"choices": [{"message": {}}], "model": 3},
    ],
)
def test_an_unusual_completion_goes_to_full_validation(value):
    assert completion_is_well_formed(value) is False


@pytest.mark.parametrize(
    "extra",
    [
        {"temperature": None},
        {"stream": None},
        {"stream_options": None},
        {"stream_options": {"include_usage": None}},
    ],
)
def test_a_present_null_field_is_left_to_the_schema(extra):
    """Found by the property test above: null is not a number or a flag for the schema."""
    payload = {"model": "m", "messages": [{"role": "user", "content": "hi"}], **extra}
    assert request_is_well_formed(payload) is False
    assert schema_errors("request", payload) != []
