"""What the screenwriter's work keeps in the .blend file: the prompt, the screenplay's name,
one conversation per request type, the checked script analysis and which timeline markers the
extension made.

Stored on the scene so it travels with the screenplay. Each request type has its own
conversation, so an analysis (a long JSON answer) is never sent along with a dialogue request.
The API key is never stored here.
"""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, CollectionProperty, IntProperty, PointerProperty, StringProperty

__all__ = [
    "ScreenwriterConversation",
    "ScreenwriterSceneSettings",
    "conversation_data",
    "conversation_entry",
    "scene_settings",
    "store_conversation",
]


class ScreenwriterConversation(bpy.types.PropertyGroup):
    """The questions and answers of one request type (``kind``) so far."""

    kind: StringProperty(name="Request Type", description="The request type of this conversation")
    data: StringProperty(
        name="Conversation", description="Questions and answers so far (JSON)", options={"HIDDEN"}
    )
    exchanges: IntProperty(
        name="Exchanges", description="Questions answered in this conversation", min=0
    )


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
        description="Send the earlier questions and answers of the same kind along, so the "
        "assistant remembers",
        default=True,
    )
    conversations: CollectionProperty(type=ScreenwriterConversation, options={"HIDDEN"})
    analysis: StringProperty(
        name="Analysis",
        description="The latest script analysis that matched the schema (JSON); "
        "'Screenwriter Analysis' shows it as a breakdown",
        options={"HIDDEN"},
    )
    scene_markers: StringProperty(
        name="Scene Markers",
        description="The timeline markers Scene Markers made (JSON list of [name, frame]), "
        "so running it again replaces them and no other marker",
        options={"HIDDEN"},
    )


def scene_settings(context: bpy.types.Context) -> ScreenwriterSceneSettings:
    return context.scene.screenwriter


def conversation_entry(
    settings: ScreenwriterSceneSettings, kind: str
) -> ScreenwriterConversation | None:
    return next((c for c in settings.conversations if c.kind == kind), None)


def conversation_data(settings: ScreenwriterSceneSettings, kind: str) -> str:
    """The stored JSON of ``kind``'s conversation ("" when it has none)."""
    entry = conversation_entry(settings, kind)
    return entry.data if entry is not None else ""


def store_conversation(
    settings: ScreenwriterSceneSettings, kind: str, data: str, exchanges: int
) -> None:
    entry = conversation_entry(settings, kind)
    if entry is None:
        entry = settings.conversations.add()
        entry.kind = kind
    entry.data = data
    entry.exchanges = exchanges


classes = (ScreenwriterConversation, ScreenwriterSceneSettings)


def register() -> None:
    for cls in classes:
        bpy.utils.register_class(cls)
    bpy.types.Scene.screenwriter = PointerProperty(type=ScreenwriterSceneSettings)


def unregister() -> None:
    del bpy.types.Scene.screenwriter
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
