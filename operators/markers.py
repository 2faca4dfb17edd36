"""``screenwriter.scene_markers``: one timeline marker per scene of the screenplay, named by its
heading, at the frame where the scene starts by the running-time estimate (the page rule of
``screenplay.timing``), at the scene's frame rate (``fps / fps_base``) from ``frame_start``.

Running it again replaces the markers it made before and leaves every other marker alone.
Markers carry no id, so the ones made are remembered on the scene (``scene_markers``: their
names and frames, saved in the .blend) and found again by name and frame; a marker the writer
moved is still found by its name when no other marker has that name; one they renamed is theirs
now and stays. Nothing goes into the sequencer: a feature has about 190 scenes, and one channel
per scene (or per character) breaks past Blender's 128 channels.
"""

from __future__ import annotations

import json
import logging

import bpy
from bpy.props import StringProperty

from ..grounding import screenplay_text
from ..properties import scene_settings
from .requests import find_source_text, from_a_panel

__all__ = ["MARKER_NAME_BYTES", "classes", "marker_name", "matching_markers"]

log = logging.getLogger(__name__)

# TimelineMarker.name is a 64-byte C string: 63 bytes of UTF-8 (measured in Blender 4.2, 4.5
# and 5.0; Blender itself cuts a longer name on a character boundary, without a mark).
MARKER_NAME_BYTES = 63
_ELLIPSIS = "…"


def marker_name(heading: str, limit: int = MARKER_NAME_BYTES) -> str:
    """``heading`` as a marker name: whole when it fits ``limit`` UTF-8 bytes, else cut on a
    character boundary (never inside a multi-byte character) and ended with an ellipsis."""
    encoded = heading.encode("utf-8")
    if len(encoded) <= limit:
        return heading
    room = limit - len(_ELLIPSIS.encode("utf-8"))
    # Decoding the cut bytes with "ignore" drops only the character the cut went through.
    return encoded[:room].decode("utf-8", "ignore").rstrip() + _ELLIPSIS


def _records(data: str) -> list[tuple[str, int]]:
    """The stored markers (name, frame); an unreadable store means none are known."""
    try:
        loaded = json.loads(data) if data else []
        return [(str(name), int(frame)) for name, frame in loaded]
    except (ValueError, TypeError):
        log.warning("Screenwriter: the stored scene markers were unreadable; none replaced")
        return []


def matching_markers(markers: list, records: list[tuple[str, int]]) -> list:
    """The markers the records describe: same name and frame, each marker at most once; then,
    for a record left over, the one marker of that name not taken (the writer moved it)."""
    by_place: dict[tuple[str, int], list] = {}
    for marker in markers:
        by_place.setdefault((marker.name, marker.frame), []).append(marker)
    found: list = []
    left_over: list[str] = []
    for name, frame in records:
        same = by_place.get((name, frame))
        if same:
            found.append(same.pop(0))
        else:
            left_over.append(name)
    taken = {m.as_pointer() for m in found}
    for name in left_over:
        candidates = [m for m in markers if m.name == name and m.as_pointer() not in taken]
        if len(candidates) == 1:
            found.append(candidates[0])
            taken.add(candidates[0].as_pointer())
    return found


def _no_scene(context: bpy.types.Context) -> str | None:
    return None if context.scene is not None else "No scene to put the markers on."


def _refusal(context: bpy.types.Context, source: str = "") -> str | None:
    """Why no markers can be made now (None when they can), for poll() and execute()."""
    if find_source_text(context, source) is None:
        where = f"No text named '{source}'" if source else "No screenplay found"
        return (
            f"{where}: open your screenplay in the Text Editor, or pick it in the "
            "Screenwriter panel."
        )
    return _no_scene(context)


class SCREENWRITER_OT_scene_markers(bpy.types.Operator):
    bl_idname = "screenwriter.scene_markers"
    bl_label = "Scene Markers"
    bl_description = (
        "One timeline marker per scene, named by its heading, where the scene starts by the "
        "running-time estimate; replaces the markers made before, no others"
    )
    bl_options = {"REGISTER", "UNDO"}

    source: StringProperty(
        name="Screenplay",
        description="Name of the Text datablock holding the screenplay (empty: the active one)",
        options={"SKIP_SAVE"},
    )

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        # A script may name the screenplay with ``source``, which poll() cannot see.
        problem = _refusal(context) if from_a_panel(context) else _no_scene(context)
        if problem:
            cls.poll_message_set(problem)
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        from ..screenplay import format_duration, parse  # not at start-up

        problem = _refusal(context, self.source)
        if problem:
            self.report({"ERROR"}, problem)
            return {"CANCELLED"}
        source = find_source_text(context, self.source)
        screenplay = parse(screenplay_text(source))
        if not screenplay.scenes:
            self.report(
                {"ERROR"},
                f"'{source.name}' has no scene heading (INT. / EXT. ...): no markers made.",
            )
            return {"CANCELLED"}
        scene = context.scene
        settings = scene_settings(context)
        fps = scene.render.fps / scene.render.fps_base
        markers = scene.timeline_markers
        old = matching_markers(list(markers), _records(settings.scene_markers))
        for marker in old:
            markers.remove(marker)
        made = []
        for part in screenplay.scenes:
            frame = scene.frame_start + round(part.start_seconds * fps)
            marker = markers.new(marker_name(part.heading), frame=frame)
            made.append((marker.name, marker.frame))  # as Blender stored them
        settings.scene_markers = json.dumps(made, ensure_ascii=False)
        end = scene.frame_start + round(screenplay.seconds * fps)
        replaced = f"; replaced the {len(old)} made before" if old else ""
        self.report(
            {"INFO"},
            f"{len(made)} scene markers, frames {made[0][1]}-{end} at {fps:g} fps: about "
            f"{format_duration(screenplay.seconds)} of screen time{replaced}.",
        )
        return {"FINISHED"}


classes = (SCREENWRITER_OT_scene_markers,)
