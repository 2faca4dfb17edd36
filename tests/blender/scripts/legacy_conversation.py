"""A file saved before one conversation per request type: its single ``conversation`` string
becomes the Ask conversation when the file is opened, or at the first Ask when the file was
already open at the upgrade; an Ask conversation that exists is never overwritten."""

from __future__ import annotations

import json
import os
import tempfile

import bpy
from harness import install, package, run

# What the old single conversation held: two exchanges (with accents, an emoji and CJK).
# The format is the client's to_json() then and now (version 1).
LEGACY = json.dumps(
    {
        "version": 1,
        "system_prompt": "",
        "max_context_tokens": 8000,
        "messages": [
            {"role": "user", "content": "Who lit the lamp?"},
            {"role": "assistant", "content": "MARA — she did 😀"},
            {"role": "user", "content": "Et après ?"},
            {"role": "assistant", "content": "灯台の光が消える。"},
        ],
    },
    ensure_ascii=False,
)


def state(scene: bpy.types.Scene) -> dict:
    settings = scene.screenwriter
    return {
        "legacy_left": settings.get("conversation"),
        "entries": {c.kind: [c.data, c.exchanges] for c in settings.conversations},
    }


def saved_with_legacy(path: str, ask: str | None = None) -> None:
    bpy.ops.wm.read_homefile(use_empty=True)
    settings = bpy.context.scene.screenwriter
    settings["conversation"] = LEGACY  # what the old StringProperty left in the file
    if ask is not None:
        package("properties").store_conversation(settings, "ask", ask, 1)
    bpy.ops.wm.save_as_mainfile(filepath=path)


def main() -> dict:
    install()
    properties = package("properties")
    folder = tempfile.mkdtemp(prefix="lsw-legacy-")
    result: dict = {"legacy": LEGACY}

    path = os.path.join(folder, "old.blend")
    saved_with_legacy(path)
    bpy.ops.wm.open_mainfile(filepath=path)  # load_post moves it
    result["opened"] = state(bpy.context.scene)
    bpy.ops.wm.save_mainfile()
    bpy.ops.wm.open_mainfile(filepath=path)
    result["saved_again"] = state(bpy.context.scene)

    # Open before the upgrade: no load_post; the first Ask reads it.
    bpy.ops.wm.read_homefile(use_empty=True)
    settings = bpy.context.scene.screenwriter
    settings["conversation"] = LEGACY
    result["first_ask_reads"] = properties.conversation_data(settings, "ask")
    result["after_first_ask"] = state(bpy.context.scene)

    # Both kinds of conversation in one file: the newer Ask one stays, the old one is kept.
    newer = json.dumps(
        {"version": 1, "messages": [{"role": "user", "content": "New question"},
                                    {"role": "assistant", "content": "An answer"}]}
    )  # fmt: skip
    both = os.path.join(folder, "both.blend")
    saved_with_legacy(both, ask=newer)
    bpy.ops.wm.open_mainfile(filepath=both)
    result["newer"] = newer
    result["both"] = state(bpy.context.scene)

    # An old conversation that is not JSON: moved as it is, and an Ask starts anew.
    bpy.ops.wm.read_homefile(use_empty=True)
    settings = bpy.context.scene.screenwriter
    settings["conversation"] = "{not json"
    result["unreadable_moved"] = properties.migrate_legacy_conversation(settings)
    result["unreadable"] = state(bpy.context.scene)
    result["unreadable_loads"] = len(package("results").load_conversation("{not json"))
    return result


run(main)
