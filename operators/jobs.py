"""Stopping answers and starting over: cancel one or all jobs, forget the conversation."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

from .. import bridge
from ..properties import scene_settings

__all__ = ["classes"]


class SCREENWRITER_OT_cancel(bpy.types.Operator):
    bl_idname = "screenwriter.cancel"
    bl_label = "Cancel"
    bl_description = "Stop the running answers; the text received so far is kept"
    bl_options = {"REGISTER"}

    job_id: StringProperty(
        name="Job", description="Job to stop (empty: all)", options={"SKIP_SAVE"}
    )

    def execute(self, _context: bpy.types.Context) -> set[str]:
        count = (1 if bridge.cancel(self.job_id) else 0) if self.job_id else bridge.cancel_all()
        if not count:
            self.report({"INFO"}, "Nothing is running.")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Cancelling {count} request{'s' if count > 1 else ''}.")
        return {"FINISHED"}


class SCREENWRITER_OT_new_conversation(bpy.types.Operator):
    bl_idname = "screenwriter.new_conversation"
    bl_label = "New Conversation"
    bl_description = "Forget the earlier questions and answers of this scene"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        scene_settings(context).conversation = ""
        self.report({"INFO"}, "Started a new conversation.")
        return {"FINISHED"}


classes = (SCREENWRITER_OT_cancel, SCREENWRITER_OT_new_conversation)
