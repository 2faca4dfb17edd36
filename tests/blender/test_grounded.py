"""Requests grounded in the screenplay and the checked analysis, in real Blender.

One Blender process (scripts/grounded_requests.py) sends every request type against the mock
LiteLLM server of this process, which records what it received: the scene at the Text's cursor
(or the selection) grounds the request within its token budget on a feature-length script; the
analysis goes out with ``response_format: json_schema`` (JSON mode where the model info says
the model lacks it), is validated on the worker thread, repaired once, split into parts for a
small context and merged, stored on the scene and rendered; the .blend keeps the analysis and
the conversation, never the API key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from litellm_screenwriter.screenplay import (
    message_tokens,
    model_limits,
    parse,
    plan_analysis,
)
from litellm_screenwriter.screenplay.context import CURSOR_MARK
from litellm_screenwriter.screenplay.samples import feature_screenplay
from tests.screenplay.analysis_support import analysis_for, analysis_json
from tests.support.mock_server import MockServer, reply

API_KEY = "sk-grounded-secret-4711"
WORKER_THREAD = "litellm-screenwriter-worker"
LIMITS = {"max_output_tokens": 16384}
MODEL_INFO = {
    "data": [
        {"model_name": "mock-big", "model_info": {**LIMITS, "max_input_tokens": 128000,
                                                  "supports_response_schema": True}},
        {"model_name": "mock-small", "model_info": {**LIMITS, "max_input_tokens": 16000,
                                                    "supports_response_schema": True}},
        {"model_name": "mock-nojson", "model_info": {**LIMITS, "max_input_tokens": 128000,
                                                     "supports_response_schema": False}},
    ]
}  # fmt: skip
DIALOGUE = "TOMAS\nCan I stay?\n\nMAREN\nEvery hour."
SHORT_SCENES = range(1, 14)


def lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


FEATURE = lf(feature_screenplay())
FEATURE_PLAN = plan_analysis(FEATURE, limits=model_limits(MODEL_INFO, "mock-small"))
BROKEN = analysis_for(SHORT_SCENES, 13)
del BROKEN["scenes"]["4"]
REPAIRED = analysis_for(SHORT_SCENES, 13, tag=" (repaired)")


@dataclass
class Run:
    report: dict
    server: MockServer

    def chats(self, model: str | None = None) -> list[dict]:
        return [r.json for r in self.server.chat_requests if model in (None, r.json["model"])]


@pytest.fixture(scope="module")
def grounded_run(blender_run, tmp_path_factory) -> Iterator[Run]:
    with MockServer(model_info=MODEL_INFO) as server:
        parts = [
            reply(analysis_json(c.scenes, 190, tag=f" {c.index}")) for c in FEATURE_PLAN.chunks
        ]
        parts.insert(1, reply('{"logline": "only this"}'))  # part 2 invalid once: repaired
        server.enqueue(
            reply(DIALOGUE),
            reply("A lamp room, blue and cold."),
            reply("1. A storm."),
            reply("Because the light needs her."),
            reply("MAREN\nRun!"),
            reply(analysis_json(SHORT_SCENES, 13)),
            reply(json.dumps(BROKEN)),
            reply(json.dumps(REPAIRED)),
            reply("Not JSON at all."),
            reply("Still not JSON."),
            reply(analysis_json(SHORT_SCENES, 13, tag=" (json mode)")),
            *parts,
        )
        report = blender_run(
            "grounded_requests",
            LSW_SERVER_URL=server.url,
            LSW_API_KEY=API_KEY,
            LSW_TMP=str(tmp_path_factory.mktemp("grounded-blend")),
            timeout=300,
        )
        yield Run(report, server)


# -- grounding --------------------------------------------------------------------------------


def test_enabling_does_not_load_the_screenplay_layer(grounded_run: Run) -> None:
    assert grounded_run.report["screenplay_at_enable"] == []


def test_the_budget_preferences_default_to_the_screenplay_layers(grounded_run: Run) -> None:
    for kind, (preference, default) in grounded_run.report["budgets"].items():
        assert preference == default == 6000, kind


def test_the_scene_at_the_cursor_grounds_the_dialogue(grounded_run: Run) -> None:
    report = grounded_run.report["grounded"]
    outcome = report["dialogue"]
    assert outcome["state"] == "done", outcome
    assert outcome["text"] == DIALOGUE
    sent = grounded_run.chats()[0]
    system, user = sent["messages"][0]["content"], sent["messages"][-1]["content"]
    heading = report["scene_96"]["heading"]
    assert "## SCENE 96 (the scene the request is about)" in system
    assert f"{CURSOR_MARK}\n{report['cursor_line_body']}" in system
    assert f"scene 96. {heading}" in user
    assert "Scene 96" in outcome["message"], outcome["message"]


@pytest.mark.parametrize(("index", "budget"), [(0, 6000), (1, 6000), (2, 2500), (3, 6000)])
def test_the_budget_holds_on_the_feature_length_sample(
    grounded_run: Run, index: int, budget: int
) -> None:
    report = grounded_run.report["grounded"]
    assert report["feature_chars"] > 120_000
    sent = grounded_run.chats()[index]
    tokens = message_tokens(sent["messages"])
    print(f"request {index}: {tokens} prompt tokens of {budget}")
    assert tokens <= budget
    assert tokens > budget * 0.6  # the budget is used, not ignored: neighbours fill it


def test_a_selection_is_the_focus_instead_of_the_cursor_scene(grounded_run: Run) -> None:
    report = grounded_run.report["grounded"]
    first, last = report["selection"]["first"], report["selection"]["last"]
    system = grounded_run.chats()[1]["messages"][0]["content"]
    # The selection ends at the start of the line after `last`: that line is not in it.
    assert report["selection"]["read"][2:] == [last, 0]
    assert f"## THE SELECTED LINES {first}-{last}\n" in system
    assert report["description"]["state"] == "done"


def test_ask_sends_the_question_and_only_its_own_conversation(grounded_run: Run) -> None:
    sent = grounded_run.chats()[3]
    assert "Why does Maren stay?" in sent["messages"][-1]["content"]
    # the first question: no earlier ask, and the dialogue before it is another type's
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]


def test_a_second_dialogue_carries_the_first_within_its_budget(grounded_run: Run) -> None:
    sent = grounded_run.chats()[4]  # the CRLF text's dialogue
    roles = [m["role"] for m in sent["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert sent["messages"][2]["content"] == DIALOGUE
    assert "in scene 96. " in sent["messages"][1]["content"]  # the question as it was sent
    assert message_tokens(sent["messages"]) <= 6000


def test_crlf_text_grounds_on_the_same_line_numbers_as_blender(grounded_run: Run) -> None:
    system = grounded_run.chats()[4]["messages"][0]["content"]
    assert "## SCENE 2 (the scene the request is about)" in system
    assert f"{CURSOR_MARK}\nTOMAS runs." in system
    assert "\r" not in system


def test_request_operators_return_fast_on_a_long_script(grounded_run: Run) -> None:
    report = grounded_run.report["operator_return"]
    assert report["chars"] >= 150_000
    print(
        "operator return on 150,000 characters, ms:", [f"{s * 1000:.1f}" for s in report["seconds"]]
    )
    # The parse runs on the worker thread: the call is far below a cold parse on the main thread.
    assert max(report["seconds"]) < 0.25


# -- the analysis ------------------------------------------------------------------------------


def analysis_requests(run: Run) -> list[dict]:
    return [c for c in run.chats() if "response_format" in c]


def test_the_analysis_is_sent_with_its_json_schema(grounded_run: Run) -> None:
    sent = analysis_requests(grounded_run)[0]
    assert sent["model"] == "mock-big"
    rf = sent["response_format"]
    assert rf["type"] == "json_schema"
    assert rf["json_schema"]["strict"] is True
    required = rf["json_schema"]["schema"]["properties"]["scenes"]["required"]
    assert required == [str(n) for n in SHORT_SCENES]
    paths = [r.path for r in grounded_run.server.requests]
    assert paths.count("/model/info") == 6  # once per analysis run


def test_a_valid_analysis_is_stored_on_the_scene_and_rendered(grounded_run: Run) -> None:
    valid = grounded_run.report["analyses"]["valid"]
    assert valid["ended"], valid
    assert valid["state"] == "done", valid
    assert json.loads(valid["stored"]) == analysis_for(SHORT_SCENES, 13)
    assert valid["text"] == grounded_run.report["analyses"]["valid_expected_text"]
    assert valid["text"].startswith("SCRIPT ANALYSIS\n")
    assert "12. EXT. GALLERY - DAY\n    Scene 12 happens." in valid["text"]
    assert "13 scenes analysed" in valid["message"], valid["message"]
    assert "max_input_tokens=128000" in valid["limits"]
    assert "supports_json_schema=True" in valid["limits"]


def test_validation_runs_on_the_worker_thread(grounded_run: Run) -> None:
    analyses = grounded_run.report["analyses"]
    assert analyses["checked_on"], "no answer was checked"
    assert set(analyses["checked_on"]) == {WORKER_THREAD}
    assert analyses["main_thread"] != WORKER_THREAD
    # one check per analysis answer: 1 + 2 + 2 + 1 + the feature's parts and its repair
    assert len(analyses["checked_on"]) == 6 + len(FEATURE_PLAN.chunks) + 1


def test_a_second_click_while_the_analysis_runs_is_refused(grounded_run: Run) -> None:
    busy = grounded_run.report["analyses"]["busy"]
    assert busy["result"] is None
    assert "still streaming into 'Screenwriter Analysis'" in busy["error"]


def test_an_invalid_analysis_gets_one_repair_request_with_the_errors(grounded_run: Run) -> None:
    first, repair = analysis_requests(grounded_run)[1:3]
    assert repair["messages"][: len(first["messages"])] == first["messages"]
    assert repair["messages"][-2] == {"role": "assistant", "content": json.dumps(BROKEN)}
    assert "scenes: '4' is a required property" in repair["messages"][-1]["content"]
    assert repair["response_format"] == first["response_format"]
    repaired = grounded_run.report["analyses"]["repaired"]
    assert repaired["state"] == "done", repaired
    assert json.loads(repaired["stored"]) == REPAIRED
    assert "1 repaired" in repaired["message"]
    assert any(t.endswith("(repair)") for t in repaired["titles"])


def test_an_analysis_still_invalid_keeps_the_raw_answer_and_says_so(grounded_run: Run) -> None:
    invalid = grounded_run.report["analyses"]["invalid"]
    assert invalid["state"] == "done", invalid
    assert invalid["text"] == "Still not JSON."
    assert "still does not match the schema after one repair" in invalid["message"]
    assert "the answer is not valid JSON" in invalid["message"]
    # nothing was stored: the repaired analysis before it stays
    assert json.loads(invalid["stored"]) == REPAIRED
    assert grounded_run.report["log_errors"] == []


def test_json_mode_when_the_model_info_says_no_schema(grounded_run: Run) -> None:
    sent = analysis_requests(grounded_run)[5]
    assert sent["model"] == "mock-nojson"
    assert sent["response_format"] == {"type": "json_object"}
    assert "The JSON Schema the answer must match" in sent["messages"][-1]["content"]
    json_mode = grounded_run.report["analyses"]["json_mode"]
    assert json_mode["state"] == "done", json_mode
    assert "(json mode)" in json.loads(json_mode["stored"])["logline"]
    assert "supports_json_schema=False" in json_mode["limits"]


def test_a_long_script_is_analysed_in_parts_and_merged(grounded_run: Run) -> None:
    chunked = grounded_run.report["analyses"]["chunked"]
    assert chunked["ended"], chunked
    assert chunked["state"] == "done", chunked
    assert chunked["plan_scenes"] == [list(c.scenes) for c in FEATURE_PLAN.chunks]
    assert len(FEATURE_PLAN.chunks) > 2
    sent = [c for c in analysis_requests(grounded_run) if c["model"] == "mock-small"]
    assert len(sent) == len(FEATURE_PLAN.chunks) + 1  # and part 2's repair
    # part 2 first drew an invalid answer: its repair comes before part 3
    for chunk, request in zip(FEATURE_PLAN.chunks, [sent[0], sent[1], *sent[3:]], strict=True):
        assert request["messages"] == chunk.messages
        assert request["response_format"] == chunk.params["response_format"]
    assert sent[2]["messages"][: len(sent[1]["messages"])] == sent[1]["messages"]
    assert "is a required property" in sent[2]["messages"][-1]["content"]
    stored = json.loads(chunked["stored"])
    assert sorted(map(int, stored["scenes"])) == list(range(1, 191))
    assert chunked["text"] == grounded_run.report["analyses"]["chunked_expected_text"]
    assert "190 scenes analysed" in chunked["message"]
    scenes = parse(FEATURE).scenes
    assert f"96. {scenes[95].heading}" in chunked["text"]


# -- the .blend --------------------------------------------------------------------------------


def test_analysis_and_conversation_survive_save_and_reload(grounded_run: Run) -> None:
    saved = grounded_run.report["persistence"]
    assert saved["same_analysis"], saved
    assert saved["same_conversations"], saved
    # one conversation per type; the analysis is in none
    assert saved["conversation_kinds"] == ["ask", "description", "dialogue", "suggestions"]
    # five dialogues: at the cursor, in the CRLF text, three timed on the long script
    assert saved["conversation_turns"]["dialogue"] == 2 * 5
    assert saved["logline_in_file"]  # the file holds the analysis as plain bytes
    assert {"Screenwriter Analysis", "Screenwriter Dialogue", "Feature"} <= set(saved["texts"])


def test_the_api_key_is_never_in_the_blend_file(grounded_run: Run) -> None:
    saved = grounded_run.report["persistence"]
    assert saved["size"] > 100_000
    assert saved["key_in_file"] is False
    assert saved["key_still_in_prefs"] is True
    sent = grounded_run.server.chat_requests[0]
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"  # the key was in use


def test_another_file_opened_mid_analysis_stops_it(grounded_run: Run) -> None:
    changed = grounded_run.report["file_changed"]
    assert changed["result"] == ["FINISHED"]
    assert changed["ended"]
    assert "The scene is gone: the analysis was not sent." in changed["message"]
    assert changed["stored"] == ""
    assert "Screenwriter Analysis" not in changed["texts"]
    # mock-big served the valid, the repaired and the invalid analyses only: 1 + 2 + 2
    assert len(grounded_run.chats("mock-big")) == 5
