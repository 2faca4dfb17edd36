"""The script analysis: its JSON Schema, the requests that ask for it, checking and repairing
the answer, merging the answers of a long script's parts, and the readable breakdown.

The whole screenplay is analysed, never a cut of it: in one request when it fits the model's
context window, else in parts of whole scenes (each with the outline of all scenes), whose
answers ``merge_analyses`` joins. ``jsonschema`` is imported only when an answer is checked,
which the worker thread does, so Blender's main thread never pays for loading it.

    plan = plan_analysis(text, limits=model_limits(model_info_json, model))
    for chunk in plan.chunks:                       # one request each (+ chunk.params)
        check = chunk.check(answer)                 # on the worker thread
        if not check.ok:                            # once: the repair request
            messages = repair_messages(chunk.messages, answer, check.errors)
    result = merge_analyses(valid_answers)          # == the one answer when there is one part
    text = render_analysis(result, parse(text))
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .context import _ranges, _section, _shorten_around, format_duration, outline
from .model import Screenplay, parse
from .templates import render_template
from .tokens import message_tokens, text_tokens

__all__ = [
    "ANSWER_TOKENS_FIXED",
    "ANSWER_TOKENS_PER_SCENE",
    "DEFAULT_MAX_INPUT_TOKENS",
    "DEFAULT_MAX_OUTPUT_TOKENS",
    "SCHEMA_FILE",
    "AnalysisCheck",
    "AnalysisChunk",
    "AnalysisPlan",
    "ModelLimits",
    "check_answer",
    "load_schema",
    "merge_analyses",
    "model_limits",
    "plan_analysis",
    "render_analysis",
    "repair_messages",
    "response_format",
    "schema_for",
    "validate_analysis",
]

SCHEMA_FILE = Path(__file__).resolve().parent / "analysis.schema.json"
# For a model LiteLLM's /model/info does not know: a context most current models (and local
# ones served with a 32k context) accept, and an answer length most of them allow.
DEFAULT_MAX_INPUT_TOKENS = 32_768
DEFAULT_MAX_OUTPUT_TOKENS = 4_096
# What one answer costs: the script-level fields, and each scene's summary/purpose/conflict.
ANSWER_TOKENS_FIXED = 800
ANSWER_TOKENS_PER_SCENE = 70
_PROMPT_RESERVE = 600  # system prompt, instruction, schema note and framing
MAX_ERRORS_SHOWN = 20
_STRICT_UNSUPPORTED = ("minLength", "minimum", "patternProperties", "$schema", "$id")


# -- the model's limits -------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelLimits:
    """What the model accepts: its context (``max_input_tokens``), answer length and whether
    it takes ``response_format: json_schema`` (None: LiteLLM does not say). ``known`` is False
    when these are the documented defaults."""

    max_input_tokens: int = DEFAULT_MAX_INPUT_TOKENS
    max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS
    supports_json_schema: bool | None = None
    known: bool = False


def model_limits(model_info: Any, model: str) -> ModelLimits:
    """The limits of ``model`` from the JSON of LiteLLM's ``GET /model/info`` (``{"data":
    [{"model_name", "model_info": {"max_input_tokens", ...}}]}``); the defaults for a model it
    does not list or a body of another shape."""
    entries = model_info.get("data") if isinstance(model_info, Mapping) else None
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, Mapping) or entry.get("model_name") != model:
            continue
        info = entry.get("model_info")
        if not isinstance(info, Mapping):
            break

        def positive(key: str, default: int, info: Mapping = info) -> int:
            value = info.get(key)
            return value if isinstance(value, int) and value > 0 else default

        schema = info.get("supports_response_schema")
        return ModelLimits(
            max_input_tokens=positive("max_input_tokens", DEFAULT_MAX_INPUT_TOKENS),
            max_output_tokens=positive("max_output_tokens", DEFAULT_MAX_OUTPUT_TOKENS),
            supports_json_schema=schema if isinstance(schema, bool) else None,
            known=isinstance(info.get("max_input_tokens"), int),
        )
    return ModelLimits()


# -- the schema ---------------------------------------------------------------------------------


@functools.cache
def load_schema() -> dict[str, Any]:
    """The analysis JSON Schema shipped in this package (a fresh copy is not made: treat it as
    read-only; ``schema_for`` returns copies)."""
    return json.loads(SCHEMA_FILE.read_text("utf-8"))


def schema_for(scene_numbers: Iterable[int]) -> dict[str, Any]:
    """The schema with ``scenes`` narrowed to exactly these scene numbers, every one required."""
    schema = copy.deepcopy(load_schema())
    scenes = schema["properties"]["scenes"]
    numbers = [str(n) for n in scene_numbers]
    scenes.pop("patternProperties", None)
    scenes["properties"] = {n: {"$ref": "#/$defs/scene"} for n in numbers}
    scenes["required"] = numbers
    return schema


def _wire(node: Any) -> Any:
    """``node`` without the keywords strict structured outputs refuse (checked locally)."""
    if isinstance(node, dict):
        return {k: _wire(v) for k, v in node.items() if k not in _STRICT_UNSUPPORTED}
    if isinstance(node, list):
        return [_wire(v) for v in node]
    return node


def response_format(scene_numbers: Iterable[int], structured: bool = True) -> dict[str, Any]:
    """``response_format`` for the request: the narrowed schema as ``json_schema`` (strict),
    or plain JSON mode (``json_object``) for a model that does not take a schema; the prompt
    then carries the schema (``plan_analysis`` does that)."""
    if not structured:
        return {"type": "json_object"}
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "script_analysis",
            "strict": True,
            "schema": _wire(schema_for(scene_numbers)),
        },
    }


# -- planning the requests ----------------------------------------------------------------------


@dataclass(frozen=True)
class AnalysisChunk:
    """One request of the analysis: its messages, the scenes it covers (their entries are
    required in its answer), its estimated prompt tokens and extra request fields."""

    index: int
    count: int
    scenes: tuple[int, ...]
    messages: list[dict[str, str]]
    tokens: int
    params: dict[str, Any]
    scene_count: int = 0

    def check(self, answer: str) -> AnalysisCheck:
        """The answer to this chunk, checked (on the worker thread: it loads jsonschema)."""
        return check_answer(answer, self.scenes, self.scene_count)


@dataclass(frozen=True)
class AnalysisPlan:
    """The requests that together analyse the whole screenplay (one when it fits)."""

    chunks: tuple[AnalysisChunk, ...]
    structured: bool
    limits: ModelLimits
    notes: tuple[str, ...] = field(default=())

    @property
    def tokens(self) -> int:
        """Estimated prompt tokens of all the requests together."""
        return sum(c.tokens for c in self.chunks)


def _groups(screenplay: Screenplay, room: int, per_request: int) -> list[list[int]]:
    """Scene indexes in consecutive groups whose text fits ``room`` tokens and whose answers
    fit (at most ``per_request`` scenes)."""
    groups: list[list[int]] = [[]]
    used = 0
    for index, scene in enumerate(screenplay.scenes):
        cost = text_tokens(scene.text) + 8
        if groups[-1] and (used + cost > room or len(groups[-1]) >= per_request):
            groups.append([])
            used = 0
        groups[-1].append(index)
        used += cost
    return groups if groups[0] else []


def plan_analysis(
    text: str | Screenplay,
    *,
    limits: ModelLimits | None = None,
    templates_dir: str | Path | None = None,
) -> AnalysisPlan:
    """The analysis requests for the whole screenplay within the model's ``limits``.

    One request when the screenplay, the instructions and the expected answer fit; else parts
    of whole consecutive scenes, each with the outline of every scene (so each part knows the
    story around it). A single scene larger than the whole context is shortened around its
    middle with the cut marked in the text and in ``notes``: the only case anything is left
    out, and never silently.
    """
    screenplay = text if isinstance(text, Screenplay) else parse(text)
    limits = limits or ModelLimits()
    structured = limits.supports_json_schema is not False
    title = screenplay.title.get("title", "")
    scenes = screenplay.scenes
    first_line = scenes[0].line if scenes else len(screenplay.lines) + 1
    prologue_start = _body_start(screenplay)
    prologue = screenplay.text_between(prologue_start, first_line - 1).strip()
    answer_room = max(
        1, (limits.max_output_tokens - ANSWER_TOKENS_FIXED) // ANSWER_TOKENS_PER_SCENE
    )
    outline_tokens = text_tokens(outline(screenplay)) + 20
    schema_tokens = 0 if structured else text_tokens(json.dumps(_wire(schema_for(
        range(1, len(scenes) + 1)))))  # fmt: skip
    fixed = _PROMPT_RESERVE + schema_tokens + text_tokens(prologue)
    whole = sum(text_tokens(s.text) + 8 for s in scenes)
    notes: list[str] = []
    if fixed + whole <= limits.max_input_tokens and len(scenes) <= answer_room:
        groups = [list(range(len(scenes)))]
    else:
        room = max(limits.max_input_tokens - fixed - outline_tokens, 1)
        groups = _groups(screenplay, room, answer_room)
        even = -(-len(scenes) // max(len(groups), 1))  # the same number of scenes in each part
        balanced = _groups(screenplay, room, min(answer_room, even))
        if len(balanced) == len(groups):
            groups = balanced
    chunks = []
    for number, group in enumerate(groups or [[]], start=1):
        chunk_scenes = [scenes[i] for i in group]
        numbers = tuple(s.number for s in chunk_scenes)
        split = len(groups) > 1
        room = limits.max_input_tokens - fixed - (outline_tokens if split else 0)
        bodies = []
        for scene in chunk_scenes:
            body, cut = _shorten_around(scene.text, room, scene.text.count("\n") // 2)
            if cut:
                notes.append(f"scene {scene.number} is longer than the model's context: {cut}")
            bodies.append(_section(f"SCENE {scene.number}", body))
        part_note = (
            f" (part {number} of {len(groups)}: scenes {_ranges(numbers)} are shown in full, "
            "the outline gives every scene; analyse the whole story as far as the outline "
            "shows it, and give scene entries for the scenes shown in full)"
            if split
            else ""
        )
        values = {
            "part_note": part_note,
            "scene_numbers": _ranges(numbers) or "(none: the screenplay has no scene heading)",
            "schema_note": ""
            if structured
            else "The JSON Schema the answer must match:\n"
            + json.dumps(_wire(schema_for(numbers)), separators=(",", ":")),
            "title": title,
            "question": "",
            "scene_label": "",
            "scene_number": "",
            "cursor_line": "",
        }
        system = render_template("system", values, templates_dir)
        context = [system, f"# THE SCREENPLAY{': ' + title if title else ''}"]
        if split:
            context.append(_section("OUTLINE (scene number. heading | who speaks | running time)",
                                    outline(screenplay)))  # fmt: skip
        if prologue and number == 1:
            context.append(_section("BEFORE THE FIRST SCENE", prologue))
        context += bodies
        messages = [
            {"role": "system", "content": "\n\n".join(context)},
            {"role": "user", "content": render_template("analysis", values, templates_dir)},
        ]
        chunks.append(
            AnalysisChunk(
                index=number - 1,
                count=len(groups) or 1,
                scenes=numbers,
                messages=messages,
                tokens=message_tokens(messages),
                params={"response_format": response_format(numbers, structured)},
                scene_count=len(scenes),
            )
        )
    return AnalysisPlan(tuple(chunks), structured, limits, tuple(notes))


def _body_start(screenplay: Screenplay) -> int:
    """The first line after the title page."""
    elements = screenplay.elements
    return elements[0].end_line + 1 if elements and elements[0].kind == "title" else 1


# -- checking and repairing the answer ----------------------------------------------------------


@dataclass(frozen=True)
class AnalysisCheck:
    """The answer as data (None when it is not a JSON object) and what is wrong with it."""

    data: dict[str, Any] | None
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the answer is an object that matches the schema."""
        return self.data is not None and not self.errors


