"""Any text a model sends lands in the Text exactly and in order; the writer's cursor stays.

One Blender process (scripts/text_streaming.py) with a scripted worker in the network's place,
so every split of every hard sample is delivered as chosen: one delta per character (cutting
between combining marks, ZWJ parts, CR and LF), random cuts, and every cut into two.
"""

from __future__ import annotations

import pytest

from tests.blender.scripts.text_samples import SAMPLES


@pytest.fixture(scope="module")
def report(blender_run) -> dict:
    return blender_run("text_streaming")


def test_blender_counts_cursor_set_in_bytes_and_selections_in_characters(report) -> None:
    # What text_io.py is built on, measured in this Blender.
    units = report["units"]
    assert units["cursor_set"] == "bytes"
    assert units["select_set"] == "characters"
    assert units["region_range"] == "characters"
    assert units["getters_after_select_set_0_3_1_1"] == [0, 3, 1, 1]
    assert units["select_set_minus_one_goes_to"] == [1, 2]


def test_every_split_of_every_sample_gives_the_whole_text_exactly(report) -> None:
    splits = report["every_split"]
    assert splits["failure_count"] == 0, splits["failures"]
    minimum = sum(5 + len(s.sent) - 1 for s in SAMPLES)  # the splits text_streaming makes
    assert splits["runs"] == minimum
    print(f"{splits['runs']} streams of {len(SAMPLES)} samples, each Text compared whole")


def test_one_delta_per_character_is_one_write_per_delivery(report) -> None:
    # Each delta went in on its own: the splits above really reached the Text as cut. Only
    # the LF of a CRLF (its CR already wrote the line break) and a NUL write nothing.
    counts = report["every_split"]["writes_one_per_char"]
    for sample in SAMPLES:
        writes, deltas = counts[sample.name]
        assert deltas == len(sample.sent)
        assert writes == deltas - sample.sent.count("\r\n") - sample.sent.count("\0"), sample


@pytest.mark.parametrize(
    "label",
    [
        "cursor on the multi-byte line",
        "forward on the multi-byte line",
        "backward across lines",
        "the whole previous answer",
        "cursor at the end of the multi-byte line",
        "cursor where the answer is written",
    ],
)
def test_the_writers_cursor_and_selection_stay_where_they_were(report, label: str) -> None:
    kept = report["selections"][label]
    assert kept["text_ok"]
    if kept["set"] is not None:
        assert kept["first"][:4] == kept["set"]  # (line, character) as select_set took them
    assert kept["deliveries"] > 50
    assert kept["changed_during"] == 0, kept
    assert kept["final"] == kept["first"]


def test_the_selection_keeps_the_same_multi_byte_text_selected(report) -> None:
    selected = report["selections"]["forward on the multi-byte line"]["final"][4]
    assert selected == "— “peut-être” 👍🏽"


def test_a_writer_typing_while_it_streams_keeps_both_texts_in_order(report) -> None:
    typed = report["writer_types"]
    assert typed["text"] == typed["expected"]
    # Each keystroke went where the previous one left the cursor, and it stays there.
    # "✍️" is two characters: the pencil and its emoji variation selector.
    assert typed["cursors"] == [[2, 6, 2, 6], [2, 7, 2, 7], [3, 0, 3, 0], [3, 1, 3, 1]]
    assert typed["final"][:4] == [3, 1, 3, 1]


def test_an_editor_scrolled_up_stays_and_one_at_the_end_follows(report) -> None:
    views = report["editor_views"]
    assert views["reading_tops"] == [5]
    visible = max(views["visible_lines"], 1)
    for _reading, following, lines in views["following"]:
        assert following == lines - visible
    assert views["following"][-1][2] > 40  # the answer added lines
