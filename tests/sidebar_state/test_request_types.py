"""The request-type declarations: complete, unique, and what they send (no Blender)."""

from __future__ import annotations

import pytest

from litellm_screenwriter.request_types import (
    REQUEST_TYPES,
    RESULT_ACTIONS,
    GroundedMessages,
    RequestInput,
    RequestType,
    by_operator,
    grounded_messages,
)


def test_each_type_has_its_own_operator_and_output() -> None:
    types = list(REQUEST_TYPES.values())
    assert [t.kind for t in types] == ["analysis", "dialogue", "description", "suggestions", "ask"]
    assert len({t.operator for t in types}) == len(types)
    assert len({t.output_text for t in types}) == len(types)
    assert all(t.output_text.startswith("Screenwriter ") for t in types)
    assert by_operator("generate_dialogue").kind == "dialogue"
    assert REQUEST_TYPES["ask"].append
    assert not REQUEST_TYPES["analysis"].append


def test_unknown_result_actions_are_refused_at_declaration() -> None:
    with pytest.raises(ValueError, match="unknown result actions"):
        RequestType("x", "x", "X", "DOT", "Screenwriter X", "Do.", "d", on_done=("teleport",))
    assert set(REQUEST_TYPES["analysis"].on_done) <= set(RESULT_ACTIONS)


def test_the_default_messages_put_the_script_first_and_the_history_before_the_ask() -> None:
    # a type that brings no messages of its own (every built-in one is grounded)
    rtype = RequestType("q", "q", "Q", "DOT", "Screenwriter Q", "Answer.", "d")
    history = ({"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"})
    messages = rtype.build_messages(
        rtype, RequestInput(script="INT. HOUSE", prompt="Why?", history=history)
    )
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert "INT. HOUSE" in messages[0]["content"]
    assert messages[-1]["content"] == f"{rtype.instruction}\n\nWhy?"


def test_a_response_format_goes_with_the_request() -> None:
    json_mode = {"type": "json_object"}
    rtype = RequestType(
        "j", "j", "J", "DOT", "Screenwriter J", "Do.", "d", response_format=json_mode
    )
    assert rtype.params(0.2) == {"temperature": 0.2, "response_format": json_mode}
    assert REQUEST_TYPES["dialogue"].params(0.7) == {"temperature": 0.7}


def test_a_type_can_bring_its_own_messages() -> None:
    def grounded(rtype: RequestType, given: RequestInput) -> list[dict]:
        return [{"role": "user", "content": f"{rtype.kind} at line {given.cursor_line}"}]

    rtype = RequestType("g", "g", "G", "DOT", "Screenwriter G", "Do.", "d", build_messages=grounded)
    assert rtype.build_messages(rtype, RequestInput(script="", cursor_line=42)) == [
        {"role": "user", "content": "g at line 42"}
    ]


def test_the_blender_declarations_agree_with_the_screenplay_layers() -> None:
    """``screenplay.KINDS`` (the domain: the command line uses it) and ``REQUEST_TYPES`` (the
    buttons) name the same types with the same labels, outputs, prompts and modes. The button
    declarations do not import ``screenplay`` (Blender start-up would pay for its analysis
    module), so this test is what keeps the two from drifting."""
    from litellm_screenwriter.screenplay import KINDS

    assert list(KINDS) == list(REQUEST_TYPES)
    for kind, domain in KINDS.items():
        rtype = REQUEST_TYPES[kind]
        assert rtype.label == domain.label, kind
        assert rtype.output_text == domain.output_text, kind
        assert rtype.needs_prompt == domain.needs_prompt, kind
        assert rtype.append == domain.append, kind


def _feature() -> str:
    from litellm_screenwriter.screenplay.samples import feature_screenplay

    return feature_screenplay().replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize("kind", ["dialogue", "description", "suggestions", "ask"])
def test_the_text_types_are_grounded_at_the_cursor_within_the_budget(kind: str) -> None:
    from litellm_screenwriter.screenplay import message_tokens, parse

    script = _feature()
    scene = parse(script).scenes[95]
    rtype = REQUEST_TYPES[kind]
    assert rtype.build_messages is grounded_messages
    assert rtype.on_done == ("remember", "note_grounding")
    given = RequestInput(script=script, prompt="Why?", cursor_line=scene.line + 2, budget=4000)
    messages = rtype.build_messages(rtype, given)
    assert isinstance(messages, GroundedMessages)
    assert messages.prompt.focus == 96
    assert message_tokens(messages) == messages.prompt.tokens <= 4000
    assert "## SCENE 96 (the scene the request is about)" in messages[0]["content"]
    assert messages[-1]["role"] == "user"


def test_grounded_messages_take_the_selection_history_and_templates(tmp_path) -> None:
    (tmp_path / "dialogue.txt").write_text("MY TEMPLATE for $scene_label", "utf-8")
    script = "INT. A - DAY\n\nANNA\nHi.\n\nINT. B - NIGHT\n\nBEN\nBye.\n"
    history = ({"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"})
    rtype = REQUEST_TYPES["dialogue"]
    given = RequestInput(
        script=script, cursor_line=1, selection=(6, 8), history=history,
        templates_dir=str(tmp_path),
    )  # fmt: skip
    messages = rtype.build_messages(rtype, given)
    assert "## THE SELECTED LINES 6-8" in messages[0]["content"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[-1]["content"] == "MY TEMPLATE for 2. INT. B - NIGHT"


def test_the_analysis_is_a_chain_of_its_own() -> None:
    analysis = REQUEST_TYPES["analysis"]
    assert analysis.flow == "analysis"
    assert analysis.on_done == ("analysis_step",)
    assert all(t.flow == "request" for k, t in REQUEST_TYPES.items() if k != "analysis")