_FENCE = re.compile(r"^\s*```(?:json)?\s*\n?(.*?)\n?```\s*$", re.DOTALL)


def _extract(answer: str) -> tuple[Any, str | None]:
    """The JSON value in ``answer`` (a ``json`` code fence or prose around one object is
    tolerated), or an error sentence."""
    fenced = _FENCE.match(answer)
    body = fenced.group(1) if fenced else answer
    try:
        return json.loads(body), None
    except json.JSONDecodeError as error:
        start, end = body.find("{"), body.rfind("}")
        if 0 <= start < end:
            try:
                return json.loads(body[start : end + 1]), None
            except json.JSONDecodeError:
                pass
        return None, f"the answer is not valid JSON ({error.msg} at line {error.lineno})"


def _where(path: Iterable[Any]) -> str:
    parts = [str(p) for p in path]
    return ".".join(parts) if parts else "the top level"


def validate_analysis(
    data: Any, scene_numbers: Iterable[int], scene_count: int | None = None
) -> list[str]:
    """Readable errors of ``data`` against the schema narrowed to ``scene_numbers``, plus the
    checks a schema cannot state: act and sequence spans go forward and, when ``scene_count``
    (the screenplay's number of scenes) is given, name real scenes. Empty when valid."""
    from jsonschema import Draft202012Validator

    numbers = list(scene_numbers)
    validator = Draft202012Validator(schema_for(numbers))
    errors = [
        f"{_where(e.absolute_path)}: {e.message}"
        for e in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    ]
    if not errors and isinstance(data, dict):
        for position, act in enumerate(data.get("acts", [])):
            spans = [(f"acts.{position}", act)] + [
                (f"acts.{position}.sequences.{i}", s) for i, s in enumerate(act["sequences"])
            ]
            for where, span in spans:
                first, last = span["first_scene"], span["last_scene"]
                if first > last:
                    errors.append(f"{where}: first_scene {first} comes after last_scene {last}")
                if scene_count is not None and last > scene_count:
                    errors.append(
                        f"{where}: the screenplay has scenes 1-{scene_count}, not {first}-{last}"
                    )
    return errors


