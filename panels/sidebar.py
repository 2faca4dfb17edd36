"""The "Screenwriter" sidebar tab, one definition for the Text Editor, the 3D Viewport and the
Video Sequencer: the buttons, the connection status, the running and finished answers, the
session's usage, and one conversation per request type.

Drawing only reads (preferences, scene settings, ``job_state``, ``status``); it never sends a
request or writes job state. It tells ``screen`` where it drew, so the timer redraws exactly
these regions, and arms the timer so the status check runs while the panel is on screen.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import bpy

from .. import bridge, job_state, screen, status
from ..preferences import get_preferences
from ..properties import conversation_entry, scene_settings
from ..request_types import REQUEST_TYPES

__all__ = ["SPACES", "classes", "draw_answers", "draw_conversations", "draw_main"]

# The editors the tab lives in, and the short name each one's panel classes carry.
SPACES = {"TEXT_EDITOR": "text", "VIEW_3D": "view3d", "SEQUENCE_EDITOR": "sequencer"}
SHOWN_JOBS = 5

_STATE_ICONS = {
    "queued": "TIME",
    "running": "PLAY",
    "done": "CHECKMARK",
    "failed": "ERROR",
    "cancelled": "CANCEL",
}
_STATUS_ICONS = {"unknown": "QUESTION", "ok": "CHECKMARK", "failing": "ERROR", "blocked": "CANCEL"}


def _seen(context: bpy.types.Context) -> None:
    """This region shows our panel: the timer redraws it and wakes for the status check."""
    screen.watch(context.region)
    bridge.arm(first_interval=status.seconds_until_due(time.monotonic()))


def draw_main(layout: bpy.types.UILayout, context: bpy.types.Context) -> None:
    _seen(context)
    settings = scene_settings(context)
    prefs = get_preferences(context)
    layout.prop_search(settings, "source", bpy.data, "texts", text="Screenplay")
    _draw_status(layout)
    row = layout.row(align=True)
    row.label(text=f"Model: {prefs.model or '(none: set it in preferences)'}", icon="MONKEY")
    row.operator("screenwriter.refresh_models", text="", icon="FILE_REFRESH")
    col = layout.column(align=True)
    asks = []
    for rtype in REQUEST_TYPES.values():
        if rtype.needs_prompt:
            asks.append(rtype)
        else:
            col.operator(rtype.idname, text=rtype.label, icon=rtype.icon)
    row = layout.row(align=True)
    row.operator("screenwriter.insert_answer", icon="PASTEDOWN")
    row.operator("screenwriter.scene_markers", icon="MARKER_HLT")
    for rtype in asks:
        box = layout.box()
        box.prop(settings, "prompt", text="")
        box.operator(rtype.idname, text=rtype.label, icon=rtype.icon)
    if any(not j.automatic for j in job_state.active_jobs()):
        layout.operator("screenwriter.cancel", text="Cancel All", icon="CANCEL")


def _draw_status(layout: bpy.types.UILayout) -> None:
    current = status.current()
    box = layout.box()
    row = box.row(align=True)
    row.label(text=current.summary(), icon=_STATUS_ICONS[current.state])
    row.operator("screenwriter.test_connection", text="", icon="PLUGIN")
    if current.message:
        _wrapped(box, current.message)


def draw_answers(layout: bpy.types.UILayout, context: bpy.types.Context) -> None:
    _seen(context)
    now = time.monotonic()
    totals = job_state.totals()
    line = f"Session: {totals.answers} answer{'s' if totals.answers != 1 else ''}"
    if totals.tokens:
        line += f" · {totals.tokens} tokens"
    if totals.priced:
        line += f" · ${totals.cost:.4f}"
    if totals.failed:
        line += f" · {totals.failed} failed"
    layout.label(text=line, icon="INFO")
    shown = [j for j in job_state.jobs() if not j.automatic][-SHOWN_JOBS:]
    if not shown:
        layout.label(text="No answers yet.")
        return
    for job in reversed(shown):
        _draw_job(layout.box(), job, now)


def _draw_job(box: bpy.types.UILayout, job: job_state.Job, now: float) -> None:
    row = box.row()
    title = f"{job.title} → {job.text_name}" if job.text_name else job.title
    row.label(text=title, icon=_STATE_ICONS.get(job.state, "DOT"))
    if job.active:
        op = row.operator("screenwriter.cancel", text="", icon="X")
        op.job_id = job.job_id
        if not job.is_query:
            progress = job.progress(now)
            box.progress(factor=progress.factor, type=progress.shape, text=progress.text)
            first = job.time_to_first_token
            clock = f"{job.elapsed_at(now):.1f} s"
            clock += f", first token after {first:.1f} s" if first is not None else ""
            box.label(text=clock, icon="TIME")
    elif job.state == "done" and not job.is_query:
        box.label(text=_usage_line(job, now), icon="LINENUMBERS_ON")
    if job.message and (not job.active or job.message == "Cancelling…" or job.notes):
        _wrapped(box, job.message)


def _usage_line(job: job_state.Job, now: float) -> str:
    usage = job.usage
    if usage is not None:
        line = (
            f"{usage.total_tokens} tokens ({usage.prompt_tokens} in, {usage.completion_tokens} out)"
        )
    else:
        line = f"~{job.tokens} tokens out (no usage reported)"
    if job.cost:
        line += f" · ${job.cost:.4f}"
    rate = job.tokens_per_second(now)
    if rate is not None:
        line += f" · {rate:.0f}/s"
    return line


def draw_conversations(layout: bpy.types.UILayout, context: bpy.types.Context) -> None:
    _seen(context)
    settings = scene_settings(context)
    row = layout.row(align=True)
    row.prop(settings, "continue_conversation", text="Continue")
    op = row.operator("screenwriter.new_conversation", text="New All", icon="FILE_NEW")
    op.kind = ""
    col = layout.column(align=True)
    for rtype in REQUEST_TYPES.values():
        entry = conversation_entry(settings, rtype.kind)
        count = entry.exchanges if entry is not None else 0
        row = col.row(align=True)
        row.label(
            text=f"{rtype.label}: {count} exchange{'s' if count != 1 else ''}", icon=rtype.icon
        )
        op = row.operator("screenwriter.new_conversation", text="New", icon="FILE_NEW")
        op.kind = rtype.kind


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


# -- the panel classes: the same three panels in each editor's sidebar ------------------------

_PANELS: tuple[tuple[str, str, Callable, str | None, set[str]], ...] = (
    ("main", "Screenwriter", draw_main, None, set()),
    ("answers", "Answers", draw_answers, "main", set()),
    ("conversations", "Conversations", draw_conversations, "main", {"DEFAULT_CLOSED"}),
)


def _panel_class(space: str, name: str, label: str, draw: Callable, parent, options) -> type:
    key = SPACES[space]
    attrs = {
        "bl_idname": f"SCREENWRITER_PT_{key}_{name}",
        "bl_label": label,
        "bl_space_type": space,
        "bl_region_type": "UI",
        "bl_category": screen.CATEGORY,
        "bl_options": set(options),
        "draw": lambda self, context: draw(self.layout, context),
    }
    if parent:
        attrs["bl_parent_id"] = f"SCREENWRITER_PT_{key}_{parent}"
    return type(attrs["bl_idname"], (bpy.types.Panel,), attrs)


classes = tuple(_panel_class(space, *panel) for space in SPACES for panel in _PANELS)
