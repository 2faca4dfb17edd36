"""Hard text streamed into a Text delta by delta, in real Blender; the writer's cursor kept.

No network: a ScriptedWorker hands ``bridge.pump()`` exactly the deltas chosen (one per
character, random cuts, every cut into two), one Text write per pump. Also measured here:
which Text positions count bytes and which count characters, in this Blender.
"""

from __future__ import annotations

import bpy
from harness import install, package, run
from scripted_worker import scripted_worker, worker_module
from text_samples import PROMPT, SAMPLES, cuts, one_per_character

OUTPUT = "Screenwriter Unicode"
# The answer before: multi-byte characters on its last line (where the old bug struck).
PREVIOUS = "## Café ?\n\nOui — “peut-être” 👍🏽 中文"
HEADER = f"## {PROMPT}\n\n"


def units() -> dict:
    """How this Blender counts Text positions (the facts text_io.py is built on)."""
    text = bpy.data.texts.new("Units")
    text.from_string("éé€x\nab")
    text.cursor_set(0, character=2)  # 2 bytes = one "é"; 2 characters = "éé"
    cursor_set = {1: "bytes", 2: "characters"}.get(text.current_character, "other")
    text.select_set(0, 1, 0, 2)
    try:
        select_set = {"é": "characters"}.get(text.region_as_string(), "other")
    except UnicodeDecodeError:
        select_set = "bytes"
    region_range = {"€": "characters"}.get(text.region_as_string(range=((0, 2), (0, 3))), "other")
    text.select_set(0, 3, 1, 1)
    getters = [
        text.current_line_index,
        text.current_character,
        text.select_end_line_index,
        text.select_end_character,
    ]
    text.select_set(-1, -1, -1, -1)
    end = [text.current_line_index, text.current_character]
    bpy.data.texts.remove(text)
    return {
        "cursor_set": cursor_set,
        "select_set": select_set,
        "region_range": region_range,
        "getters_after_select_set_0_3_1_1": getters,
        "select_set_minus_one_goes_to": end,
    }


def selection(text) -> tuple:
    """The cursor, the selection's other end and the selected text, read straight off Blender."""
    return (
        text.current_line_index,
        text.current_character,
        text.select_end_line_index,
        text.select_end_character,
        text.region_as_string(),
    )


def stream(bridge, worker, deltas: list[str], *, per_pump: int = 1, between=None) -> dict:
    """Submit an append request into OUTPUT and deliver ``deltas``, ``per_pump`` per pump."""
    Request = worker_module().Request
    text = bpy.data.texts.get(OUTPUT) or bpy.data.texts.new(OUTPUT)
    text.from_string(PREVIOUS)
    job = bridge.submit(
        Request("mock", [{"role": "user", "content": "?"}]),
        title="Ask",
        text_name=OUTPUT,
        header=HEADER,
        append=True,
    )
    writes = 0
    original = bridge._append

    def counting(target, chunk):
        nonlocal writes
        writes += 1
        return original(target, chunk)

    bridge._append = counting
    try:
        for index in range(0, len(deltas), per_pump):
            for delta in deltas[index : index + per_pump]:
                worker.delta(job.job_id, delta)
            bridge.pump()
            if between is not None:
                between(text)
        worker.done(job.job_id)
        bridge.pump()
    finally:
        bridge._append = original
    return {"text": bpy.data.texts[OUTPUT].as_string(), "writes": writes, "job": job}


def splits(sample) -> list[tuple[str, list[str], int]]:
    """(name, deltas, deltas per pump) for one sample."""
    sent = sample.sent
    out = [("one per character", one_per_character(sent), 1)]
    out += [("one per character, 5 per pump", one_per_character(sent), 5)]
    out += [(f"random cuts, seed {seed}", cuts(sent, seed, 9), 1) for seed in range(3)]
    out += [(f"cut in two at {i}", [sent[:i], sent[i:]], 1) for i in range(1, len(sent))]
    return out


def every_split(bridge, worker) -> dict:
    """Each sample, each split: the whole Text must be what was there, the header, the answer."""
    runs, failures = 0, []
    writes_one_per_char = {}
    for sample in SAMPLES:
        expected = f"{PREVIOUS}\n\n{HEADER}{sample.expected}"
        for name, deltas, per_pump in splits(sample):
            outcome = stream(bridge, worker, deltas, per_pump=per_pump)
            runs += 1
            job = outcome["job"]
            if outcome["text"] != expected or job.state != "done":
                failures.append(
                    {
                        "sample": sample.name,
                        "split": name,
                        "deltas": deltas,
                        "text": outcome["text"],
                        "expected": expected,
                        "state": job.state,
                    }
                )
            elif job.chars != len(sample.expected):
                failures.append({"sample": sample.name, "split": name, "chars": job.chars})
            if name == "one per character":
                writes_one_per_char[sample.name] = [outcome["writes"], len(deltas)]
    return {"runs": runs, "failures": failures[:5], "failure_count": len(failures),
            "writes_one_per_char": writes_one_per_char}  # fmt: skip


