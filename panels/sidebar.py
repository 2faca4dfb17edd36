"""The "Screenwriter" tab of the Text Editor sidebar: the buttons and what is running.

Drawing only reads state (preferences, scene settings, the bridge's jobs); it never sends a
request or touches the worker, so a redraw costs nothing the screenwriter could feel.
"""

from __future__ import annotations

import bpy

from .. import bridge
from ..preferences import get_preferences
from ..properties import scene_settings

__all__ = ["classes"]

_STATE_ICONS = {
    "queued": "TIME",
    "running": "PLAY",
    "done": "CHECKMARK",
    "failed": "ERROR",
    "cancelled": "CANCEL",
}


class _SidebarPanel:
    bl_space_type = "TEXT_EDITOR"
    bl_region_type = "UI"
    bl_category = "Screenwriter"


class SCREENWRITER_PT_main(_SidebarPanel, bpy.types.Panel):
    bl_label = "Screenwriter"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        settings = scene_settings(context)
        prefs = get_preferences(context)
        layout.prop_search(settings, "source", bpy.data, "texts", text="Screenplay")
        row = layout.row(align=True)
        row.label(
            text=f"Model: {prefs.model or '(none: set it in preferences)'}",
            icon="OUTLINER_DATA_GP_LAYER",
        )
        row.operator("screenwriter.test_connection", text="", icon="PLUGIN")
        row.operator("screenwriter.refresh_models", text="", icon="FILE_REFRESH")
        col = layout.column(align=True)
        col.operator("screenwriter.analyze_script", icon="VIEWZOOM")
        col.operator("screenwriter.generate_dialogue", icon="OUTLINER_DATA_SPEAKER")
        col.operator("screenwriter.describe_scene", icon="SCENE")
        col.operator("screenwriter.suggest_ideas", icon="LIGHT")
        box = layout.box()
        box.prop(settings, "prompt", text="")
        row = box.row(align=True)
        row.operator("screenwriter.ask", icon="QUESTION")
        row.operator("screenwriter.cancel", icon="CANCEL", text="Cancel")
        row = layout.row(align=True)
        row.prop(settings, "continue_conversation", text="Continue")
        row.operator("screenwriter.new_conversation", icon="FILE_NEW", text="New")


class SCREENWRITER_PT_jobs(_SidebarPanel, bpy.types.Panel):
    bl_label = "Answers"
    bl_parent_id = "SCREENWRITER_PT_main"

    def draw(self, _context: bpy.types.Context) -> None:
        layout = self.layout
        jobs = bridge.jobs()
        if not jobs:
            layout.label(text="No answers yet.")
            return
        for job in reversed(jobs[-5:]):
            box = layout.box()
            row = box.row()
            title = f"{job.title} → {job.text_name}" if job.text_name else job.title
            row.label(text=title, icon=_STATE_ICONS.get(job.state, "DOT"))
            if job.active:
                op = row.operator("screenwriter.cancel", text="", icon="X")
                op.job_id = job.job_id
                box.label(
                    text=f"{job.state.capitalize()}: {job.chars} characters, {job.elapsed:.0f} s"
                )
            if job.message:
                _wrapped(box, job.message)


def _wrapped(layout: bpy.types.UILayout, message: str, width: int = 48) -> None:
    """Labels do not wrap: split a long message into lines a narrow sidebar shows whole."""
    col = layout.column(align=True)
    line = ""
    for word in message.split():
        if line and len(line) + len(word) + 1 > width:
            col.label(text=line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        col.label(text=line)


classes = (SCREENWRITER_PT_main, SCREENWRITER_PT_jobs)
