"""Interruptions mid-stream: cancel, failures, the output text deleted or renamed, a new file,
the add-on disabled.

The main mock server ($LSW_SERVER_URL) answers in this order: gated streams "cancel",
"delete", "rename" and "homefile", a reply after the new file, a reply that ends before the
next new file is loaded, gated stream "disable", a reply after enabling again. $LSW_AUTH_URL
demands another key than the one set here; $LSW_DOWN_URL is a closed port.
"""

from __future__ import annotations

import os
import time

import bpy
from harness import (
    configure,
    disable,
    enable,
    extension_classes,
    install,
    leftovers,
    package,
    prefs,
    pump_until,
    run,
    screenplay,
    worker_threads,
)
from workflow_support import (
    call,
    capture_log,
    chars_before_gate,
    finish,
    open_gate,
    request,
    summary,
    text_of,
    wait_for_gate,
)


def start_gated(operator: str, gate: str, **props):
    """Start a request whose stream stops at ``gate``; pump until all before it is written.

    The server reaches the gate once it has sent its chunks, which the client may still be
    reading: wait for every character, since the scenarios check what was kept of them.
    """
    called = call(operator, source="Script", **props)
    job = called["job"]
    assert job is not None, f"screenwriter.{operator} submitted no job: {called}"
    assert wait_for_gate(gate), f"the server never reached gate {gate}"
    sent = chars_before_gate(gate)
    assert pump_until(lambda: job.chars >= sent and job.state == "running", timeout=10.0), job
    return job


def cancel_mid_stream() -> dict:
    """Scenario 3: screenwriter.cancel while the server still streams."""
    job = start_gated("describe_scene", "cancel")
    before = summary(job)
    cancel_at = time.monotonic()
    result = sorted(bpy.ops.screenwriter.cancel())
    returned_at = time.monotonic()
    ended = pump_until(lambda: not job.active, timeout=10.0)
    ended_at = time.monotonic()
    return {
        "before": before,
        "cancel_result": result,
        "cancel_at": cancel_at,
        "cancel_seconds": returned_at - cancel_at,
        "ended_seconds": ended_at - cancel_at,
        "end": summary(job, ended),
        "nothing_to_cancel": call("cancel"),
    }


def delete_mid_stream() -> dict:
    """Scenario 5: the output Text is removed while the answer streams into it."""
    job = start_gated("generate_dialogue", "delete")
    before = summary(job)
    bpy.data.texts.remove(bpy.data.texts[job.text_name])
    gone = text_of(before["text_name"]) is None
    open_gate("delete")
    return {"before": before, "gone": gone, "end": finish(job)}


def rename_mid_stream() -> dict:
    """Scenario 5: the output Text is renamed while the answer streams into it."""
    job = start_gated("suggest_ideas", "rename")
    before = summary(job)
    bpy.data.texts[job.text_name].name = "My Ideas"
    open_gate("rename")
    end = finish(job)
    return {
        "before": before,
        "end": end,
        "old_name_text": text_of(before["text_name"]),
        "texts": sorted(t.name for t in bpy.data.texts),
    }


def wrong_key() -> dict:
    """Scenario 4: a server that wants another key."""
    p = prefs()
    p.base_url = os.environ["LSW_AUTH_URL"]
    p.api_key = "wrong-key"
    try:
        return request("ask", source="Script", prompt="Knock knock")
    finally:
        configure()


def server_down() -> dict:
    """Scenario 4: nothing listens at the configured address."""
    prefs().base_url = os.environ["LSW_DOWN_URL"]
    try:
        started = time.monotonic()
        outcome = request("ask", source="Script", prompt="Anyone there?", timeout=30.0)
        outcome["failed_after"] = time.monotonic() - started
        return outcome
    finally:
        configure()


def new_file_mid_stream(bridge) -> dict:
    """Scenario 5: File > New while an answer streams: every Text goes away."""
    job = start_gated("ask", "homefile", prompt="Is the ship coming?")
    before = summary(job)
    loaded_at = time.monotonic()
    error = None
    try:
        bpy.ops.wm.read_homefile()
    except Exception as exc:  # reported, not raised on: the test checks it is None
        error = repr(exc)
    texts_after_load = sorted(t.name for t in bpy.data.texts)
    intervals = [bridge.pump()]
    ended = pump_until(lambda: not job.active, timeout=10.0)
    intervals.append(bridge.pump())
    end = summary(job, ended)
    kept = {
        "base_url": prefs().base_url == os.environ["LSW_SERVER_URL"],
        "timer": bpy.app.timers.is_registered(bridge.pump),
        "threads": len(worker_threads()),
    }
    screenplay()  # the new file has no screenplay
    after = request("ask", source="Script", prompt="A new start?")
    return {
        "before": before,
        "loaded_at": loaded_at,
        "error": error,
        "texts_after_load": texts_after_load,
        "intervals": intervals,
        "end": end,
        "kept": kept,
        "after": after,
    }


def new_file_before_delivery(bridge) -> dict:
    """Scenario 5: the answer ended on the worker, but File > New comes before the next pump."""
    called = call("describe_scene", source="Script")
    job = called["job"]
    deadline = time.monotonic() + 10.0
    while bridge._worker.active_jobs and time.monotonic() < deadline:  # no pumping meanwhile
        time.sleep(0.01)
    finished_unpumped = bridge._worker.active_jobs == 0 and job.state == "queued"
    bpy.ops.wm.read_homefile()
    interval = bridge.pump()
    out = {"finished_unpumped": finished_unpumped, "interval": interval, "end": summary(job)}
    screenplay()
    return out


def disable_mid_stream(classes: list[type]) -> dict:
    """Scenario 6: the add-on disabled (errors raised, not printed) while an answer streams."""
    job = start_gated("ask", "disable", prompt="Hold that thought")
    before = summary(job)
    started = time.monotonic()
    disable()
    seconds = time.monotonic() - started
    left = leftovers(classes)
    enable()
    configure()
    after = request("ask", source="Script", prompt="Back again?")
    return {
        "before": before,
        "disabled_at": started,
        "disable_seconds": seconds,
        "left": left,
        "after": after,
    }


def main() -> dict:
    result: dict = {"install_seconds": install()}
    classes = extension_classes()
    configure()
    screenplay()
    log = capture_log()
    bridge = package("bridge")
    result["cancel"] = cancel_mid_stream()
    result["delete"] = delete_mid_stream()
    result["rename"] = rename_mid_stream()
    result["wrong_key"] = wrong_key()
    result["server_down"] = server_down()
    result["homefile"] = new_file_mid_stream(bridge)
    result["homefile_late"] = new_file_before_delivery(bridge)
    result["log_errors_before_disable"] = log.errors()
    result["disable"] = disable_mid_stream(classes)
    result["threads"] = len(worker_threads())
    result["log"] = log.records
    disable()
    result["final"] = leftovers(classes)
    return result


run(main)
