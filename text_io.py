"""Reading and appending to Blender Text datablocks safely: right units, any bytes, cursor kept.

Blender counts positions in a Text two ways. ``Text.cursor_set(line, character=N)`` takes N as
a UTF-8 *byte* offset, while ``current_character``, ``select_end_character``, ``select_set``
and ``region_as_string(range=...)`` count *characters* (measured in Blender 4.2 to 5.3).
Mixing them writes inside a multi-byte character, and a Text holding such broken UTF-8 raises
``UnicodeDecodeError`` from ``as_string()`` and ``TextLine.body``. Files Blender loads never
hold broken bytes (it reads invalid bytes as Latin-1); a .blend saved with a broken Text does.

Here appends go to the end with a byte offset past it (which Blender clamps to the end: no
counting involved), put the writer's cursor and selection back afterwards in characters, the
unit they were read in, and reads never raise: an unreadable line is read piece by piece, and
each byte that is not UTF-8 reads as U+FFFD.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .text_normalize import REPLACEMENT, normalize

if TYPE_CHECKING:
    import bpy

__all__ = ["Selection", "append", "read", "read_line", "read_tail", "replace"]

_MAX_CHAR_BYTES = 4  # the longest UTF-8 sequence
# A byte offset beyond any line: cursor_set clamps it to the line's last byte. Counting in
# characters instead (select_set(-1, -1, -1, -1)) stops short of the end of a broken line.
_PAST_ANY_LINE = 2**31 - 1


@dataclass(frozen=True)
class Selection:
    """A Text's cursor and the other end of its selection, in lines and characters.

    ``line``/``character`` is where the cursor is; ``end_line``/``end_character`` the other
    end of the selection (the same place when nothing is selected). Restoring keeps which end
    the cursor is at.
    """

    line: int
    character: int
    end_line: int
    end_character: int

    @classmethod
    def of(cls, text: bpy.types.Text) -> Selection:
        """The cursor and selection of ``text`` now."""
        return cls(
            text.current_line_index,
            text.current_character,
            text.select_end_line_index,
            text.select_end_character,
        )

    def restore(self, text: bpy.types.Text) -> None:
        """Put the cursor and selection of ``text`` back here (``select_set`` counts characters)."""
        text.select_set(self.line, self.character, self.end_line, self.end_character)


def append(text: bpy.types.Text, chunk: str) -> str:
    """Write ``chunk`` (normalised) at the end of ``text``; cursor and selection stay put.

    Returns what was written (``normalize(chunk)``). Callers streaming deltas normalise them
    with a ``StreamNormalizer`` first, which makes this normalisation a no-op.
    """
    chunk = normalize(chunk)
    if not chunk:
        return ""
    kept = Selection.of(text)
    text.cursor_set(len(text.lines) - 1, character=_PAST_ANY_LINE)  # clamped to the true end
    text.write(chunk)
    kept.restore(text)
    return chunk


def replace(text: bpy.types.Text, content: str) -> None:
    """Make ``content`` (normalised) the whole of ``text``; the cursor ends at its end."""
    text.clear()
    text.write(normalize(content))


def read(text: bpy.types.Text) -> str:
    """The whole of ``text``, lines joined by LF; never raises on broken UTF-8."""
    try:
        return text.as_string()
    except UnicodeDecodeError:
        return "\n".join(read_line(text, index) for index in range(len(text.lines)))


def read_tail(text: bpy.types.Text, lines: int) -> str:
    """The last ``lines`` lines of ``text`` joined by LF (all of it when it is shorter)."""
    count = len(text.lines)
    return "\n".join(read_line(text, index) for index in range(max(0, count - lines), count))


def read_line(text: bpy.types.Text, index: int) -> str:
    """Line ``index`` of ``text``; a line holding broken UTF-8 reads with U+FFFD for it."""
    try:
        return text.lines[index].body
    except UnicodeDecodeError:
        return _salvage_line(text, index)


def _salvage_line(text: bpy.types.Text, index: int) -> str:
    """Read a line holding invalid UTF-8 one character at a time, by byte offsets.

    Only ``cursor_set`` reaches every byte (character counts disagree with each other on
    broken bytes), so each step selects 1 to 4 bytes from the current offset and keeps the
    first selection that decodes; a byte that starts none becomes U+FFFD. The cursor and
    selection are put back afterwards.
    """
    kept = Selection.of(text)
    parts: list[str] = []
    offset = 0
    try:
        while True:
            piece = None
            for width in range(1, _MAX_CHAR_BYTES + 1):
                text.cursor_set(index, character=offset)
                text.cursor_set(index, character=offset + width, select=True)
                try:
                    piece = text.region_as_string()
                except UnicodeDecodeError:
                    continue
                break
            if piece == "":  # the selection is empty: the offset reached the end of the line
                break
            if piece is None:
                parts.append(REPLACEMENT)
                offset += 1
            else:
                parts.append(piece)
                offset += width
    finally:
        kept.restore(text)
    return "".join(parts)
