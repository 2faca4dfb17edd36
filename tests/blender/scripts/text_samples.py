# ruff: noqa: RUF001 (the point of this file is characters that look alike)
"""Answers that are hard on a Text, and what the Text must hold after each (plain Python).

Shared by the test (its mock server sends ``sent``) and the Blender script (it compares the
Text with ``expected``). ``expected`` is written out by hand from the documented rules
(text_normalize.py): CRLF and CR become LF, NUL is dropped, the rest is kept as it is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    name: str
    sent: str
    expected: str


def _same(name: str, text: str) -> Sample:
    return Sample(name, text, text)


SAMPLES = (
    _same("accents", "Café crème, naïve façade, Zoë, São Paulo, Ærøskøbing, Łódź, Ğ."),
    _same("punctuation", "He waits — she doesn’t. “Never again,” she says… «Jamais» – fin."),
    _same(
        "emoji",
        # ZWJ families, a flag (two regional indicators), a skin tone, a variation selector.
        "👩‍👩‍👧‍👦 at the door; 🧑🏽‍💻 typing; 🇫🇷 on the wall; ❤️‍🔥 😀!",
    ),
    _same("cjk", "中文的剧本。日本語の台本です。한국어 대본."),
    _same("rtl", "שלום, עולם! — مرحبا بالعالم ‏(RLM)‏ and back to LTR."),
    _same(
        "combining",
        "e\u0301 a\u0308 n\u0303 o\u0328\u0304 Z\u0335\u0321\u031b\u0358 q\u0307\u0323.",
    ),
    _same(
        "screenplay",
        "INT. CAFÉ — NIGHT\n\nZOË (V.O.)\n(murmure)\n« C’est fini. »\n\n"
        "HIRO 博\nさようなら。👋🏼\n\n> FONDU AU NOIR. <\n",
    ),
    Sample(
        "line_breaks",
        "CRLF line\r\nCR line\rLF line\n\r\nCR CR\r\rend\r\n",
        "CRLF line\nCR line\nLF line\n\nCR CR\n\nend\n",
    ),
    Sample("controls", "tab\there, NUL\0gone, bell\x07kept.", "tab\there, NULgone, bell\x07kept."),
)

PROMPT = "Qu’en penses-tu — vraiment ? 🤔"


def one_per_character(text: str) -> list[str]:
    """One delta per code point: cuts between combining marks, ZWJ parts, CR and LF."""
    return list(text)


def cuts(text: str, seed: int, pieces: int) -> list[str]:
    """``text`` cut at ``pieces - 1`` positions drawn from ``seed`` (deltas join back to it)."""
    import random

    points = sorted(random.Random(seed).sample(range(1, len(text)), min(pieces, len(text)) - 1))
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
