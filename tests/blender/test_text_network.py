"""Hard text through the whole chain in real Blender, and Texts that hold broken UTF-8.

scripts/text_network.py runs every request operator against this process's mock server: each
sample of text_samples.SAMPLES streamed one character per event, a non-ASCII prompt appended to
the chat log, a raw stream cut inside UTF-8 sequences with an emoji sent as two surrogate
halves, and requests whose screenplay and output Texts hold invalid UTF-8 (made as the old
append bug made them, saved in a .blend and loaded again).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from litellm_screenwriter.screenplay.context import CURSOR_MARK
from tests.blender.scripts.text_samples import PROMPT, SAMPLES, one_per_character
from tests.support.mock_server import MockServer, Recorded, chunk, stream

SAMPLE = {s.name: s for s in SAMPLES}

# The raw stream: UTF-8 on the wire (not \u escapes), an emoji as two events each holding one
# surrogate half (what a server cutting "\ud83d\ude00" in two sends), a CR and its LF in two
# events; the bytes are then cut every 5 bytes, so most cuts fall inside a character.
WIRE_EVENTS = ["Café ", "\ud83d", "\ude00", " MARA\r", "\nZOË — “oui” 中文"]
WIRE_TEXT = "Café 😀 MARA\nZOË — “oui” 中文"


def wire_bytes() -> list[bytes]:
    def event(text: str | None, **fields) -> str:
        # A lone surrogate cannot be UTF-8: JSON carries it as a \u escape, as servers send it.
        lone = text is not None and any("\ud800" <= c <= "\udfff" for c in text)
        return "data: " + json.dumps(chunk(text, **fields), ensure_ascii=lone) + "\n\n"

    body = event(WIRE_EVENTS[0], role="assistant") + "".join(event(t) for t in WIRE_EVENTS[1:])
    body += event(None, finish_reason="stop") + "data: [DONE]\n\n"
    raw = body.encode("utf-8")
    return [raw[i : i + 5] for i in range(0, len(raw), 5)]


# The broken Texts, byte for byte: an "X" written one byte into "É" and into "—".
BROKEN_SCRIPT = b"INT. CAF\xc3X\x89 \xe2\x80\x94 NIGHT\n\nZO\xc3\x8b\nAll\xc3\xb4 ?"
BROKEN_ANSWER = "## Café ?\n\n".encode() + b"Oui \xe2X\x80\x94 " + "“peut-être”".encode()


def replaced(raw: bytes) -> str:
    """What a reader should see: Python's own decoding, each bad byte a U+FFFD."""
    return raw.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def run(blender_run) -> Iterator[tuple[dict, MockServer]]:
    with MockServer() as server:
        server.enqueue(
            *(stream(one_per_character(s.sent), delay=0.002) for s in SAMPLES),
            stream(one_per_character(SAMPLE["screenplay"].sent), delay=0.002),
            stream(one_per_character(SAMPLE["punctuation"].sent), delay=0.002),
            stream([], raw_lines=wire_bytes(), delay=0.005),
            stream(["Read."]),
            stream(["Read again."]),
            stream(["And again."]),
            stream(["Appended after the broken line — “fine”."]),
        )
        yield blender_run("text_network", LSW_SERVER_URL=server.url), server


@pytest.mark.parametrize("name", list(SAMPLE))
def test_each_sample_streamed_per_character_is_the_whole_text(run, name: str) -> None:
    outcome = run[0]["samples"][name]
    assert outcome["state"] == "done", outcome
    assert outcome["text"] == SAMPLE[name].expected


def test_a_non_ascii_prompt_and_answers_append_in_order(run) -> None:
    asks = run[0]["asks"]
    first, second = SAMPLE["screenplay"].expected, SAMPLE["punctuation"].expected
    assert asks["first"]["text"] == f"## {PROMPT}\n\n{first}"
    separator = "\n" if first.endswith("\n") else "\n\n"  # one blank line between exchanges
    assert asks["second"]["text"] == f"## {PROMPT}\n\n{first}{separator}## {PROMPT}\n\n{second}"
    assert asks["conversation"][-1] == {"role": "assistant", "content": second}


def test_utf8_cut_on_the_wire_and_surrogate_halves_arrive_whole(run) -> None:
    wire = run[0]["wire"]
    assert wire["state"] == "done", wire
    assert wire["text"] == WIRE_TEXT
    # The conversation stores what the writer read (a lone surrogate could not be stored).
    assert run[0]["wire_conversation"][-1] == {"role": "assistant", "content": WIRE_TEXT}


def test_blender_keeps_broken_bytes_through_a_save_and_a_reload(run) -> None:
    broken = run[0]["broken"]
    assert broken["made_broken"] == {"Broken Script": True, "Screenwriter Answer": True}
    assert broken["broken_after_reload"] == {"Broken Script": True, "Screenwriter Answer": True}


@pytest.mark.parametrize("operator", ["describe_scene", "generate_dialogue", "suggest_ideas"])
def test_a_broken_screenplay_is_sent_with_replacement_characters(run, operator: str) -> None:
    outcome = run[0]["broken"][operator]
    assert outcome["result"] == ["FINISHED"], outcome
    assert outcome["error"] is None
    assert outcome["state"] == "done", outcome
    assert run[0]["broken"]["script_read"] == replaced(BROKEN_SCRIPT)


def test_the_server_received_the_readable_part_of_the_broken_screenplay(run) -> None:
    chats: list[Recorded] = run[1].chat_requests
    broken_requests = chats[-4:]
    for recorded in broken_requests:
        # the whole (one-scene) screenplay is its scene at the cursor, the cursor line marked
        system = recorded.json["messages"][0]["content"].replace(f"{CURSOR_MARK}\n", "")
        assert replaced(BROKEN_SCRIPT) in system


def test_an_answer_appended_to_a_broken_text_lands_after_it(run) -> None:
    ask = run[0]["broken"]["ask"]
    assert ask["result"] == ["FINISHED"], ask
    assert ask["state"] == "done", ask
    appended = "\n\n## Encore ?\n\nAppended after the broken line — “fine”."
    assert ask["text"] == replaced(BROKEN_ANSWER) + appended
    assert ask["still_raises"]  # the old bytes are the writer's: left as they were
    assert ask["cursor"] == ask["selection_set"]


def test_nothing_was_logged_as_an_error(run) -> None:
    assert run[0]["log_errors"] == []
