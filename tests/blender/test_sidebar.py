"""The sidebar in real Blender (scripts/sidebar.py): panels in four states and three editors,
drawn through a recorder that checks every call against Blender's RNA; poll() messages; the
automatic status check; progress figures of a paced stream; errors towards the Info log; the
idle cost of the timer; conversations per request type in the .blend."""

from __future__ import annotations

import socket

import pytest

from tests.support.mock_server import MockServer, stream

KEY = "sk-sidebar"
SPACES = ("TEXT_EDITOR", "VIEW_3D", "SEQUENCE_EDITOR")
KEYS = {"TEXT_EDITOR": "text", "VIEW_3D": "view3d", "SEQUENCE_EDITOR": "sequencer"}
PACED = [f"word{i:02d} " for i in range(12)]  # 84 characters, 12 words
FIRST_DELAY, GAP = 0.5, 0.1
SLOW = [f"slow{i} " for i in range(40)]
COST = 0.0123


def closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture(scope="module")
def server():
    with MockServer(api_key=KEY, models=("mock-echo", "mock-analysis", "mock-dialogue")) as s:
        s.enqueue(
            stream(PACED, first_delay=FIRST_DELAY, delay=GAP, cost=COST),
            stream(SLOW, delay=0.25),
        )
        yield s


@pytest.fixture(scope="module")
def report(blender_run, server: MockServer, tmp_path_factory) -> dict:
    return blender_run(
        "sidebar",
        LSW_SERVER_URL=server.url,
        LSW_API_KEY=KEY,
        LSW_DOWN_URL=closed_url(),
        LSW_TMP=str(tmp_path_factory.mktemp("sidebar")),
    )


def calls(report: dict, state: str, space: str, panel: str) -> list[dict]:
    drawn = report[state]["drawn"] if "drawn" in report[state] else report[state]
    return drawn[space]["panels"][f"SCREENWRITER_PT_{KEYS[space]}_{panel}"]


def labels(drawn: list[dict]) -> list[str]:
    return [c.get("text", "") for c in drawn if c["call"] == "label"]


def operators(drawn: list[dict]) -> list[str]:
    return [c["idname"] for c in drawn if c["call"] == "operator"]


# -- drawing: every state, every editor (the recorder already refused anything not in RNA) ----


@pytest.mark.parametrize("space", SPACES)
def test_idle_panels_offer_every_request_type_and_the_status(report, space) -> None:
    main = calls(report, "idle", space, "main")
    assert operators(main)[:1] == ["screenwriter.test_connection"]
    for name in ("analyze_script", "generate_dialogue", "describe_scene", "suggest_ideas", "ask"):
        assert f"screenwriter.{name}" in operators(main), name
    assert [c for c in main if c["call"] == "prop_search"], main
    assert "Connection not checked yet" in labels(main)
    assert "screenwriter.cancel" not in operators(main)
    answers = calls(report, "idle", space, "answers")
    assert labels(answers) == ["Session: 0 answers", "No answers yet."]
    conversations = calls(report, "idle", space, "conversations")
    news = [c for c in conversations if c.get("idname") == "screenwriter.new_conversation"]
    kinds = [c["props"]["kind"] for c in news]
    assert kinds == ["", "analysis", "dialogue", "description", "suggestions", "ask"]
    assert "Dialogue: 0 exchanges" not in labels(conversations)  # labels name the button text
    assert "Generate Dialogue: 0 exchanges" in labels(conversations)
    assert all(report["idle"][space]["enabled"].values()), report["idle"][space]["enabled"]


@pytest.mark.parametrize("space", SPACES)
def test_a_streaming_answer_shows_progress_clock_and_cancel(report, space) -> None:
    answers = calls(report, "streaming", space, "answers")
    progress = [c for c in answers if c["call"] == "progress"]
    assert len(progress) == 1, answers
    assert 0.0 < progress[0]["factor"] < 1.0
    assert progress[0]["type"] == "BAR"
    assert progress[0]["text"].startswith("~"), progress  # an estimate while it streams
    assert "tokens" in progress[0]["text"]
    cancel = [c for c in answers if c.get("idname") == "screenwriter.cancel"]
    assert cancel
    assert cancel[0]["props"]["job_id"] == report["streaming"]["mid"]["job_id"]
    assert any(t.endswith(" s") or "first token after" in t for t in labels(answers))
    main = calls(report, "streaming", space, "main")
    assert "screenwriter.cancel" in operators(main)  # Cancel All while something runs
    enabled = report["streaming"]["drawn"][space]["enabled"]
    assert enabled["describe_scene"] is False  # its output is busy
    assert enabled["generate_dialogue"] is True


