"""How long the screenplay runs on screen, estimated from its text.

The estimate is the industry's page rule: one page of a standard-format screenplay (12 pt
Courier, 55 lines a page) plays in about a minute. Pages are counted by laying the elements out
the way screenwriting software does: action 60 characters wide, dialogue 35, parentheticals 25,
one blank line between elements (none between a cue and its lines), two before a heading.

``bsw_seconds`` is the alternative rule of Blender_Screenwriter, kept so the two can be compared
(docs/screenplay.md has both on the sample scripts): max(1.5, words / 3.75 + 0.3 x line
breaks) seconds per element, dialogue x 1.2.
"""

from __future__ import annotations

from .fountain import Element, Kind

__all__ = [
    "LINES_PER_PAGE",
    "SECONDS_PER_PAGE",
    "WIDTHS",
    "bsw_seconds",
    "element_lines",
    "element_seconds",
]

LINES_PER_PAGE = 55
SECONDS_PER_PAGE = 60.0
WIDTHS = {"action": 60, "dialogue": 35, "parenthetical": 25}  # characters a printed line holds

_NOT_PRINTED = frozenset({Kind.TITLE, Kind.SECTION, Kind.SYNOPSIS, Kind.PAGE_BREAK})
_ONE_LINE = frozenset({Kind.TRANSITION, Kind.CENTERED})


def _wrapped(text: str, width: int) -> int:
    """Printed lines of ``text`` wrapped at ``width`` characters (word wrap, at least one)."""
    total = 0
    for line in text.split("\n"):
        count, used = 1, 0
        for word in line.split():
            need = len(word) if used == 0 else used + 1 + len(word)
            if need <= width:
                used = need
            else:
                count += 1 + (len(word) - 1) // width if len(word) > width else 1
                used = len(word) % width if len(word) > width else len(word)
        total += count
    return total


def element_lines(element: Element) -> int:
    """Printed lines an element takes, the blank lines before it included."""
    if element.kind in _NOT_PRINTED:
        return 0
    if element.kind == Kind.HEADING:
        return 2 + 1
    if element.kind in _ONE_LINE:
        return 1 + 1
    if element.kind == Kind.DIALOGUE:
        lines = 1 + 1  # blank line, cue
        for line in element.text.split("\n"):
            stripped = line.strip()
            if stripped.startswith("(") and stripped.endswith(")"):
                lines += _wrapped(stripped, WIDTHS["parenthetical"])
            else:
                lines += _wrapped(stripped, WIDTHS["dialogue"])
        return lines
    return 1 + _wrapped(element.text, WIDTHS["action"])  # action, lyrics


def element_seconds(element: Element) -> float:
    """Estimated screen time of one element by the page rule, in seconds."""
    return element_lines(element) * SECONDS_PER_PAGE / LINES_PER_PAGE


def bsw_seconds(element: Element) -> float:
    """Blender_Screenwriter's rule for one element, in seconds (0 for what is not printed)."""
    if element.kind in _NOT_PRINTED:
        return 0.0
    words = len(element.text.split())
    seconds = max(1.5, words / 3.75 + 0.3 * element.text.count("\n"))
    return seconds * 1.2 if element.kind == Kind.DIALOGUE else seconds
