"""Blender's lifecycle in real Blender: ending mid-stream, and a screenplay edited mid-request.

- scripts/exit_while_streaming.py ends while an answer streams: the script simply finishes,
  calls ``sys.exit``, or finishes with the worker's loop wedged. The process must be gone
  within 2 s of the script's last line, and Blender's exit path (the bpy module's atexit runs
  ``addon_utils.disable_all()``) must have stopped the worker thread.
- scripts/screenplay_edits.py types into, replaces, renames and deletes the screenplay while
  its request streams: the answer ends exactly as sent, the next request sends the new text.
"""

from __future__ import annotations

import sys
import time

import pytest

from tests.blender.gated_stream import Gates
from tests.support.mock_server import MockServer, stream

EXIT_WITHIN = 2.0  # seconds from the script's last line to the process being gone
EDIT_BEFORE, EDIT_AFTER = ["MARA reaches ", "the lamp. "], ["It is warm."]

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="compares CLOCK_MONOTONIC across processes"
)


@pytest.fixture(scope="module", params=["finish", "sys_exit", "wedged"])
def ended(request: pytest.FixtureRequest, blender_run) -> dict:
    mode = request.param
    with MockServer() as server:
        server.enqueue(stream(["The keeper", " waits."], delay=60.0))  # stalls after a chunk
        report = blender_run("exit_while_streaming", mode, LSW_SERVER_URL=server.url)
        report["exit_seconds"] = time.monotonic() - report["ending_at"]
        report["server_saw_disconnect"] = server.wait_for_disconnect(timeout=2.0)
    print(f"exit while streaming ({mode}): gone {report['exit_seconds']:.2f} s after the end")
    return report


def test_blender_is_gone_within_two_seconds_of_ending_mid_stream(ended: dict) -> None:
    assert ended["streaming"], ended
    assert ended["state"] == "running"
    assert "litellm-screenwriter-worker" in ended["threads_while_streaming"]
    assert ended["exit_seconds"] < EXIT_WITHIN, ended


def test_the_worker_is_a_daemon_thread(ended: dict) -> None:
    assert ended["worker_is_daemon"] == [True]


def test_blenders_exit_path_unregisters_and_stops_the_worker(ended: dict) -> None:
    unregistered = ended.get("unregister")
    assert unregistered is not None, "unregister() did not run at exit"
    if ended["mode"] == "wedged":
        # It cannot stop a loop that never returns: it waits its bound, then lets the daemon
        # thread die with the process.
        assert 0.45 < unregistered["seconds"] < 1.0, unregistered
    else:
        assert unregistered["threads_after"] == [], unregistered
        assert unregistered["seconds"] < 0.5, unregistered


def test_the_server_sees_the_connection_close(ended: dict) -> None:
    assert ended["server_saw_disconnect"]


# -- the screenplay edited while its request is in flight ------------------------------------


@pytest.fixture(scope="module")
def edits(blender_run, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, MockServer]:
    gates = Gates(tmp_path_factory.mktemp("gates"))
    with MockServer() as server:
        server.enqueue(gates.stream("edits", EDIT_BEFORE, EDIT_AFTER))
        report = blender_run(
            "screenplay_edits", LSW_SERVER_URL=server.url, LSW_GATES=str(gates.folder)
        )
        return report, server


def test_edits_mid_request_change_nothing_already_sent(edits) -> None:
    report, server = edits
    flight = report["in_flight"]
    assert flight["reached_gate"]
    assert flight["steps"]["typed"].startswith("INT. LIGHTHOUSE - NIGHT\n\nMARA slowly climbs")
    assert "Script v2" in flight["steps"]["renamed"]
    assert "Script v2" not in flight["steps"]["deleted"]
    end = flight["end"]
    assert end["state"] == "done", end
    assert end["text"] == "".join(EDIT_BEFORE + EDIT_AFTER)
    first = server.chat_requests[0].json["messages"]
    assert "MARA climbs the stairs." in first[0]["content"]  # the screenplay as it was sent
    assert "slowly" not in first[0]["content"]
    # The conversation keeps the question as sent and the answer as received.
    assert flight["conversation"][1] == {"role": "assistant", "content": end["text"]}
    assert flight["conversation"][0]["content"] == first[-1]["content"]


def test_the_next_request_sends_the_screenplay_as_it_is_now(edits) -> None:
    report, server = edits
    assert report["next"]["state"] == "done", report["next"]
    second = server.chat_requests[1].json["messages"]
    assert "ZOË regarde la mer. 🌊" in second[0]["content"]
    assert "LIGHTHOUSE" not in second[0]["content"]
    assert report["threads"] == 1
    assert report["log_errors"] == []
