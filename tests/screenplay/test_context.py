"""Grounded prompts: the cursor's scene, the scenes around it, the characters' earlier lines and
the outline, within the budget on a feature script; templates and their override folder."""

from __future__ import annotations

import pytest

from litellm_screenwriter.client.conversation import estimate_tokens
from litellm_screenwriter.screenplay import KINDS, build_prompt, message_tokens, parse
from litellm_screenwriter.screenplay.context import CURSOR_MARK
from litellm_screenwriter.screenplay.kinds import DEFAULT_BUDGET, kind_of
from litellm_screenwriter.screenplay.samples import feature_screenplay, short_screenplay
from litellm_screenwriter.screenplay.templates import TEMPLATE_NAMES, load_template

GROUNDED = ("dialogue", "description", "suggestions", "ask")


@pytest.fixture(scope="module")
def feature() -> str:
    return feature_screenplay()


def system_of(prompt) -> str:
    return prompt.messages[0]["content"]


@pytest.mark.parametrize("kind", GROUNDED)
@pytest.mark.parametrize("line", [1, 15, 700, 1500, 2600, None])
def test_the_budget_holds_on_a_feature_script(feature, kind, line):
    prompt = build_prompt(kind, feature, line=line, question="Why does Maren stay?")
    assert prompt.budget == DEFAULT_BUDGET == 6000
    assert prompt.tokens == message_tokens(prompt.messages) <= 6000
    assert prompt.focus in prompt.scenes
    assert any("scenes in full" in note for note in prompt.omitted)  # 190 scenes never fit


def test_the_token_estimate_is_the_clients(feature):
    prompt = build_prompt("dialogue", feature, line=900)
    assert message_tokens(prompt.messages) == estimate_tokens(prompt.messages)


def test_the_cursor_scene_is_the_focus_and_its_line_is_marked(feature):
    screenplay = parse(feature)
    scene = screenplay.scenes[99]
    line = scene.line + 4
    prompt = build_prompt("dialogue", feature, line=line)
    assert prompt.focus == 100
    system = system_of(prompt)
    focus = system[system.index("## SCENE 100 (the scene the request is about)") :]
    lines = focus.split("\n")
    assert lines[1] == screenplay.lines[scene.line - 1]  # the text as written
    marker = lines.index(CURSOR_MARK)
    assert lines[marker + 1] == screenplay.lines[line - 1]
    assert "scene 100. " + scene.heading in prompt.messages[-1]["content"]
    assert {99, 101} <= set(prompt.scenes)  # its neighbours, in full
    assert "## OUTLINE" in system
    assert f"190. {screenplay.scenes[-1].heading}" in system  # the whole outline


def test_dialogue_brings_the_characters_earlier_lines(feature):
    screenplay = parse(feature)
    scene = screenplay.scenes[150]
    prompt = build_prompt("dialogue", feature, line=scene.line)
    system = system_of(prompt)
    samples = system[system.index("## EARLIER LINES") :].split("\n## ")[0]
    for name in scene.characters:
        assert f"\n{name}:\n" in samples
        last = screenplay.speeches(name, before_line=scene.line)[-1]
        assert " ".join(last.text.split())[:60] in samples
    assert "## EARLIER LINES" not in system_of(build_prompt("description", feature, line=2000))


def test_a_selection_is_the_focus_exactly(feature):
    screenplay = parse(feature)
    prompt = build_prompt("description", feature, selection=(310, 300))
    system = system_of(prompt)
    selected = screenplay.text_between(300, 310).strip()
    assert "## THE SELECTED LINES 300-310\n" + selected in system
    assert prompt.focus == screenplay.scene_at(300).number


def test_no_cursor_means_the_last_scene_and_no_heading_means_the_text():
    short = short_screenplay()
    assert build_prompt("suggestions", short).focus == 13
    assert build_prompt("suggestions", short, line=3).focus == 1  # on the title page
    prompt = build_prompt("ask", "Just an idea about a lighthouse.", question="Is it a film?")
    assert prompt.focus is None
    assert "Just an idea about a lighthouse." in system_of(prompt)
    assert "Is it a film?" in prompt.messages[-1]["content"]