# The writer's cursor and selection, as Blender's (line, character) pairs: forward, backward,
# empty, across lines, on the multi-byte line 2 of PREVIOUS (23 characters, 43 bytes), and at
# the end of the text where the answer is being written (None: placed there at run time).
SELECTIONS = {
    "cursor on the multi-byte line": (2, 6, 2, 6),
    "forward on the multi-byte line": (2, 4, 2, 20),
    "backward across lines": (2, 9, 0, 3),
    "the whole previous answer": (0, 0, 2, 23),
    "cursor at the end of the multi-byte line": (2, 23, 2, 23),
    "cursor where the answer is written": None,
}


def selections_kept(bridge, worker) -> dict:
    """A selection made while the answer streams is exactly the same after every delivery."""
    out = {}
    sample = next(s for s in SAMPLES if s.name == "screenplay")
    for label, where in SELECTIONS.items():
        seen: list[tuple] = []

        def select(text, where=where, seen=seen):
            if not seen:
                text.select_set(*(where or (-1, -1, -1, -1)))
            seen.append(selection(text))

        outcome = stream(bridge, worker, one_per_character(sample.sent), between=select)
        out[label] = {
            "set": list(where) if where else None,
            "first": list(seen[0]),
            "changed_during": sum(1 for s in seen if s != seen[0]),
            "deliveries": len(seen),
            "final": list(selection(bpy.data.texts[OUTPUT])),
            "text_ok": outcome["text"] == f"{PREVIOUS}\n\n{HEADER}{sample.expected}",
        }
    return out


def text_editor(text) -> dict:
    """A context in which Blender's typing operators run on ``text`` as in a Text Editor."""
    window = bpy.context.window_manager.windows[0]
    area = max(window.screen.areas, key=lambda a: a.width * a.height)
    area.type = "TEXT_EDITOR"
    space = area.spaces.active
    space.text = text
    region = next(r for r in area.regions if r.type == "WINDOW")
    return {
        "window": window,
        "area": area,
        "region": region,
        "space_data": space,
        "edit_text": text,
    }


def writer_types_while_streaming(bridge, worker) -> dict:
    """The writer types at their cursor (Blender's own typing operators) between deliveries."""
    sample = next(s for s in SAMPLES if s.name == "punctuation")
    keys = [("insert", {"text": "✍️"}), ("insert", {"text": "é"}), ("line_break", {}),
            ("insert", {"text": "»"})]  # fmt: skip
    cursors = []

    def type_in(text):
        if len(cursors) < len(keys):
            if not cursors:
                text.select_set(2, 4, 2, 4)  # after "Oui "
            operator, props = keys[len(cursors)]
            with bpy.context.temp_override(**text_editor(text)):
                getattr(bpy.ops.text, operator)(**props)
            cursors.append(selection(text)[:4])

    outcome = stream(bridge, worker, one_per_character(sample.sent), between=type_in)
    previous = PREVIOUS.replace("Oui ", "Oui ✍️é\n»", 1)
    return {
        "text": outcome["text"],
        "expected": f"{previous}\n\n{HEADER}{sample.expected}",
        "cursors": [list(c) for c in cursors],
        "final": list(selection(bpy.data.texts[OUTPUT])),
    }


def editor_views(bridge, worker) -> dict:
    """An editor scrolled up to read stays put; one showing the end follows the answer."""
    screen = bpy.context.window_manager.windows[0].screen
    areas = sorted(screen.areas, key=lambda a: a.width * a.height, reverse=True)[:2]
    for area in areas:
        area.type = "TEXT_EDITOR"
    reading, following = (area.spaces.active for area in areas)
    text = bpy.data.texts.get(OUTPUT) or bpy.data.texts.new(OUTPUT)
    text.from_string("\n".join(f"line {i}" for i in range(40)))
    reading.text = following.text = text
    Request = worker_module().Request
    job = bridge.submit(Request("mock", []), title="Ask", text_name=OUTPUT, append=True)
    reading.top = 5  # scrolled up to read line 6
    following.top = 39  # shows the last line
    tops = []
    sample = next(s for s in SAMPLES if s.name == "screenplay")
    for delta in one_per_character(sample.sent):
        worker.delta(job.job_id, delta)
        bridge.pump()
        tops.append([reading.top, following.top, len(text.lines)])
    worker.done(job.job_id)
    bridge.pump()
    return {
        "reading_tops": sorted({t[0] for t in tops}),
        "following": tops,
        "visible_lines": following.visible_lines,
    }


def main() -> dict:
    result: dict = {"install_seconds": install(), "units": units()}
    bridge = package("bridge")
    with scripted_worker() as worker:
        result["every_split"] = every_split(bridge, worker)
        result["selections"] = selections_kept(bridge, worker)
        result["writer_types"] = writer_types_while_streaming(bridge, worker)
        result["editor_views"] = editor_views(bridge, worker)
    return result


run(main)
