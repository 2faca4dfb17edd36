"""The worker/bridge/operator workflow in real Blender, against the scripted mock LiteLLM server.

Two Blender processes, each running a batch of scenarios against mock servers living in this
(pytest) process:

- ``workflow_requests``: every request operator streams into its own "Screenwriter …" Text,
  the conversation is kept on the scene, the pump's intervals, 200 deltas landing in one write,
  and what the operators refuse before sending anything.
- ``workflow_interrupts``: cancel mid-stream, failures (wrong key, server down), the output text
  deleted or renamed mid-stream, a new file loaded mid-stream, the add-on disabled mid-stream.

Streams that must be interrupted at a known point are "gated": the server writes the chunks
before the gate, touches ``<gate>.sent`` in a folder both processes know, and waits for the
Blender script to touch ``<gate>.go``. Both processes read ``CLOCK_MONOTONIC`` (system-wide on
Linux), so the moment Blender cancelled and the moment the server saw the client go compare.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from litellm_screenwriter.screenplay import parse, render_analysis
from litellm_screenwriter.screenplay.templates import load_template
from tests.blender.gated_stream import Gates
from tests.screenplay.analysis_support import analysis_for
from tests.support.mock_server import MockServer, stream

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="compares CLOCK_MONOTONIC across processes"
)

# -- what the mock server answers ------------------------------------------------------------

ASK_1 = ["The keeper", " lit it", " at dusk."]
ASK_2 = ["Because the", " ship is", " due."]
ANALYSIS = analysis_for([1], 1)  # the one scene of harness.screenplay()
ANALYSIS_TEXT = json.dumps(ANALYSIS, indent=1)
MALFORMED = ['{"logline": "A keeper', ' alone", "genre": }']
DIALOGUE = ["MARA\n", "Who's there?\n\n", "TOM\n", "Only the sea."]
SCENE = ["Night. ", "A spiral stair ", "lit from above."]
IDEAS = ["1. The lamp ", "was never ", "lit at all."]
BURST = [f"w{i} " for i in range(200)]
BURST_TAIL = ["END."]

PROMPT_1 = "Who lit the lamp?"
PROMPT_2 = "And why tonight?"


def split(text: str, pieces: int) -> list[str]:
    size = -(-len(text) // pieces)
    return [text[i : i + size] for i in range(0, len(text), size)]


def assert_ended(outcome: dict, state: str) -> None:
    assert outcome["ended"], f"still {outcome['state']} when the script gave up: {outcome}"
    assert outcome["state"] == state, outcome


@pytest.fixture(scope="module")
def gates(tmp_path_factory: pytest.TempPathFactory) -> Gates:
    return Gates(tmp_path_factory.mktemp("gates"))


# -- batch 1: requests -----------------------------------------------------------------------


@dataclass
class Run:
    report: dict
    server: MockServer
    gates: Gates
    extra: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def requests_run(blender_run, gates: Gates) -> Iterator[Run]:
    with MockServer() as server:
        server.enqueue(
            stream(ASK_1, delay=0.02),
            stream(ASK_2, delay=0.02),
            stream(split(ANALYSIS_TEXT, 12)),
            stream(MALFORMED),
            stream(MALFORMED),  # the answer to the repair request
            stream(DIALOGUE, delay=0.01),
            stream(SCENE),
            stream(IDEAS),
            gates.stream("burst", BURST, BURST_TAIL),
        )
        started = time.perf_counter()
        report = blender_run(
            "workflow_requests", LSW_SERVER_URL=server.url, LSW_GATES=str(gates.folder)
        )
        print(f"workflow_requests: {time.perf_counter() - started:.1f} s")
        yield Run(report, server, gates)


def test_ask_streams_exactly_the_served_text_into_the_answer_text(requests_run: Run) -> None:
    first = requests_run.report["asks"]["first"]
    assert first["result"] == ["FINISHED"], first
    assert_ended(first, "done")
    assert first["text_name"] == "Screenwriter Answer"
    assert first["text"] == f"## {PROMPT_1}\n\n" + "".join(ASK_1)
    assert first["chars"] == len("".join(ASK_1))
    assert first["message"].startswith("Done in "), first["message"]
    second = requests_run.report["asks"]["second"]
    assert second["state"] == "done", second
    # Questions accumulate in the Answer text as a chat log.
    assert second["text"] == (
        f"## {PROMPT_1}\n\n{''.join(ASK_1)}\n\n## {PROMPT_2}\n\n{''.join(ASK_2)}"
    )


def test_ask_sends_the_scene_prompt_then_the_operator_prompt(requests_run: Run) -> None:
    chats = requests_run.server.chat_requests
    first, second = chats[0].json, chats[1].json
    assert first["stream"] is True
    assert first["model"] == "mock-echo"
    assert first["messages"][0]["role"] == "system"
    assert "MARA climbs the stairs." in first["messages"][0]["content"]
    assert first["messages"][-1]["role"] == "user"
    assert first["messages"][-1]["content"].endswith(PROMPT_1)
    assert second["messages"][-1]["content"].endswith(PROMPT_2)


def test_the_conversation_on_the_scene_holds_each_exchange(requests_run: Run) -> None:
    asks = requests_run.report["asks"]
    after_first = asks["after_first"]["conversation"]
    assert [m["role"] for m in after_first] == ["user", "assistant"]
    assert after_first[0]["content"].endswith(PROMPT_1)
    assert after_first[1]["content"] == "".join(ASK_1)
    conversation = asks["conversation"]
    assert [m["role"] for m in conversation] == ["user", "assistant"] * 2
    assert conversation[3]["content"] == "".join(ASK_2)


def test_the_second_ask_sends_the_whole_first_exchange_as_history(requests_run: Run) -> None:
    messages = requests_run.server.chat_requests[1].json["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"].endswith(PROMPT_1)
    assert messages[2]["content"] == "".join(ASK_1)


def test_request_operators_return_at_once(requests_run: Run) -> None:
    report = requests_run.report
    calls = [report["asks"]["first"], report["asks"]["second"]]
    calls += [report["analyses"][k] for k in ("valid", "malformed")]
    calls += [report["outputs"][k] for k in ("dialogue", "scene", "ideas")]
    seconds = [c["seconds"] for c in calls]
    print(
        f"operator return: first call {seconds[0] * 1000:.1f} ms, "
        f"later calls max {max(seconds[1:]) * 1000:.1f} ms"
    )
    assert max(seconds) < 1.0, seconds


def test_a_json_analysis_is_rendered_as_a_breakdown(requests_run: Run) -> None:
    valid = requests_run.report["analyses"]["valid"]
    assert valid["state"] == "done", valid
    assert valid["text_name"] == "Screenwriter Analysis"
    assert valid["text"] == render_analysis(ANALYSIS, parse(requests_run.report["script"]))
    assert f"Logline: {ANALYSIS['logline']}" in valid["text"]
    assert "post-processing failed" not in valid["message"]


def test_a_malformed_analysis_keeps_the_raw_answer_and_says_so(requests_run: Run) -> None:
    malformed = requests_run.report["analyses"]["malformed"]
    assert malformed["state"] == "done", malformed
    assert malformed["text"] == "".join(MALFORMED)
    assert "still does not match the schema after one repair" in malformed["message"]
    assert "raw answer is kept" in malformed["message"], malformed["message"]
    # A model drifting from the format is not a bug: no traceback in the log.
    assert requests_run.report["log_errors"] == []


@pytest.mark.parametrize(
    ("key", "name", "served"),
    [
        ("dialogue", "Screenwriter Dialogue", DIALOGUE),
        ("scene", "Screenwriter Scene", SCENE),
        ("ideas", "Screenwriter Ideas", IDEAS),
    ],
)
def test_each_request_type_writes_its_own_text(
    requests_run: Run, key: str, name: str, served: list[str]
) -> None:
    outcome = requests_run.report["outputs"][key]
    assert outcome["result"] == ["FINISHED"]
    assert outcome["state"] == "done", outcome
    assert outcome["text_name"] == name
    assert outcome["text"] == "".join(served)
    assert name in requests_run.report["outputs"]["texts"]


def instruction_start(kind: str) -> str:
    """The start of a request type's template, before its first placeholder."""
    return load_template(kind).split("$", 1)[0]