@pytest.mark.parametrize("space", SPACES)
def test_a_failed_answer_shows_the_error_in_the_error_tables_words(report, space) -> None:
    answers = calls(report, "failed", space, "answers")
    job_rows = [c for c in answers if c["call"] == "label" and c.get("icon") == "ERROR"]
    assert job_rows, answers
    assert job_rows[0]["text"].startswith("Suggest Ideas"), answers
    text = " ".join(labels(answers))
    assert "is the LiteLLM server running" in text, text
    main = calls(report, "failed", space, "main")
    status_rows = [c for c in main if c["call"] == "label" and c.get("icon") == "ERROR"]
    assert status_rows, main
    assert status_rows[0]["text"].startswith("Failing"), main


@pytest.mark.parametrize("space", SPACES)
def test_a_finished_answer_shows_its_tokens_cost_and_the_session_totals(report, space) -> None:
    answers = calls(report, "done", space, "answers")
    session = labels(answers)[0]
    assert session.startswith("Session: 1 answer · "), session
    assert f"${COST:.4f}" in session, session
    assert "1 failed" in session, session
    usage = [c["text"] for c in answers if c.get("icon") == "LINENUMBERS_ON"]
    assert usage, answers
    assert f"{len(PACED)} out" in usage[0], usage
    assert f"${COST:.4f}" in usage[0], usage
    conversations = calls(report, "done", space, "conversations")
    assert "Generate Dialogue: 1 exchange" in labels(conversations)


def test_drawing_never_writes_job_state(report) -> None:
    assert report["draw_writes_no_job_state"] is True


def test_session_totals_count_what_the_server_reported(report) -> None:
    totals = report["totals"]
    assert totals["answers"] == 1
    assert totals["completion_tokens"] == len(PACED)
    assert totals["cost"] == pytest.approx(COST)
    assert totals["failed"] == 1  # the request against the server that is down


# -- poll(): greyed out, with the reason --------------------------------------------------------


def assert_refused(outcome: dict, *words: str) -> None:
    assert outcome["ok"] is False, outcome
    assert "poll()" in outcome["message"], outcome  # refused by poll, not after the click
    for word in words:
        assert word in outcome["message"], outcome


def test_no_screenplay_greys_the_buttons_out(report) -> None:
    polls = report["polls"]
    assert_refused(polls["no_screenplay"], "No screenplay found", "Text Editor")
    assert_refused(polls["no_screenplay_viewport"], "No screenplay found")
    assert polls["screenplay_picked_viewport"]["ok"] is True
    assert polls["script_open_in_editor"]["ok"] is True
    # The 3D Viewport has no open text: only the Screenplay setting counts there.
    assert_refused(polls["script_open_viewport_without_pick"], "No screenplay found")


def test_ask_without_a_question_is_greyed_out(report) -> None:
    assert_refused(report["polls"]["ask_without_prompt"], "Prompt field")
    assert report["polls"]["ask_with_prompt"]["ok"] is True


def test_no_model_greys_the_buttons_out_for_scripts_too(report) -> None:
    assert_refused(report["polls"]["no_model"], "No model", "preferences")
    assert_refused(report["polls"]["no_model_script"], "No model")


def test_online_access_off_greys_out_a_server_elsewhere_only(report) -> None:
    polls = report["polls"]
    assert polls["online_access"] is False  # the bpy module's default
    assert_refused(polls["offline_remote"], "Online access is off")
    assert_refused(polls["offline_test_connection"], "Online access is off")
    assert polls["offline_local"]["ok"] is True


