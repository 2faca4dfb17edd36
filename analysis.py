"""Turn the model's JSON script analysis into a breakdown a screenwriter reads at a glance.

Pure Python (no ``bpy``). The JSON's shape (``logline``, ``genre``, ``tone`` as text; the
strengths, weaknesses, suggestions, structure and characters as lists) is checked here in plain
code, so a model that drifts from the format gets a clear message and the raw answer stays in
the text.
"""

from __future__ import annotations

import json
import re

__all__ = ["parse_analysis", "render_analysis"]

_LIST_FIELDS = ("strengths", "weaknesses", "suggestions")


def parse_analysis(answer: str) -> dict:
    """The analysis object inside the answer (tolerating a ```json fence or prose around it)."""
    match = re.search(r"\{.*\}", answer, re.DOTALL)
    if match is None:
        raise ValueError("The analysis has no JSON object; the raw answer is kept.")
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"The analysis is not valid JSON ({exc.msg}); the raw answer is kept."
        ) from exc
    if not isinstance(data, dict):
        raise ValueError("The analysis is not a JSON object; the raw answer is kept.")
    problems = [
        f"'{k}' should be text"
        for k in ("logline", "genre", "tone")
        if not isinstance(data.get(k, ""), str)
    ]
    problems += [
        f"'{k}' should be a list"
        for k in (*_LIST_FIELDS, "structure", "characters")
        if not isinstance(data.get(k, []), list)
    ]
    if problems:
        raise ValueError(
            f"The analysis has the wrong shape ({'; '.join(problems)}); the raw answer is kept."
        )
    return data


def render_analysis(answer: str) -> str:
    data = parse_analysis(answer)
    out = ["SCRIPT ANALYSIS", "=" * 15, ""]
    for key in ("logline", "genre", "tone"):
        if data.get(key):
            out.append(f"{key.capitalize()}: {data[key]}")
    if data.get("structure"):
        out += ["", "STRUCTURE"]
        for part in data["structure"]:
            if isinstance(part, dict):
                out.append(f"- {part.get('act', '?')}: {part.get('summary', '')}")
            else:
                out.append(f"- {part}")
    if data.get("characters"):
        out += ["", "CHARACTERS"]
        for person in data["characters"]:
            if isinstance(person, dict):
                line = f"- {person.get('name', '?')} ({person.get('role', '')})"
                if person.get("arc"):
                    line += f": {person['arc']}"
                out.append(line)
            else:
                out.append(f"- {person}")
    for key in _LIST_FIELDS:
        if data.get(key):
            out += ["", key.upper()]
            out += [f"- {item}" for item in data[key]]
    return "\n".join(out) + "\n"
