"""``screenwriter.insert_answer``: the latest dialogue or scene description goes into the
screenplay at its cursor, as one undo step, once the writer has read it.

The answer is the text of its output Text datablock ("Screenwriter Dialogue" or "Screenwriter
Scene"), so whatever the writer changed there is what goes in. It becomes a block of its own:
blank lines are added around it where the screenplay has none at the cursor (Fountain needs
them), and every character already in the screenplay stays, in order. A selection is not
replaced: the answer goes in at the cursor end (``current_line_index``/``current_character``).

Blender counts the cursor in characters but ``Text.cursor_set`` takes a UTF-8 byte offset, so
the cursor is converted before it is set: on a line with accents, CJK or emoji the answer
lands exactly at the cursor. ``Text.write`` moves the cursor to the end of the text; it is put
back at the end of the inserted answer (``select_set`` counts characters). The button greys
out with the reason (``poll()``) while there is nothing to insert.
"""

from __future__ import annotations

import bpy
from bpy.props import EnumProperty, StringProperty

from .. import bridge
from ..grounding import screenplay_text
from ..request_types import REQUEST_TYPES
from ..text_normalize import normalize
from .requests import find_source_text, from_a_panel

__all__ = ["INSERTABLE", "classes", "insertion", "latest_answer"]

# The request types whose answer is Fountain to insert (screenplay.KINDS[kind].inserts; the
# real-Blender test checks the two agree, so the button's poll() need not import screenplay/).
INSERTABLE = ("dialogue", "description")
_NAMES = {"dialogue": "dialogue", "description": "scene description"}
_OUTPUTS = frozenset(t.output_text for t in REQUEST_TYPES.values())


def insertion(before: str, answer: str, after: str) -> str:
    """What to write between ``before`` and ``after`` (the text on either side of the cursor,
    or at least its last and first two lines) so that ``answer``, stripped, stands as a block
    of its own: a blank line on each side where the text has none, and nothing added where
    only line breaks lie between the cursor and the start or the end of the text."""
    body = normalize(answer).strip()  # what a Text can hold: LF line ends, no NUL
    before_breaks = len(before) - len(before.rstrip("\n"))
    after_breaks = len(after) - len(after.lstrip("\n"))
    prefix = "\n" * (2 - min(2, before_breaks)) if before.strip("\n") else ""
    suffix = "\n" * (2 - min(2, after_breaks)) if after.strip("\n") else ""
    return prefix + body + suffix


def _kind_of(job: bridge.Job) -> str | None:
    """Which insertable answer a job writes (by its request type, or its text's name)."""
    for kind in INSERTABLE:
        if job.kind == kind or job.text_name == REQUEST_TYPES[kind].output_text:
            return kind
    return None


def latest_answer(choice: str) -> tuple[str, bridge.Job | None]:
    """The kind whose answer to insert and the job that wrote it this session (if any).

    ``choice`` is a kind, or "LATEST": the insertable answer asked for last in this session;
    with none (a file just opened), the first of dialogue, description whose text has text.
    """
    jobs = [j for j in bridge.jobs() if not j.is_query and _kind_of(j) is not None]
    if choice != "LATEST":
        mine = [j for j in jobs if _kind_of(j) == choice]
        return choice, (mine[-1] if mine else None)
    if jobs:
        return _kind_of(jobs[-1]) or INSERTABLE[0], jobs[-1]
    for kind in INSERTABLE:
        text = bpy.data.texts.get(REQUEST_TYPES[kind].output_text)
        if text is not None and screenplay_text(text).strip():
            return kind, None
    return INSERTABLE[0], None


