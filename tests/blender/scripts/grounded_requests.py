"""Requests grounded in the screenplay, the checked analysis, and what a .blend keeps of them.

The test's mock server ($LSW_SERVER_URL, serving /model/info for the models "mock-big",
"mock-small" and "mock-nojson") answers the chat requests in this order:
1. dialogue at the cursor (feature script); 2. description of a selection; 3. suggestions
with a small budget; 4. ask; 5. dialogue in a CRLF text; 6. analysis, valid; 7-8. analysis,
invalid then repaired; 9-10. analysis, invalid twice; 11. analysis in JSON mode; 12... the
parts of a feature's analysis for a small context, the second part invalid once.
Then the file is saved and opened again.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
from pathlib import Path

import bpy
from harness import (
    MODULE,
    configure,
    install,
    package,
    prefs,
    pump_until,
    run,
    worker_threads,
)
from workflow_support import call, capture_log, conversation, finish, request

FEATURE = "Feature"


def lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def put_cursor(text: bpy.types.Text, line: int, character: int = 0) -> None:
    """Cursor on 1-based ``line`` (no selection), as a click in the editor leaves it."""
    text.cursor_set(line - 1, character=character)


def grounded(samples) -> dict:
    sp = package("screenplay")
    out: dict = {}
    feature = bpy.data.texts.new(FEATURE)
    feature.from_string(lf(samples.feature_screenplay()))
    parsed = sp.parse(lf(samples.feature_screenplay()))
    scene = parsed.scenes[95]
    out["feature_chars"] = len(feature.as_string())
    out["scene_96"] = {"heading": scene.heading, "line": scene.line, "end": scene.end_line}

    put_cursor(feature, scene.line + 3)
    out["cursor_line_body"] = feature.lines[scene.line + 2].body
    out["dialogue"] = request("generate_dialogue", source=FEATURE)
    out["dialogue_conversation"] = conversation("dialogue")

    chosen = parsed.scenes[39]
    feature.select_set(chosen.line - 1, 0, chosen.line + 3, 0)  # Shift+Down x4 from a heading
    out["selection"] = {
        "first": chosen.line,
        "last": chosen.line + 3,
        "read": [
            feature.current_line_index,
            feature.current_character,
            feature.select_end_line_index,
            feature.select_end_character,
        ],
    }
    out["description"] = request("describe_scene", source=FEATURE)

    put_cursor(feature, parsed.scenes[150].line + 1)
    prefs().suggestions_budget = 2500
    out["suggestions"] = request("suggest_ideas", source=FEATURE)
    out["ask"] = request("ask", source=FEATURE, prompt="Why does Maren stay?")

    crlf = bpy.data.texts.new("CRLF")
    crlf.from_string(
        "INT. HALL - DAY\r\n\r\nMAREN waits.\r\n\r\nEXT. PIER - NIGHT\r\n\r\nTOMAS runs.\r\n"
    )
    put_cursor(crlf, 7)  # "TOMAS runs." in scene 2
    out["crlf"] = request("generate_dialogue", source="CRLF")
    return out


def wait_for_run(analysis_run, timeout: float = 30.0) -> dict:
    run_ = analysis_run._runs[-1]
    ended = pump_until(lambda: not run_.active, timeout=timeout)
    job = run_.job
    text = bpy.data.texts.get(run_.output_text)
    return {
        "ended": ended,
        "state": job.state,
        "message": job.message,
        "text": text.as_string() if text is not None else None,
        "stored": bpy.context.scene.screenwriter.analysis,
        "titles": [j.title for j in package("bridge").jobs()][-6:],
        "plan_scenes": [list(c.scenes) for c in run_.plan.chunks] if run_.plan else None,
        "limits": repr(run_.limits),
        "threads": len(worker_threads()),
    }


def analyses(samples) -> dict:
    analysis_run = package("analysis_run")
    sp = package("screenplay")
    checked_on: list[str] = []
    original = analysis_run.AnalysisRun._check

    def recording(self, index, completion):
        checked_on.append(threading.current_thread().name)
        return original(self, index, completion)

    analysis_run.AnalysisRun._check = recording
    out: dict = {}
    short = bpy.data.texts.new("Short")
    short.from_string(samples.short_screenplay())
    out["short_render_expected_scenes"] = len(sp.parse(samples.short_screenplay()).scenes)

    prefs().model = "mock-big"
    called = call("analyze_script", source="Short")
    out["valid_call"] = {k: called[k] for k in ("result", "error", "seconds")}
    out["valid"] = wait_for_run(analysis_run)
    out["valid_expected_text"] = sp.render_analysis(
        json.loads(out["valid"]["stored"]), sp.parse(short.as_string())
    )
    out["busy"] = None

    call("analyze_script", source="Short")
    # while the first step runs, a second click is refused
    again = call("analyze_script", source="Short")
    out["busy"] = {k: again[k] for k in ("result", "error")}
    out["repaired"] = wait_for_run(analysis_run)

    call("analyze_script", source="Short")
    out["invalid"] = wait_for_run(analysis_run)

    prefs().model = "mock-nojson"
    call("analyze_script", source="Short")
    out["json_mode"] = wait_for_run(analysis_run)

    prefs().model = "mock-small"
    call("analyze_script", source=FEATURE)
    out["chunked"] = wait_for_run(analysis_run, timeout=60.0)
    out["chunked_expected_text"] = sp.render_analysis(
        json.loads(out["chunked"]["stored"]), sp.parse(bpy.data.texts[FEATURE].as_string())
    )
    out["checked_on"] = checked_on
    out["main_thread"] = threading.current_thread().name
    analysis_run.AnalysisRun._check = original
    return out


def operator_return(samples) -> dict:
    """How long a request operator holds Blender on a 150,000-character script."""
    scenes = 190
    text = lf(samples.feature_screenplay(scenes))
    while len(text) < 150_000:
        scenes += 1
        text = lf(samples.feature_screenplay(scenes))
    big = bpy.data.texts.new("Big")
    big.from_string(text)
    prefs().model = "mock-echo"
    seconds = []
    for index in range(3):
        big.cursor_set(index * 1000)
        big.write("x")  # new content each time: the parse cache cannot help
        called = call("generate_dialogue", source="Big")
        seconds.append(called["seconds"])
        finish(called["job"])
    return {"chars": len(big.as_string()), "seconds": seconds}


def persistence(folder: Path) -> dict:
    settings = bpy.context.scene.screenwriter

    def conversations(settings) -> dict:
        return {c.kind: c.data for c in settings.conversations}

    before = {"analysis": settings.analysis, "conversations": conversations(settings)}
    path = folder / "grounded.blend"
    # Uncompressed (Blender 5.0 compresses by default), so the bytes can be searched; the
    # analysis's logline found in them shows the search would find a stored key.
    bpy.ops.wm.save_as_mainfile(filepath=str(path), compress=False)
    data = path.read_bytes()
    key = os.environ["LSW_API_KEY"]
    bpy.ops.wm.open_mainfile(filepath=str(path))
    settings = bpy.context.scene.screenwriter
    return {
        "size": len(data),
        "key_in_file": key.encode() in data,
        "logline_in_file": json.loads(before["analysis"])["logline"].encode() in data,
        "same_analysis": settings.analysis == before["analysis"],
        "same_conversations": conversations(settings) == before["conversations"],
        "conversation_kinds": sorted(before["conversations"]),
        "conversation_turns": {
            kind: len(json.loads(data)["messages"])
            for kind, data in conversations(settings).items()
        },
        "texts": sorted(t.name for t in bpy.data.texts),
        "key_still_in_prefs": prefs().api_key == key,
    }


def file_changed_mid_analysis() -> dict:
    """Another file opened while the analysis waits for the model's limits: nothing is sent
    or stored in the new file."""
    analysis_run = package("analysis_run")
    prefs().model = "mock-big"
    called = call("analyze_script", source="Short")
    run_ = analysis_run._runs[-1]
    bpy.ops.wm.read_homefile()
    ended = pump_until(lambda: not run_.active, timeout=20.0)
    return {
        "result": called["result"],
        "ended": ended,
        "message": run_.job.message,
        "jobs": [j.title for j in package("bridge").jobs()][-2:],
        "stored": bpy.context.scene.screenwriter.analysis,
        "texts": sorted(t.name for t in bpy.data.texts),
    }


def main() -> dict:
    result: dict = {"install_seconds": install()}
    result["screenplay_at_enable"] = sorted(n for n in sys.modules if ".screenplay" in n)
    configure()
    log = capture_log()
    kinds = importlib.import_module(f"{MODULE}.screenplay").KINDS
    result["budgets"] = {
        kind: [getattr(prefs(), f"{kind}_budget"), kinds[kind].budget]
        for kind in ("dialogue", "description", "suggestions", "ask")
    }
    samples = importlib.import_module(f"{MODULE}.screenplay.samples")
    started = time.perf_counter()
    result["grounded"] = grounded(samples)
    result["analyses"] = analyses(samples)
    result["operator_return"] = operator_return(samples)
    result["persistence"] = persistence(Path(os.environ["LSW_TMP"]))
    result["file_changed"] = file_changed_mid_analysis()
    result["seconds"] = time.perf_counter() - started
    result["log_errors"] = log.errors()
    return result


run(main)
