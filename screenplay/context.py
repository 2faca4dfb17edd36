"""Scene-aware prompts within one token budget: what the model sees of the screenplay for a
dialogue, description, suggestions or ask request.

The parts, in the order they claim the budget:
1. the system prompt and the request's instruction (its template, with the writer's question);
2. the conversation so far of this request type, newest turns first, at most a third of the
   budget;
3. the scene holding the cursor, whole (or the selected lines), with the cursor line marked;
4. the outline: one line per scene (number, heading, who speaks, running time);
5. for dialogue, earlier speeches of the characters in the scene;
6. the scenes around it, nearest first, alternating before and after.
A part that does not fit is left out or shortened, and the prompt says so in words (the model
is told which scenes it sees in full), as does ``Prompt.omitted`` for the writer: nothing is
cut without a word.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .fountain import Element
from .kinds import kind_of
from .model import Scene, Screenplay, parse
from .templates import render_template
from .tokens import MESSAGE_OVERHEAD_TOKENS, message_tokens, text_tokens

__all__ = [
    "CURSOR_MARK",
    "HISTORY_SHARE",
    "Prompt",
    "build_prompt",
    "format_duration",
    "outline",
]

CURSOR_MARK = ">>> CURSOR (the writer's cursor is on the next line) <<<"
HISTORY_SHARE = 1 / 3  # of the budget, at most, for the conversation so far
SAMPLE_SHARE = 1 / 4  # of what is left, at most, for the characters' earlier lines
SAMPLES_PER_CHARACTER = 3
SAMPLE_CHARS = 240
_NOTE_TOKENS = 80  # an earlier speech longer than this is quoted up to here, with "…"


@dataclass(frozen=True)
class Prompt:
    """What to send for one request.

    ``messages`` go to ``worker.Request`` as they are; ``tokens`` is their estimate
    (``tokens.message_tokens``), at most ``budget`` unless the instruction and the question
    alone exceed it. ``focus`` is the scene the request is about (None when the text has no
    scene heading), ``scenes`` the scene numbers shown in full, ``omitted`` what was left out
    or shortened, as sentences the panel can show.
    """

    kind: str
    messages: list[dict[str, str]]
    tokens: int
    budget: int
    focus: int | None
    scenes: tuple[int, ...]
    omitted: tuple[str, ...] = field(default=())


def format_duration(seconds: float) -> str:
    """``83.2`` -> ``1:23``; an hour or more -> ``2:05:09``."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _outline_line(scene: Scene, with_cast: bool = True) -> str:
    cast = f" | {', '.join(scene.characters)}" if with_cast and scene.characters else ""
    return f"{scene.number}. {scene.heading}{cast} | {format_duration(scene.seconds)}"


def outline(screenplay: Screenplay, with_cast: bool = True) -> str:
    """One line per scene: ``12. INT. LAMP ROOM - NIGHT | MAREN, TOMAS | 0:45``."""
    return "\n".join(_outline_line(s, with_cast) for s in screenplay.scenes)


def _section(title: str, body: str) -> str:
    return f"## {title}\n{body.strip()}"


def _marked(scene: Scene, line: int | None) -> str:
    """The scene's text with the cursor line marked (when it is in the scene)."""
    if line is None or not scene.line <= line <= scene.end_line:
        return scene.text
    lines = scene.text.split("\n")
    at = line - scene.line
    return "\n".join([*lines[:at], CURSOR_MARK, *lines[at:]])


def _shorten_around(text: str, tokens: int, anchor: int) -> tuple[str, str]:
    """``text`` cut to about ``tokens`` around line index ``anchor``, with the cut marked in
    the text; and the note saying what was cut ("" when it fitted)."""
    if text_tokens(text) <= tokens:
        return text, ""
    lines = text.split("\n")
    low = high = max(0, min(anchor, len(lines) - 1))
    used = text_tokens(lines[low]) + 1
    while True:
        grown = False
        for candidate in (high + 1, low - 1):
            if 0 <= candidate < len(lines):
                cost = text_tokens(lines[candidate]) + 1
                if used + cost > tokens:
                    continue
                used += cost
                low, high = min(low, candidate), max(high, candidate)
                grown = True
        if not grown:
            break
    kept = lines[low : high + 1]
    if low > 0:
        kept.insert(0, f"[… {low} lines before this point left out: over the token budget …]")
    if high < len(lines) - 1:
        kept.append(
            f"[… {len(lines) - 1 - high} lines after this point left out: over the budget …]"
        )
    note = f"lines {low + 1}-{high + 1} of {len(lines)} shown"
    return "\n".join(kept), note


