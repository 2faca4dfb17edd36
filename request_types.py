"""Each request type declared once: its button, output, timeout profile, messages and result.

Pure Python (no ``bpy``). The operators, their ``poll()`` and the panel rows are made from these
declarations, and what a finished answer does is named here (``on_done``) and carried out by
``results.py``; nothing else in the extension knows one request type from another. A new type,
or a type that grounds its request in the scene under the cursor, changes this file only: its
``build_messages`` hook gets everything the operator read (``RequestInput``) and
``response_format`` is sent with the request as is.

The hook is pure and runs on the worker thread (``Request.prepare``: a grounded prompt parses
the whole screenplay, too slow for Blender's main thread on a feature). Dialogue, description,
suggestions and ask are grounded in the scene at the screenplay's cursor within their token
budget (``grounded_messages``); the analysis is a chain of requests of its own
(``flow="analysis"``, ``analysis_run.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from . import prompts

__all__ = [
    "REQUEST_TYPES",
    "RESULT_ACTIONS",
    "GroundedMessages",
    "RequestInput",
    "RequestType",
    "by_operator",
    "grounded_messages",
]

# What a finished answer can do, by name (the Blender side, results.py, implements each):
# - "remember": add the question and the answer to the type's own conversation on the scene;
# - "note_grounding": say in the job's message which scene the request was grounded in and how
#   many of its budget's prompt tokens it took;
# - "analysis_step": the answer to one request of an analysis: checked (on the worker), it
#   leads to the repair, the next part, or the stored and rendered analysis (analysis_run.py).
RESULT_ACTIONS = ("remember", "note_grounding", "analysis_step")


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
    budget: int | None = None  # prompt tokens (None: the screenplay layer's default)
    templates_dir: str | None = None  # the writer's prompt templates folder


def default_messages(request_type: RequestType, given: RequestInput) -> list[dict]:
    """The whole (capped) screenplay as context, the conversation so far, then the ask."""
    return prompts.build_messages(
        request_type.instruction, given.script, given.prompt, [dict(m) for m in given.history]
    )


class GroundedMessages(list):
    """The messages of a grounded request (a plain list of message dicts) with the
    ``screenplay.Prompt`` they came from: which scene, which scenes in full, the tokens."""

    prompt: Any = None


def grounded_messages(request_type: RequestType, given: RequestInput) -> list[dict]:
    """The scene at the cursor (or the selected lines), the outline, the scenes around it and,
    for dialogue, the characters' earlier lines, within ``given.budget`` prompt tokens."""
    from .screenplay import build_prompt  # on the worker thread, at the first request

    prompt = build_prompt(
        request_type.kind,
        given.script,
        line=given.cursor_line,
        selection=given.selection,
        question=given.prompt,
        history=given.history,
        budget=given.budget,
        templates_dir=given.templates_dir,
    )
    messages = GroundedMessages(prompt.messages)
    messages.prompt = prompt
    return messages


@dataclass(frozen=True)
class RequestType:
    """One request type: everything the operator, the panel and the result need to know.

    ``kind`` names the client's timeout profile and the type's conversation; ``operator`` is
    the operator's name under ``screenwriter.``; ``output`` says whether an answer replaces the
    output text or is appended to it (a chat log); ``typical_tokens`` is the length of a usual
    answer, which the progress bar fills toward (a guide, not a limit: nothing is cut);
    ``flow`` says what the operator starts: one request, or the analysis chain.
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
    flow: Literal["request", "analysis"] = "request"

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
            description="Logline, genre, tone, acts, characters, every scene, strengths and "
            "weaknesses of the whole screenplay, checked and kept with the scene, as a "
            "readable breakdown",
            typical_tokens=900,
            on_done=("analysis_step",),
            flow="analysis",
        ),
        RequestType(
            kind="dialogue",
            operator="generate_dialogue",
            label="Generate Dialogue",
            icon="OUTLINER_DATA_SPEAKER",
            output_text="Screenwriter Dialogue",
            instruction=prompts.DIALOGUE_INSTRUCTION,
            description="The dialogue that comes next at the screenplay's cursor, in Fountain",
            build_messages=grounded_messages,
            on_done=("remember", "note_grounding"),
        ),
        RequestType(
            kind="description",
            operator="describe_scene",
            label="Describe Scene",
            icon="SCENE",
            output_text="Screenwriter Scene",
            instruction=prompts.DESCRIPTION_INSTRUCTION,
            description="The scene at the cursor as a director of photography would set it up",
            build_messages=grounded_messages,
            on_done=("remember", "note_grounding"),
        ),
        RequestType(
            kind="suggestions",
            operator="suggest_ideas",
            label="Suggest Ideas",
            icon="LIGHT",
            output_text="Screenwriter Ideas",
            instruction=prompts.SUGGESTIONS_INSTRUCTION,
            description="Five concrete ideas to develop the story from the scene at the cursor",
            typical_tokens=500,
            build_messages=grounded_messages,
            on_done=("remember", "note_grounding"),
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
            build_messages=grounded_messages,
            on_done=("remember", "note_grounding"),
        ),
    )
}


def by_operator(name: str) -> RequestType:
    """The request type whose operator is ``screenwriter.<name>``."""
    return next(t for t in REQUEST_TYPES.values() if t.operator == name)
