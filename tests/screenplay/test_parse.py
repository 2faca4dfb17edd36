"""The parse of the hand-written sample and of the inputs the published Python parsers got
wrong (docs/screenplay.md): exact headings, lines, spans and speaking characters."""

from __future__ import annotations

import pytest

from litellm_screenwriter.screenplay import Kind, parse
from litellm_screenwriter.screenplay.fountain import cue_name, split_lines, tokenize
from litellm_screenwriter.screenplay.samples import short_screenplay

SHORT_SCENES = [  # (line, end_line, heading, characters), read off the file by hand
    (15, 21, "EXT. GULL ROCK LIGHTHOUSE - DAWN", ("MAREN",)),
    (22, 41, "INT. LAMP ROOM - CONTINUOUS", ("RADIO VOICE", "MAREN")),
    (42, 56, "EXT. JETTY - MORNING", ("O’CONNELL", "DR. PIKE")),
    (57, 84, "INT. KEEPER'S KITCHEN - DAY", ("DR. PIKE", "MAREN")),
    (85, 112, "EXT. GALLERY - DUSK", ("O’CONNELL", "MAREN")),
    (113, 123, "INT. LAMP ROOM - NIGHT", ("MAREN",)),
    (124, 133, "EXT. THE SOUND - NIGHT", ("TOMAS", "TOMAS'S FATHER")),
    (134, 144, "INT. LAMP ROOM - CONTINUOUS", ("MAREN",)),
    (145, 151, "THE MARIGOLD'S WHEELHOUSE", ("TOMAS",)),
    (152, 168, "EXT. JETTY - NIGHT", ("McALLISTER", "O’CONNELL")),
    (169, 186, "INT. KEEPER'S KITCHEN - MORNING", ("DR. PIKE", "MAREN")),
    (187, 206, "EXT. GALLERY - DAY", ("TOMAS", "MAREN", "ZOË")),
    (207, 217, "EXT. GULL ROCK LIGHTHOUSE - DUSK", ("MAREN",)),
]
SHORT_CHARACTERS = (
    "MAREN", "RADIO VOICE", "O’CONNELL", "DR. PIKE", "TOMAS", "TOMAS'S FATHER", "McALLISTER",
    "ZOË",
)  # fmt: skip


@pytest.fixture(scope="module")
def short():
    return parse(short_screenplay())


def test_the_short_sample_has_its_scenes_exactly(short):
    got = [(s.line, s.end_line, s.heading, s.characters) for s in short.scenes]
    assert got == SHORT_SCENES
    assert [s.number for s in short.scenes] == list(range(1, 14))
    assert short.line_count == 217


def test_speaking_characters_in_order_of_first_appearance(short):
    assert short.characters == SHORT_CHARACTERS


def test_scene_at_maps_every_line(short):
    assert short.scene_at(1) is None  # the title page
    assert short.scene_at(14) is None  # between FADE IN: and the first heading
    assert short.scene_at(15).number == 1
    assert short.scene_at(41).number == 2
    assert short.scene_at(42).number == 3
    assert short.scene_at(217).number == 13
    assert short.scene_at(0) is None
    assert short.scene_at(218) is None


def test_the_boneyard_hides_its_heading_and_cue(short):
    assert "INT. KEEPER'S KITCHEN - LATER" not in [s.heading for s in short.scenes]
    kitchen = short.scenes[3]
    assert "/*" in kitchen.text  # the scene's text is as written
    assert all(e.line < 76 or e.line > 83 for e in kitchen.elements)
    assert kitchen.characters == ("DR. PIKE", "MAREN")