def test_a_short_script_is_shown_whole():
    prompt = build_prompt("dialogue", short_screenplay(), line=190)
    assert prompt.scenes == tuple(range(1, 14))
    assert prompt.omitted == ()
    assert "You see these scenes in full: 1-13." in system_of(prompt)


def test_a_scene_bigger_than_the_budget_is_shortened_with_a_word():
    text = "INT. HALL - DAY\n\n" + "\n\n".join(f"Action beat number {i}." for i in range(3000))
    prompt = build_prompt("description", text, line=3001)
    assert prompt.tokens <= 6000
    assert "left out: over the token budget" in system_of(prompt)
    assert any("part of the focus" in note for note in prompt.omitted)
    assert CURSOR_MARK in system_of(prompt)


def test_history_stays_in_the_budget_newest_first(feature):
    turns = []
    for i in range(40):
        turns += [{"role": "user", "content": f"question {i} " + "x" * 400},
                  {"role": "assistant", "content": f"answer {i} " + "y" * 400}]  # fmt: skip
    prompt = build_prompt("ask", feature, line=100, question="And now?", history=turns)
    assert prompt.tokens <= 6000
    kept = prompt.messages[1:-1]
    assert kept[-1]["content"].startswith("answer 39")
    assert kept[0]["role"] == "user"
    assert message_tokens(kept) <= 6000 // 3
    assert any("older conversation turns" in note for note in prompt.omitted)


def test_a_smaller_budget_is_honoured(feature):
    prompt = build_prompt("dialogue", feature, line=1000, budget=2500)
    assert prompt.tokens <= 2500
    assert prompt.budget == 2500


def test_the_analysis_is_not_built_here():
    with pytest.raises(ValueError, match="plan_analysis"):
        build_prompt("analysis", short_screenplay())
    with pytest.raises(ValueError, match="unknown request type"):
        build_prompt("poetry", short_screenplay())


def test_kinds_are_declared_once_with_verbs():
    assert set(KINDS) == {"analysis", "dialogue", "description", "suggestions", "ask"}
    assert [kind_of(v).kind for v in ("analyze", "dialogue", "describe", "ideas", "ask")] == [
        "analysis", "dialogue", "description", "suggestions", "ask"]  # fmt: skip
    assert KINDS["analysis"].budget is None
    assert all(KINDS[k].budget == 6000 for k in GROUNDED)


@pytest.mark.parametrize("kind", GROUNDED)
def test_the_new_prompt_is_a_fifth_of_the_old_one(feature, kind):
    from litellm_screenwriter import prompts as old  # what the panel sends today

    before = message_tokens(old.build_messages(old.REQUEST_TYPES[kind], feature, "Why?"))
    after = build_prompt(kind, feature, line=1500, question="Why?").tokens
    assert before > 30_000  # the last 120,000 characters
    assert after * 5 < before


def test_templates_ship_and_a_user_folder_overrides_them(tmp_path):
    for name in TEMPLATE_NAMES:
        assert load_template(name).strip()
    (tmp_path / "dialogue.txt").write_text("Only rhyming couplets for $scene_label. $unknown")
    (tmp_path / "ask.txt").write_bytes(b"\xff\xfe not utf-8")
    prompt = build_prompt("dialogue", short_screenplay(), line=190, templates_dir=tmp_path)
    assert prompt.messages[-1]["content"] == (
        "Only rhyming couplets for 12. EXT. GALLERY - DAY. $unknown"
    )
    asked = build_prompt("ask", short_screenplay(), question="Q?", templates_dir=tmp_path)
    builtin = build_prompt("ask", short_screenplay(), question="Q?")
    assert asked.messages[-1]["content"] == builtin.messages[-1]["content"]  # unreadable file
    with pytest.raises(ValueError, match="no template"):
        load_template("../prompts")
