"""The analysis: the schema file, response_format, readable validation errors, the repair
request, planning the whole script into requests, merging the parts and the breakdown."""

from __future__ import annotations

import json

import pytest
from analysis_support import analysis_for, analysis_json
from jsonschema import Draft202012Validator

from litellm_screenwriter.screenplay import (
    ModelLimits,
    check_answer,
    merge_analyses,
    model_limits,
    parse,
    plan_analysis,
    render_analysis,
    repair_messages,
    response_format,
    schema_for,
    validate_analysis,
)
from litellm_screenwriter.screenplay.analysis import SCHEMA_FILE, load_schema
from litellm_screenwriter.screenplay.samples import feature_screenplay, short_screenplay


def test_the_schema_file_is_a_valid_schema_covering_the_brief():
    schema = json.loads(SCHEMA_FILE.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    assert set(schema["required"]) == {
        "logline", "genre", "tone", "themes", "acts", "characters", "scenes", "strengths",
        "weaknesses", "suggestions",
    }  # fmt: skip
    act = schema["properties"]["acts"]["items"]
    assert {"first_scene", "last_scene", "sequences"} <= set(act["required"])
    assert set(schema["properties"]["characters"]["items"]["required"]) == {
        "name", "role", "description", "arc"}  # fmt: skip
    assert set(schema["$defs"]["scene"]["required"]) == {"summary", "purpose", "conflict"}


def test_schema_for_requires_exactly_the_parsed_scenes():
    schema = schema_for([1, 2, 3])
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["scenes"]["required"] == ["1", "2", "3"]
    assert load_schema()["properties"]["scenes"].get("required") is None  # not changed


def test_response_format_json_schema_is_strict_and_json_mode_is_the_fallback():
    strict = response_format([1, 2])
    assert strict["type"] == "json_schema"
    assert strict["json_schema"]["strict"] is True
    text = json.dumps(strict)
    for refused in ("minLength", "patternProperties", "$schema"):
        assert refused not in text
    assert response_format([1, 2], structured=False) == {"type": "json_object"}


def test_a_valid_answer_passes_also_in_a_fence():
    answer = "```json\n" + analysis_json(range(1, 14), 13) + "\n```"
    check = check_answer(answer, range(1, 14), 13)
    assert check.ok, check.errors
    assert check.data["scenes"]["13"]["conflict"]


def test_errors_are_readable_sentences_with_their_place():
    data = analysis_for(range(1, 14), 13)
    del data["scenes"]["7"]
    data["scenes"]["99"] = data["scenes"]["1"]
    data["characters"][0].pop("arc")
    data["themes"] = "duty"
    errors = validate_analysis(data, range(1, 14), 13)
    assert "scenes: '7' is a required property" in errors
    assert any(e.startswith("scenes:") and "'99' was unexpected" in e for e in errors)
    assert "characters.0: 'arc' is a required property" in errors
    assert "themes: 'duty' is not of type 'array'" in errors


def test_spans_must_go_forward_and_name_real_scenes():
    data = analysis_for(range(1, 14), 13)
    data["acts"][0]["first_scene"], data["acts"][0]["last_scene"] = 5, 2
    data["acts"][1]["sequences"][0]["last_scene"] = 40
    errors = validate_analysis(data, range(1, 14), 13)
    assert "acts.0: first_scene 5 comes after last_scene 2" in errors
    assert "acts.1.sequences.0: the screenplay has scenes 1-13, not 6-40" in errors


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("Sorry, I cannot.", "the answer is not valid JSON"),
        ("[1, 2]", "the answer is a JSON list, not an object"),
        ('Here it is: {"logline": "x"} hope that helps', "'genre' is a required property"),
    ],
)
def test_broken_answers_say_what_is_wrong(answer, error):
    check = check_answer(answer, [1])
    assert not check.ok
    assert any(error in e for e in check.errors), check.errors


def test_too_many_errors_are_counted_not_listed():
    check = check_answer(json.dumps({"scenes": {}}), range(1, 60))
    assert len(check.errors) == 21
    assert check.errors[-1].startswith("… and ")


def test_the_repair_request_carries_the_answer_and_the_errors():
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]
    repaired = repair_messages(messages, "{bad}", ["scenes: '7' is a required property"])
    assert repaired[:2] == messages
    assert repaired[2] == {"role": "assistant", "content": "{bad}"}
    assert "- scenes: '7' is a required property" in repaired[3]["content"]


def test_a_script_that_fits_is_one_request_with_every_scene():
    plan = plan_analysis(short_screenplay(), limits=ModelLimits(128_000, 16_384, True, True))
    assert len(plan.chunks) == 1
    chunk = plan.chunks[0]
    assert chunk.scenes == tuple(range(1, 14))
    system = chunk.messages[0]["content"]
    for scene in parse(short_screenplay()).scenes:
        assert scene.text.strip() in system
    assert "FADE IN:" in system  # what comes before the first heading too
    assert chunk.params["response_format"]["type"] == "json_schema"
    assert plan.notes == ()


