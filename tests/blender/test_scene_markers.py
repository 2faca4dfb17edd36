"""screenwriter.scene_markers in real Blender (scripts/scene_markers.py): one marker per scene
at its estimated start frame, replaced (never doubled) on every run, before and after a save
and reload, the writer's own markers untouched, names cut on a character boundary."""

from __future__ import annotations

from collections import Counter

import pytest

MARKER_NAME_BYTES = 63  # TimelineMarker.name: 64-byte C string (the script measures it too)
USER_MARKERS = [["My cue", 1], ["INT. LAMP ROOM - NIGHT (1981)", 5000], ["Café ☕", 250]]


@pytest.fixture(scope="module")
def report(blender_run, tmp_path_factory) -> dict:
    return blender_run("scene_markers", LSW_TMP=str(tmp_path_factory.mktemp("markers")))


def scene_markers(snapshot: dict) -> Counter:
    """The markers of a snapshot that are not the writer's."""
    found = Counter(tuple(m) for m in snapshot["markers"])
    found.subtract(Counter(tuple(m) for m in USER_MARKERS))
    return +found


def test_one_marker_per_scene_at_its_start_frame(report: dict) -> None:
    first = report["first"]
    assert first["result"] == ["FINISHED"]
    expected = report["expected"]
    assert len(expected) == 190
    assert scene_markers(first) == Counter(tuple(e) for e in expected)
    assert first["count"] == 190 + len(USER_MARKERS)
    # 29.97 fps from frame 101: scene 1 starts after the voice-over before its heading
    assert 101 < expected[0][1] < 101 + 30 * 10
    last_start = expected[-1][1]
    assert report["fps"] == pytest.approx(30 / 1.001)
    assert last_start < 101 + round(report["total_seconds"] * report["fps"])
    assert [f for _, f in expected] == sorted(f for _, f in expected)


def test_running_again_replaces_and_never_doubles(report: dict) -> None:
    first, again = report["first"], report["again"]
    assert again["result"] == ["FINISHED"]
    assert again["markers"] == first["markers"]
    assert again["count"] == first["count"]
    assert sorted(map(tuple, again["stored"])) == sorted(scene_markers(again).elements())


def test_the_writers_markers_are_left_alone(report: dict) -> None:
    for key in ("first", "again", "edited", "reloaded"):
        markers = [tuple(m) for m in report[key]["markers"]]
        for marker in USER_MARKERS:
            assert tuple(marker) in markers, (key, marker)
    # the one named like a scene, at another frame, is not taken for ours
    assert ("INT. LAMP ROOM - NIGHT (1981)", 5000) in [
        tuple(m) for m in report["edited"]["markers"]
    ]


def test_a_moved_marker_is_still_ours_and_a_renamed_one_is_the_writers(report: dict) -> None:
    edited = report["edited"]
    assert edited["result"] == ["FINISHED"]
    # moved ones replaced (at their estimated frame again): 190 of ours, not 192
    assert sum(scene_markers(edited).values()) == 190 + 1  # + the renamed one, now the writer's
    markers = [tuple(m) for m in edited["markers"]]
    assert ("Jetty: my note", report["renamed_frame"]) in markers
    assert len(report["moved"]) == 2
    for name, frame in report["moved"]:
        assert (name, frame) not in markers, (name, frame)
    assert Counter(tuple(e) for e in report["expected"]) <= scene_markers(edited)


def test_markers_made_before_a_save_are_replaced_after_reload(report: dict) -> None:
    before, after = report["reloaded_before"], report["reloaded"]
    assert before["markers"] == report["edited"]["markers"]  # the .blend kept them
    assert before["stored"] == report["edited"]["stored"]  # and which are ours
    assert after["result"] == ["FINISHED"]
    assert after["markers"] == before["markers"]


def test_long_names_are_cut_on_a_character_boundary_and_still_replaced(report: dict) -> None:
    wide = report["wide"]
    names = [name for name, _ in wide["markers"]]
    assert len(names) == 3
    assert all(b <= MARKER_NAME_BYTES for b in wide["bytes"]), wide["bytes"]
    for name in names:
        name.encode("utf-8")  # whole characters only (a cut one would not round-trip)
        assert name.endswith("…"), name
    assert any(name.startswith("INT. CAFÉ DES ÉTOILES") for name in names)
    assert any("東京駅" in name for name in names)
    assert any(name.startswith("INT. 🚀🚀 ROCKET 🧑‍🚀") for name in names)
    assert report["wide_again"]["markers"] == wide["markers"]


def test_no_sequencer_channel_is_used(report: dict) -> None:
    for key in ("first", "again", "edited", "reloaded", "wide"):
        assert report[key]["strips"] == 0, key


def test_a_text_without_a_scene_heading_is_refused_and_changes_nothing(report: dict) -> None:
    refused = report["no_scenes"]
    assert refused["result"] is None
    assert "'Notes' has no scene heading" in refused["error"]
    assert refused["markers"] == report["wide_again"]["markers"]
    assert "No text named 'Nope'" in report["missing"]["error"]


def test_the_button_is_greyed_out_without_a_screenplay(report: dict) -> None:
    refused = report["poll_no_screenplay"]
    assert refused["ok"] is False
    assert "poll()" in refused["message"]
    assert "No screenplay found" in refused["message"]
    assert report["poll_open"] == {"ok": True, "message": ""}


def test_markers_for_190_scenes_are_quick(report: dict) -> None:
    timings = report["timings"]
    print(f"scene markers for 190 scenes: best {min(timings) * 1000:.1f} ms")
    assert min(timings) < 0.5  # the figure is for make bench; this only catches a blow-up
