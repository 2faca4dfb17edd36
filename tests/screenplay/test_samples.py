"""The feature-length sample: scene count, headings, characters, length and running time, and
the running-time rules on both samples."""

from __future__ import annotations

import itertools

import pytest

from litellm_screenwriter.screenplay import Kind, parse
from litellm_screenwriter.screenplay.fountain import Element
from litellm_screenwriter.screenplay.samples import (
    FEATURE_SCENES,
    feature_headings,
    feature_screenplay,
    short_screenplay,
)
from litellm_screenwriter.screenplay.timing import (
    LINES_PER_PAGE,
    bsw_seconds,
    element_lines,
    element_seconds,
)

SHORT_CHARACTERS = (
    "MAREN", "RADIO VOICE", "O’CONNELL", "DR. PIKE", "TOMAS", "TOMAS'S FATHER", "McALLISTER",
    "ZOË",
)  # fmt: skip


@pytest.fixture(scope="module")
def feature():
    return parse(feature_screenplay())


def test_the_feature_has_190_scenes_with_the_planned_headings(feature):
    assert len(feature.scenes) == FEATURE_SCENES == 190
    assert [s.heading for s in feature.scenes] == feature_headings()
    assert feature.scenes[0].heading == "EXT. GULL ROCK LIGHTHOUSE - DAWN (1981)"
    assert feature.scenes[14].heading == "INT. LAMP ROOM - CONTINUOUS (1982)"
    assert feature.scenes[21].heading == "THE MARIGOLD'S WHEELHOUSE (1982)"  # forced: no dot
    assert feature.scenes[-1].heading == "INT. LAMP ROOM - CONTINUOUS (1995)"


def test_the_feature_speaks_with_the_short_samples_characters(feature):
    assert feature.characters == SHORT_CHARACTERS


def test_the_feature_is_feature_length_with_mixed_line_ends(feature):
    text = feature_screenplay()
    assert 130_000 <= len(text) <= 140_000
    assert "\r\n" in text
    assert "\r" in text.replace("\r\n", "")
    assert "\n" in text.replace("\r\n", "")
    assert 110 * 60 <= feature.seconds <= 125 * 60  # about 117 pages, a minute each


def test_the_short_sample_runs_about_four_and_a_half_minutes():
    screenplay = parse(short_screenplay())
    assert screenplay.seconds == pytest.approx(264.0)
    starts = [s.start_seconds for s in screenplay.scenes]
    assert starts == sorted(starts)
    for scene, following in itertools.pairwise(screenplay.scenes):
        assert following.start_seconds == pytest.approx(scene.start_seconds + scene.seconds)
    assert screenplay.scenes[-1].start_seconds + screenplay.scenes[-1].seconds == pytest.approx(
        screenplay.seconds
    )


def _element(kind: str, text: str) -> Element:
    return Element(kind, text, 1, 1)


def test_the_page_rule_lays_elements_out_like_a_printed_page():
    assert element_lines(_element(Kind.HEADING, "INT. A - DAY")) == 3  # two blank lines before
    assert element_lines(_element(Kind.ACTION, "x" * 60)) == 2  # one line, one blank
    assert element_lines(_element(Kind.ACTION, " ".join(["word"] * 13))) == 3  # 64 chars: wraps
    speech = _element(Kind.DIALOGUE, "(softly)\n" + " ".join(["word"] * 8))  # 39 chars
    assert element_lines(speech) == 1 + 1 + 1 + 2  # blank, cue, parenthetical, two lines
    assert element_lines(_element(Kind.SECTION, "# Act")) == 0
    assert element_seconds(_element(Kind.TRANSITION, "CUT TO:")) == pytest.approx(
        2 * 60 / LINES_PER_PAGE
    )


def test_blender_screenwriters_rule():
    assert bsw_seconds(_element(Kind.ACTION, "Short.")) == 1.5
    action = _element(Kind.ACTION, " ".join(["w"] * 30) + "\n" + " ".join(["w"] * 15))
    assert bsw_seconds(action) == pytest.approx(45 / 3.75 + 0.3)
    assert bsw_seconds(_element(Kind.DIALOGUE, " ".join(["w"] * 15))) == pytest.approx(4 * 1.2)
    assert bsw_seconds(_element(Kind.SYNOPSIS, "x")) == 0.0
