"""Properties of the parse that hold for any text: it never raises, the scenes tile the text
from the first heading to the end, and CRLF, CR and LF give the same screenplay."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from litellm_screenwriter.screenplay import parse
from litellm_screenwriter.screenplay.fountain import split_lines

# Lines a screenplay is made of, so the drawn texts have scenes, cues, boneyards and notes in
# every arrangement (plain random text almost never holds a heading).
FOUNTAIN_LINES = st.sampled_from(
    [
        "", "", "  ", "INT. HOUSE - DAY", "EXT. ROOF - NIGHT #2#", ".FORCED", "..not", "BOB",
        "ЖЕНЯ (V.O.)(CONT’D)", "STEEL ^", "@McDUCK", "(quietly)", "Hello there.", "!LOUD",
        "/*", "*/", "/* cut */", "[[", "]]", "[[ a note ]]", "Title: X", "Author: Y", "  Z",
        "# Act", "= synopsis", "===", "> CUT TO:", "> END <", "~la la", "CUT TO:", "int. a",
        "Some action, lower case.", "\t\tJACK", "EST", "I/E CAR - DAY",
    ]
)  # fmt: skip
SCRIPTS = st.lists(FOUNTAIN_LINES, max_size=60).map("\n".join)
ANY_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Z", "Cc")),
    max_size=400,
)


def check_tiling(text: str) -> None:
    screenplay = parse(text)
    count = len(split_lines(text))
    assert screenplay.line_count == count
    scenes = screenplay.scenes
    assert [s.number for s in scenes] == list(range(1, len(scenes) + 1))
    for scene, following in itertools.pairwise(scenes):
        assert scene.line <= scene.end_line
        assert scene.end_line + 1 == following.line
    if scenes:
        assert scenes[-1].end_line == count
        for line in range(1, count + 1):
            found = screenplay.scene_at(line)
            if line < scenes[0].line:
                assert found is None
            else:
                assert found is not None
                assert found.line <= line <= found.end_line
    else:
        assert all(screenplay.scene_at(line) is None for line in range(count + 2))
    assert set(screenplay.characters) == {c for s in scenes for c in s.characters} | {
        e.character
        for e in screenplay.elements
        if e.kind == "dialogue" and (not scenes or e.line < scenes[0].line)
    }
    assert screenplay.seconds >= sum(s.seconds for s in scenes) - 1e-6


@settings(max_examples=300)
@given(SCRIPTS)
def test_fountain_shaped_text_tiles_into_scenes(text):
    check_tiling(text)


@settings(max_examples=300)
@given(ANY_TEXT)
def test_any_text_parses(text):
    check_tiling(text)


def _shape(text: str) -> list[tuple]:
    screenplay = parse(text)
    return [
        (s.number, s.heading, s.line, s.end_line, s.characters, round(s.seconds, 6))
        for s in screenplay.scenes
    ] + [screenplay.characters]


@settings(max_examples=300)
@given(st.lists(FOUNTAIN_LINES, max_size=60), st.randoms(use_true_random=False))
def test_crlf_cr_and_lf_give_the_same_scenes(lines, random):
    lf = "\n".join(lines)
    assert _shape("\r\n".join(lines)) == _shape(lf)
    assert _shape("\r".join(lines)) == _shape(lf)
    mixed = "".join(line + random.choice(("\n", "\r\n")) for line in lines)
    assert _shape(mixed) == _shape(lf + "\n")