def test_the_request_types_send_their_own_instructions(requests_run: Run) -> None:
    chats = requests_run.server.chat_requests
    kinds = ["analysis", "analysis", "dialogue", "description", "suggestions"]
    # chats[4] is the malformed analysis's repair request
    for recorded, kind in zip([*chats[2:4], *chats[5:8]], kinds, strict=True):
        user = recorded.json["messages"][-1]
        assert user["role"] == "user"
        assert user["content"].startswith(instruction_start(kind)), kind
    # the analysis sees the whole screenplay, scene by scene
    whole = requests_run.report["script"].strip()
    assert f"## SCENE 1\n{whole}" in chats[2].json["messages"][0]["content"]


def test_pump_is_fast_while_a_job_runs_and_stops_when_idle(requests_run: Run) -> None:
    intervals = requests_run.report["intervals"]
    assert intervals["active_constant"] == pytest.approx(0.05)
    # Idle with no Screenwriter panel on screen: the timer stops itself (None), a submit
    # arms it again.
    assert intervals["idle"] is None
    burst = requests_run.report["burst"]
    assert burst["interval_mid_stream"] == intervals["active_constant"]
    assert burst["interval_after"] is None
    assert requests_run.report["timer_registered"] is True


def test_two_hundred_deltas_between_pumps_land_as_one_write(requests_run: Run) -> None:
    burst = requests_run.report["burst"]
    assert burst["reached_gate"]
    mid = burst["mid"]
    assert mid["state"] == "running", mid  # the stream still waits at the gate
    assert mid["text"] == "".join(BURST)
    assert burst["mid_writes"] == [len("".join(BURST))]
    end = burst["end"]
    assert end["state"] == "done", end
    assert end["text"] == "".join(BURST + BURST_TAIL)
    assert sum(burst["all_writes"]) == len(end["text"])


