"""screenwriter.scene_markers on the feature sample and on headings in other scripts.

Scenario: the writer's own markers first; markers for 190 scenes at 29.97 fps from frame 101;
again (replaced, not doubled); after moving one and renaming another; after save and reload;
headings with accents, CJK and emoji longer than a marker name holds; a text with no heading.
No server is needed.
"""

from __future__ import annotations

import importlib
import json
import os
import time
from pathlib import Path

import bpy
from harness import MODULE, install, package, run
from sidebar_support import editor_areas, poll_message
from workflow_support import call

# The second has the name of one of the feature's scenes, at another frame: still the writer's.
USER_MARKERS = [("My cue", 1), ("INT. LAMP ROOM - NIGHT (1981)", 5000), ("Café ☕", 250)]
MOVED = ("EXT. GALLERY - DAY (1981)", "INT. LAMP ROOM - CONTINUOUS (1981)")  # the 2nd twice
RENAMED = "EXT. JETTY - MORNING (1981)"
WIDE = (
    "INT. CAFÉ DES ÉTOILES À MONTRÉAL, SALLE DU FOND AVEC LES MIROIRS - NUIT\n\n"
    "ÉLODIE boit.\n\n"
    "EXT. 東京駅の丸の内北口の前の広場とその向こうに見える古い赤煉瓦の駅舎 - 夜\n\n"
    "KENJI runs.\n\n"
    "INT. 🚀🚀 ROCKET 🧑‍🚀 COCKPIT WITH THE WHOLE CREW 👩‍🚀👨‍🚀 AND THE DOG 🐕 - DAY\n\n"
    "They float.\n"
)


def ours() -> list[list]:
    return [[m.name, m.frame] for m in bpy.context.scene.timeline_markers]


def _strips(scene: bpy.types.Scene) -> int:
    editor = scene.sequence_editor
    if editor is None:
        return 0
    strips = getattr(editor, "strips_all", None)  # Blender 4.4+; sequences_all before
    return len(strips if strips is not None else editor.sequences_all)


def snapshot() -> dict:
    scene = bpy.context.scene
    return {
        "markers": sorted(([m.name, m.frame] for m in scene.timeline_markers), key=str),
        "count": len(scene.timeline_markers),
        "stored": json.loads(scene.screenwriter.scene_markers or "[]"),
        "strips": _strips(scene),
    }


def main() -> dict:
    result: dict = {"install_seconds": install()}
    samples = importlib.import_module(f"{MODULE}.screenplay.samples")
    sp = package("screenplay")
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1.001
    scene.frame_start = 101
    for name, frame in USER_MARKERS:
        scene.timeline_markers.new(name, frame=frame)
    text = bpy.data.texts.new("Feature")
    # CRLF line ends, as a file from another tool might have them (a lone CR, which Blender's
    # own loader drops, would join lines in the editor, and so in the parse)
    feature = samples.feature_screenplay().replace("\r\n", "\n").replace("\r", "\n")
    text.from_string(feature.replace("\n", "\r\n"))
    parsed = sp.parse(feature)
    fps = scene.render.fps / scene.render.fps_base  # fps_base is stored as a 32-bit float
    result["fps"] = fps
    result["expected"] = [[s.heading, 101 + round(s.start_seconds * fps)] for s in parsed.scenes]
    result["total_seconds"] = parsed.seconds

    place = editor_areas()["TEXT_EDITOR"]
    result["poll_no_screenplay"] = poll_message("scene_markers", place)
    place[1].spaces.active.text = text
    result["poll_open"] = poll_message("scene_markers", place)
    place[1].spaces.active.text = None
    first = call("scene_markers", source="Feature")
    result["first"] = {"result": first["result"], "seconds": first["seconds"], **snapshot()}
    again = call("scene_markers", source="Feature")
    result["again"] = {"result": again["result"], "seconds": again["seconds"], **snapshot()}

    for name in MOVED:  # the last marker of that name
        marker = [m for m in scene.timeline_markers if m.name == name][-1]
        marker.frame += 77
        result.setdefault("moved", []).append([name, marker.frame])
    renamed = next(m for m in scene.timeline_markers if m.name == RENAMED)
    renamed.name = "Jetty: my note"
    result["renamed_frame"] = renamed.frame
    edited = call("scene_markers", source="Feature")
    result["edited"] = {"result": edited["result"], **snapshot()}

    folder = Path(os.environ["LSW_TMP"])
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / "markers.blend"))
    bpy.ops.wm.open_mainfile(filepath=str(folder / "markers.blend"))
    result["reloaded_before"] = snapshot()
    reloaded = call("scene_markers", source="Feature")
    result["reloaded"] = {"result": reloaded["result"], **snapshot()}

    # Wide headings in a second scene, so the feature's markers do not mix in.
    bpy.ops.scene.new(type="NEW")
    wide = bpy.data.texts.new("Wide")
    wide.from_string(WIDE)
    call("scene_markers", source="Wide")
    result["wide"] = {**snapshot(), "bytes": [len(n.encode()) for n, _ in ours()]}
    call("scene_markers", source="Wide")
    result["wide_again"] = snapshot()

    empty = bpy.data.texts.new("Notes")
    empty.from_string("Just notes, no scene heading.\n")
    result["no_scenes"] = {**call("scene_markers", source="Notes"), **snapshot()}
    result["no_scenes"].pop("job", None)
    result["missing"] = call("scene_markers", source="Nope")
    result["missing"].pop("job", None)

    # the timing make bench reports, here as a check that it is measured the same way
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        bpy.ops.screenwriter.scene_markers(source="Feature")
        timings.append(time.perf_counter() - started)
    result["timings"] = timings
    return result


run(main)
