"""Request validation with readable messages, the shipped schemas, and the quick chunk check
(never more lenient than the full "chunk" schema)."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jsonschema.exceptions import ValidationError

from litellm_screenwriter.client import defaults
from litellm_screenwriter.client.validation import (
    chunk_is_well_formed,
    describe,
    schema_errors,
    summary,
    validate_request,
    validator,
)

MESSAGES = [
    {"role": "system", "content": "You are a script doctor."},
    {"role": "user", "content": "INT. KITCHEN - NIGHT. Punch up this scene."},
]


def request(**fields) -> dict:
    payload = {"model": "gpt-4o-mini", "messages": copy.deepcopy(MESSAGES)}
    payload.update(fields)
    return payload


def load_schema(name: str) -> dict:
    return json.loads((defaults.SCHEMA_DIR / defaults.SCHEMA_FILES[name]).read_text("utf-8"))


# -- the schemas ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(defaults.SCHEMA_FILES))
def test_every_schema_file_is_a_valid_schema_and_is_compiled_once(name: str) -> None:
    schema = load_schema(name)
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert validator(name) is validator(name)
    assert validator(name).schema == schema


def test_schemas_agree_with_the_constants() -> None:
    request_schema = load_schema("request")
    roles = request_schema["$defs"]["message"]["properties"]["role"]["enum"]
    assert set(roles) == defaults.ALLOWED_ROLES
    temperature = request_schema["properties"]["temperature"]
    assert (temperature["minimum"], temperature["maximum"]) == defaults.TEMPERATURE_RANGE
    chunk_reasons = load_schema("chunk")["properties"]["choices"]["items"]["properties"][
        "finish_reason"
    ]["enum"]
    assert set(chunk_reasons) - {None} == defaults.FINISH_REASONS
    completion_reasons = load_schema("completion")["$defs"]["finish_reason"]["enum"]
    assert set(completion_reasons) == set(chunk_reasons)


def test_unknown_schema_name() -> None:
    with pytest.raises(KeyError):
        validator("nope")


# -- validate_request ----------------------------------------------------------------------------


def test_a_good_request_has_no_problems() -> None:
    assert validate_request(request()) == []
    assert (
        validate_request(
            request(
                temperature=0.7,
                top_p=1,
                max_tokens=512,
                stream=True,
                stream_options={"include_usage": True},
                stop=["FADE OUT."],
                response_format={"type": "json_object"},
                seed=3,
                user="writer-1",
                metadata={"anything": "goes"},
            )
        )
        == []
    )


def test_multimodal_and_tool_messages_pass() -> None:
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        {"role": "assistant", "content": None, "tool_calls": []},
        {"role": "tool", "content": "42", "name": "calc"},
        {"role": "developer", "content": "be brief"},
    ]
    assert validate_request({"model": "m", "messages": messages}) == []


def test_empty_messages() -> None:
    assert validate_request(request(messages=[])) == ["messages is empty"]


def test_unknown_role() -> None:
    payload = request()
    payload["messages"][1]["role"] = "director"
    assert validate_request(payload) == [
        "messages[1].role is 'director', which is not one of 'system', 'developer', 'user', "
        "'assistant', 'tool', 'function'"
    ]


@pytest.mark.parametrize("value", [2.5, -0.1, 3, 100])
def test_temperature_out_of_range(value) -> None:
    assert validate_request(request(temperature=value)) == [
        f"temperature must be between 0 and 2, not {value!r}"
    ]


@pytest.mark.parametrize("value", [0, 2, 0.0, 2.0, 1])
def test_temperature_at_the_edges_is_fine(value) -> None:
    assert validate_request(request(temperature=value)) == []


def test_temperature_of_the_wrong_type() -> None:
    assert validate_request(request(temperature="hot")) == [
        'temperature must be number, not str "hot"'
    ]
    assert validate_request(request(temperature=True)) == [
        "temperature must be number, not bool true"
    ]


def test_missing_fields_and_wrong_types() -> None:
    assert validate_request({"messages": MESSAGES}) == ["the body: 'model' is a required property"]
    assert validate_request(request(model=5)) == ["model must be string, not int 5"]
    assert validate_request(request(max_tokens=0)) == ["max_tokens must be at least 1, not 0"]
    assert validate_request(request(messages=[{"content": "hi"}])) == [
        "messages[0]: 'role' is a required property"
    ]
    assert validate_request(request(messages="hello")) == [
        'messages must be array, not str "hello"'
    ]
    assert validate_request([]) == ["the body must be object, not list []"]


def test_other_problems_get_jsonschema_words_with_the_path() -> None:
    (problem,) = validate_request(request(model=""))
    assert problem.startswith("model: ")
    (problem,) = validate_request(request(stop=["a", "b", "c", "d", "e"]))
    assert problem.startswith("stop: ")
    (problem,) = validate_request(request(response_format={"type": "xml"}))
    assert problem.startswith("response_format.type is 'xml', which is not one of 'text'")


def test_several_problems_are_all_listed_in_path_order() -> None:
    payload = request(temperature=9, top_p=-1, messages=[{"role": "narrator"}, {"role": 1}])
    assert validate_request(payload) == [
        "messages[0].role is 'narrator', which is not one of 'system', 'developer', 'user', "
        "'assistant', 'tool', 'function'",
        "messages[1].role is 1, which is not one of 'system', 'developer', 'user', "
        "'assistant', 'tool', 'function'",
        "temperature must be between 0 and 2, not 9",
        "top_p must be between 0 and 1, not -1",
    ]


# -- describe ------------------------------------------------------------------------------------


def first_error(schema: dict, instance) -> ValidationError:
    error = next(jsonschema.Draft202012Validator(schema).iter_errors(instance), None)
    assert error is not None
    return error


def test_describe_a_maximum_without_a_minimum() -> None:
    # Regression: this read "must be at least None".
    error = first_error({"properties": {"n": {"maximum": 4}}}, {"n": 9})
    assert describe(error) == "n must be at most 4, not 9"


def test_describe_a_minimum_without_a_maximum() -> None:
    error = first_error({"properties": {"n": {"minimum": 1}}}, {"n": -2})
    assert describe(error) == "n must be at least 1, not -2"


def test_describe_a_type_union_and_a_long_value() -> None:
    error = first_error({"properties": {"id": {"type": ["string", "null"]}}}, {"id": 5})
    assert describe(error) == "id must be string or null, not int 5"
    long = {"k": "x" * 200}
    error = first_error({"type": "string"}, long)
    text = describe(error)
    assert text.startswith('the body must be string, not dict {"k": "xxx')
    assert text.endswith("...")
    assert len(text) < 120


def test_describe_nested_paths() -> None:
    schema = {"properties": {"a": {"items": {"properties": {"b": {"type": "integer"}}}}}}
    assert describe(first_error(schema, {"a": [{}, {"b": "no"}]})) == (
        'a[1].b must be integer, not str "no"'
    )
    assert describe(first_error({"items": {"type": "string"}}, [1])) == (
        "[0] must be string, not int 1"
    )


def test_describe_empty_list_and_enum_with_null() -> None:
    assert describe(first_error({"minItems": 1}, [])) == "the body is empty"
    assert describe(first_error({"minItems": 2}, [1])).startswith("the body: ")
    error = first_error({"properties": {"r": {"enum": ["stop", None]}}}, {"r": "done"})
    assert describe(error) == "r is 'done', which is not one of 'stop'"


def test_schema_errors_of_other_schemas() -> None:
    assert schema_errors("models", {"data": [{"id": "gpt-4o"}]}) == []
    assert schema_errors("models", {"data": [{"id": ""}]}) != []
    assert schema_errors("models", {}) == ["the body: 'data' is a required property"]
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "FADE IN:"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
    }
    assert schema_errors("completion", completion) == []
    completion["choices"] = []
    assert schema_errors("completion", completion) == ["choices is empty"]


# -- the quick chunk check -----------------------------------------------------------------------

VALID_CHUNKS = {
    "openai-first": {
        "id": "chatcmpl-123",
        "object": "chat.completion.chunk",
        "created": 1694268190,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_44709d6fcb",
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": "", "refusal": None},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
    },
    "openai-content": {
        "id": "chatcmpl-123",
        "object": "chat.completion.chunk",
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": {"content": "FADE IN:"}, "finish_reason": None}],
    },
    "openai-finish": {
        "id": "chatcmpl-123",
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    },
    "openai-usage": {
        "id": "chatcmpl-123",
        "model": "gpt-4o-mini",
        "choices": [],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 30,
            "total_tokens": 42,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
    },
    "litellm": {
        "id": "chatcmpl-9f8e",
        "created": 1733000000,
        "model": "gpt-4o-mini",
        "object": "chat.completion.chunk",
        "system_fingerprint": None,
        "choices": [
            {
                "finish_reason": None,
                "index": 0,
                "delta": {
                    "provider_specific_fields": None,
                    "content": " EXT.",
                    "role": None,
                    "function_call": None,
                    "tool_calls": None,
                    "audio": None,
                },
                "logprobs": None,
            }
        ],
        "provider_specific_fields": None,
        "stream_options": {"include_usage": True},
        "citations": None,
    },
    "litellm-final-with-usage": {
        "id": "chatcmpl-9f8e",
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": {"content": None}, "finish_reason": "length"}],
        "usage": {"completion_tokens": 20, "prompt_tokens": 10, "total_tokens": 30},
    },
    "null-delta-and-ids": {"id": None, "model": None, "choices": [{"delta": None}], "usage": None},
    "bare": {"choices": []},
    "usage-without-total": {"choices": [], "usage": {"prompt_tokens": 0, "completion_tokens": 0}},
}

INVALID_CHUNKS = {
    "not-a-dict": ["choices"],
    "no-choices": {"id": "x"},
    "choices-null": {"choices": None},
    "choices-dict": {"choices": {"0": {}}},
    "choice-string": {"choices": ["text"]},
    "delta-string": {"choices": [{"delta": "FADE IN"}]},
    "content-number": {"choices": [{"delta": {"content": 3}}]},
    "content-list": {"choices": [{"delta": {"content": [{"type": "text"}]}}]},
    "role-number": {"choices": [{"delta": {"role": 1}}]},
    "bad-finish": {"choices": [{"finish_reason": "done"}]},
    "finish-number": {"choices": [{"finish_reason": 0}]},
    "usage-missing-completion": {"choices": [], "usage": {"prompt_tokens": 1}},
    "usage-negative": {"choices": [], "usage": {"prompt_tokens": -1, "completion_tokens": 1}},
    "usage-string": {"choices": [], "usage": {"prompt_tokens": "1", "completion_tokens": 1}},
    "usage-bool": {"choices": [], "usage": {"prompt_tokens": True, "completion_tokens": 1}},
    "usage-list": {"choices": [], "usage": [1, 2]},
    # Regression: an explicit null total_tokens passed the quick check but breaks the schema.
    "usage-null-total": {
        "choices": [],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": None},
    },
    "usage-float-total": {
        "choices": [],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2.5},
    },
    "id-number": {"id": 7, "choices": []},
    "model-list": {"model": ["a"], "choices": []},
}


@pytest.mark.parametrize("name", sorted(VALID_CHUNKS))
def test_openai_and_litellm_chunks_pass_both_checks(name: str) -> None:
    chunk = VALID_CHUNKS[name]
    assert schema_errors("chunk", chunk) == []
    assert chunk_is_well_formed(chunk)


@pytest.mark.parametrize("name", sorted(INVALID_CHUNKS))
def test_broken_chunks_fail_both_checks(name: str) -> None:
    chunk = INVALID_CHUNKS[name]
    assert not chunk_is_well_formed(chunk)
    assert schema_errors("chunk", chunk) != []


def test_odd_but_valid_chunks_may_fail_the_quick_check_only() -> None:
    # The documented slack: the quick check is stricter, full validation then decides.
    odd = {"choices": [], "usage": {"prompt_tokens": 1.0, "completion_tokens": 2}}
    assert schema_errors("chunk", odd) == []
    assert not chunk_is_well_formed(odd)


# A value pool that hits every type the schema cares about, and the edges of each.
_JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, 2.5, -1.0]),
    st.sampled_from(["", "x", "stop", "length", "done", "assistant", "eos", "STOP"]),
    st.just([]),
    st.just({}),
    st.just([{}]),
    st.just({"content": "x"}),
    st.just({"prompt_tokens": 1, "completion_tokens": 1}),
)
# Places to mutate: every field the schema constrains, at every depth, existing or not.
_PATHS = [
    (),
    ("choices",),
    ("choices", 0),
    ("choices", 0, "delta"),
    ("choices", 0, "delta", "content"),
    ("choices", 0, "delta", "role"),
    ("choices", 0, "finish_reason"),
    ("choices", 1),
    ("usage",),
    ("usage", "prompt_tokens"),
    ("usage", "completion_tokens"),
    ("usage", "total_tokens"),
    ("id",),
    ("model",),
    ("object",),
]


def mutate(chunk, path: tuple, value, delete: bool):
    """A copy of ``chunk`` with ``value`` put at ``path`` (or that key deleted), when the path
    leads anywhere; containers along the way are created as needed."""
    if not path:
        return value
    chunk = copy.deepcopy(chunk)
    node = chunk
    for key in path[:-1]:
        if isinstance(node, dict):
            node = node.setdefault(key, {} if not isinstance(key, int) else [])
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return chunk
    last = path[-1]
    if isinstance(node, dict):
        if delete:
            node.pop(last, None)
        else:
            node[last] = value
    elif isinstance(node, list) and isinstance(last, int):
        if delete and last < len(node):
            del node[last]
        elif not delete:
            if last < len(node):
                node[last] = value
            else:
                node.append(value)
    return chunk


@st.composite
def nearly_valid_chunks(draw):
    chunk = copy.deepcopy(draw(st.sampled_from(list(VALID_CHUNKS.values()))))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_PATHS))
        chunk = mutate(chunk, path, draw(_JSON_VALUES), draw(st.booleans()))
    return chunk


@settings(max_examples=200, deadline=None)
@given(chunk=nearly_valid_chunks())
@example(
    chunk={
        "choices": [],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": None},
    }
)
@example(chunk={"choices": [{"delta": {"content": None, "role": None}, "finish_reason": None}]})
def test_quick_check_is_never_more_lenient_than_the_schema(chunk) -> None:
    valid = not list(validator("chunk").iter_errors(chunk))
    if chunk_is_well_formed(chunk):
        assert valid, f"quick check passed a chunk the schema rejects: {chunk!r}"


@settings(max_examples=100, deadline=None)
@given(chunk=nearly_valid_chunks())
def test_schema_errors_always_read_as_lines(chunk) -> None:
    for problem in schema_errors("chunk", chunk):
        assert isinstance(problem, str)
        assert problem
        assert "\n" not in problem


def test_a_huge_value_is_quoted_short_and_the_summary_fits_the_message_limit() -> None:
    # Found by tests/fuzz: an enum or range problem quoted the whole value (a server may put a
    # document where a finish reason belongs), and three problems ran past the limit.
    body = {
        "choices": [{"message": {"content": "x"}, "finish_reason": {"k" * 500: list(range(99))}}]
    }
    problems = schema_errors("completion", body)
    assert problems
    assert all(len(problem) < 200 for problem in problems)
    text = summary(["a" * 200, "b" * 200, "c" * 200], "a stream chunk is malformed: ")
    assert text.startswith("a stream chunk is malformed: aaa")
    assert len(text) == defaults.MAX_ERROR_MESSAGE_CHARS
    assert text.endswith("…")
    assert summary(["one", "two", "three", "four"]) == "one; two; three"