def test_a_busy_output_greys_its_button_out(report) -> None:
    assert_refused(
        report["streaming"]["busy"], "still streaming into 'Screenwriter Scene'", "cancel"
    )


def test_scripts_still_get_the_refusal_from_execute(report) -> None:
    polls = report["polls"]
    assert polls["script_named_source_polls"]["ok"] is True  # the source may be a property
    missing = polls["script_missing_source"]
    assert missing["job"] is None
    assert "No text named 'No Such Text'" in missing["error"]
    assert "poll()" not in missing["error"]  # execute() refused it


# -- the connection status -----------------------------------------------------------------------


def test_no_status_check_without_a_panel_on_screen(report) -> None:
    status = report["status"]
    assert status["no_panel"]["pump"] is None  # idle, nothing on screen: the timer stops
    assert status["no_panel"]["maybe_check"] is False
    assert status["no_panel"]["checks"] == 0


def test_a_panel_on_screen_gets_a_status_check_through_the_worker(report, server) -> None:
    status = report["status"]
    assert status["regions_after_draw"] == [status["text_editor_sidebar"]]
    assert status["timer_armed_by_draw"] is True
    assert status["checks_after_first_pump"] == 1
    after = status["after_check"]
    assert after["job_state"] == "done"
    assert after["state"] == "ok"
    assert after["models"] == 3
    assert after["latency_ms"] is not None
    assert after["latency_ms"] >= 0
    assert abs(after["wall_now"] - after["checked_at"]) < 30
    assert after["summary"].startswith("Connected · ")
    assert "3 models" in after["summary"]


def test_the_status_check_runs_at_most_once_a_minute(report, server) -> None:
    status = report["status"]
    assert status["rate_limit"]["ticks"] >= 20
    assert status["rate_limit"]["checks"] == 1
    # Idle with the panel on screen: the timer sleeps until the next check is due.
    assert 55.0 <= status["idle_interval_with_panel"] <= 60.0
    assert status["a_minute_later"] is True
    assert status["checks_a_minute_later"] == 2
    # Two checks in all reached the server (each: the health endpoint, then the model list).
    health = [r for r in server.requests if r.path == "/health/liveliness"]
    assert len(health) == 2, [r.path for r in server.requests]


def test_the_status_check_respects_online_access(report) -> None:
    offline = report["status"]["offline"]
    assert offline["maybe_check"] is True  # it changed the status…
    assert offline["checks"] == 2  # …but sent nothing
    assert offline["state"] == "blocked"
    assert "Online access is off" in offline["message"]


def test_a_hidden_sidebar_gets_no_check(report) -> None:
    hidden = report["status"]["hidden"]
    assert hidden["maybe_check"] is False
    assert hidden["checks"] == 2
    assert hidden["pump"] is None


def test_a_failed_request_updates_the_status_in_the_error_tables_words(report) -> None:
    after = report["status"]["after_failed_request"]
    assert after["job"] == "failed"
    assert after["state"] == "failing"
    assert "is the LiteLLM server running at http://127.0.0.1:" in after["message"], after
    assert after["summary"].startswith("Failing")


# -- progress figures against a stream of known timing ---------------------------------------


def test_time_to_first_token_matches_the_servers_delay(report) -> None:
    end = report["progress"]["end"]
    assert end["state"] == "done"
    # The server waits 0.5 s before its first word; Blender sees it at the next pump (≤ 50 ms
    # later) plus the local connection set-up.
    assert FIRST_DELAY <= end["ttft"] < FIRST_DELAY + 0.4, end


def test_the_rate_is_measured_over_the_streaming_time(report) -> None:
    end = report["progress"]["end"]
    gaps = (len(PACED) - 1) * GAP  # 1.1 s between the first and the last word
    assert gaps - 0.05 <= end["streaming_seconds"] < gaps + 0.5, end
    assert end["rate"] == pytest.approx(end["tokens"] / end["streaming_seconds"])
    assert end["elapsed"] >= FIRST_DELAY + gaps - 0.05


