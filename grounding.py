"""What a request knows of the screenplay, read from a Blender Text: the scene at the writer's
cursor (or the lines they selected), and the request type's token budget and templates.

Only the reads happen on Blender's main thread (the text, the cursor, the selection, the
preferences: well under a millisecond on a feature script), into a plain ``RequestInput``.
The request type's ``build_messages`` (``request_types.grounded_messages``: the parse of a
150,000-character script costs tens of milliseconds) runs on the worker thread, through
``DeferredMessages.prepare`` as the request's ``Request.prepare``, so a click returns at once.
Nothing here imports ``screenplay/``.

The cursor is the Text's own (``current_line_index``), so grounding works with no Text Editor
open. A selection (``select_end_line_index``/``select_end_character`` elsewhere than the
cursor) makes the selected lines the focus instead of the cursor's scene; a selection that
ends at the start of a line does not include that line.

Prompt templates: a file in ``<Blender user config>/litellm_screenwriter/templates/`` named
like a built-in one (``dialogue.txt``, ``system.txt``, ...) replaces it; see
``screenplay/templates.py`` for the placeholders. The folder is
``bpy.utils.user_resource('CONFIG', path="litellm_screenwriter/templates")``, for example
``~/.config/blender/4.5/config/litellm_screenwriter/templates`` on Linux.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import bpy

from . import text_io
from .request_types import RequestInput, RequestType

if TYPE_CHECKING:
    from .preferences import ScreenwriterPreferences
    from .worker import Request

__all__ = [
    "TEMPLATES_PATH",
    "DeferredMessages",
    "budget_for",
    "cursor_line",
    "request_input",
    "screenplay_text",
    "selected_lines",
    "templates_folder",
]

TEMPLATES_PATH = "litellm_screenwriter/templates"  # under Blender's user config folder
BUDGET_KINDS = ("dialogue", "description", "suggestions", "ask")  # each has a preference


def screenplay_text(text: bpy.types.Text) -> str:
    """The Text as the parser must see it: Blender's lines joined by LF, never raising.

    Blender keeps a CR inside a line when text arrives through ``from_string`` (its file
    loader drops them), while the parser would end a line there; dropping CRs keeps the
    parser's line numbers equal to Blender's. A line holding broken UTF-8 (possible in a saved
    .blend) reads with U+FFFD for each broken byte (``text_io.read``).
    """
    body = text_io.read(text)
    return body.replace("\r", "") if "\r" in body else body


def cursor_line(text: bpy.types.Text) -> int:
    """The 1-based line of the Text's cursor (``current_line_index`` is 0-based)."""
    return text.current_line_index + 1


def selected_lines(text: bpy.types.Text) -> tuple[int, int] | None:
    """The 1-based first and last selected lines, or None when nothing is selected."""
    cursor = (text.current_line_index, text.current_character)
    other = (text.select_end_line_index, text.select_end_character)
    if cursor == other:
        return None
    (low, _), (high, high_char) = sorted((cursor, other))
    if high_char == 0 and high > low:  # Shift+Down selections end at the next line's start
        high -= 1
    return low + 1, high + 1


def templates_folder() -> str | None:
    """The writer's template folder (it need not exist: built-in templates are used then)."""
    return bpy.utils.user_resource("CONFIG", path=TEMPLATES_PATH) or None


def budget_for(prefs: ScreenwriterPreferences | None, kind: str) -> int | None:
    """The prompt-token budget of ``kind`` from the preferences (None: the screenplay
    layer's default, ``screenplay.kinds.DEFAULT_BUDGET``)."""
    value = getattr(prefs, f"{kind}_budget", None) if prefs is not None else None
    return value if isinstance(value, int) and value > 0 else None


def request_input(
    source: bpy.types.Text,
    kind: str,
    prefs: ScreenwriterPreferences | None,
    history: Sequence[Mapping[str, Any]] = (),
    prompt: str = "",
) -> RequestInput:
    """Everything a ``kind`` request about ``source`` is built from (main thread, fast)."""
    turns = tuple(
        {"role": str(m.get("role")), "content": str(m.get("content", ""))}
        for m in history
        if m.get("role") in ("user", "assistant")
    )
    return RequestInput(
        script=screenplay_text(source),
        prompt=prompt,
        history=turns,
        cursor_line=cursor_line(source),
        selection=selected_lines(source),
        source_name=source.name,
        budget=budget_for(prefs, kind),
        templates_dir=templates_folder(),
    )


@dataclass
class DeferredMessages:
    """A request type's messages, built where ``prepare`` is called (the worker thread) from
    what the operator read. ``messages`` holds them afterwards, for the question the
    conversation remembers and the grounding the message names (``job_state.Origin.built``).
    """

    request_type: RequestType
    given: RequestInput
    messages: list[dict] | None = None

    def prepare(self, request: Request) -> Request:
        """``Request.prepare``: the request with its messages (plain data, no ``bpy``)."""
        self.messages = self.request_type.build_messages(self.request_type, self.given)
        return dataclasses.replace(request, messages=self.messages, prepare=None)
