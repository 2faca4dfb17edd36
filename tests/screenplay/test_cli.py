"""``python -m litellm_screenwriter``: the request types from the command line, against the
in-process mock server (what was sent) and a real LiteLLM proxy (test_cli_proxy.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from analysis_support import analysis_json

from litellm_screenwriter.__main__ import main
from litellm_screenwriter.screenplay import parse
from litellm_screenwriter.screenplay.samples import SHORT, feature_screenplay
from tests.support.mock_server import reply

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, server, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--base-url", server.url, "--model", "mock-echo"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_dialogue_streams_the_answer_grounded_in_the_cursor_scene(mock_server, capsys):
    mock_server.enqueue(reply("TOMAS\nCan I stay?\n\nMAREN\nEvery hour."))
    code, out, err = run(capsys, mock_server, "dialogue", str(SHORT), "--line", "190")
    assert code == 0
    assert out == "TOMAS\nCan I stay?\n\nMAREN\nEvery hour.\n"
    assert "Generate Dialogue: scene 12" in err
    sent = mock_server.chat_requests[-1].json
    assert sent["stream"] is True
    system, user = sent["messages"][0]["content"], sent["messages"][-1]["content"]
    assert "## SCENE 12 (the scene the request is about)" in system
    assert "scene 12. EXT. GALLERY - DAY" in user


def test_ask_needs_a_question_and_sends_it(mock_server, capsys):
    code, _, err = run(capsys, mock_server, "ask", str(SHORT))
    assert code == 1
    assert "needs a question" in err
    assert mock_server.chat_requests == []
    mock_server.enqueue(reply("Because the light needs her."))
    code, out, _ = run(capsys, mock_server, "ask", str(SHORT), "--prompt", "Why stay?")
    assert (code, out) == (0, "Because the light needs her.\n")
    assert "Why stay?" in mock_server.chat_requests[-1].json["messages"][-1]["content"]


def test_a_feature_script_goes_out_within_the_budget(mock_server, capsys, tmp_path):
    script = tmp_path / "feature.fountain"
    script.write_bytes(feature_screenplay().encode("utf-8"))
    for verb in ("dialogue", "describe", "ideas"):
        mock_server.enqueue(reply("ok"))
        code, _, err = run(capsys, mock_server, verb, str(script), "--line", "1500")
        assert code == 0, err
        sent = mock_server.chat_requests[-1].json["messages"]
        chars = sum(len(m["content"]) for m in sent)
        assert chars <= 6000 * 4
        assert "of 6,000" in err


def test_analyze_prints_the_breakdown_of_a_valid_answer(mock_server, capsys):
    mock_server.enqueue(reply(analysis_json(range(1, 14), 13)))
    code, out, err = run(capsys, mock_server, "analyze", str(SHORT))
    assert code == 0, err
    assert out.startswith("SCRIPT ANALYSIS\n")
    assert "12. EXT. GALLERY - DAY\n    Scene 12 happens." in out
    sent = mock_server.chat_requests[-1].json
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"]["properties"]["scenes"]["required"] == [
        str(n) for n in range(1, 14)
    ]
    assert "1 request(s)" in err


def test_analyze_repairs_once_with_the_errors(mock_server, capsys):
    broken = json.loads(analysis_json(range(1, 14), 13))
    del broken["scenes"]["4"]
    mock_server.enqueue(reply(json.dumps(broken)), reply(analysis_json(range(1, 14), 13)))
    code, out, err = run(capsys, mock_server, "analyze", str(SHORT), "--json")
    assert code == 0, err
    assert len(json.loads(out)["scenes"]) == 13
    first, repair = mock_server.chat_requests
    assert repair.json["messages"][:2] == first.json["messages"]
    assert repair.json["messages"][2]["content"] == json.dumps(broken)
    assert "scenes: '4' is a required property" in repair.json["messages"][3]["content"]
    assert "repairing" in err


def test_analyze_keeps_the_raw_answer_when_still_invalid(mock_server, capsys):
    mock_server.enqueue(reply("Not JSON at all."), reply("Still not JSON."))
    code, out, err = run(capsys, mock_server, "analyze", str(SHORT))
    assert code == 2
    assert out == "Still not JSON.\n"
    assert "still invalid after one repair" in err
    assert "the answer is not valid JSON" in err


def test_analyze_splits_a_feature_for_a_small_context_and_merges(mock_server, capsys, tmp_path):
    script = tmp_path / "feature.fountain"
    script.write_text(feature_screenplay(), "utf-8", newline="")
    screenplay = parse(feature_screenplay())
    from litellm_screenwriter.screenplay import ModelLimits, plan_analysis

    plan = plan_analysis(screenplay, limits=ModelLimits(max_input_tokens=16000))
    mock_server.enqueue(*(reply(analysis_json(c.scenes, 190)) for c in plan.chunks))
    code, out, err = run(
        capsys, mock_server, "analyze", str(script), "--context-tokens", "16000", "--json"
    )
    assert code == 0, err
    assert len(mock_server.chat_requests) == len(plan.chunks) > 2
    assert sorted(map(int, json.loads(out)["scenes"])) == list(range(1, 191))


def test_a_failed_request_is_one_sentence_and_status_1(capsys):
    code = main(["ideas", str(SHORT), "--base-url", "http://127.0.0.1:9", "--model", "m"])
    err = capsys.readouterr().err
    assert code == 1
    assert "127.0.0.1:9" in err


def test_a_missing_file_is_status_1(capsys, tmp_path):
    assert main(["ideas", str(tmp_path / "none.fountain")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_python_dash_m_runs_it(mock_server, tmp_path):
    """The real entry point, in a fresh interpreter (the checkout as ``litellm_screenwriter``)."""
    (tmp_path / "litellm_screenwriter").symlink_to(ROOT, target_is_directory=True)
    mock_server.enqueue(reply("An idea."))
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "LITELLM_API_KEY": ""}
    result = subprocess.run(
        [sys.executable, "-m", "litellm_screenwriter", "ideas", str(SHORT), "--line", "50",
         "--base-url", mock_server.url],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == "An idea.\n"
    assert "Suggest Ideas: scene 3" in result.stderr
    assert "bpy" not in result.stderr


@pytest.mark.parametrize("verb", ["analyze", "dialogue", "describe", "ideas", "ask"])
def test_every_verb_is_known(verb):
    from litellm_screenwriter.__main__ import _parser

    assert _parser().parse_args([verb, "x.fountain"]).verb == verb
