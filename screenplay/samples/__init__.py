"""Sample screenplays written for this project (no copyrighted text): a short one to read and
demo, and a feature-length one generated from it for budgets and benchmarks.

``the_last_keeper.fountain`` (13 scenes, about 4 pages) has every Fountain feature the parser
handles: a title page, sections and synopses, dual dialogue, a boneyard, a note, forced
headings, action, cue and transition, centered text, lyrics, ``(V.O.)(CONT'D)``, a curly
apostrophe and a non-ASCII capital in character names.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FEATURE_SCENES", "SHORT", "feature_headings", "feature_screenplay", "short_screenplay"]

SHORT = Path(__file__).resolve().parent / "the_last_keeper.fountain"
FEATURE_SCENES = 190  # a feature script's scene count (Big Fish has 190)
_FIRST_YEAR = 1981


def short_screenplay() -> str:
    """The hand-written sample (LF line ends)."""
    return SHORT.read_text("utf-8")


def _scenes(text: str) -> tuple[list[str], list[list[str]]]:
    """The lines before the first scene, and each scene's lines (heading first)."""
    from ..fountain import Kind, tokenize

    elements, _ = tokenize(text)
    lines = text.split("\n")
    starts = [e.line for e in elements if e.kind == Kind.HEADING]
    ends = [*(s - 1 for s in starts[1:]), len(lines)]
    return lines[: starts[0] - 1], [lines[a - 1 : b] for a, b in zip(starts, ends, strict=True)]


def _year_heading(heading: str, year: int) -> str:
    return f"{heading} ({year})"


def feature_headings(scenes: int = FEATURE_SCENES) -> list[str]:
    """The headings ``feature_screenplay(scenes)`` writes, in order."""
    _, parts = _scenes(short_screenplay())
    out = []
    for index in range(scenes):
        heading = parts[index % len(parts)][0]
        heading = heading[1:] if heading.startswith(".") else heading
        out.append(_year_heading(heading, _FIRST_YEAR + index // len(parts)))
    return out


def feature_screenplay(scenes: int = FEATURE_SCENES) -> str:
    """A feature-length screenplay (about 120 pages, 150,000 characters at 190 scenes): the
    short sample's scenes told year after year, each scene's action and dialogue twice, with
    mixed line ends (every fifth year CRLF, every seventh CR, the rest LF) as files from other
    tools have them."""
    head, parts = _scenes(short_screenplay())
    lines: list[tuple[str, str]] = [(line, "\n") for line in head]
    for index in range(scenes):
        part = parts[index % len(parts)]
        year = _FIRST_YEAR + index // len(parts)
        end = "\r\n" if year % 5 == 0 else "\r" if year % 7 == 0 else "\n"
        heading = part[0]
        body = part[1:]
        while body and not body[-1].strip():
            body = body[:-1]
        scene = [_year_heading(heading, year), *body, "", *body[1:], ""]
        lines += [(line, end) for line in scene]
    out = []
    previous = "\n"
    for line, end in lines:
        if previous == "\r" and not line and end == "\n":
            end = "\r"  # CR then an empty LF line would read as one CRLF line break
        out.append(line + end)
        previous = end
    return "".join(out)
