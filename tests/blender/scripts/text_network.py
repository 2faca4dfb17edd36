"""Hard text through the whole chain (mock server, client, worker, pump), and broken Texts.

The test's mock server ($LSW_SERVER_URL) answers in this order: one describe_scene per sample
of text_samples.SAMPLES (one SSE event per character), two asks (the "screenplay" and the
"punctuation" samples), a raw stream whose bytes are cut inside UTF-8 sequences and whose
emoji comes as two surrogate halves, then the requests made with broken Texts. Then a Text
with invalid UTF-8 is made the way the old append bug made one, saved in a .blend, loaded
again, and used as the screenplay and as the output of every request operator.
"""

from __future__ import annotations

import os

import bpy
from harness import configure, install, package, run, screenplay
from text_samples import PROMPT, SAMPLES
from workflow_support import capture_log, conversation, request


def whole(name: str) -> str | None:
    text = bpy.data.texts.get(name)
    return package("text_io").read(text) if text is not None else None


def samples_streamed() -> dict:
    """Each sample as its own answer, one character per server-sent event."""
    out = {}
    for sample in SAMPLES:
        outcome = request("describe_scene", source="Script")
        out[sample.name] = {"state": outcome["state"], "text": outcome["text"]}
    return out


def asks_appended() -> dict:
    """Two questions with a non-ASCII prompt, appended to one chat log."""
    first = request("ask", source="Script", prompt=PROMPT)
    second = request("ask", source="Script", prompt=PROMPT)
    return {"first": first, "second": second, "conversation": conversation()}


def broken(name: str, content: str, line: int, byte_offset: int) -> bpy.types.Text:
    """A Text holding invalid UTF-8, made as the old append made it: a write at a byte
    offset inside a multi-byte character."""
    text = bpy.data.texts.get(name) or bpy.data.texts.new(name)
    text.from_string(content)
    text.cursor_set(line, character=byte_offset)
    text.write("X")
    return text


def raises_on_read(name: str) -> bool:
    try:
        bpy.data.texts[name].as_string()
    except UnicodeDecodeError:
        return True
    return False


def broken_texts() -> dict:
    """Broken bytes survive a save and a reload; no operator raises on them."""
    broken("Broken Script", "INT. CAFÉ — NIGHT\n\nZOË\nAllô ?", 0, len(b"INT. CAF") + 1)
    broken("Screenwriter Answer", "## Café ?\n\nOui — “peut-être”", 2, len(b"Oui ") + 1)
    made = {n: raises_on_read(n) for n in ("Broken Script", "Screenwriter Answer")}
    path = os.path.join(os.getcwd(), "broken.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path)
    bpy.ops.wm.open_mainfile(filepath=path)
    reloaded = {n: raises_on_read(n) for n in ("Broken Script", "Screenwriter Answer")}
    configure()
    out: dict = {"made_broken": made, "broken_after_reload": reloaded}
    for operator in ("describe_scene", "generate_dialogue", "suggest_ideas"):
        outcome = request(operator, source="Broken Script")
        out[operator] = {k: outcome[k] for k in ("result", "error", "state", "message")}
    selection = (2, 2, 2, 7)  # inside the broken line of the answer
    bpy.data.texts["Screenwriter Answer"].select_set(*selection)
    ask = request("ask", source="Broken Script", prompt="Encore ?")
    answer = bpy.data.texts["Screenwriter Answer"]
    out["ask"] = {
        **{k: ask[k] for k in ("result", "error", "state", "message")},
        "text": whole("Screenwriter Answer"),
        "still_raises": raises_on_read("Screenwriter Answer"),
        "cursor": [
            answer.current_line_index,
            answer.current_character,
            answer.select_end_line_index,
            answer.select_end_character,
        ],
        "selection_set": list(selection),
    }
    out["script_read"] = whole("Broken Script")
    return out


def main() -> dict:
    result: dict = {"install_seconds": install()}
    configure()
    screenplay()
    log = capture_log()
    result["samples"] = samples_streamed()
    result["asks"] = asks_appended()
    result["wire"] = request("describe_scene", source="Script")
    result["wire_conversation"] = conversation("description")
    result["broken"] = broken_texts()
    result["log_errors"] = log.errors()
    return result


run(main)
