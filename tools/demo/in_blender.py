"""The Blender half of ``make demo``: runs inside the ``bpy`` module, as a screenwriter would
click through the Screenwriter panel, on the project's own sample screenplay (The Last Keeper).

1. Analyze Script: LiteLLM's model info, the request with ``response_format: json_schema``, the
   answer checked against the schema on the worker thread, stored on the scene, rendered;
2. Scene Markers: one timeline marker per scene at its estimated start;
3. Generate Dialogue with the cursor in scene 8, then Insert Answer at the cursor;
4. the other buttons, and a wrong key.

Timers do not fire in the bpy module, so this script calls the bridge's ``pump()`` at the
interval it asks for, as Blender's timer does.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import textwrap
import time
import traceback

import bpy  # first: importing bpy puts Blender's scripts (addon_utils) on sys.path

# isort: split
import addon_utils

MODULE = "bl_ext.user_default.litellm_screenwriter"
CURSOR_SCENE = 8  # INT. LAMP ROOM - CONTINUOUS: Maren at the fog horn

OTHER_STEPS = (
    ("screenwriter.describe_scene", "demo-scene", {}),
    ("screenwriter.suggest_ideas", "demo-ideas", {}),
    ("screenwriter.ask", "demo-answer", {"prompt": "What does Tomas sound like?"}),
)


def fail(error: BaseException) -> None:
    raise error


def pump_until_idle(bridge, analysis_run, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        interval = bridge.pump()
        if not bridge.active_jobs() and not any(r.active for r in analysis_run._runs):
            return
        time.sleep(interval or 0.01)  # None: nothing runs, the timer would stop


def show(title: str, body: str, lines: int | None = None) -> None:
    print(f"--- {title} " + "-" * max(0, 60 - len(title)))
    shown = body.rstrip().split("\n")
    if lines is not None and len(shown) > lines:
        shown = [*shown[:lines], f"[… {len(shown) - lines} more lines]"]
    print(textwrap.indent("\n".join(shown), "  "))
    print()


def click(operator: str, **props) -> float:
    """Run an operator as its button would; the milliseconds it held Blender."""
    group, name = operator.split(".")
    started = time.perf_counter()
    getattr(getattr(bpy.ops, group), name)(**props)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    result = bpy.ops.extensions.package_install_files(
        filepath=os.environ["LSW_ZIP"], repo="user_default", enable_on_install=True
    )
    assert result == {"FINISHED"}, result
    addon_utils.enable(MODULE, default_set=True, handle_error=fail)
    bridge = sys.modules[f"{MODULE}.bridge"]
    samples = importlib.import_module(f"{MODULE}.screenplay.samples")
    screenplay = importlib.import_module(f"{MODULE}.screenplay")
    analysis_run = importlib.import_module(f"{MODULE}.analysis_run")
    prefs = bpy.context.preferences.addons[MODULE].preferences
    prefs.base_url = os.environ["LSW_SERVER_URL"]
    prefs.api_key = os.environ["LSW_API_KEY"]
    print(f"Installed LiteLLM Screenwriter into Blender {bpy.app.version_string}\n")

    script = bpy.data.texts.new("The Last Keeper.fountain")
    script.from_string(samples.short_screenplay())
    bpy.context.scene.screenwriter.source = script.name
    parsed = screenplay.parse(script.as_string())
    print(
        f"The sample screenplay: {len(parsed.scenes)} scenes, {len(script.as_string()):,} "
        f"characters, about {screenplay.format_duration(parsed.seconds)} by the page rule.\n"
    )

    # 1. the analysis
    prefs.model = "demo-analysis"
    held = click("screenwriter.analyze_script", source=script.name)
    pump_until_idle(bridge, analysis_run)
    run = analysis_run._runs[-1]
    for job in bridge.jobs():
        print(f"[{job.title}] {job.state}: {job.message}")
    print(f"(the button held Blender for {held:.1f} ms)\n")
    stored = json.loads(bpy.context.scene.screenwriter.analysis or "{}")
    sent = run.plan.chunks[0].params["response_format"] if run.plan else {}
    if sent.get("type") == "json_schema":
        required = sent["json_schema"]["schema"]["properties"]["scenes"]["required"]
        print(
            f"Sent with response_format json_schema: scenes {required[0]}-{required[-1]} required"
        )
    else:
        print(f"Sent with response_format {sent}")
    print(
        f"Stored on the scene (saved in the .blend): {len(stored.get('scenes', {}))} scene "
        f"entries, {len(stored.get('acts', []))} acts, {len(stored.get('characters', []))} "
        f"characters; keys {sorted(stored)}\n"
    )
    show(run.output_text, bpy.data.texts[run.output_text].as_string(), lines=40)

    # 2. the markers
    scene = bpy.context.scene
    held = click("screenwriter.scene_markers", source=script.name)
    fps = scene.render.fps / scene.render.fps_base
    markers = sorted(scene.timeline_markers, key=lambda m: m.frame)
    print(f"[screenwriter.scene_markers] {len(markers)} markers in {held:.1f} ms at {fps:g} fps:")
    for marker in markers:
        seconds = (marker.frame - scene.frame_start) / fps
        print(f"  frame {marker.frame:>6}  {screenplay.format_duration(seconds):>6}  {marker.name}")
    print()

    # 3. dialogue for the scene at the cursor, then into the screenplay
    target = parsed.scenes[CURSOR_SCENE - 1]
    cursor_line = target.line + 8  # after "Come on, you old cow."
    script.cursor_set(cursor_line - 1, character=len(script.lines[cursor_line - 1].body.encode()))
    print(
        f"Cursor on line {cursor_line}, in scene {target.number} ({target.heading}): "
        f"{script.lines[cursor_line - 1].body!r}"
    )
    prefs.model = "demo-dialogue"
    held = click("screenwriter.generate_dialogue", source=script.name)
    job = bridge.latest_job()
    pump_until_idle(bridge, analysis_run)
    print(f"[screenwriter.generate_dialogue] returned in {held:.1f} ms; {job.state}: {job.message}")
    show(job.text_name, bpy.data.texts[job.text_name].as_string())
    held = click("screenwriter.insert_answer", source=script.name)
    after = script.as_string().split("\n")
    around = after[cursor_line - 3 : cursor_line + 12]
    print(f"[screenwriter.insert_answer] in {held:.1f} ms, as one undo step; the screenplay now:")
    show(f"{script.name}, from line {cursor_line - 2}", "\n".join(around))

    # 4. the other buttons, grounded at the same cursor
    for operator, model, props in OTHER_STEPS:
        prefs.model = model
        held = click(operator, source=script.name, **props)
        job = bridge.latest_job()
        pump_until_idle(bridge, analysis_run)
        print(f"[{operator}] returned in {held:.1f} ms; {job.state}: {job.message}")
        show(job.text_name, bpy.data.texts[job.text_name].as_string())

    print("What the screenwriter sees when the API key is wrong:")
    prefs.api_key = "sk-wrong-key"
    bpy.ops.screenwriter.ask(source=script.name, prompt="Is anyone there?")
    job = bridge.latest_job()
    pump_until_idle(bridge, analysis_run)
    print(f"  [{job.state}] {job.message}\n")

    addon_utils.disable(MODULE, default_set=True, handle_error=fail)
    print("Disabled the extension: the worker thread stopped, nothing left behind.")


if __name__ == "__main__":
    code = 1
    try:
        main()
        code = 0
    except BaseException:
        traceback.print_exc()
    sys.stdout.flush()
    sys.stderr.flush()
    # os._exit skips Blender's exit path, so remove what it would: the session temp folder.
    shutil.rmtree(bpy.app.tempdir, ignore_errors=True)
    os._exit(code)  # a stuck thread must not keep Blender alive
