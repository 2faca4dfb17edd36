"""Requests through the installed extension, and disable while one is still in flight.

The test's mock server ($LSW_SERVER_URL) streams one chunk for the first chat request, then
stalls: that request is in flight when the add-on is disabled. Later requests get the echo.
"""

from __future__ import annotations

import time

import bpy
from harness import (
    PUMP_IMPORTS,
    configure,
    disable,
    enable,
    extension_classes,
    install,
    leftovers,
    package,
    pump_until,
    run,
    screenplay,
    worker_threads,
)


def ask(prompt: str):
    result = bpy.ops.screenwriter.ask(prompt=prompt, source="Script")
    assert result == {"FINISHED"}, f"screenwriter.ask returned {result}"
    return package("bridge").latest_job()


def finished(prompt: str) -> dict:
    """Ask, pump until the job ends, and say how it ended and what the output text holds."""
    job = ask(prompt)
    ended = pump_until(lambda: not job.active, timeout=20.0)
    text = bpy.data.texts.get(job.text_name)
    return {
        "ended": ended,
        "state": job.state,
        "message": job.message,
        "text_name": job.text_name,
        "text": text.as_string() if text is not None else None,
        "threads": len(worker_threads()),
    }


def main() -> dict:
    result: dict = {"install_seconds": install()}
    classes = extension_classes()
    configure()
    screenplay()

    # 1. A request whose stream stalls after its first chunk: in flight at disable.
    job = ask("Stall on this one")
    pump_until(lambda: job.chars > 0, timeout=10.0)
    text = bpy.data.texts.get(job.text_name)
    result["stalled"] = {
        "state": job.state,
        "text": text.as_string() if text is not None else None,
        "threads": len(worker_threads()),
    }
    result["imports_while_streaming"] = list(PUMP_IMPORTS.names)
    start = time.perf_counter()
    disable()
    result["disable_in_flight_seconds"] = time.perf_counter() - start
    result["after_disable_in_flight"] = leftovers(classes)

    # 2. Enable again: a new worker, and requests complete (three enable/disable cycles).
    cycles = []
    for i in range(3):
        enable()
        configure()
        answer = finished(f"Who lit the lamp, take {i}?")
        disable()
        answer["after"] = leftovers(classes)
        cycles.append(answer)
    result["cycles"] = cycles
    result["imports_in_pump"] = list(PUMP_IMPORTS.names)
    return result


run(main)
