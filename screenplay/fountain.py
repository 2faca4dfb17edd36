"""Fountain plain text to a flat list of elements, each with the 1-based lines it covers.

Our own line classifier, written to the Fountain 1.1 syntax (fountain.io/syntax) because none
of the published Python parsers gave what a screenwriting assistant needs on real scripts: line
numbers for every element, CRLF and CR line ends, cue names with a curly apostrophe or in any
alphabet's capitals, and ``(V.O.)(CONT'D)`` read as two extensions (docs/screenplay.md has the
evidence). It never raises: any text is a screenplay, at worst one long action.

Where the spec is silent or strict, it does what a writer mid-draft expects:
- a scene heading needs a blank line before it but not after it (a heading followed directly by
  action is still a scene; the spec would read it as a character cue);
- an unclosed ``/*`` or ``[[`` is text, so typing one does not hide the rest of the script;
- lines inside a boneyard or a note are transparent: they neither end a dialogue block nor
  count as blank, and nothing in them is a scene or a cue.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

__all__ = ["LINE_BREAK", "Element", "Kind", "cue_name", "split_lines", "tokenize"]

LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Kind:
    """The element kinds ``tokenize`` yields (plain strings, so they print and compare simply)."""

    TITLE = "title"
    HEADING = "heading"
    ACTION = "action"
    DIALOGUE = "dialogue"  # a whole block: cue, parentheticals and lines
    TRANSITION = "transition"
    CENTERED = "centered"
    LYRICS = "lyrics"
    SECTION = "section"
    SYNOPSIS = "synopsis"
    PAGE_BREAK = "page_break"


@dataclass(frozen=True, slots=True)
class Element:
    """One element of the screenplay.

    ``text`` is the element as written, without its forcing mark, boneyard or notes; for a
    dialogue block it is the lines under the cue (parentheticals included, one per line) and
    ``character`` is the cue's name without extensions, ``extensions`` what stood in
    parentheses after it, ``dual`` whether it is half of a dual dialogue. ``scene_number`` is a
    heading's ``#1A#`` label, if any. ``line`` and ``end_line`` are 1-based and inclusive.
    """

    kind: str
    text: str
    line: int
    end_line: int
    character: str = ""
    extensions: tuple[str, ...] = ()
    dual: bool = False
    scene_number: str = ""


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` as Blender counts them: CRLF, CR and LF each end one line, and a
    text ending in a line break has an empty last line (so ``"a\\n"`` is two lines)."""
    return LINE_BREAK.split(text)


# -- boneyard and notes ---------------------------------------------------------------------------

_BONEYARD = re.compile(r"/\*.*?\*/", re.DOTALL)
# A note may span lines but not an empty one (the spec asks for two spaces on such a line); it
# cannot contain "[[" either, so an unclosed "[[" does not swallow the next note.
_NOTE = re.compile(r"\[\[(?:(?!\[\[|\]\]).)*\]\]", re.DOTALL)
_EMPTY_LINE_INSIDE = re.compile(r"\n[ \t]?(?=\n)")


def _masked_lines(lines: list[str]) -> tuple[list[str], list[bool]]:
    """The lines with boneyard and notes removed, and which lines are transparent (they held
    only boneyard or note text)."""
    joined = "\n".join(lines)
    if "/*" not in joined and "[[" not in joined:
        return lines, [False] * len(lines)
    spans = [m.span() for m in _BONEYARD.finditer(joined)]
    if spans:
        joined = _blank_out(joined, spans)
    notes = [m.span() for m in _NOTE.finditer(joined) if not _EMPTY_LINE_INSIDE.search(m[0])]
    if notes:
        joined = _blank_out(joined, notes)
        spans += notes
    masked = joined.split("\n")
    touched = [False] * len(lines)
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    for begin, end in spans:
        first = bisect.bisect_right(starts, begin) - 1
        last = bisect.bisect_right(starts, max(begin, end - 1)) - 1
        for index in range(first, last + 1):
            touched[index] = True
    transparent = [
        touched[i] and not masked[i].strip() and bool(lines[i].strip()) for i in range(len(lines))
    ]
    return masked, transparent


