"""screenwriter.insert_answer: refusals, then answers inserted at cursors on lines with
accents, CJK and emoji, undone and redone in one step.

The test's mock server answers, in order: a dialogue streamed slowly (insert is refused while
it streams), a scene description.
"""

from __future__ import annotations

import importlib

import bpy
from harness import MODULE, configure, install, package, pump_until, run
from sidebar_support import editor_areas, poll_message
from workflow_support import call, finish

SCRIPT = (
    "INT. CAFÉ - NUIT\n"
    "\n"
    "ÉLODIE (30s) pose un 東京 plan 😀 sur la table. Elle attend.\n"
    "\n"
    "ÉLODIE\n"
    "Tu es là ?\n"
)
CURSOR_AFTER = "ÉLODIE (30s) pose un 東京 plan 😀"


def cursor(text: bpy.types.Text) -> list[int]:
    return [
        text.current_line_index,
        text.current_character,
        text.select_end_line_index,
        text.select_end_character,
    ]


def text_editor() -> tuple:
    """A Text Editor showing the script, with its sidebar (the panel's place; for undo)."""
    place = editor_areas()["TEXT_EDITOR"]
    place[1].spaces.active.text = bpy.data.texts["Script"]
    return place


def insert_undo_redo(window, area, row: int, column: int, **props) -> dict:
    """Insert at (row, column) as the UI does (one undo step); undo; redo."""
    script = bpy.data.texts["Script"]
    script.from_string(SCRIPT)
    area.spaces.active.text = script  # a request showed its answer in this editor
    script.select_set(row, column, row, column)  # a click: select_set counts characters
    out: dict = {"cursor_before": cursor(script)}
    with bpy.context.temp_override(window=window, area=area):
        bpy.ops.ed.undo_push(message="before the insert")
        result = bpy.ops.screenwriter.insert_answer("EXEC_DEFAULT", True, source="Script", **props)
        out["result"] = sorted(result)
        script = bpy.data.texts["Script"]
        out["inserted"] = script.as_string()
        out["cursor_after"] = cursor(script)
        bpy.ops.ed.undo()
        out["undone"] = bpy.data.texts["Script"].as_string()  # undo replaced the datablock
        bpy.ops.ed.redo()
        out["redone"] = bpy.data.texts["Script"].as_string()
    return out


def main() -> dict:
    result: dict = {"install_seconds": install()}
    configure()
    bridge = package("bridge")
    script = bpy.data.texts.new("Script")
    script.from_string(SCRIPT)
    result["column"] = len(CURSOR_AFTER)

    kinds = importlib.import_module(f"{MODULE}.screenplay").KINDS
    result["insertable"] = [
        list(package("operators.insert").INSERTABLE),
        [k for k, kind in kinds.items() if kind.inserts],
    ]
    place = text_editor()
    result["poll_nothing_yet"] = poll_message("insert_answer", place)
    result["nothing_yet"] = call("insert_answer", source="Script")

    started = call("generate_dialogue", source="Script")
    job = started["job"]
    pump_until(lambda: job.chars > 0, timeout=10.0)  # part of the answer is in its text
    result["poll_answer_shown"] = poll_message("insert_answer", place)
    place[1].spaces.active.text = bpy.data.texts["Script"]  # the writer goes back to it
    result["poll_while_streaming"] = poll_message("insert_answer", place)
    result["while_streaming"] = call("insert_answer", source="Script")
    result["while_streaming"]["state"] = job.state
    result["dialogue"] = finish(job)
    result["poll_ready"] = poll_message("insert_answer", place)
    # The only Text Editor shows the answer again: the screenplay is still found, through the
    # panel's Screenplay field, which the request filled in.
    result["settings_source"] = bpy.context.scene.screenwriter.source
    place[1].spaces.active.text = bpy.data.texts["Screenwriter Dialogue"]
    result["poll_ready_answer_shown"] = poll_message("insert_answer", place)
    result["poll_request_answer_shown"] = poll_message("generate_dialogue", place)
    place[1].spaces.active.text = bpy.data.texts["Script"]
    result["jobs_before"] = len(bridge.jobs())

    window, area, _region = place
    result["mid_line"] = insert_undo_redo(window, area, 2, len(CURSOR_AFTER))
    result["blank_line"] = insert_undo_redo(window, area, 1, 0)
    result["end_of_text"] = insert_undo_redo(window, area, 6, 0)

    # a selection is not replaced: the answer goes in at the cursor end
    script = bpy.data.texts["Script"]
    script.from_string(SCRIPT)
    script.select_set(4, 2, 2, 5)  # cursor at line 5, char 2; the other end on line 3
    result["selection_cursor"] = cursor(script)
    called = call("insert_answer", source="Script")
    result["selection"] = {"result": called["result"], "text": script.as_string()}

    # the writer edits the answer first: the edited text goes in
    edited = bpy.data.texts["Screenwriter Dialogue"]
    edited.from_string("ÉLODIE\n(doucement)\nReste. 🌙\n")
    script.from_string(SCRIPT)
    script.cursor_set(5, character=len("Tu es là ?".encode()))  # end of the last speech (bytes)
    called = call("insert_answer", source="Script")
    result["edited"] = {
        "result": called["result"],
        "text": script.as_string(),
        "cursor": cursor(script),
    }

    described = call("describe_scene", source="Script")
    result["description"] = finish(described["job"])
    script.from_string(SCRIPT)
    script.cursor_set(1)
    latest = call("insert_answer", source="Script")
    result["latest"] = {"result": latest["result"], "text": script.as_string()}
    script.from_string(SCRIPT)
    script.cursor_set(1)
    chosen = call("insert_answer", source="Script", answer="dialogue")
    result["chosen"] = {"result": chosen["result"], "text": script.as_string()}
    result["into_itself"] = call("insert_answer", source="Screenwriter Dialogue")
    result["missing"] = call("insert_answer", source="Nope")
    result["texts"] = sorted(t.name for t in bpy.data.texts)
    pump_until(lambda: not bridge.active_jobs(), timeout=5.0)
    for key in ("nothing_yet", "while_streaming", "into_itself", "missing"):
        result[key].pop("job", None)
    return result


run(main)