def test_a_request_into_a_text_still_streaming_is_refused(requests_run: Run) -> None:
    again = requests_run.report["at_once"]["again"]
    assert again["job"] is None, again
    assert "still streaming into 'Screenwriter Dialogue'" in again["error"], again
    assert requests_run.report["at_once"]["ends"][0]["state"] == "done"


def test_requests_of_different_types_stream_at_once(requests_run: Run) -> None:
    at_once = requests_run.report["at_once"]
    names = ["Screenwriter Dialogue", "Screenwriter Scene", "Screenwriter Ideas"]
    kinds = ["dialogue", "description", "suggestions"]
    for end, name, kind in zip(at_once["ends"], names, kinds, strict=True):
        assert_ended(end, "done")
        assert end["text_name"] == name
        assert end["text"].startswith(f"Echo: {instruction_start(kind)}"), end["text"]
    # Each answer ending adds its exchange to its own type's conversation, and nowhere else.
    added = at_once["added"]
    for end, kind in zip(at_once["ends"], kinds, strict=True):
        assert [m["role"] for m in added[kind]] == ["user", "assistant"], kind
        assert added[kind][1]["content"] == end["text"], kind
    assert added["analysis"] == added["ask"] == []
    # Before: two dialogues (one of them the burst), one description, one idea list, two
    # questions; the two analyses are stored with the scene, in no conversation.
    assert at_once["turns_before"] == {
        "analysis": 0, "dialogue": 4, "description": 2, "suggestions": 2, "ask": 4
    }  # fmt: skip
    assert at_once["exchanges"] == {
        "dialogue": 3, "description": 2, "suggestions": 2, "ask": 2
    }  # fmt: skip


def test_a_dialogue_request_never_carries_the_analysis(requests_run: Run) -> None:
    """Conversations are per request type: the analysis JSON stays out of other requests."""
    chats = requests_run.server.chat_requests
    first_dialogue = chats[5].json["messages"]
    assert [m["role"] for m in first_dialogue] == ["system", "user"]
    later = [c.json["messages"] for c in chats[6:]]
    for messages in later:
        assert not any('"logline"' in m["content"] for m in messages if m["role"] != "system")
    # An analysis is never part of a conversation: the second one starts afresh, and only its
    # repair request carries the answer it repairs.
    second_analysis = chats[3].json["messages"]
    assert [m["role"] for m in second_analysis] == ["system", "user"]
    repair = chats[4].json["messages"]
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]


def test_a_missing_source_text_is_refused_with_a_clear_report(requests_run: Run) -> None:
    refusals = requests_run.report["refusals"]
    named = refusals["missing_source"]
    assert named["result"] is None  # refused: the ERROR report is raised
    assert named["job"] is None  # nothing was sent
    assert "No text named 'No Such Text'" in named["error"]
    assert "Text Editor" in named["error"]
    anonymous = refusals["no_source_at_all"]
    assert anonymous["job"] is None
    assert "No screenplay found" in anonymous["error"]
    # until it was cleared, the panel's Screenplay field named the text the requests used
    assert refusals["remembered_source"] == "Script"


