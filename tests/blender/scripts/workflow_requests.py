"""Every request operator end to end, the pump's intervals and delta coalescing, refusals.

The test's mock server ($LSW_SERVER_URL) answers the chat requests in this order: ask (scene
prompt), ask (operator prompt), analysis (valid JSON), analysis (malformed, and again after
its repair request), dialogue, scene,
ideas, then a dialogue whose 200 chunks stop at gate "burst" until this script opens it; later
requests get its echo ("Echo: " and the last user message).
"""

from __future__ import annotations

import time

import bpy
from harness import configure, install, package, pump_until, run, screenplay, worker_threads
from workflow_support import (
    call,
    capture_log,
    conversation,
    open_gate,
    request,
    summary,
    text_of,
    wait_for_gate,
)


def asks(bridge) -> dict:
    """Scenario 1: two questions through screenwriter.ask; the second continues the first."""
    out: dict = {}
    settings = bpy.context.scene.screenwriter
    settings.prompt = "Who lit the lamp?"
    out["first"] = request("ask", source="Script")  # the prompt comes from the scene
    out["after_first"] = {"conversation": conversation(), "job_count": len(bridge.jobs())}
    out["second"] = request("ask", source="Script", prompt="And why tonight?")
    out["conversation"] = conversation()
    return out


def analysed() -> dict:
    """Analyze Script, pumped until its whole chain (model info, request, repair) has ended."""
    called = call("analyze_script", source="Script")
    called.pop("job")
    run_ = package("analysis_run")._runs[-1]
    ended = pump_until(lambda: not run_.active, timeout=20.0)
    return {**called, **summary(run_.job, ended)}


def analyses() -> dict:
    """Scenario 2: a valid JSON analysis is rendered; a malformed one keeps the raw answer."""
    return {"valid": analysed(), "malformed": analysed()}


def other_outputs() -> dict:
    return {
        "dialogue": request("generate_dialogue", source="Script"),
        "scene": request("describe_scene", source="Script"),
        "ideas": request("suggest_ideas", source="Script"),
        "texts": sorted(t.name for t in bpy.data.texts),
    }


def burst(bridge) -> dict:
    """Scenario 7: 200 chunks arrive while nobody pumps; one pump writes them in one go."""
    writes: list[int] = []
    original = bridge._append

    def counting(text, chunk):
        writes.append(len(chunk))
        return original(text, chunk)

    called = call("generate_dialogue", source="Script")
    job = called["job"]
    reached = wait_for_gate("burst")
    time.sleep(0.5)  # the worker reads the 200 chunks off the socket meanwhile
    bridge._append = counting
    try:
        interval = bridge.pump()
        mid = summary(job)
        mid_writes = list(writes)
        open_gate("burst")
        ended = pump_until(lambda: not job.active, timeout=10.0)
    finally:
        bridge._append = original
    return {
        "reached_gate": reached,
        "interval_mid_stream": interval,
        "mid": mid,
        "mid_writes": mid_writes,
        "all_writes": writes,
        "end": summary(job, ended),
        "interval_after": bridge.pump(),
    }


KINDS = ("analysis", "dialogue", "description", "suggestions", "ask")


def at_once(bridge) -> dict:
    """Three request types streaming at once; a second request into a busy text is refused."""
    before = {k: conversation(k) for k in KINDS}
    first = call("generate_dialogue", source="Script")
    again = call("generate_dialogue", source="Script")  # its text is still being written
    others = [call("describe_scene", source="Script"), call("suggest_ideas", source="Script")]
    jobs = [first["job"], *(c["job"] for c in others)]
    ended = pump_until(lambda: not any(j.active for j in jobs), timeout=20.0)
    after = {k: conversation(k) for k in KINDS}
    return {
        "again": again,
        "ends": [summary(j, ended) for j in jobs],
        "turns_before": {k: len(v) for k, v in before.items()},
        "added": {k: after[k][len(before[k]) :] for k in KINDS},
        "exchanges": {c.kind: c.exchanges for c in bpy.context.scene.screenwriter.conversations},
    }


def refusals(bridge) -> dict:
    """Scenario 4: what an operator refuses before anything is sent."""
    jobs_before = len(bridge.jobs())
    remembered = bpy.context.scene.screenwriter.source  # the first request filled it in
    bpy.context.scene.screenwriter.source = ""
    out = {
        "remembered_source": remembered,
        "missing_source": call("describe_scene", source="No Such Text"),
        "no_source_at_all": call("describe_scene"),  # background: no Text Editor, no setting
        "empty_prompt": call("ask", source="Script", prompt="   "),
    }
    bpy.context.scene.screenwriter.prompt = ""
    out["empty_scene_prompt"] = call("ask", source="Script")
    out["jobs_added"] = len(bridge.jobs()) - jobs_before
    return out


def main() -> dict:
    result: dict = {"install_seconds": install()}
    configure()
    screenplay()
    log = capture_log()
    bridge = package("bridge")
    result["intervals"] = {
        "idle": bridge.pump(),
        "active_constant": bridge.ACTIVE_INTERVAL,
    }
    result["asks"] = asks(bridge)
    result["analyses"] = analyses()
    result["outputs"] = other_outputs()
    result["burst"] = burst(bridge)
    result["at_once"] = at_once(bridge)
    result["refusals"] = refusals(bridge)
    result["timer_registered"] = bpy.app.timers.is_registered(bridge.pump)
    result["threads"] = len(worker_threads())
    result["script"] = text_of("Script")
    result["log_errors"] = log.errors()
    result["log"] = log.records
    return result


run(main)
