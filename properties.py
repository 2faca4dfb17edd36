"""What the screenwriter's work keeps in the .blend file: the prompt and the conversation.

Stored on the scene so it travels with the screenplay. The API key is never stored here.
"""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, PointerProperty, StringProperty

__all__ = ["ScreenwriterSceneSettings", "scene_settings"]


class ScreenwriterSceneSettings(bpy.types.PropertyGroup):
    prompt: StringProperty(
        name="Prompt",
        description="Your question or request; it is sent with the active screenplay",
    )
    source: StringProperty(
        name="Screenplay",
        description="Text datablock holding the screenplay (empty: the text open in the editor)",
    )
    continue_conversation: BoolProperty(
        name="Continue Conversation",
        description="Send the earlier questions and answers along, so the assistant remembers",
        default=True,
    )
    conversation: StringProperty(
        name="Conversation",
        description="Questions and answers so far (JSON)",
        options={"HIDDEN"},
    )


def scene_settings(context: bpy.types.Context) -> ScreenwriterSceneSettings:
    return context.scene.screenwriter


def register() -> None:
    bpy.utils.register_class(ScreenwriterSceneSettings)
    bpy.types.Scene.screenwriter = PointerProperty(type=ScreenwriterSceneSettings)


def unregister() -> None:
    del bpy.types.Scene.screenwriter
    bpy.utils.unregister_class(ScreenwriterSceneSettings)