def test_tokens_are_estimated_mid_stream_and_exact_at_the_end(report) -> None:
    samples = report["progress"]["samples"]
    streaming = [s for s in samples if s["chars"] and s["state"] == "running"]
    assert len(streaming) >= 5, samples
    for sample in streaming:
        assert sample["exact"] is False
        assert sample["tokens"] == -(-sample["chars"] // 4)  # ceil(characters / 4)
        assert sample["shape"] == "BAR"
        assert sample["text"].startswith(f"~{sample['tokens']} tokens")
        assert 0.0 < sample["factor"] <= 0.95
    assert [s["tokens"] for s in streaming] == sorted(s["tokens"] for s in streaming)
    end = report["progress"]["end"]
    assert end["exact"] is True
    assert end["tokens"] == end["usage"] == len(PACED)  # the server counts words
    assert end["estimate_rule"] == 21  # what the estimate would have said: 84 / 4
    assert end["cost"] == pytest.approx(COST)


def test_the_wait_for_the_first_token_shows_a_ring_toward_the_timeout(report) -> None:
    waiting = [s for s in report["progress"]["samples"] if s["ttft"] is None]
    assert waiting, report["progress"]["samples"][:3]
    timeout = report["progress"]["end"]["first_byte_timeout"]
    assert timeout == 60.0  # the dialogue profile's first-byte limit
    for sample in waiting:
        assert sample["shape"] == "RING"
        assert sample["factor"] == pytest.approx(sample["t"] / timeout, abs=0.002)
        assert sample["text"].startswith("Waiting for the first token")


# -- errors reach the Info log; the timer's idle cost; the .blend ------------------------------


def test_a_background_failure_is_handed_to_the_info_log_reporter(report) -> None:
    failed = report["failed"]
    assert failed["state"] == "failed"
    pending = failed["pending"]
    assert len(pending) == 1, pending
    level, message = pending[0]
    assert level == "ERROR"
    assert message.startswith("Screenwriter: Suggest Ideas failed: ")
    assert "is the LiteLLM server running" in message
    # The modal reporter runs on the window: its reports belong to the window manager, which
    # files them in the Info log (the bpy module has no event loop to deliver its timer).
    assert "SCREENWRITER_OT_show_reports" in failed["modal_operators"], failed
    # Python logging has it too (the console, where no Info editor exists).
    logged = [r for r in report["log"] if r["logger"].endswith(".info_log")]
    assert [r["level"] for r in logged] == ["WARNING", "WARNING"]  # this and the status one
    assert logged[-1]["message"] == message
    assert logged[0]["message"].startswith("Screenwriter: Describe Scene failed: ")


def test_the_idle_timer_costs_nothing_measurable(report) -> None:
    cost = report["idle_cost"]
    print(
        f"idle pump: {cost['no_panel_us_per_call']:.1f} µs/call without a panel (then the timer "
        f"stops), {cost['panel_us_per_call']:.1f} µs/call with one (one call per "
        f"{cost['panel_interval']:.0f} s); panel draws (µs): {cost['draw_us_per_redraw']}"
    )
    assert cost["no_panel_interval"] is None
    assert 55.0 <= cost["panel_interval"] <= 60.0
    # Even called at the streaming rate, an idle pump would be under 0.2 % of one core.
    assert cost["no_panel_us_per_call"] < 100
    assert cost["panel_us_per_call"] < 100


def test_redraws_go_only_to_sidebars_that_show_the_panel(report) -> None:
    redraw = report["redraw"]
    assert redraw["none_drawn"] == 0
    assert redraw["all_drawn"] == redraw["expected_all"]
    assert len(redraw["all_drawn"]) == 3
    assert len(redraw["sequencer_sidebar_hidden"]) == 2
    assert redraw["viewport"] in redraw["sequencer_sidebar_hidden"]
    assert redraw["viewport_gone"] == [redraw["text_editor"]]


def test_conversations_per_request_type_survive_save_and_reload_without_the_key(report) -> None:
    saved = report["saved"]
    assert saved["same"] is True
    assert saved["kinds"] == ["dialogue"]  # the only answer that finished
    assert saved["exchanges"] == {"dialogue": 1}
    assert saved["dialogue_turns"] == 2
    assert saved["key_in_file"] is False


def test_no_error_was_logged(report) -> None:
    assert report["log_errors"] == []