def refusal(context: bpy.types.Context, source: str = "", answer: str = "LATEST") -> str | None:
    """Why nothing can be inserted now (None when it can): the sentence the greyed-out
    button's tooltip and the operator's refusal both say."""
    text = find_source_text(context, source)
    if text is None:
        where = f"No text named '{source}'" if source else "No screenplay found"
        return (
            f"{where}: open your screenplay in the Text Editor, or pick it in the "
            "Screenwriter panel."
        )
    if text.name in _OUTPUTS:
        return f"'{text.name}' holds an answer, not the screenplay: pick your screenplay."
    kind, job = latest_answer(answer)
    name = job.text_name if job is not None else REQUEST_TYPES[kind].output_text
    what = _NAMES[kind]
    if job is not None and job.active:
        return (
            f"The {what} is still streaming into '{name}': wait for it to finish (or cancel "
            "it), then insert it."
        )
    found = bpy.data.texts.get(name)
    if found is None or not screenplay_text(found).strip():
        return f"No {what} to insert yet: click {REQUEST_TYPES[kind].label} first."
    return None


class SCREENWRITER_OT_insert_answer(bpy.types.Operator):
    bl_idname = "screenwriter.insert_answer"
    bl_label = "Insert Answer"
    bl_description = (
        "Put the latest dialogue or scene description into the screenplay at its cursor "
        "(one undo step; nothing else in the screenplay changes)"
    )
    bl_options = {"REGISTER", "UNDO"}

    source: StringProperty(
        name="Screenplay",
        description="Name of the Text datablock holding the screenplay (empty: the active one)",
        options={"SKIP_SAVE"},
    )
    answer: EnumProperty(
        name="Answer",
        description="Which answer to insert",
        items=(
            ("LATEST", "Latest", "The dialogue or description that was asked for last"),
            ("dialogue", "Dialogue", "The text of 'Screenwriter Dialogue'"),
            ("description", "Description", "The text of 'Screenwriter Scene'"),
        ),
        default="LATEST",
        options={"SKIP_SAVE"},
    )

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        # A script may name the screenplay with ``source``, which poll() cannot see.
        problem = refusal(context) if from_a_panel(context) else None
        if problem:
            cls.poll_message_set(problem)
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        problem = refusal(context, self.source, self.answer)
        if problem:
            self.report({"ERROR"}, problem)
            return {"CANCELLED"}
        source = find_source_text(context, self.source)
        kind, job = latest_answer(self.answer)
        name = job.text_name if job is not None else REQUEST_TYPES[kind].output_text
        answer = screenplay_text(bpy.data.texts[name])
        what = _NAMES[kind]

        row, column = source.current_line_index, source.current_character
        try:
            near = [
                source.lines[i].body
                for i in range(max(0, row - 2), min(len(source.lines), row + 3))
            ]
        except UnicodeDecodeError:
            self.report(
                {"ERROR"},
                f"A line near line {row + 1} of '{source.name}' holds bytes that are not "
                "UTF-8: move the cursor elsewhere.",
            )
            return {"CANCELLED"}
        at = row - max(0, row - 2)
        line = near[at]
        # Two lines either side tell how many line breaks already surround the cursor.
        before = "\n".join([*near[:at], line[:column]])
        after = "\n".join([line[column:], *near[at + 1 :]])
        written = insertion(before, answer, after)
        # cursor_set takes a UTF-8 byte offset; current_character counts characters.
        source.cursor_set(row, character=len(line[:column].encode("utf-8")))
        source.write(written)  # Text.write leaves the cursor at the end of the whole text
        block = written.rstrip("\n")  # the cursor goes to the end of the answer instead
        end_row = row + block.count("\n")
        end_column = column + len(block) if "\n" not in block else len(block.rsplit("\n", 1)[1])
        source.select_set(end_row, end_column, end_row, end_column)  # counts characters
        ended_early = job is not None and job.state in ("failed", "cancelled")
        note = f" (its request ended {job.state}: it may be incomplete)" if ended_early else ""
        count = written.strip("\n").count("\n") + 1
        self.report(
            {"INFO"},
            f"Inserted the {what} ({count} line{'s' if count != 1 else ''}) into "
            f"'{source.name}' at line {row + 1}{note}.",
        )
        return {"FINISHED"}


classes = (SCREENWRITER_OT_insert_answer,)
