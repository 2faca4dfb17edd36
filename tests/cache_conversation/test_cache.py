"""ResponseCache and is_deterministic: LRU order, TTL with an injected clock, the size bound, and
which requests share a key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from litellm_screenwriter.client.cache import IGNORED_PARAMS, ResponseCache, is_deterministic
from litellm_screenwriter.client.types import Completion, Usage

MESSAGES = [
    {"role": "system", "content": "You are a script doctor."},
    {"role": "user", "content": "Hi"},
]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def completion(text: str = "FADE IN:") -> Completion:
    return Completion(text, "stop", Usage(3, 4, 7), 0.001, "req-1", "mock", {"id": "x"})


# -- key normalization -----------------------------------------------------------------------------


def test_key_is_a_sha256_hex_digest() -> None:
    key = ResponseCache.key("m", MESSAGES, {})
    assert len(key) == 64
    assert int(key, 16) >= 0


def test_reordered_params_give_the_same_key() -> None:
    a = ResponseCache.key("m", MESSAGES, {"temperature": 0, "max_tokens": 50, "top_p": 1})
    b = ResponseCache.key("m", MESSAGES, {"top_p": 1, "max_tokens": 50, "temperature": 0})
    assert a == b


def test_integral_floats_equal_ints() -> None:
    a = ResponseCache.key("m", MESSAGES, {"temperature": 0, "top_p": 1, "stop": ["\n"]})
    b = ResponseCache.key("m", MESSAGES, {"temperature": 0.0, "top_p": 1.0, "stop": ("\n",)})
    assert a == b
    assert a != ResponseCache.key("m", MESSAGES, {"temperature": 0.5, "top_p": 1})


def test_reordered_keys_inside_messages_give_the_same_key() -> None:
    swapped = [{"content": m["content"], "role": m["role"]} for m in MESSAGES]
    assert ResponseCache.key("m", MESSAGES, {}) == ResponseCache.key("m", swapped, {})


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"temperature": 0}, {"temperature": 0.7}),
        ({"temperature": 0}, {"temperature": 0, "max_tokens": 10}),
        ({"seed": 1}, {"seed": 2}),
        ({"response_format": {"type": "json_object"}}, {}),
    ],
)
def test_params_that_change_the_answer_change_the_key(a: dict, b: dict) -> None:
    assert ResponseCache.key("m", MESSAGES, a) != ResponseCache.key("m", MESSAGES, b)


def test_model_and_messages_change_the_key() -> None:
    base = ResponseCache.key("m", MESSAGES, {})
    assert ResponseCache.key("other", MESSAGES, {}) != base
    assert ResponseCache.key("m", [*MESSAGES, {"role": "user", "content": "more"}], {}) != base
    assert ResponseCache.key("m", list(reversed(MESSAGES)), {}) != base


@pytest.mark.parametrize(
    "noise",
    [
        {"stream": True},
        {"stream_options": {"include_usage": True}},
        {"user": "alice"},
        {"metadata": {"scene": 3}},
        {"timeout": 30},
        {"request_timeout": 30},
        {"seed": None},
    ],
)
def test_delivery_params_and_none_values_do_not_change_the_key(noise: dict) -> None:
    params = {"temperature": 0}
    assert ResponseCache.key("m", MESSAGES, params) == ResponseCache.key(
        "m", MESSAGES, {**params, **noise}
    )


def test_ignored_params_name_the_documented_ones() -> None:
    assert {"stream", "stream_options", "user", "metadata", "timeout"} <= IGNORED_PARAMS


def test_key_survives_values_json_cannot_encode() -> None:
    class Odd:
        def __repr__(self) -> str:
            return "Odd()"

    assert ResponseCache.key("m", MESSAGES, {"x": Odd()}) == ResponseCache.key(
        "m", MESSAGES, {"x": Odd()}
    )


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=8),
        st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=5), st.booleans()),
        max_size=6,
    )
)
def test_key_does_not_depend_on_param_order(params: dict) -> None:
    reordered = dict(reversed(list(params.items())))
    assert ResponseCache.key("m", MESSAGES, params) == ResponseCache.key("m", MESSAGES, reordered)


# -- get / put -------------------------------------------------------------------------------------


def test_miss_then_hit_counts_and_marks_cached() -> None:
    cache = ResponseCache()
    key = ResponseCache.key("m", MESSAGES, {"temperature": 0})
    assert cache.get(key) is None
    assert (cache.hits, cache.misses) == (0, 1)

    stored = completion()
    cache.put(key, stored)
    served = cache.get(key)
    assert served is not None
    assert served.cached is True
    assert stored.cached is False  # the stored value is not mutated
    assert (served.text, served.usage, served.request_id) == ("FADE IN:", Usage(3, 4, 7), "req-1")
    assert served.raw == {"id": "x"}
    assert (cache.hits, cache.misses) == (1, 1)
    assert len(cache) == 1


def test_put_replaces_an_existing_entry() -> None:
    cache = ResponseCache()
    cache.put("k", completion("old"))
    cache.put("k", completion("new"))
    assert len(cache) == 1
    assert cache.get("k").text == "new"


def test_size_bound_evicts_least_recently_used() -> None:
    cache = ResponseCache(max_entries=3)
    for name in "abc":
        cache.put(name, completion(name))
    assert cache.get("a") is not None  # touch a: b is now the oldest
    cache.put("d", completion("d"))
    assert len(cache) == 3
    assert cache.get("b") is None  # a miss touches nothing: a, c and d are the three left
    cache.put("e", completion("e"))  # c is the oldest now
    assert len(cache) == 3
    assert cache.get("c") is None
    assert {k for k in "ade" if cache.get(k) is not None} == {"a", "d", "e"}


def test_put_refreshes_recency() -> None:
    cache = ResponseCache(max_entries=2)
    cache.put("a", completion())
    cache.put("b", completion())
    cache.put("a", completion("again"))
    cache.put("c", completion())
    assert cache.get("a") is not None
    assert cache.get("b") is None


def test_never_grows_beyond_max_entries() -> None:
    cache = ResponseCache(max_entries=5)
    for i in range(50):
        cache.put(str(i), completion())
        assert len(cache) <= 5
    assert {k for k in map(str, range(50)) if cache.get(k) is not None} == {
        str(i) for i in range(45, 50)
    }


def test_ttl_expiry_with_injected_clock() -> None:
    clock = FakeClock()
    cache = ResponseCache(ttl=10.0, clock=clock)
    cache.put("k", completion())
    clock.now += 9.999
    assert cache.get("k") is not None
    clock.now += 0.001  # exactly ttl after the put: expired
    assert cache.get("k") is None
    assert len(cache) == 0  # the expired entry was dropped, not kept around
    assert (cache.hits, cache.misses) == (1, 1)


def test_ttl_counts_from_the_last_put_not_the_last_get() -> None:
    clock = FakeClock()
    cache = ResponseCache(ttl=10.0, clock=clock)
    cache.put("k", completion())
    clock.now += 6
    assert cache.get("k") is not None
    clock.now += 6
    assert cache.get("k") is None
    cache.put("k", completion())
    clock.now += 6
    assert cache.get("k") is not None


def test_clear_empties_but_keeps_counters() -> None:
    cache = ResponseCache()
    cache.put("a", completion())
    cache.get("a")
    cache.get("zzz")
    cache.clear()
    assert len(cache) == 0
    assert cache.get("a") is None
    assert (cache.hits, cache.misses) == (1, 2)


def test_repr_shows_size_and_counters() -> None:
    cache = ResponseCache(max_entries=4, ttl=5)
    cache.put("a", completion())
    assert repr(cache) == "ResponseCache(entries=1, max_entries=4, ttl=5, hits=0, misses=0)"


def test_defaults() -> None:
    cache = ResponseCache()
    assert (cache.max_entries, cache.ttl) == (256, 600.0)


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"max_entries": 0}, "max_entries"), ({"ttl": 0}, "ttl")]
)
def test_bad_bounds_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ResponseCache(**kwargs)


# -- is_deterministic ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "force", "expected"),
    [
        ({"temperature": 0}, None, True),
        ({"temperature": 0.0}, None, True),
        ({"temperature": 0, "n": 1}, None, True),
        ({"temperature": 0, "n": None}, None, True),
        ({"temperature": 0, "n": 2}, None, False),
        ({"temperature": 0.2}, None, False),
        ({}, None, False),  # the server's default temperature is not 0
        ({"temperature": None}, None, False),
        ({"temperature": False}, None, False),  # a bool is not a temperature
        ({"temperature": 0.7}, True, True),
        ({}, True, True),
        ({"temperature": 0, "n": 3}, True, True),
        ({"temperature": 0}, False, False),
    ],
)
def test_is_deterministic(params: dict, force: bool | None, expected: bool) -> None:
    assert is_deterministic(params, force) is expected


def test_key_for_a_payload_only_when_the_request_may_be_cached() -> None:
    cache = ResponseCache()
    payload = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0}
    key = cache.key_for(payload, {"temperature": 0}, None)
    assert key == ResponseCache.key("m", payload["messages"], {"temperature": 0})
    assert cache.key_for(payload, {"temperature": 0.7}, None) is None
    assert cache.key_for(payload, {"temperature": 0}, False) is None
    assert cache.key_for(payload, {"temperature": 0.7}, True) is not None
