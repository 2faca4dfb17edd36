"""What each request type asks the model, and where its answer goes.

Pure Python (no ``bpy``): the operators pick a ``RequestType`` and call ``build_messages``; the
templates live here so they can be read, tested and changed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["REQUEST_TYPES", "SYSTEM_PROMPT", "RequestType", "build_messages"]

SYSTEM_PROMPT = (
    "You are a seasoned screenwriting assistant working inside Blender. The screenwriter's "
    "screenplay is written in Fountain plain-text format. Be concrete, refer to scenes and "
    "characters by name, and keep the writer's voice."
)

# The largest screenplay excerpt sent with a request (characters, ~30k tokens): a feature
# script is ~120k characters, so long scripts send their end, which is what the writer is on.
MAX_SCRIPT_CHARS = 120_000


@dataclass(frozen=True)
class RequestType:
    """One button of the panel: its request kind (timeout profile), label and output text."""

    kind: str
    label: str
    output_text: str
    instruction: str
    needs_prompt: bool = False
    append: bool = False  # free questions read as a chat log; other outputs are replaced


REQUEST_TYPES: dict[str, RequestType] = {
    t.kind: t
    for t in (
        RequestType(
            kind="analysis",
            label="Analyze Script",
            output_text="Screenwriter Analysis",
            instruction=(
                "Analyze the screenplay. Answer with one JSON object only, no prose around it, "
                'with the keys "logline" (string), "genre" (string), "tone" (string), '
                '"structure" (list of {"act": string, "summary": string}), "characters" '
                '(list of {"name": string, "role": string, "arc": string}), "strengths" '
                '(list of strings), "weaknesses" (list of strings), "suggestions" (list of '
                "strings)."
            ),
        ),
        RequestType(
            kind="dialogue",
            label="Generate Dialogue",
            output_text="Screenwriter Dialogue",
            instruction=(
                "Write the next exchange of dialogue for the scene the screenplay ends on, in "
                "Fountain format (CHARACTER NAME in capitals, then the line). Stay in character."
            ),
        ),
        RequestType(
            kind="description",
            label="Describe Scene",
            output_text="Screenwriter Scene",
            instruction=(
                "Describe the last scene of the screenplay visually, as a director of "
                "photography and production designer would: setting, lighting, blocking, "
                "camera, mood. This description guides building the scene in Blender."
            ),
        ),
        RequestType(
            kind="suggestions",
            label="Suggest Ideas",
            output_text="Screenwriter Ideas",
            instruction=(
                "Suggest five concrete, surprising ideas to develop this screenplay further "
                "(plot turns, character beats, visual moments), one short paragraph each."
            ),
        ),
        RequestType(
            kind="ask",
            label="Ask",
            output_text="Screenwriter Answer",
            instruction="Answer the screenwriter's question about the screenplay.",
            needs_prompt=True,
            append=True,
        ),
    )
}


def build_messages(
    request_type: RequestType,
    script: str,
    prompt: str = "",
    history: list[dict] | None = None,
) -> list[dict]:
    """System instructions with the current script, the conversation so far, then the ask."""
    if len(script) > MAX_SCRIPT_CHARS:
        script = "[…beginning omitted…]\n" + script[-MAX_SCRIPT_CHARS:]
    system = f"{SYSTEM_PROMPT}\n\nThe screenplay so far:\n<<<\n{script.strip() or '(empty)'}\n>>>"
    user = request_type.instruction
    if prompt.strip():
        user = f"{user}\n\n{prompt.strip()}"
    return [
        {"role": "system", "content": system},
        *(history or []),
        {"role": "user", "content": user},
    ]
