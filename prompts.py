"""What each request type asks the model: the system prompt and the instruction templates.

Pure Python (no ``bpy``). The request types (``request_types.py``) name these templates; the
templates live here so they can be read, tested and changed in one place.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ANALYSIS_INSTRUCTION",
    "ASK_INSTRUCTION",
    "DESCRIPTION_INSTRUCTION",
    "DIALOGUE_INSTRUCTION",
    "SUGGESTIONS_INSTRUCTION",
    "SYSTEM_PROMPT",
    "build_messages",
]

SYSTEM_PROMPT = (
    "You are a seasoned screenwriting assistant working inside Blender. The screenwriter's "
    "screenplay is written in Fountain plain-text format. Be concrete, refer to scenes and "
    "characters by name, and keep the writer's voice."
)

# The largest screenplay excerpt sent with a request (characters, ~30k tokens): a feature
# script is ~120k characters, so long scripts send their end, which is what the writer is on.
MAX_SCRIPT_CHARS = 120_000

ANALYSIS_INSTRUCTION = (
    "Analyze the screenplay. Answer with one JSON object only, no prose around it, "
    'with the keys "logline" (string), "genre" (string), "tone" (string), '
    '"structure" (list of {"act": string, "summary": string}), "characters" '
    '(list of {"name": string, "role": string, "arc": string}), "strengths" '
    '(list of strings), "weaknesses" (list of strings), "suggestions" (list of '
    "strings)."
)
DIALOGUE_INSTRUCTION = (
    "Write the next exchange of dialogue for the scene the screenplay ends on, in "
    "Fountain format (CHARACTER NAME in capitals, then the line). Stay in character."
)
DESCRIPTION_INSTRUCTION = (
    "Describe the last scene of the screenplay visually, as a director of "
    "photography and production designer would: setting, lighting, blocking, "
    "camera, mood. This description guides building the scene in Blender."
)
SUGGESTIONS_INSTRUCTION = (
    "Suggest five concrete, surprising ideas to develop this screenplay further "
    "(plot turns, character beats, visual moments), one short paragraph each."
)
ASK_INSTRUCTION = "Answer the screenwriter's question about the screenplay."


def build_messages(
    instruction: str | Any,
    script: str,
    prompt: str = "",
    history: list[dict] | None = None,
) -> list[dict]:
    """System instructions with the current script, the conversation so far, then the ask.

    ``instruction`` is the text, or a request type (its ``instruction``), as callers had it.
    """
    instruction = getattr(instruction, "instruction", instruction)
    if len(script) > MAX_SCRIPT_CHARS:
        script = "[…beginning omitted…]\n" + script[-MAX_SCRIPT_CHARS:]
    system = f"{SYSTEM_PROMPT}\n\nThe screenplay so far:\n<<<\n{script.strip() or '(empty)'}\n>>>"
    user = instruction
    if prompt.strip():
        user = f"{user}\n\n{prompt.strip()}"
    return [
        {"role": "system", "content": system},
        *(history or []),
        {"role": "user", "content": user},
    ]


def __getattr__(name: str) -> Any:
    """``prompts.REQUEST_TYPES``, where it was before ``request_types.py`` declared them."""
    if name == "REQUEST_TYPES":
        from .request_types import REQUEST_TYPES

        return REQUEST_TYPES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