def check_answer(
    answer: str, scene_numbers: Iterable[int], scene_count: int | None = None
) -> AnalysisCheck:
    """The answer's data and its errors (at most ``MAX_ERRORS_SHOWN``, then a count);
    ``AnalysisChunk.check(answer)`` calls this with the chunk's scenes."""
    data, problem = _extract(answer)
    if problem:
        return AnalysisCheck(None, (problem,))
    if not isinstance(data, dict):
        return AnalysisCheck(None, (f"the answer is a JSON {type(data).__name__}, not an object",))
    errors = validate_analysis(data, scene_numbers, scene_count)
    if len(errors) > MAX_ERRORS_SHOWN:
        errors = [*errors[:MAX_ERRORS_SHOWN], f"… and {len(errors) - MAX_ERRORS_SHOWN} more"]
    return AnalysisCheck(data, tuple(errors))


def repair_messages(
    messages: Sequence[Mapping[str, str]], answer: str, errors: Sequence[str]
) -> list[dict[str, str]]:
    """The one repair request: the original messages, the invalid answer, and the errors."""
    listed = "\n".join(f"- {e}" for e in errors)
    return [
        *(dict(m) for m in messages),
        {"role": "assistant", "content": answer},
        {
            "role": "user",
            "content": "Your answer does not match the required JSON format:\n"
            f"{listed}\nAnswer again with the whole corrected JSON object only, "
            "keeping everything that was right.",
        },
    ]


