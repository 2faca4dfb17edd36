"""What a Blender Text can hold, made from whatever a model streams: plain Python, no ``bpy``.

A Text is a list of LF-separated lines stored as UTF-8 C strings, so three things in a model's
answer cannot go in as they are:

- CR: Blender keeps a CR inside the line (it shows as a stray glyph, and saved files get CR
  CR LF). CRLF and a lone CR become LF, as Python's universal newlines read them; a CRLF split
  over two deltas still becomes one LF.
- NUL: ``Text.write`` stops at the first NUL and drops the rest of the delta. NULs are dropped.
- Lone surrogates: a server may split an emoji's JSON ``\\ud83d\\ude00`` escape over two
  events; ``json.loads`` then gives two half characters that UTF-8 cannot encode, and
  ``Text.write`` raises. A pair split over two deltas is joined again; a surrogate with no
  partner becomes U+FFFD.

Everything else (accents, emoji and their ZWJ sequences, CJK, right-to-left scripts, combining
marks, tabs, other control characters) passes through unchanged. ``StreamNormalizer`` fed the
deltas one by one, then flushed, gives exactly ``normalize`` of the whole answer.
"""

from __future__ import annotations

__all__ = ["REPLACEMENT", "StreamNormalizer", "normalize"]

REPLACEMENT = "\ufffd"
_HIGH = range(0xD800, 0xDC00)


def normalize(text: str) -> str:
    """``text`` as a Text holds it: LF line breaks, no NUL, no lone surrogate."""
    normalizer = StreamNormalizer()
    return normalizer.feed(text) + normalizer.flush()


def _join_surrogates(text: str) -> str:
    """Surrogate pairs become the character they encode; a lone surrogate becomes U+FFFD."""
    if text.isascii() or not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text
    # UTF-16 with surrogatepass turns each pair into its character; the rest stay lone and
    # are then replaced one by one.
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return "".join(REPLACEMENT if 0xD800 <= ord(c) <= 0xDFFF else c for c in joined)


class StreamNormalizer:
    """Normalises one answer's deltas as they come, carrying what spans two of them.

    A trailing CR is written at once (as LF) and an LF that starts the next delta is then
    skipped; a trailing high surrogate waits for the next delta (or ``flush``).
    """

    def __init__(self) -> None:
        self._after_cr = False
        self._high = ""

    def feed(self, delta: str) -> str:
        """The part of ``delta`` that can be written now."""
        delta = delta.replace("\0", "")
        if not delta:
            return ""
        if self._after_cr and delta.startswith("\n"):
            delta = delta[1:]
            if not delta:
                self._after_cr = False
                return ""
        self._after_cr = delta.endswith("\r")
        delta = delta.replace("\r\n", "\n").replace("\r", "\n")
        delta, self._high = self._high + delta, ""
        if ord(delta[-1]) in _HIGH:
            delta, self._high = delta[:-1], delta[-1]
        return _join_surrogates(delta)

    def flush(self) -> str:
        """What is still held back when the answer ends (a lone high surrogate: U+FFFD)."""
        held, self._high = self._high, ""
        self._after_cr = False
        return REPLACEMENT if held else ""
