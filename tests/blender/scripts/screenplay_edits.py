"""The screenplay edited while its request is in flight: typed into, replaced, renamed, deleted.

The test's mock server ($LSW_SERVER_URL) answers with gated stream "edits" (it stops at the gate
until this script opens it), then with its echo. While the answer waits at the gate, the
writer edits the screenplay in every way; the answer must end exactly as sent, and the next
request must carry the screenplay as it is now.
"""

from __future__ import annotations

import bpy
from harness import configure, install, package, pump_until, run, screenplay, worker_threads
from workflow_support import (
    call,
    capture_log,
    conversation,
    finish,
    open_gate,
    request,
    text_of,
    wait_for_gate,
)

REWRITE = "EXT. QUAI — AUBE\n\nZOË regarde la mer. 🌊\n"


def edits_in_flight() -> dict:
    called = call("describe_scene", source="Script")
    job = called["job"]
    reached = wait_for_gate("edits")
    pump_until(lambda: job.chars > 0, timeout=10.0)
    script = bpy.data.texts["Script"]
    steps = {}
    script.select_set(2, 5, 2, 5)
    script.write("slowly ")  # typed into: "MARA slowly climbs the stairs."
    steps["typed"] = text_of("Script")
    bridge = package("bridge")
    bridge.pump()
    script.from_string(REWRITE)  # replaced
    bridge.pump()
    script.name = "Script v2"  # renamed
    bridge.pump()
    steps["renamed"] = sorted(t.name for t in bpy.data.texts)
    bpy.data.texts.remove(script)  # deleted
    bridge.pump()
    steps["deleted"] = sorted(t.name for t in bpy.data.texts)
    open_gate("edits")
    end = finish(job)
    return {
        "reached_gate": reached,
        "steps": steps,
        "end": end,
        "conversation": conversation("description"),
    }


def main() -> dict:
    result: dict = {"install_seconds": install()}
    configure()
    screenplay()
    log = capture_log()
    result["in_flight"] = edits_in_flight()
    screenplay().from_string(REWRITE)  # the writer's new version
    result["next"] = request("describe_scene", source="Script")
    result["threads"] = len(worker_threads())
    result["log_errors"] = log.errors()
    return result


run(main)