def test_an_empty_prompt_is_refused_for_ask(requests_run: Run) -> None:
    refusals = requests_run.report["refusals"]
    for key in ("empty_prompt", "empty_scene_prompt"):
        refused = refusals[key]
        assert refused["job"] is None, key
        assert "Prompt field" in refused["error"], refused
    assert refusals["jobs_added"] == 0
    # Only the answered requests ever reached the server: 9 scripted, 3 echoed at once.
    assert len(requests_run.server.chat_requests) == 9 + 3
    assert requests_run.server.pending == 0


def test_one_worker_thread_serves_every_request(requests_run: Run) -> None:
    assert requests_run.report["threads"] == 1
    assert requests_run.report["log_errors"] == []


# -- batch 2: interruptions ------------------------------------------------------------------

CANCEL_BEFORE = ["Night. ", "Fog rolls in."]
DELETE_BEFORE, DELETE_AFTER = ["MARA\nWho's ", "there?\n"], ["TOM\n", "Nobody."]
RENAME_BEFORE, RENAME_AFTER = ["1. A storm ", "cuts the power."], ["\n2. The ship ", "is a ghost."]
HOMEFILE_BEFORE = ["Perhaps, ", "perhaps not."]
DISABLE_BEFORE = ["Thinking"]
AUTH_KEY = "sesame"


def closed_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def interrupts_run(blender_run, gates: Gates) -> Iterator[Run]:
    with MockServer() as server, MockServer(api_key=AUTH_KEY) as auth:
        server.enqueue(
            gates.stream("cancel", CANCEL_BEFORE, ["never sent"]),
            gates.stream("delete", DELETE_BEFORE, DELETE_AFTER),
            gates.stream("rename", RENAME_BEFORE, RENAME_AFTER),
            gates.stream("homefile", HOMEFILE_BEFORE, ["never sent"]),
            stream(["A new ", "start."]),
            stream(["Too ", "late."]),
            gates.stream("disable", DISABLE_BEFORE, ["never sent"]),
            stream(["Welcome ", "back."]),
        )
        down = f"http://127.0.0.1:{closed_port()}"
        started = time.perf_counter()
        report = blender_run(
            "workflow_interrupts",
            LSW_SERVER_URL=server.url,
            LSW_AUTH_URL=auth.url,
            LSW_DOWN_URL=down,
            LSW_GATES=str(gates.folder),
        )
        print(f"workflow_interrupts: {time.perf_counter() - started:.1f} s")
        yield Run(report, server, gates, {"auth": auth, "down": down})


def test_cancel_mid_stream_closes_the_connection_within_a_second(interrupts_run: Run) -> None:
    cancel = interrupts_run.report["cancel"]
    assert cancel["before"]["state"] == "running"
    assert cancel["cancel_result"] == ["FINISHED"]
    disconnected = interrupts_run.gates.disconnected.get("cancel")
    assert disconnected is not None, "the server never saw the client go away"
    seconds = disconnected - cancel["cancel_at"]
    print(f"cancel → server saw the disconnect after {seconds * 1000:.0f} ms")
    assert 0 <= seconds < 1.0
    assert cancel["cancel_seconds"] < 0.5  # the operator itself does not wait


def test_cancel_ends_the_job_cancelled_and_keeps_the_text(interrupts_run: Run) -> None:
    cancel = interrupts_run.report["cancel"]
    end = cancel["end"]
    assert_ended(end, "cancelled")
    assert end["text_name"] == "Screenwriter Scene"
    assert end["text"] == "".join(CANCEL_BEFORE)
    assert end["message"] == f"Cancelled. {len(''.join(CANCEL_BEFORE))} characters kept."
    # Nothing left to cancel: the operator says so (an INFO report, not an error).
    nothing = cancel["nothing_to_cancel"]
    assert nothing["result"] == ["CANCELLED"]
    assert nothing["error"] is None


def test_a_wrong_key_fails_the_job_and_points_at_the_preferences(interrupts_run: Run) -> None:
    failed = interrupts_run.report["wrong_key"]
    assert failed["result"] == ["FINISHED"]  # the operator cannot know: the server tells
    assert_ended(failed, "failed")
    assert "401" in failed["message"]
    assert "API key" in failed["message"]
    assert "preferences" in failed["message"]
    assert "wrong-key" not in failed["message"]
    recorded = interrupts_run.extra["auth"].chat_requests
    assert [r.header("Authorization") for r in recorded] == ["Bearer wrong-key"]


