"""Which parts of the screen show the Screenwriter: the regions to redraw, and nothing else.

Like ``bl_pkg``'s notify list, a panel's ``draw()`` registers the sidebar region it draws in
(``watch``) and the timer redraws those; unlike it, we keep no ``Region`` objects (a region of a
closed area or a loaded file would be freed memory) but their pointers, and look the live
regions up on the window manager's screens each time, so dead ones drop out by themselves.
Text Editors are redrawn only when they show a text an answer is being written into.
"""

from __future__ import annotations

import bpy

__all__ = ["CATEGORY", "PANEL_SPACES", "forget", "panel_regions", "redraw", "watch"]

CATEGORY = "Screenwriter"
PANEL_SPACES = ("TEXT_EDITOR", "VIEW_3D", "SEQUENCE_EDITOR")
# What ``Region.active_panel_category`` says of a sidebar that has not drawn tabs yet.
_NO_CATEGORY = ("", "UNSUPPORTED")

_watched: set[int] = set()  # pointers of sidebar regions a Screenwriter panel drew in


def watch(region: bpy.types.Region | None) -> None:
    """A Screenwriter panel drew in ``region``: redraw it while it shows the panel."""
    if region is not None:
        _watched.add(region.as_pointer())


def forget() -> None:
    _watched.clear()


def _sidebars():
    """Every (area, sidebar region) of an editor type our panel lives in, with its sidebar open."""
    wm = bpy.context.window_manager
    if wm is None:
        return
    for window in wm.windows:
        screen = window.screen
        if screen is None:
            continue
        for area in screen.areas:
            if area.type not in PANEL_SPACES or not getattr(
                area.spaces.active, "show_region_ui", False
            ):
                continue
            for region in area.regions:
                if region.type == "UI":
                    yield area, region


def panel_regions() -> list[bpy.types.Region]:
    """The sidebar regions on screen now that show the Screenwriter tab.

    A sidebar shows it when its active tab is ours; one whose tabs Blender has not drawn yet
    (no active category to ask) counts when our panel drew in it. Regions that are gone are
    forgotten here.
    """
    live: dict[int, bpy.types.Region] = {}
    shown = []
    for _area, region in _sidebars():
        pointer = region.as_pointer()
        live[pointer] = region
        category = getattr(region, "active_panel_category", "")
        if category == CATEGORY or (category in _NO_CATEGORY and pointer in _watched):
            shown.append(region)
    _watched.intersection_update(live)
    return shown


def redraw(touched: dict[str, int | None], *, panels: bool = True) -> None:
    """Redraw the Text Editors showing a touched text, and the sidebars showing our panel (when
    ``panels``). Nothing else is redrawn.

    ``touched`` maps a text's name to its line count before this delivery's write (None: not
    written). An editor that showed the end of that text follows it; one scrolled up to read
    earlier lines stays where it is.
    """
    wm = bpy.context.window_manager
    if wm is None:
        return
    if touched:
        for window in wm.windows:
            screen = window.screen
            if screen is None:
                continue
            for area in screen.areas:
                if area.type != "TEXT_EDITOR":
                    continue
                space = area.spaces.active
                text = getattr(space, "text", None)
                if text is not None and text.name in touched:
                    visible = max(space.visible_lines, 1)
                    lines_before = touched[text.name]
                    if lines_before is not None and space.top + visible >= lines_before:
                        space.top = max(0, len(text.lines) - visible)
                    area.tag_redraw()
    if panels:
        for region in panel_regions():
            region.tag_redraw()
