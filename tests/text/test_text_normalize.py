# ruff: noqa: RUF001 (look-alike characters are what is tested)
"""What a model's answer becomes in a Blender Text (text_normalize.py; no Blender needed).

The same rules are checked in real Blender by tests/blender/test_text_streaming.py; here they
are checked for every way an answer can be cut into deltas.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from litellm_screenwriter.text_normalize import REPLACEMENT, StreamNormalizer, normalize

# Characters that need care: multi-byte UTF-8 of every width, ZWJ emoji parts, combining
# marks, right-to-left letters, CR, LF, NUL, and both halves of a surrogate pair.
TRICKY = [*"aé—“”👩\u200d👧\u0301שלוםعربي中文\r\n\0\t", "\ud83d", "\ude00"]
answers = st.text(alphabet=st.sampled_from(TRICKY) | st.characters(), max_size=60)


def stream(deltas: list[str]) -> str:
    normalizer = StreamNormalizer()
    return "".join(normalizer.feed(d) for d in deltas) + normalizer.flush()


def reference(text: str) -> str:
    """The rules written the slow, obvious way."""
    text = text.replace("\0", "").replace("\r\n", "\n").replace("\r", "\n")
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if "\ud800" <= c <= "\udbff" and i + 1 < len(text) and "\udc00" <= text[i + 1] <= "\udfff":
            out.append(chr(0x10000 + ((ord(c) - 0xD800) << 10) + (ord(text[i + 1]) - 0xDC00)))
            i += 2
            continue
        out.append(REPLACEMENT if "\ud800" <= c <= "\udfff" else c)
        i += 1
    return "".join(out)


def test_line_breaks_become_lf():
    assert normalize("a\r\nb\rc\nd\r") == "a\nb\nc\nd\n"
    assert normalize("\r\r\n\n") == "\n\n\n"


def test_nul_is_dropped_and_the_rest_kept():
    assert normalize("INT.\0 HOUSE") == "INT. HOUSE"


def test_everything_else_passes_unchanged():
    text = "Café — “never again” 👩‍👩‍👧 e\u0301 שלום 中文 مرحبا\tend"
    assert normalize(text) == text


def test_a_crlf_split_over_two_deltas_is_one_line_break():
    assert stream(["MARA\r", "\nWho?"]) == "MARA\nWho?"
    assert stream(["a\r", "", "\n", "\n"]) == "a\n\n"
    assert stream(["a\r", "\0", "\nb"]) == "a\nb"


def test_a_surrogate_pair_split_over_two_events_is_one_emoji():
    # What json.loads gives for a server that cut the escape "\ud83d\ude00" in two events.
    halves = [json.loads('"\\ud83d"'), json.loads('"\\ude00"')]
    assert stream(halves) == "😀"
    assert stream(["x\ud83d"]) == "x" + REPLACEMENT  # never completed
    assert stream(["\ude00y"]) == REPLACEMENT + "y"
    assert stream(["\ud83d", "\r\n"]) == REPLACEMENT + "\n"


def test_what_the_normalizer_writes_can_be_encoded_as_utf8():
    stream(["\ud83d", "\ud83d", "\ude00"]).encode("utf-8")


@given(answers)
def test_normalize_follows_the_rules(text: str):
    assert normalize(text) == reference(text)
    assert normalize(normalize(text)) == normalize(text)


@given(answers, st.lists(st.integers(0, 60), max_size=12))
def test_any_split_into_deltas_gives_the_whole_answer_normalised(text: str, cuts: list[int]):
    points = sorted({min(c, len(text)) for c in cuts})
    deltas = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    assert "".join(deltas) == text
    assert stream(deltas) == normalize(text)