def test_a_server_that_is_down_fails_naming_its_url(interrupts_run: Run) -> None:
    failed = interrupts_run.report["server_down"]
    assert_ended(failed, "failed")
    assert interrupts_run.extra["down"] in failed["message"], failed["message"]
    # The question closes the chat log, without an answer (the failed wrong-key one above).
    assert failed["text"] == "## Knock knock\n\n## Anyone there?\n\n"
    print(f"server down: failed after {failed['failed_after']:.2f} s")


def test_failures_raise_nothing_into_blender(interrupts_run: Run) -> None:
    assert interrupts_run.report["log_errors_before_disable"] == []


def test_a_deleted_output_text_is_recreated_and_the_job_says_so(interrupts_run: Run) -> None:
    delete = interrupts_run.report["delete"]
    assert delete["before"]["text"] == "".join(DELETE_BEFORE)
    assert delete["gone"]
    end = delete["end"]
    assert_ended(end, "done")
    assert end["text_name"] == "Screenwriter Dialogue"
    assert end["text"] == "".join(DELETE_AFTER)  # what arrived after the deletion
    assert "deleted" in end["message"], end["message"]
    assert "Done in" in end["message"], end["message"]


def test_a_renamed_output_text_keeps_receiving_the_answer(interrupts_run: Run) -> None:
    rename = interrupts_run.report["rename"]
    end = rename["end"]
    assert_ended(end, "done")
    assert end["text_name"] == "My Ideas"
    assert end["text"] == "".join(RENAME_BEFORE + RENAME_AFTER)
    assert rename["old_name_text"] is None  # no stray "Screenwriter Ideas" was created
    assert "Screenwriter Ideas" not in rename["texts"]


def test_a_new_file_mid_stream_cancels_the_job_and_says_why(interrupts_run: Run) -> None:
    homefile = interrupts_run.report["homefile"]
    assert homefile["before"]["state"] == "running"
    assert homefile["error"] is None
    assert homefile["texts_after_load"] == []
    end = homefile["end"]
    assert_ended(end, "cancelled")
    assert "another file was opened" in end["message"], end["message"]
    assert end["text"] is None  # its text went with the old file and was not recreated
    disconnected = interrupts_run.gates.disconnected.get("homefile")
    assert disconnected is not None
    assert disconnected - homefile["loaded_at"] < 1.0


def test_after_a_new_file_the_pump_and_new_requests_work(interrupts_run: Run) -> None:
    homefile = interrupts_run.report["homefile"]
    # The first pump after loading may already deliver the cancellation (then it idles).
    assert homefile["intervals"][0] in (0.05, None)
    assert homefile["intervals"][1] is None
    assert homefile["kept"] == {"base_url": True, "timer": True, "threads": 1}
    after = homefile["after"]
    assert after["state"] == "done", after
    assert after["text"] == "## A new start?\n\nA new start."


def test_an_answer_not_yet_delivered_when_a_new_file_loads_ends_cancelled(
    interrupts_run: Run,
) -> None:
    late = interrupts_run.report["homefile_late"]
    assert late["finished_unpumped"], late  # the worker had queued its text and its end
    end = late["end"]
    assert end["state"] == "cancelled", end
    assert "another file was opened" in end["message"], end["message"]
    assert end["text"] is None  # its text is not recreated in the new file
    assert late["interval"] is None


def test_disable_mid_stream_is_bounded_and_leaves_nothing(interrupts_run: Run) -> None:
    disable = interrupts_run.report["disable"]
    assert disable["before"]["state"] == "running"
    print(f"disable mid-stream: {disable['disable_seconds']:.2f} s")
    assert disable["disable_seconds"] < 5.0
    left = disable["left"]
    assert left["threads"] == 0
    assert left["timer"] is False
    assert left["handlers"] == []
    assert left["classes"] == []
    assert left["scene_property"] is False
    disconnected = interrupts_run.gates.disconnected.get("disable")
    assert disconnected is not None
    assert disconnected - disable["disabled_at"] < 5.0


def test_enable_after_disable_serves_a_request_with_one_worker(interrupts_run: Run) -> None:
    after = interrupts_run.report["disable"]["after"]
    assert after["result"] == ["FINISHED"]
    assert after["state"] == "done", after
    # The chat log keeps what the interrupted answer had received before the disable.
    assert after["text"] == ("## Hold that thought\n\nThinking\n\n## Back again?\n\nWelcome back.")
    assert after["threads"] == 1
    assert interrupts_run.report["threads"] == 1
    assert interrupts_run.report["final"]["threads"] == 0
    assert interrupts_run.server.pending == 0
