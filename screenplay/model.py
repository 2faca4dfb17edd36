"""The parsed screenplay: scenes with their line spans, who speaks, and how long it runs.

``parse(text)`` is cached per text content, so every click of a request button, a redraw of
the panel and the markers operator share one parse of an unchanged script.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from .fountain import Element, Kind, tokenize
from .timing import element_seconds

__all__ = ["Scene", "Screenplay", "parse"]


@dataclass(frozen=True, slots=True)
class Scene:
    """One scene: its heading and everything up to the next heading.

    ``number`` counts from 1 in script order; ``heading`` is as written, without a forcing
    ``.``; ``line``/``end_line`` are the 1-based heading line and the scene's last line
    (inclusive; the scene owns the blank lines, notes and sections before the next heading).
    ``start_seconds`` is when the scene begins on screen, ``seconds`` how long it runs (both by
    the page rule of ``timing``). ``scene_number`` is the writer's own ``#12A#`` label, if any.
    """

    number: int
    heading: str
    line: int
    end_line: int
    characters: tuple[str, ...]
    seconds: float
    start_seconds: float
    elements: tuple[Element, ...] = field(repr=False)
    text: str = field(repr=False)
    scene_number: str = ""

    @property
    def label(self) -> str:
        """How prompts and breakdowns name the scene: its number and heading."""
        return f"{self.number}. {self.heading}"

    def dialogue(self) -> Iterator[Element]:
        """The dialogue blocks of the scene, in order."""
        return (e for e in self.elements if e.kind == Kind.DIALOGUE)


@dataclass(frozen=True, slots=True)
class Screenplay:
    """A parsed screenplay (``parse`` builds it; never changed afterwards).

    ``characters`` are the speaking characters (cue names without extensions) in order of
    first appearance, a prologue before the first heading included; ``elements`` every element
    in order, ``title`` the title page's ``key: value`` lines (keys in lower case),
    ``line_count`` the number of lines as Blender counts them.
    """

    scenes: tuple[Scene, ...]
    characters: tuple[str, ...]
    seconds: float
    elements: tuple[Element, ...] = field(repr=False)
    title: dict[str, str] = field(repr=False)
    lines: tuple[str, ...] = field(repr=False)
    _starts: tuple[int, ...] = field(repr=False)

    @property
    def line_count(self) -> int:
        """Lines of the text as Blender counts them (a final line break adds an empty one)."""
        return len(self.lines)

    def scene_at(self, line: int) -> Scene | None:
        """The scene holding 1-based ``line``; None before the first heading (or for no line of
        the text). Blender's ``Text.current_line_index`` is 0-based: pass it plus one."""
        if line < 1 or line > len(self.lines) or not self.scenes:
            return None
        index = bisect.bisect_right(self._starts, line) - 1
        return self.scenes[index] if index >= 0 else None

    def scenes_between(self, first_line: int, last_line: int) -> tuple[Scene, ...]:
        """The scenes that share at least one line with the 1-based range (a selection)."""
        low, high = sorted((first_line, last_line))
        return tuple(s for s in self.scenes if s.line <= high and s.end_line >= low)

    def text_between(self, first_line: int, last_line: int) -> str:
        """The text of the 1-based inclusive line range, lines joined by LF."""
        low, high = sorted((first_line, last_line))
        return "\n".join(self.lines[max(low, 1) - 1 : max(high, 0)])

    def speeches(self, character: str, before_line: int | None = None) -> list[Element]:
        """The dialogue blocks of ``character`` (a cue name as in ``characters``), in order,
        only those starting before ``before_line`` when given."""
        limit = before_line if before_line is not None else len(self.lines) + 1
        return [
            e
            for e in self.elements
            if e.kind == Kind.DIALOGUE and e.character == character and e.line < limit
        ]


def _title(elements: tuple[Element, ...]) -> dict[str, str]:
    if not elements or elements[0].kind != Kind.TITLE:
        return {}
    title: dict[str, str] = {}
    key = ""
    for line in elements[0].text.split("\n"):
        head, colon, value = line.partition(":")
        if colon and head.strip() and not line[:1].isspace():
            key = head.strip().lower()
            title[key] = value.strip()
        elif key:
            title[key] = (title[key] + "\n" + line.strip()).strip()
    return title


def _build(text: str) -> Screenplay:
    elements, line_count = tokenize(text)
    lines = tuple(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    assert len(lines) == line_count
    heading_indexes = [i for i, e in enumerate(elements) if e.kind == Kind.HEADING]
    scenes: list[Scene] = []
    speakers: dict[str, None] = {}
    first = heading_indexes[0] if heading_indexes else len(elements)
    elapsed = 0.0
    for element in elements[:first]:
        elapsed += element_seconds(element)
        if element.kind == Kind.DIALOGUE:
            speakers.setdefault(element.character)
    for position, index in enumerate(heading_indexes):
        following = heading_indexes[position + 1] if position + 1 < len(heading_indexes) else None
        own = elements[index : following if following is not None else len(elements)]
        heading = own[0]
        end_line = elements[following].line - 1 if following is not None else line_count
        cast: dict[str, None] = {}
        for element in own:
            if element.kind == Kind.DIALOGUE:
                cast.setdefault(element.character)
                speakers.setdefault(element.character)
        seconds = sum(element_seconds(e) for e in own)
        scenes.append(
            Scene(
                number=position + 1,
                heading=heading.text,
                line=heading.line,
                end_line=end_line,
                characters=tuple(cast),
                seconds=seconds,
                start_seconds=elapsed,
                elements=own,
                text="\n".join(lines[heading.line - 1 : end_line]),
                scene_number=heading.scene_number,
            )
        )
        elapsed += seconds
    return Screenplay(
        scenes=tuple(scenes),
        characters=tuple(speakers),
        seconds=elapsed,
        elements=elements,
        title=_title(elements),
        lines=lines,
        _starts=tuple(s.line for s in scenes),
    )


@functools.lru_cache(maxsize=8)
def _cached(text: str) -> Screenplay:
    return _build(text)


def parse(text: str) -> Screenplay:
    """Parse Fountain ``text`` (any string: it never raises). The same text content gives the
    same, cached ``Screenplay``; the cache keeps the last eight texts."""
    if not isinstance(text, str):
        raise TypeError(f"parse() takes the screenplay as str, not {type(text).__name__}")
    return _cached(text)