def _samples(screenplay: Screenplay, scene: Scene, budget: int) -> tuple[str, list[str]]:
    """Earlier speeches of the scene's characters (most recent first), within ``budget``."""
    blocks, left, skipped = [], budget, []
    for name in scene.characters:
        speeches: list[Element] = screenplay.speeches(name, before_line=scene.line)[
            -SAMPLES_PER_CHARACTER:
        ]
        if not speeches:
            continue
        quoted = []
        for speech in reversed(speeches):
            words = " ".join(speech.text.split())
            if len(words) > SAMPLE_CHARS:
                words = words[:SAMPLE_CHARS].rsplit(" ", 1)[0] + " …"
            source = screenplay.scene_at(speech.line)
            where = f" (scene {source.number})" if source else ""
            quoted.append(f"- {words}{where}")
        block = f"{name}:\n" + "\n".join(quoted)
        cost = text_tokens(block) + 1
        if cost > left:
            skipped.append(name)
            continue
        blocks.append(block)
        left -= cost
    return "\n".join(blocks), skipped


def _history(history: Sequence[Mapping[str, str]], budget: int) -> list[dict[str, str]]:
    """The newest turns of ``history`` that fit ``budget``, never starting with an answer."""
    turns = [
        {"role": str(t.get("role")), "content": str(t.get("content", ""))}
        for t in history
        if t.get("role") in ("user", "assistant")
    ]
    kept: list[dict[str, str]] = []
    used = 0
    for turn in reversed(turns):
        cost = message_tokens([turn])
        if used + cost > budget:
            break
        kept.insert(0, turn)
        used += cost
    while kept and kept[0]["role"] == "assistant":
        kept.pop(0)
    return kept


def _focus_scene(screenplay: Screenplay, line: int | None) -> Scene | None:
    if not screenplay.scenes:
        return None
    if line is None:
        return screenplay.scenes[-1]  # no cursor: the scene the screenplay ends on
    return screenplay.scene_at(line) or screenplay.scenes[0]


