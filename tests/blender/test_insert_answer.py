"""screenwriter.insert_answer in real Blender (scripts/insert_answer.py): the latest dialogue or
description goes in at the screenplay's cursor (a character count, converted to the byte offset
``cursor_set`` takes) as one undo step, and nothing else in the screenplay changes."""

from __future__ import annotations

import pytest

from tests.support.mock_server import MockServer, reply, stream

SCRIPT = (
    "INT. CAFÉ - NUIT\n"
    "\n"
    "ÉLODIE (30s) pose un 東京 plan 😀 sur la table. Elle attend.\n"
    "\n"
    "ÉLODIE\n"
    "Tu es là ?\n"
)
DIALOGUE = ["MAREN\n", "Who lit ", "the lamp?\n\n"]
ANSWER = "MAREN\nWho lit the lamp?"
DESCRIPTION = "Blue neon through rain; a single table."


@pytest.fixture(scope="module")
def report(blender_run) -> dict:
    with MockServer() as server:
        server.enqueue(stream(DIALOGUE, delay=0.4), reply(DESCRIPTION))
        yield blender_run("insert_answer", LSW_SERVER_URL=server.url)


def offset(row: int, column: int) -> int:
    """The position in SCRIPT of (0-based line, character)."""
    lines = SCRIPT.split("\n")
    return sum(len(line) + 1 for line in lines[:row]) + column


def test_nothing_to_insert_is_refused_clearly(report: dict) -> None:
    refused = report["nothing_yet"]
    assert refused["result"] is None
    assert "No dialogue to insert yet: click Generate Dialogue first." in refused["error"]


def test_the_button_is_greyed_out_with_the_reason_until_there_is_an_answer(report: dict) -> None:
    for key, reason in (
        ("poll_nothing_yet", "No dialogue to insert yet"),
        ("poll_while_streaming", "still streaming into 'Screenwriter Dialogue'"),
    ):
        outcome = report[key]
        assert outcome["ok"] is False, key
        assert "poll()" in outcome["message"], outcome  # refused by poll, not after a click
        assert reason in outcome["message"], outcome
    # the request showed its answer in the only Text Editor: the screenplay is still found
    # (the request filled in the panel's Screenplay field), so the reason is the stream
    assert "still streaming" in report["poll_answer_shown"]["message"], report["poll_answer_shown"]
    assert report["poll_ready"] == {"ok": True, "message": ""}


def test_with_the_answer_in_the_only_text_editor_the_screenplay_is_still_found(report) -> None:
    assert report["settings_source"] == "Script"
    assert report["poll_ready_answer_shown"] == {"ok": True, "message": ""}
    assert report["poll_request_answer_shown"] == {"ok": True, "message": ""}


def test_the_insertable_types_are_the_screenplay_layers(report: dict) -> None:
    declared, domain = report["insertable"]
    assert declared == domain == ["dialogue", "description"]


def test_an_answer_still_streaming_is_refused(report: dict) -> None:
    refused = report["while_streaming"]
    assert refused["state"] == "running"
    assert refused["result"] is None
    assert "still streaming into 'Screenwriter Dialogue'" in refused["error"]
    assert report["dialogue"]["state"] == "done"


def test_inserted_mid_line_at_the_cursor_after_multibyte_characters(report: dict) -> None:
    mid = report["mid_line"]
    column = report["column"]
    assert mid["cursor_before"] == [2, column, 2, column]
    assert mid["result"] == ["FINISHED"]
    at = offset(2, column)
    # everything before and after the cursor stays, in order; the answer is a block of its own
    assert mid["inserted"] == SCRIPT[:at] + "\n\n" + ANSWER + "\n\n" + SCRIPT[at:]
    assert SCRIPT[:at].endswith("plan 😀")
    # the cursor ends at the end of the answer (Text.write alone would leave it at the end)
    end_row = 2 + 2 + ANSWER.count("\n")
    assert mid["cursor_after"] == [end_row, len("Who lit the lamp?")] * 2


def test_one_undo_step_takes_the_whole_insert_back_and_redo_puts_it_again(report: dict) -> None:
    for key in ("mid_line", "blank_line", "end_of_text"):
        case = report[key]
        assert case["undone"] == SCRIPT, key
        assert case["redone"] == case["inserted"], key


def test_on_a_blank_line_only_the_missing_blank_lines_are_added(report: dict) -> None:
    blank = report["blank_line"]
    at = offset(1, 0)
    assert blank["inserted"] == SCRIPT[:at] + "\n" + ANSWER + "\n" + SCRIPT[at:]
    end = report["end_of_text"]
    assert end["inserted"] == SCRIPT + "\n" + ANSWER  # after the last line break: one more


def test_a_selection_is_not_replaced(report: dict) -> None:
    assert report["selection_cursor"] == [4, 2, 2, 5]
    at = offset(4, 2)
    assert report["selection"]["text"] == SCRIPT[:at] + "\n\n" + ANSWER + "\n\n" + SCRIPT[at:]


def test_the_answer_as_the_writer_edited_it_goes_in(report: dict) -> None:
    at = offset(5, len("Tu es là ?"))
    edited = "ÉLODIE\n(doucement)\nReste. 🌙"
    # only a line break after the cursor, up to the end: nothing added after the answer
    assert report["edited"]["text"] == SCRIPT[:at] + "\n\n" + edited + SCRIPT[at:]
    assert report["edited"]["cursor"] == [5 + 2 + 2, len("Reste. 🌙")] * 2  # in characters


def test_latest_is_the_answer_asked_for_last_and_a_kind_can_be_chosen(report: dict) -> None:
    at = offset(1, 0)
    assert report["description"]["state"] == "done"
    assert report["latest"]["text"] == SCRIPT[:at] + "\n" + DESCRIPTION + "\n" + SCRIPT[at:]
    chosen = report["chosen"]["text"]
    assert chosen.startswith(SCRIPT[:at] + "\nÉLODIE\n(doucement)")


def test_an_answer_text_or_a_missing_text_is_no_target(report: dict) -> None:
    assert "holds an answer, not the screenplay" in report["into_itself"]["error"]
    assert "No text named 'Nope'" in report["missing"]["error"]