def test_title_page_dual_dialogue_and_forced_elements(short):
    assert short.title["title"] == "THE LAST KEEPER"
    assert "no line of it comes" in short.title["notes"]
    dual = [(e.character, e.line) for e in short.elements if e.dual]
    assert dual == [("MAREN", 103), ("O’CONNELL", 106)]
    kinds = {e.kind for e in short.elements}
    assert {Kind.LYRICS, Kind.CENTERED, Kind.TRANSITION, Kind.SECTION, Kind.SYNOPSIS} <= kinds
    forced_action = next(e for e in short.elements if e.line == 117)
    assert (forced_action.kind, forced_action.text) == (Kind.ACTION, "THE RADIO HISSES AND DIES.")
    forced_cue = next(e for e in short.elements if e.line == 156)
    assert (forced_cue.kind, forced_cue.character) == (Kind.DIALOGUE, "McALLISTER")
    assert short.scenes[8].heading == "THE MARIGOLD'S WHEELHOUSE"  # ".THE MARIGOLD'S ..."


def test_two_extensions_are_two(short):
    cue = next(e for e in short.elements if e.line == 35)
    assert (cue.character, cue.extensions) == ("RADIO VOICE", ("V.O.", "CONT’D"))


def test_the_parse_is_cached_per_text_content():
    text = short_screenplay()
    assert parse(text) is parse("".join(list(text)))  # equal content, another str object
    assert parse(text + "\n") is not parse(text)


def test_parse_refuses_bytes_with_a_clear_message():
    with pytest.raises(TypeError, match="as str"):
        parse(b"INT. HOUSE - DAY")  # type: ignore[arg-type]


# What fountain-py, jouvence, screenplain and fountain-parser got wrong (docs/screenplay.md).
CASES = {
    "curly apostrophe": ("INT. PUB - NIGHT\n\nO’BRIEN\nPull up.\n\nMA’AM (O.S.)\nHi?\n",
                         ["INT. PUB - NIGHT"], ("O’BRIEN", "MA’AM")),
    "non-Latin capitals": ("INT. KITCHEN - DAY\n\nЖЕНЯ\nПривет.\n\nΖΩΗ\nΓεια.\n\nJOSÉ\nHola.\n",
                           ["INT. KITCHEN - DAY"], ("ЖЕНЯ", "ΖΩΗ", "JOSÉ")),
    "boneyard heading": ("INT. A - DAY\n\nX.\n\n/*\nINT. CUT - DAY\n\nGHOST\nBoo.\n*/\n\n"
                         "EXT. B - DAY\n\nY.\n", ["INT. A - DAY", "EXT. B - DAY"], ()),
    "note with a two-space line": ("INT. A - DAY\n\n[[\n  \nEXT. NOTE - DAY\n  \n]]\n\n"
                                   "EXT. B - DAY\n", ["INT. A - DAY", "EXT. B - DAY"], ()),
    "CR only": ("INT. A - DAY\r\rBOB\rHi.\r\rEXT. B - NIGHT\r\rAMY\rBye.\r",
                ["INT. A - DAY", "EXT. B - NIGHT"], ("BOB", "AMY")),
    "CRLF": ("INT. A - DAY\r\n\r\nBOB\r\nHi.\r\n\r\nEXT. B - NIGHT\r\n\r\nAMY\r\nBye.\r\n",
             ["INT. A - DAY", "EXT. B - NIGHT"], ("BOB", "AMY")),
    "mixed line ends": ("INT. A - DAY\r\n\nBOB\rHi.\n\r\nEXT. B - NIGHT\n\nAMY\r\nBye.\n",
                        ["INT. A - DAY", "EXT. B - NIGHT"], ("BOB", "AMY")),
    "heading without a blank line after": ("INT. A - DAY\nBob walks.\n\nEXT. B - DAY\n\nAmy.\n",
                                           ["INT. A - DAY", "EXT. B - DAY"], ()),
    "inline boneyard in a cue": ("INT. A - DAY\n\nBOB /* aside */\nHi.\n", ["INT. A - DAY"],
                                 ("BOB",)),
    "indented cue": ("INT. A - DAY\n\n\t\t\tJACK\n\t\t(quiet)\n\tHi.\n", ["INT. A - DAY"],
                     ("JACK",)),
    "lower-case heading kept as written": ("int. house - day\n\nBob.\n", ["int. house - day"],
                                           ()),
    "scene number kept in the heading": ("INT. HOUSE - DAY #1A#\n\nBOB\nHi.\n",
                                         ["INT. HOUSE - DAY #1A#"], ("BOB",)),
    "dual dialogue": ("EXT. PATIO - DAY\n\nBRICK\nScrew it.\n\nSTEEL ^\nScrew it.\n",
                      ["EXT. PATIO - DAY"], ("BRICK", "STEEL")),
}  # fmt: skip