def build_prompt(
    kind: str,
    text: str | Screenplay,
    *,
    line: int | None = None,
    selection: tuple[int, int] | None = None,
    question: str = "",
    history: Sequence[Mapping[str, str]] = (),
    budget: int | None = None,
    templates_dir: str | Path | None = None,
) -> Prompt:
    """The messages for a ``dialogue``, ``description``, ``suggestions`` or ``ask`` request
    (kind or command-line verb) about the screenplay ``text``.

    ``line`` is the 1-based cursor line (Blender: ``Text.current_line_index + 1``); without
    one the request is about the last scene. ``selection`` is a 1-based inclusive line range
    the writer selected: those lines are the focus instead of the cursor's scene. ``history``
    is this request type's conversation so far (user/assistant turns). ``budget`` defaults to
    the type's (``kinds.DEFAULT_BUDGET``); ``templates_dir`` is the writer's override folder.
    """
    request = kind_of(kind)
    if request.structured:
        raise ValueError("the analysis is built by analysis.plan_analysis(), not build_prompt()")
    screenplay = text if isinstance(text, Screenplay) else parse(text)
    limit = budget if budget is not None else request.budget or 0
    if selection is not None:
        low, high = sorted(selection)
        line = low
    scene = _focus_scene(screenplay, line)
    values = {
        "scene_label": scene.label if scene else "(the screenplay has no scene heading yet)",
        "scene_number": scene.number if scene else "",
        "cursor_line": line or "",
        "question": question.strip(),
        "title": screenplay.title.get("title", ""),
    }
    system = render_template("system", values, templates_dir)
    instruction = render_template(request.kind, values, templates_dir)
    fixed = message_tokens([{"content": system}, {"content": instruction}])
    omitted: list[str] = []

    past = _history(history, int(limit * HISTORY_SHARE))
    if len(past) < len(history):
        omitted.append(f"{len(history) - len(past)} older conversation turns (over the budget)")
    # the title line and the note on what is shown take about this much
    left = limit - fixed - message_tokens(past) - 2 * MESSAGE_OVERHEAD_TOKENS - _NOTE_TOKENS

    parts: dict[str, str] = {}
    shown: list[Scene] = []
    # 3. the focus
    if selection is not None:
        focus_text = screenplay.text_between(low, high)
        focus_title = f"THE SELECTED LINES {low}-{high}"
        anchor = 0
    elif scene is not None:
        focus_text = _marked(scene, line)
        focus_title = f"SCENE {scene.number} (the scene the request is about)"
        anchor = (line - scene.line) if line is not None and line >= scene.line else 0
        shown.append(scene)
    else:
        focus_text = "\n".join(screenplay.lines)
        focus_title = "THE SCREENPLAY SO FAR"
        anchor = len(screenplay.lines) - 1 if line is None else line - 1
    focus_text, cut = _shorten_around(focus_text, max(left * 3 // 5, 0), anchor)
    if cut:
        omitted.append(f"part of the focus ({cut})")
    parts["focus"] = _section(focus_title, focus_text)
    left -= text_tokens(parts["focus"]) + 1

    # 4. the outline
    if screenplay.scenes:
        for with_cast in (True, False):
            body = outline(screenplay, with_cast)
            if text_tokens(body) + 20 <= left // 2 or not with_cast:
                break
        if text_tokens(body) + 20 <= left:
            parts["outline"] = _section(
                "OUTLINE (scene number. heading | who speaks | running time)", body
            )
            left -= text_tokens(parts["outline"]) + 1
            if not with_cast:
                omitted.append("who speaks in each scene, from the outline")
        else:
            omitted.append("the outline (over the budget)")

    # 5. the characters' earlier lines
    if request.kind == "dialogue" and scene is not None and scene.characters:
        body, skipped = _samples(screenplay, scene, int(left * SAMPLE_SHARE))
        if body:
            parts["samples"] = _section("EARLIER LINES OF THE CHARACTERS IN THIS SCENE", body)
            left -= text_tokens(parts["samples"]) + 1
        if skipped:
            omitted.append(f"earlier lines of {', '.join(skipped)} (over the budget)")

    # 6. the scenes around it
    before: list[str] = []
    after: list[str] = []
    if scene is not None:
        index = scene.number - 1
        for distance in range(1, len(screenplay.scenes)):
            progressed = False
            for neighbour, into in ((index - distance, before), (index + distance, after)):
                if not 0 <= neighbour < len(screenplay.scenes):
                    continue
                progressed = True
                other = screenplay.scenes[neighbour]
                block = _section(f"SCENE {other.number}", other.text)
                cost = text_tokens(block) + 1
                if cost <= left - 40:
                    (into.insert(0, block) if into is before else into.append(block))
                    shown.append(other)
                    left -= cost
            if not progressed or left < 80:
                break
    while True:
        prompt = _assemble(
            request.kind, screenplay, system, instruction, past, parts, before, after, shown,
            scene, limit, omitted, values["title"],
        )  # fmt: skip
        if prompt.tokens <= limit or not (before or after):
            return prompt
        # the estimate of the joined text ran over by a few tokens: drop the farthest scene
        far = before if len(before) > len(after) else after
        block = far.pop(0 if far is before else -1)
        shown = [s for s in shown if _section(f"SCENE {s.number}", s.text) != block]


def _assemble(
    kind: str,
    screenplay: Screenplay,
    system: str,
    instruction: str,
    past: list[dict[str, str]],
    parts: dict[str, str],
    before: list[str],
    after: list[str],
    shown: list[Scene],
    scene: Scene | None,
    limit: int,
    omitted: list[str],
    title: str,
) -> Prompt:
    numbers = tuple(sorted(s.number for s in shown))
    notes = list(omitted)
    if screenplay.scenes:
        if len(numbers) < len(screenplay.scenes):
            notes.append(
                f"{len(screenplay.scenes) - len(numbers)} of {len(screenplay.scenes)} scenes "
                "in full (they are in the outline)"
            )
        note = f"You see these scenes in full: {_ranges(numbers) or 'none'}."
        if len(numbers) < len(screenplay.scenes):
            note += (
                " Every other scene appears only as its outline line: do not invent what "
                "happens in them."
            )
    else:
        note = "The screenplay has no scene heading yet."
    context = [
        system,
        f"# THE SCREENPLAY{': ' + title if title else ''}",
        note,
        parts.get("outline", ""),
        parts.get("samples", ""),
        *before,
        parts["focus"],
        *after,
    ]
    messages = [
        {"role": "system", "content": "\n\n".join(p for p in context if p)},
        *past,
        {"role": "user", "content": instruction},
    ]
    return Prompt(
        kind=kind,
        messages=messages,
        tokens=message_tokens(messages),
        budget=limit,
        focus=scene.number if scene else None,
        scenes=numbers,
        omitted=tuple(notes),
    )


def _ranges(numbers: Sequence[int]) -> str:
    """``(1, 2, 3, 7)`` -> ``"1-3, 7"``."""
    out: list[str] = []
    for number in numbers:
        if out and out[-1].split("-")[-1] == str(number - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{number}"
        else:
            out.append(str(number))
    return ", ".join(out)
