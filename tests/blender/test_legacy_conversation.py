"""Conversations saved by the version that kept one ``conversation`` for every request type
(scripts/legacy_conversation.py, in real Blender): nothing the writer had is lost."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def report(blender_run) -> dict:
    return blender_run("legacy_conversation")


def test_opening_an_old_file_makes_its_conversation_the_ask_conversation(report: dict) -> None:
    opened = report["opened"]
    assert opened["entries"] == {"ask": [report["legacy"], 2]}
    assert opened["legacy_left"] is None


def test_the_move_is_saved_and_not_repeated(report: dict) -> None:
    assert report["saved_again"] == report["opened"]


def test_a_file_open_since_before_the_upgrade_moves_at_the_first_ask(report: dict) -> None:
    assert report["first_ask_reads"] == report["legacy"]
    assert report["after_first_ask"]["entries"] == {"ask": [report["legacy"], 2]}
    assert report["after_first_ask"]["legacy_left"] is None


def test_an_existing_ask_conversation_is_never_overwritten(report: dict) -> None:
    both = report["both"]
    assert both["entries"] == {"ask": [report["newer"], 1]}
    assert both["legacy_left"] == report["legacy"]  # kept, not dropped


def test_an_unreadable_old_conversation_is_moved_and_starts_anew(report: dict) -> None:
    assert report["unreadable_moved"] is True
    assert report["unreadable"]["entries"] == {"ask": ["{not json", 0]}
    assert report["unreadable_loads"] == 0