@pytest.mark.parametrize(("text", "headings", "characters"), CASES.values(), ids=CASES)
def test_inputs_other_parsers_got_wrong(text, headings, characters):
    screenplay = parse(text)
    assert [s.heading for s in screenplay.scenes] == headings
    assert screenplay.characters == characters


def test_the_heading_number_is_kept_apart_too():
    scene = parse("INT. HOUSE - DAY #1A#\n\nBOB\nHi.\n").scenes[0]
    assert scene.scene_number == "1A"


@pytest.mark.parametrize(
    ("cue", "expected"),
    [
        ("EDWARD (V.O.)(CONT’D)", ("EDWARD", ("V.O.", "CONT’D"), False)),
        ("EVE (cont'd)", ("EVE", ("cont'd",), False)),
        ("STEEL ^", ("STEEL", (), True)),
        ("MARY (PHONE)^", ("MARY", ("PHONE",), True)),
        ("@McDUCK", ("McDUCK", (), False)),
        ("R2D2", ("R2D2", (), False)),
        ("DR. PIKE", ("DR. PIKE", (), False)),
        ("23 (O.S.)", None),  # a cue needs a letter
        ("HELLO!", None),  # an all-capitals shout in the action
        ("Bob", None),
        ("BOB (O.S.) says", None),
    ],
)
def test_cue_names(cue, expected):
    assert cue_name(cue) == expected


def test_a_cue_needs_a_line_under_it():
    screenplay = parse("INT. A - DAY\n\nBOOM\n\nSilence.\n")
    assert screenplay.characters == ()
    assert [e.kind for e in screenplay.elements] == [Kind.HEADING, Kind.ACTION, Kind.ACTION]


def test_two_spaces_keep_a_speech_going():
    elements, _ = tokenize("INT. A - DAY\n\nBOB\nOne.\n  \nTwo.\n")
    speech = elements[1]
    assert (speech.kind, speech.text, speech.end_line) == (Kind.DIALOGUE, "One.\n\nTwo.", 6)


def test_an_unclosed_boneyard_or_note_hides_nothing():
    text = "INT. A - DAY\n\n/* typing a comment\n\nEXT. B - DAY\n\n[[ a note\n\nEXT. C - DAY\n"
    assert [s.heading for s in parse(text).scenes] == ["INT. A - DAY", "EXT. B - DAY",
                                                       "EXT. C - DAY"]  # fmt: skip


def test_fade_in_is_not_a_title_page():
    screenplay = parse("FADE IN:\n\nINT. A - DAY\n\nBOB\nHi.\n")
    assert screenplay.title == {}
    assert screenplay.elements[0].kind == Kind.TRANSITION


def test_lines_are_counted_as_blender_counts_them():
    assert split_lines("") == [""]
    assert split_lines("a\n") == ["a", ""]
    assert split_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]
    assert parse("a\u2028b").line_count == 1  # only CR and LF end a line in a Text datablock


def test_a_prologue_speaks_before_the_first_scene():
    screenplay = parse("NARRATOR (V.O.)\nOnce.\n\nINT. A - DAY\n\nBOB\nHi.\n")
    assert screenplay.characters == ("NARRATOR", "BOB")
    assert screenplay.scenes[0].characters == ("BOB",)
    assert screenplay.scenes[0].start_seconds > 0