@pytest.mark.parametrize(
    "limits",
    [ModelLimits(), ModelLimits(8192, 2048, False, True), ModelLimits(200_000, 4096, True)],
    ids=["defaults", "small-json-mode", "short-answers"],
)
def test_a_long_script_is_split_into_whole_scenes_and_nothing_is_cut(limits):
    text = feature_screenplay()
    screenplay = parse(text)
    plan = plan_analysis(text, limits=limits)
    assert len(plan.chunks) > 1
    covered = [n for c in plan.chunks for n in c.scenes]
    assert covered == list(range(1, 191))  # each scene once, in order
    for chunk in plan.chunks:
        assert chunk.tokens <= limits.max_input_tokens
        system = chunk.messages[0]["content"]
        assert "## OUTLINE" in system
        for number in chunk.scenes:
            assert screenplay.scenes[number - 1].text.strip() in system
        assert f"part {chunk.index + 1} of {len(plan.chunks)}" in chunk.messages[1]["content"]
        expected = (chunk.params["response_format"]["type"] == "json_schema") == plan.structured
        assert expected
    sizes = [len(c.scenes) for c in plan.chunks]
    assert max(sizes) - min(sizes) <= max(sizes) // 2  # balanced parts
    assert plan.notes == ()


def test_json_mode_puts_the_schema_in_the_prompt():
    plan = plan_analysis(short_screenplay(), limits=ModelLimits(supports_json_schema=False))
    chunk = plan.chunks[0]
    assert chunk.params["response_format"] == {"type": "json_object"}
    assert "The JSON Schema the answer must match" in chunk.messages[1]["content"]


def test_a_scene_larger_than_the_context_is_shortened_with_a_note():
    text = "INT. HALL - DAY\n\n" + "\n\n".join(
        f"Beat {i} of a very long scene." for i in range(9000)
    )
    plan = plan_analysis(text, limits=ModelLimits(max_input_tokens=8000))
    assert plan.notes
    assert "scene 1 is longer than the model's context" in plan.notes[0]
    assert "left out" in plan.chunks[0].messages[0]["content"]


def test_merged_parts_make_one_valid_analysis():
    parts = [
        analysis_for(range(1, 96), 190),
        analysis_for(range(96, 191), 190, tag=" later"),
    ]
    parts[1]["genre"] = "Drama"
    merged = merge_analyses(parts)
    assert validate_analysis(merged, range(1, 191), 190) == []
    assert sorted(map(int, merged["scenes"])) == list(range(1, 191))
    assert merged["logline"] == parts[0]["logline"]
    assert merged["tone"] == "Salt-dry and tender; Salt-dry and tender later"
    assert [(a["name"], a["first_scene"], a["last_scene"]) for a in merged["acts"]] == [
        ("Act One", 1, 5), ("Act Two", 6, 190)]  # fmt: skip
    assert merged["acts"][1]["summary"] == "The storm. The storm later."
    assert len(merged["acts"][1]["sequences"]) == 2
    maren = merged["characters"][0]
    assert maren["arc"] == "from alone to needed Then: from alone to needed later"
    assert merged["strengths"] == ["A clear ticking clock", "Economical dialogue",
                                   "Economical dialogue later"]  # fmt: skip
    assert merge_analyses(parts[:1]) == parts[0]
    with pytest.raises(ValueError, match="at least one"):
        merge_analyses([])


def test_the_breakdown_names_scenes_and_times():
    screenplay = parse(short_screenplay())
    text = render_analysis(analysis_for(range(1, 14), 13), screenplay)
    assert text.startswith("SCRIPT ANALYSIS\n")
    assert "Logline: A keeper fights to keep her light burning." in text
    assert "Running time: about 4:24 (13 scenes)" in text
    assert "- Act One (scenes 1-5, 1:59): The notice." in text
    assert "12. EXT. GALLERY - DAY\n    Scene 12 happens." in text
    assert "    Conflict: Keeper against the sea." in text
    assert "\nSUGGESTIONS\n- Give O’CONNELL a scene of his own" in text
    assert "Logline:" in render_analysis(analysis_for([1], 1))  # without a parse too


def test_model_limits_come_from_litellms_model_info():
    info = {
        "data": [
            {"model_name": "other", "model_info": {"max_input_tokens": 1}},
            {"model_name": "gpt-4o-mini", "model_info": {
                "max_input_tokens": 128000, "max_output_tokens": 16384,
                "supports_response_schema": True}},
            {"model_name": "local", "model_info": {"max_input_tokens": None,
                                                    "supports_response_schema": False}},
        ]
    }  # fmt: skip
    assert model_limits(info, "gpt-4o-mini") == ModelLimits(128000, 16384, True, True)
    local = model_limits(info, "local")
    assert (local.max_input_tokens, local.supports_json_schema, local.known) == (
        32768,
        False,
        False,
    )
    assert model_limits(info, "missing") == ModelLimits()
    assert model_limits({"error": "nope"}, "x") == ModelLimits()
    assert model_limits(None, "x") == ModelLimits()