# -- merging the parts --------------------------------------------------------------------------


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(" ".join(item.split()).casefold(), item)
    return list(seen.values())


def merge_analyses(parts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One analysis from the valid analyses of consecutive parts (pure: no request).

    The logline comes from the first part (which sets the story up), the genre is the one
    most parts name, tones and themes are joined without repeats; acts of the same name become
    one act spanning them all (acts in scene order); characters are joined by name (first
    description, arcs in order); scene entries and lists are joined. One part is returned as
    it is.
    """
    if not parts:
        raise ValueError("merge_analyses needs at least one analysis")
    if len(parts) == 1:
        return copy.deepcopy(dict(parts[0]))
    genres = Counter(p["genre"] for p in parts)
    merged: dict[str, Any] = {
        "logline": parts[0]["logline"],
        "genre": max(genres, key=lambda g: (genres[g], -[p["genre"] for p in parts].index(g))),
        "tone": "; ".join(_unique(p["tone"] for p in parts)),
        "themes": _unique(t for p in parts for t in p["themes"]),
        "acts": [],
        "characters": [],
        "scenes": {},
        "strengths": _unique(s for p in parts for s in p["strengths"]),
        "weaknesses": _unique(s for p in parts for s in p["weaknesses"]),
        "suggestions": _unique(s for p in parts for s in p["suggestions"]),
    }
    for part in parts:
        acts = {a["name"].casefold(): a for a in merged["acts"]}
        for act in part["acts"]:
            same = acts.get(act["name"].casefold())
            if same is None:
                merged["acts"].append(copy.deepcopy(act))
                acts[act["name"].casefold()] = merged["acts"][-1]
                continue
            same["first_scene"] = min(same["first_scene"], act["first_scene"])
            same["last_scene"] = max(same["last_scene"], act["last_scene"])
            same["summary"] = " ".join(_unique([same["summary"], act["summary"]]))
            same["sequences"] += copy.deepcopy(act["sequences"])
        people = {c["name"].casefold(): c for c in merged["characters"]}
        for person in part["characters"]:
            known = people.get(person["name"].casefold())
            if known is None:
                merged["characters"].append(copy.deepcopy(person))
                people[person["name"].casefold()] = merged["characters"][-1]
                continue
            known["description"] = known["description"] or person["description"]
            known["role"] = known["role"] or person["role"]
            arcs = _unique([known["arc"], person["arc"]])
            known["arc"] = " Then: ".join(a for a in arcs if a)
        merged["scenes"].update(copy.deepcopy(part["scenes"]))
    merged["acts"].sort(key=lambda a: (a["first_scene"], a["last_scene"]))
    for act in merged["acts"]:
        act["sequences"].sort(key=lambda q: (q["first_scene"], q["last_scene"]))
    return merged


# -- the readable breakdown ---------------------------------------------------------------------


def _span(first: int, last: int, screenplay: Screenplay | None) -> str:
    scenes = f"scene {first}" if first == last else f"scenes {first}-{last}"
    if screenplay is None or not 1 <= first <= last <= len(screenplay.scenes):
        return scenes
    seconds = sum(s.seconds for s in screenplay.scenes[first - 1 : last])
    return f"{scenes}, {format_duration(seconds)}"


def render_analysis(data: Mapping[str, Any], screenplay: Screenplay | None = None) -> str:
    """The analysis as a breakdown to read in a Text datablock (headings from the parse,
    running times by the page rule, when ``screenplay`` is given)."""
    out = ["SCRIPT ANALYSIS", "=" * 15, ""]
    for key in ("logline", "genre", "tone"):
        if data.get(key):
            out.append(f"{key.capitalize()}: {data[key]}")
    if data.get("themes"):
        out.append(f"Themes: {', '.join(data['themes'])}")
    if screenplay is not None:
        out.append(
            f"Running time: about {format_duration(screenplay.seconds)} "
            f"({len(screenplay.scenes)} scenes)"
        )
    if data.get("acts"):
        out += ["", "STRUCTURE"]
        for act in data["acts"]:
            span = _span(act["first_scene"], act["last_scene"], screenplay)
            out.append(f"- {act['name']} ({span}): {act['summary']}")
            for sequence in act.get("sequences", []):
                span = _span(sequence["first_scene"], sequence["last_scene"], screenplay)
                out.append(f"    - {sequence['name']} ({span}): {sequence['summary']}")
    if data.get("characters"):
        out += ["", "CHARACTERS"]
        for person in data["characters"]:
            out.append(f"- {person['name']} ({person['role']}): {person['description']}")
            if person.get("arc"):
                out.append(f"    Arc: {person['arc']}")
    if data.get("scenes"):
        out += ["", "SCENES"]
        for key in sorted(data["scenes"], key=lambda k: int(k) if k.isdigit() else 0):
            entry = data["scenes"][key]
            heading = ""
            if screenplay is not None and key.isdigit() and 1 <= int(key) <= len(screenplay.scenes):
                heading = f" {screenplay.scenes[int(key) - 1].heading}"
            out.append(f"{key}.{heading}")
            out.append(f"    {entry['summary']}")
            if entry.get("purpose"):
                out.append(f"    Purpose: {entry['purpose']}")
            if entry.get("conflict"):
                out.append(f"    Conflict: {entry['conflict']}")
    for key in ("strengths", "weaknesses", "suggestions"):
        if data.get(key):
            out += ["", key.upper()]
            out += [f"- {item}" for item in data[key]]
    return "\n".join(out) + "\n"
