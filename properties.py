"""What the screenwriter's work keeps in the .blend file: the prompt, the screenplay's name,
one conversation per request type, the checked script analysis and which timeline markers the
extension made.

Stored on the scene so it travels with the screenplay. Each request type has its own
conversation, so an analysis (a long JSON answer) is never sent along with a dialogue request.
The API key is never stored here. The single conversation earlier versions kept moves into
the Ask conversation when such a file is opened (``migrate_legacy_conversation``).
"""

from __future__ import annotations

import bpy
from bpy.app.handlers import persistent
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
        description="Text datablock holding the screenplay, used when the Text Editor shows "
        "no screenplay (an answer, or nothing); the first request fills it in",
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
    if kind == LEGACY_KIND:
        migrate_legacy_conversation(settings)  # a file open since before the upgrade
    entry = conversation_entry(settings, kind)
    return entry.data if entry is not None else ""


# Before one conversation per request type, the scene settings kept a single ``conversation``
# string. Blender keeps the value of a property that is no longer declared, as a raw ID
# property, so a file saved then still holds it: it becomes the Ask conversation.
LEGACY_CONVERSATION = "conversation"
LEGACY_KIND = "ask"


def migrate_legacy_conversation(settings: ScreenwriterSceneSettings) -> bool:
    """Move an old single conversation into the Ask conversation; True when one moved.

    Left where it is when Ask already has a conversation, so nothing is overwritten."""
    legacy = settings.get(LEGACY_CONVERSATION)
    if legacy is None or conversation_entry(settings, LEGACY_KIND) is not None:
        return False
    del settings[LEGACY_CONVERSATION]
    if not isinstance(legacy, str) or not legacy.strip():
        return False
    from .results import load_conversation  # an unreadable one loads empty, with a warning

    store_conversation(settings, LEGACY_KIND, legacy, len(load_conversation(legacy)) // 2)
    return True


@persistent
def _migrate_on_load(*_args: object) -> None:
    for scene in bpy.data.scenes:
        migrate_legacy_conversation(scene.screenwriter)


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
    if _migrate_on_load not in bpy.app.handlers.load_post:
        bpy.app.handlers.load_post.append(_migrate_on_load)


def unregister() -> None:
    while _migrate_on_load in bpy.app.handlers.load_post:
        bpy.app.handlers.load_post.remove(_migrate_on_load)
    del bpy.types.Scene.screenwriter
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
