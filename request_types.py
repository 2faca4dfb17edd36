"""Each request type declared once: its button, output, timeout profile, messages and result.

Pure Python (no ``bpy``). The operators, their ``poll()`` and the panel rows are made from these
declarations, and what a finished answer does is named here (``on_done``) and carried out by
``results.py``; nothing else in the extension knows one request type from another. A new type,
or a type that grounds its request in the scene under the cursor, changes this file only: its
``build_messages`` hook gets everything the operator read (``RequestInput``) and
``response_format`` is sent with the request as is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from . import prompts

__all__ = ["REQUEST_TYPES", "RESULT_ACTIONS", "RequestInput", "RequestType", "by_operator"]

# What a finished answer can do, by name (the Blender side, results.py, implements each):
# - "remember": add the question and the answer to the type's own conversation on the scene;
# - "render_analysis": replace the output text with the readable breakdown of the JSON answer
#   (a model that drifted from the format keeps its raw answer, and the message says so).
RESULT_ACTIONS = ("remember", "render_analysis")


@dataclass(frozen=True)
class RequestInput:
    """What a request operator read from Blender, handed to a type's ``build_messages``.

    ``cursor_line`` is the 1-based line of the screenplay Text's cursor
    (``Text.current_line_index + 1``) and ``selection`` the 1-based first and last lines of a
    selection (None without one), so a type can ground its request in the scene at the cursor
    even with no editor open. ``history`` holds the earlier turns of this type's conversation.
    """

    script: str
    prompt: str = ""
    history: tuple[Mapping[str, Any], ...] = ()
    cursor_line: int = 1
    selection: tuple[int, int] | None = None
    source_name: str = ""


def default_messages(request_type: RequestType, given: RequestInput) -> list[dict]:
    """The whole (capped) screenplay as context, the conversation so far, then the ask."""
    return prompts.build_messages(
        request_type.instruction, given.script, given.prompt, [dict(m) for m in given.history]
    )


@dataclass(frozen=True)
class RequestType:
    """One request type: everything the operator, the panel and the result need to know.

    ``kind`` names the client's timeout profile and the type's conversation; ``operator`` is
    the operator's name under ``screenwriter.``; ``output`` says whether an answer replaces the
    output text or is appended to it (a chat log); ``typical_tokens`` is the length of a usual
    answer, which the progress bar fills toward (a guide, not a limit: nothing is cut).
    """

    kind: str
    operator: str
    label: str
    icon: str
    output_text: str
    instruction: str
    description: str
    output: Literal["replace", "append"] = "replace"
    needs_prompt: bool = False
    typical_tokens: int = 400
    response_format: Mapping[str, Any] | None = None
    build_messages: Callable[[RequestType, RequestInput], list[dict]] = field(
        default=default_messages, compare=False, repr=False
    )
    on_done: tuple[str, ...] = ("remember",)

    def __post_init__(self) -> None:
        unknown = set(self.on_done) - set(RESULT_ACTIONS)
        if unknown:
            raise ValueError(f"{self.kind}: unknown result actions {sorted(unknown)}")

    @property
    def append(self) -> bool:
        return self.output == "append"

    @property
    def idname(self) -> str:
        return f"screenwriter.{self.operator}"

    def params(self, temperature: float) -> dict[str, Any]:
        """The request fields beyond model and messages."""
        params: dict[str, Any] = {"temperature": temperature}
        if self.response_format is not None:
            params["response_format"] = dict(self.response_format)
        return params


REQUEST_TYPES: dict[str, RequestType] = {
    t.kind: t
    for t in (
        RequestType(
            kind="analysis",
            operator="analyze_script",
            label="Analyze Script",
            icon="VIEWZOOM",
            output_text="Screenwriter Analysis",
            instruction=prompts.ANALYSIS_INSTRUCTION,
            description="Logline, genre, tone, structure, characters, strengths and weaknesses "
            "of the whole screenplay, as a readable breakdown",
            typical_tokens=900,
            on_done=("remember", "render_analysis"),
        ),
        RequestType(
            kind="dialogue",
            operator="generate_dialogue",
            label="Generate Dialogue",
            icon="OUTLINER_DATA_SPEAKER",
            output_text="Screenwriter Dialogue",
            instruction=prompts.DIALOGUE_INSTRUCTION,
            description="The next exchange of dialogue for the scene, in Fountain",
        ),
        RequestType(
            kind="description",
            operator="describe_scene",
            label="Describe Scene",
            icon="SCENE",
            output_text="Screenwriter Scene",
            instruction=prompts.DESCRIPTION_INSTRUCTION,
            description="The scene as a director of photography would set it up in Blender",
        ),
        RequestType(
            kind="suggestions",
            operator="suggest_ideas",
            label="Suggest Ideas",
            icon="LIGHT",
            output_text="Screenwriter Ideas",
            instruction=prompts.SUGGESTIONS_INSTRUCTION,
            description="Five concrete ideas to develop the story",
            typical_tokens=500,
        ),
        RequestType(
            kind="ask",
            operator="ask",
            label="Ask",
            icon="QUESTION",
            output_text="Screenwriter Answer",
            instruction=prompts.ASK_INSTRUCTION,
            description="Your question (the Prompt field), answered about the screenplay",
            output="append",
            needs_prompt=True,
            typical_tokens=300,
        ),
    )
}


def by_operator(name: str) -> RequestType:
    """The request type whose operator is ``screenwriter.<name>``."""
    return next(t for t in REQUEST_TYPES.values() if t.operator == name)