def _blank_out(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span removed except its line breaks (so line numbers stay)."""
    parts, last = [], 0
    for begin, end in spans:
        parts.append(text[last:begin])
        parts.append("\n" * text.count("\n", begin, end))
        last = end
    parts.append(text[last:])
    return "".join(parts)


# -- line classes -------------------------------------------------------------------------------

_HEADING = re.compile(r"^(?:INT\.?/EXT|INT/EXT|I\.?/E|INT|EXT|EST)(?:\.|\s)", re.IGNORECASE)
_SCENE_NUMBER = re.compile(r"\s*#([\w.\-]+)#\s*$")
_TRANSITION = re.compile(r"^(?:[^a-z]*TO:|FADE IN:|FADE OUT\.|FADE TO BLACK\.|CUT TO BLACK\.)$")
_PAGE_BREAK = re.compile(r"^={3,}$")
_EXTENSION = re.compile(r"\(([^()]*)\)")
_TITLE_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9 _-]*):(.*)$")
_KNOWN_TITLE_KEYS = frozenset(
    {"title", "credit", "author", "authors", "source", "draft date", "date", "contact",
     "copyright", "notes", "revision", "episode", "series"}
)  # fmt: skip
_CUE_END_REFUSED = tuple(".!?:,;")  # an all-capitals line ending so is a shout in the action


def cue_name(cue: str) -> tuple[str, tuple[str, ...], bool] | None:
    """Split a character cue into (name, extensions, dual), or None if it is not one.

    ``EDWARD (V.O.)(CONT'D)`` gives ``("EDWARD", ("V.O.", "CONT'D"), False)``; ``STEEL ^`` gives
    ``("STEEL", (), True)``. A natural cue is in capitals (any alphabet) with at least one
    letter; a forced one (``@McDUCK``) keeps its case.
    """
    text = cue.strip()
    dual = text.endswith("^")
    if dual:
        text = text[:-1].rstrip()
    forced = text.startswith("@")
    if forced:
        text = text[1:].lstrip()
    paren = text.find("(")
    name = (text if paren < 0 else text[:paren]).strip()
    rest = "" if paren < 0 else text[paren:]
    extensions = tuple(e.strip() for e in _EXTENSION.findall(rest))
    if rest and _EXTENSION.sub("", rest).strip():
        return None  # text outside the parentheses after them: not a cue
    if not name:
        return None
    if not forced:
        if not any(c.isalpha() for c in name) or name != name.upper():
            return None
        if name.endswith(_CUE_END_REFUSED) and not name.endswith(("MR.", "MRS.", "DR.", "MS.")):
            return None
        if name.startswith(("!", "~", ">", "#", "=", "[", "(")):
            return None
    return " ".join(name.split()), extensions, dual


def _is_blank(line: str) -> bool:
    return not line.strip()


def _title_page_end(masked: list[str], transparent: list[bool]) -> int:
    """Index of the first line after the title page (0 when there is none)."""
    first = next((i for i, line in enumerate(masked) if line.strip()), None)
    if first is None or transparent[first]:
        return 0
    match = _TITLE_KEY.match(masked[first].strip())
    if match is None:
        return 0
    key = match.group(1).strip()
    if key.isupper() and key.lower() not in _KNOWN_TITLE_KEYS:
        return 0  # "FADE IN:" opens the script, not a title page
    index = first
    while index < len(masked) and (transparent[index] or masked[index].strip()):
        index += 1
    return index


# -- the tokenizer ------------------------------------------------------------------------------


class _Builder:
    """Collects elements while the lines are walked (one open element at a time)."""

    def __init__(self) -> None:
        self.elements: list[Element] = []
        self.kind: str | None = None
        self.lines: list[str] = []
        self.first = 0
        self.last = 0
        self.cue: tuple[str, tuple[str, ...], bool] | None = None

    def open(self, kind: str, number: int, cue: tuple[str, tuple[str, ...], bool] | None = None):
        self.close()
        self.kind, self.lines, self.first, self.last, self.cue = kind, [], number, number, cue

    def add(self, text: str, number: int) -> None:
        self.lines.append(text)
        self.last = number

    def close(self) -> None:
        if self.kind is None:
            return
        text = "\n".join(self.lines)
        if self.kind == Kind.DIALOGUE and self.cue is not None:
            name, extensions, dual = self.cue
            if dual:
                self._mark_previous_dual()
            self.elements.append(
                Element(Kind.DIALOGUE, text, self.first, self.last, name, extensions, dual)
            )
        else:
            self.elements.append(Element(self.kind, text, self.first, self.last))
        self.kind = None

    def single(self, kind: str, text: str, number: int, scene_number: str = "") -> None:
        self.close()
        self.elements.append(Element(kind, text, number, number, scene_number=scene_number))

    def _mark_previous_dual(self) -> None:
        """A ``^`` cue pairs with the dialogue block just before it."""
        previous = self.elements[-1] if self.elements else None
        if previous is not None and previous.kind == Kind.DIALOGUE and not previous.dual:
            self.elements[-1] = Element(
                previous.kind, previous.text, previous.line, previous.end_line,
                previous.character, previous.extensions, True,
            )  # fmt: skip


def _next_content(masked: list[str], transparent: list[bool], index: int) -> str | None:
    """The next non-transparent line after ``index`` (None at the end)."""
    for following in range(index + 1, len(masked)):
        if not transparent[following]:
            return masked[following]
    return None


def tokenize(text: str) -> tuple[tuple[Element, ...], int]:
    """The elements of ``text`` in order, and its line count (as ``split_lines`` counts)."""
    lines = split_lines(text)
    masked, transparent = _masked_lines(lines)
    out = _Builder()
    start = _title_page_end(masked, transparent)
    if start:
        out.open(Kind.TITLE, 1)
        out.add("\n".join(masked[:start]).strip("\n"), start)
        out.close()
    after_blank = True
    for index in range(start, len(masked)):
        if transparent[index]:
            continue
        number = index + 1
        raw = masked[index]
        if _is_blank(raw):
            if out.kind == Kind.DIALOGUE and len(raw) >= 2 and not raw.strip(" "):
                out.add("", number)  # two spaces: the dialogue goes on (the spec's rule)
                continue
            out.close()
            after_blank = True
            continue
        line = raw.strip()
        if out.kind == Kind.DIALOGUE:
            out.add(line, number)
            continue
        if not after_blank:
            if out.kind is None:
                out.open(Kind.ACTION, number)
            out.add(raw.rstrip(), number)
            continue
        after_blank = False
        _classify(out, line, raw, number, _next_content(masked, transparent, index))
    out.close()
    return tuple(out.elements), len(lines)


def _classify(out: _Builder, line: str, raw: str, number: int, following: str | None) -> None:
    """Start the element that ``line`` (after a blank line) begins."""
    first = line[0]
    if first == "!":
        out.open(Kind.ACTION, number)
        out.add(raw.rstrip().replace("!", "", 1), number)
    elif first == "." and len(line) > 1 and line[1] != ".":
        _heading(out, line[1:].lstrip(), number)
    elif _HEADING.match(line):
        _heading(out, line, number)
    elif first == "~":
        out.open(Kind.LYRICS, number)
        out.add(line[1:].strip(), number)
    elif first == ">":
        if line.endswith("<") and len(line) > 1:
            out.single(Kind.CENTERED, line[1:-1].strip(), number)
        else:
            out.single(Kind.TRANSITION, line[1:].strip(), number)
    elif _PAGE_BREAK.match(line):
        out.single(Kind.PAGE_BREAK, "", number)
    elif first == "#":
        out.single(Kind.SECTION, line.lstrip("#").strip(), number)
    elif first == "=":
        out.single(Kind.SYNOPSIS, line[1:].strip(), number)
    elif _TRANSITION.match(line) and line == line.upper():
        out.single(Kind.TRANSITION, line, number)
    else:
        cue = cue_name(line) if following is not None and not _is_blank(following) else None
        if cue is not None:
            out.open(Kind.DIALOGUE, number, cue)
        else:
            out.open(Kind.ACTION, number)
            out.add(raw.rstrip(), number)


def _heading(out: _Builder, heading: str, number: int) -> None:
    match = _SCENE_NUMBER.search(heading)
    label = match.group(1) if match else ""
    out.single(Kind.HEADING, heading.rstrip(), number, scene_number=label)
