"""Errors of background jobs, into Blender's Info log (and the status bar) and the console.

A report made by an operator that Python called (``bpy.ops…`` from a timer, say) stays with
that call: Blender prints it and drops it (``pyop_call`` holds the reports, ``RPT_OP_HOLD``).
Reports of a *modal* operator belong to the window manager, which files them in the Info log
when the operator finishes. So the timer queues the message here and starts
``screenwriter.show_reports`` (a modal operator) on a window; at its first timer event it
reports what is queued and ends. Background Blender has no event loop and no Info editor: there
the console (Python logging) is where the message goes, as it always does.
"""

from __future__ import annotations

import logging

import bpy

__all__ = ["pending", "report", "reset", "take"]

log = logging.getLogger(__name__)

_pending: list[tuple[str, str]] = []
# Background Blender runs no modal operators; tests set this to exercise the window path.
use_windows = not bpy.app.background


def report(level: str, message: str) -> None:
    """File ``message`` ("ERROR", "WARNING" or "INFO") in the Info log as soon as Blender can."""
    if level == "INFO":
        log.info(message)
    else:
        log.warning(message)
    if not use_windows:
        return
    _pending.append((level, message))
    _start_reporter()


def pending() -> list[tuple[str, str]]:
    return list(_pending)


def take() -> list[tuple[str, str]]:
    """The queued reports, emptied (the reporter operator files them)."""
    out = list(_pending)
    _pending.clear()
    return out


def reset() -> None:
    _pending.clear()


def _start_reporter() -> None:
    wm = bpy.context.window_manager
    windows = list(wm.windows) if wm is not None else []
    if not windows:
        return
    for window in windows:
        if any(op.bl_idname == "SCREENWRITER_OT_show_reports" for op in window.modal_operators):
            return  # one already runs: it takes this message too
    window = bpy.context.window or windows[0]
    try:
        with bpy.context.temp_override(window=window):
            bpy.ops.screenwriter.show_reports()
    except (RuntimeError, TypeError):
        log.warning("Screenwriter: could not reach the Info log", exc_info=True)
