"""Stopping answers and starting over: cancel one or all jobs, forget a conversation, and the
reporter that files background errors in the Info log."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

from .. import bridge, info_log
from ..properties import conversation_entry, scene_settings
from ..request_types import REQUEST_TYPES

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
    bl_description = "Forget the earlier questions and answers of this request type"
    bl_options = {"REGISTER", "UNDO"}

    kind: StringProperty(
        name="Request Type",
        description="Whose conversation to forget (empty: every request type's)",
        options={"SKIP_SAVE"},
    )

    @classmethod
    def description(cls, _context: bpy.types.Context, props: object) -> str:
        rtype = REQUEST_TYPES.get(getattr(props, "kind", ""))
        if rtype is None:
            return "Forget the earlier questions and answers of every request type"
        return f"Forget the earlier questions and answers of {rtype.label}"

    def execute(self, context: bpy.types.Context) -> set[str]:
        settings = scene_settings(context)
        if self.kind and self.kind not in REQUEST_TYPES:
            self.report({"ERROR"}, f"No request type named '{self.kind}'.")
            return {"CANCELLED"}
        kinds = [self.kind] if self.kind else list(REQUEST_TYPES)
        for kind in kinds:
            entry = conversation_entry(settings, kind)
            if entry is not None:
                entry.data = ""
                entry.exchanges = 0
        label = REQUEST_TYPES[self.kind].label if self.kind else "every request type"
        self.report({"INFO"}, f"Started a new conversation for {label}.")
        return {"FINISHED"}


class SCREENWRITER_OT_show_reports(bpy.types.Operator):
    """Files the errors of background jobs in the Info log (see info_log.py for why modal)."""

    bl_idname = "screenwriter.show_reports"
    bl_label = "Show Screenwriter Reports"
    bl_description = "Put the errors of finished background requests into the Info log"
    bl_options = {"INTERNAL"}

    _timer = None

    def execute(self, context: bpy.types.Context) -> set[str]:
        """Wait on the window for the next timer event (modal), then report in modal()."""
        wm = context.window_manager
        if context.window is None:
            return {"CANCELLED"}
        self._timer = wm.event_timer_add(0.0, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def invoke(self, context: bpy.types.Context, _event: bpy.types.Event) -> set[str]:
        return self.execute(context)

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        for level, message in info_log.take():
            self.report({level}, message)
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            self._timer = None
        return {"FINISHED"}


classes = (SCREENWRITER_OT_cancel, SCREENWRITER_OT_new_conversation, SCREENWRITER_OT_show_reports)
