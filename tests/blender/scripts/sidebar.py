"""The sidebar in real Blender: each panel drawn (through an RNA-checking recorder) in the
states idle, streaming, failed and done in the Text Editor, the 3D Viewport and the Video
Sequencer; each button's poll() and its message; the automatic status check (rate-limited, only
with a panel on screen, never against online access); the progress figures of a paced stream;
a failure on its way to the Info log; the idle cost of the timer; conversations in the .blend.

The test's mock server ($LSW_SERVER_URL, key $LSW_API_KEY) answers the chat requests in order:
the paced stream (12 words after 0.5 s, then one every 0.1 s, with a cost), a slow stream (one
word every 0.25 s), then echoes. $LSW_DOWN_URL has no server.
"""

from __future__ import annotations

import importlib
import math
import os
import time
import timeit

import bpy
from harness import MODULE, configure, install, prefs, pump_until, run, screenplay
from sidebar_support import draw, draw_seconds, editor_areas, in_editor, poll_message
from workflow_support import call, capture_log, conversation


def package(name: str):
    """A submodule of the installed extension, imported if nothing imported it yet."""
    return importlib.import_module(f"{MODULE}.{name}")


REQUEST_BUTTONS = ("analyze_script", "generate_dialogue", "describe_scene", "suggest_ideas", "ask")


def panel_classes() -> dict[str, list[type]]:
    sidebar = package("panels.sidebar")
    by_space: dict[str, list[type]] = {}
    for cls in sidebar.classes:
        by_space.setdefault(cls.bl_space_type, []).append(cls)
    return by_space


def draw_everywhere(places: dict) -> dict:
    """Every panel of every editor drawn now: what each drew, and which buttons may run."""
    out = {}
    for space, classes in panel_classes().items():
        out[space] = {"panels": {cls.__name__: draw(cls, places[space]) for cls in classes}}
        with in_editor(places[space]):
            out[space]["enabled"] = {
                name: getattr(bpy.ops.screenwriter, name).poll() for name in REQUEST_BUTTONS
            }
    return out


def polls(places: dict) -> dict:
    """Each refusal a button shows greyed out, in the editor's own context."""
    text_editor = places["TEXT_EDITOR"]
    viewport = places["VIEW_3D"]
    settings = bpy.context.scene.screenwriter
    space = text_editor[1].spaces.active
    out: dict = {}

    space.text = None
    settings.source = ""
    out["no_screenplay"] = poll_message("describe_scene", text_editor)
    out["no_screenplay_viewport"] = poll_message("describe_scene", viewport)
    settings.source = "Script"
    out["screenplay_picked_viewport"] = poll_message("describe_scene", viewport)
    settings.source = ""
    space.text = bpy.data.texts["Script"]
    out["script_open_in_editor"] = poll_message("describe_scene", text_editor)
    out["script_open_viewport_without_pick"] = poll_message("describe_scene", viewport)
    settings.source = "Script"

    settings.prompt = ""
    out["ask_without_prompt"] = poll_message("ask", text_editor)
    settings.prompt = "Who lit the lamp?"
    out["ask_with_prompt"] = poll_message("ask", text_editor)

    model = prefs().model
    prefs().model = ""
    out["no_model"] = poll_message("generate_dialogue", text_editor)
    out["no_model_script"] = poll_message("generate_dialogue", None, source="Script")
    prefs().model = model

    url = prefs().base_url
    prefs().base_url = "https://litellm.example.invalid"
    out["online_access"] = bpy.app.online_access
    out["offline_remote"] = poll_message("suggest_ideas", text_editor)
    out["offline_test_connection"] = poll_message("test_connection", text_editor)
    prefs().base_url = "http://localhost:9"  # on this computer: allowed while offline
    out["offline_local"] = poll_message("suggest_ideas", text_editor)
    prefs().base_url = url

    # A script (no editor in its context) names the screenplay itself: poll() lets it through
    # and execute() judges the property.
    settings.source = ""
    space.text = None
    out["script_named_source_polls"] = poll_message("describe_scene", None)
    out["script_missing_source"] = call("describe_scene", source="No Such Text")
    settings.source = "Script"
    return out


def status_checks(bridge, places: dict) -> dict:
    """The automatic status check: only with a panel on screen, at most once a minute, never
    against online access; each request's outcome updates it too."""
    health = package("health")
    status = package("status")
    screen = package("screen")
    job_state = package("job_state")
    out: dict = {}

    def checks() -> int:
        return sum(1 for j in job_state.jobs() if j.automatic)

    for _window, area, _region in places.values():
        area.spaces.active.show_region_ui = False
    screen.forget()
    out["no_panel"] = {"pump": bridge.pump(), "checks": checks(), "regions": 0}
    out["no_panel"]["maybe_check"] = health.maybe_check(time.monotonic() + 3600)

    # The panel is drawn in the Text Editor's sidebar: now a check is due and goes out.
    text_place = places["TEXT_EDITOR"]
    text_place[1].spaces.active.show_region_ui = True
    draw(panel_classes()["TEXT_EDITOR"][0], text_place)
    out["regions_after_draw"] = [r.as_pointer() for r in screen.panel_regions()]
    out["text_editor_sidebar"] = text_place[2].as_pointer()
    out["timer_armed_by_draw"] = bpy.app.timers.is_registered(bridge.pump)
    bridge.pump()
    out["checks_after_first_pump"] = checks()
    check_job = next(j for j in job_state.jobs() if j.automatic)
    pump_until(lambda: not check_job.active, timeout=10.0)
    current = status.current()
    out["after_check"] = {
        "job_state": check_job.state,
        "state": current.state,
        "latency_ms": current.latency_ms,
        "models": current.models,
        "checked_at": current.checked_at,
        "summary": current.summary(),
        "wall_now": time.time(),
    }
    # Pumping on for two seconds (40 ticks at the streaming rate) sends no second check.
    deadline = time.monotonic() + 2.0
    ticks = 0
    while time.monotonic() < deadline:
        bridge.pump()
        ticks += 1
        time.sleep(0.05)
    out["rate_limit"] = {"ticks": ticks, "checks": checks()}
    out["idle_interval_with_panel"] = bridge.pump()
    # A minute later (told by the clock passed in), the next one goes out.
    later = time.monotonic() + status.CHECK_INTERVAL + 1
    out["a_minute_later"] = health.maybe_check(later)
    out["checks_a_minute_later"] = checks()
    second = [j for j in job_state.jobs() if j.automatic][-1]
    pump_until(lambda: not second.active, timeout=10.0)
    # Online access off and the server elsewhere: no check, the status says why.
    url = prefs().base_url
    prefs().base_url = "https://litellm.example.invalid"
    out["offline"] = {
        "maybe_check": health.maybe_check(later + status.CHECK_INTERVAL + 1),
        "checks": checks(),
        "state": status.current().state,
        "message": status.current().message,
    }
    prefs().base_url = url
    # The sidebar closed: nothing on screen, no check however late.
    text_place[1].spaces.active.show_region_ui = False
    out["hidden"] = {
        "maybe_check": health.maybe_check(later + 10 * status.CHECK_INTERVAL),
        "checks": checks(),
        "pump": bridge.pump(),
    }
    for _window, area, _region in places.values():
        area.spaces.active.show_region_ui = True
    # A request's outcome: a server that is down makes the status fail, in the error's words.
    prefs().base_url = os.environ["LSW_DOWN_URL"]
    failed = call("describe_scene", source="Script")["job"]
    pump_until(lambda: not failed.active, timeout=15.0)
    out["after_failed_request"] = {
        "job": failed.state,
        "state": status.current().state,
        "message": status.current().message,
        "summary": status.current().summary(),
    }
    prefs().base_url = url
    return out


def progress_of_a_paced_stream(bridge, places: dict) -> dict:
    """The figures while the paced stream runs (sampled at every pump) and once it is done."""
    job = call("generate_dialogue", source="Script")["job"]
    samples = []
    while job.active:
        bridge.pump()
        now = time.monotonic()
        progress = job.progress(now)
        samples.append(
            {
                "t": now - job.started,
                "state": job.state,
                "chars": job.chars,
                "tokens": job.tokens,
                "exact": job.tokens_exact,
                "ttft": job.time_to_first_token,
                "rate": job.tokens_per_second(now),
                "factor": progress.factor,
                "shape": progress.shape,
                "text": progress.text,
            }
        )
        if samples[-1]["t"] > 20:
            break
        time.sleep(0.02)
    now = time.monotonic()
    return {
        "samples": samples,
        "end": {
            "state": job.state,
            "chars": job.chars,
            "tokens": job.tokens,
            "exact": job.tokens_exact,
            "usage": job.usage.completion_tokens if job.usage else None,
            "ttft": job.time_to_first_token,
            "elapsed": job.elapsed_at(now),
            "streaming_seconds": job.finished - job.first_text_at,
            "rate": job.tokens_per_second(now),
            "cost": job.cost,
            "first_byte_timeout": job.first_byte_timeout,
            "estimate_rule": math.ceil(job.chars / 4),
        },
    }


def streaming_state(bridge, places: dict) -> dict:
    """The slow stream halfway: every panel drawn, the busy button's poll message; then Cancel."""
    job = call("describe_scene", source="Script")["job"]
    pump_until(lambda: job.chars >= 6, timeout=10.0)
    drawn = draw_everywhere(places)
    busy = poll_message("describe_scene", places["VIEW_3D"])
    mid = {"state": job.state, "chars": job.chars, "job_id": job.job_id}
    with in_editor(places["TEXT_EDITOR"]):
        bpy.ops.screenwriter.cancel(job_id=job.job_id)
    pump_until(lambda: not job.active, timeout=10.0)
    return {"drawn": drawn, "busy": busy, "mid": mid, "end": job.state}


def failed_state(bridge, places: dict) -> dict:
    """A request that fails (nothing listens at the URL): drawn, and on its way to the Info log."""
    info_log = package("info_log")
    info_log.use_windows = True  # the window path, as a Blender with windows takes it
    url = prefs().base_url
    prefs().base_url = os.environ["LSW_DOWN_URL"]
    job = call("suggest_ideas", source="Script")["job"]
    pump_until(lambda: not job.active, timeout=15.0)
    prefs().base_url = url
    window = bpy.context.window_manager.windows[0]
    reporters = [op.bl_idname for op in window.modal_operators]
    out = {
        "state": job.state,
        "message": job.message,
        "pending": info_log.pending(),
        "modal_operators": reporters,
        "drawn": draw_everywhere(places),
    }
    info_log.use_windows = False
    return out


def idle_cost(bridge, places: dict) -> dict:
    """What the timer costs when nothing runs: per call, and how often it is called."""
    screen = package("screen")
    package("status").record_attempt(time.monotonic())  # as if the last check went out now
    for _window, area, _region in places.values():
        area.spaces.active.show_region_ui = False
    screen.forget()
    calls = 20000
    no_panel_us = timeit.timeit(bridge.pump, number=calls) / calls * 1e6
    no_panel_interval = bridge.pump()
    text_place = places["TEXT_EDITOR"]
    text_place[1].spaces.active.show_region_ui = True
    draw(panel_classes()["TEXT_EDITOR"][0], text_place)
    panel_us = timeit.timeit(bridge.pump, number=calls) / calls * 1e6
    panel_interval = bridge.pump()
    draw_us = {
        space: draw_seconds(classes, places[space]) * 1e6
        for space, classes in panel_classes().items()
    }
    return {
        "no_panel_us_per_call": no_panel_us,
        "no_panel_interval": no_panel_interval,
        "panel_us_per_call": panel_us,
        "panel_interval": panel_interval,
        "draw_us_per_redraw": draw_us,
    }


def redraw_targets(places: dict) -> dict:
    """Which sidebars the timer redraws: those our panel drew in, while they are shown."""
    screen = package("screen")
    screen.forget()
    out = {"none_drawn": len(screen.panel_regions())}
    for space, classes in panel_classes().items():
        places[space][1].spaces.active.show_region_ui = True
        draw(classes[0], places[space])
    pointers = {s: p[2].as_pointer() for s, p in places.items()}
    out["all_drawn"] = sorted(r.as_pointer() for r in screen.panel_regions())
    out["expected_all"] = sorted(pointers.values())
    places["SEQUENCE_EDITOR"][1].spaces.active.show_region_ui = False
    out["sequencer_sidebar_hidden"] = sorted(r.as_pointer() for r in screen.panel_regions())
    places["VIEW_3D"][1].type = "OUTLINER"  # the area is another editor now
    out["viewport_gone"] = [r.as_pointer() for r in screen.panel_regions()]
    out["text_editor"] = pointers["TEXT_EDITOR"]
    out["viewport"] = pointers["VIEW_3D"]
    places["VIEW_3D"][1].type = "VIEW_3D"
    places["SEQUENCE_EDITOR"][1].spaces.active.show_region_ui = True
    return out


def saved_and_loaded(tmp: str) -> dict:
    """Conversations (one per request type) survive save and reload; the key never is saved."""
    before = {c.kind: (c.exchanges, c.data) for c in bpy.context.scene.screenwriter.conversations}
    path = os.path.join(tmp, "sidebar.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path)
    bpy.ops.wm.open_mainfile(filepath=path)
    after = {c.kind: (c.exchanges, c.data) for c in bpy.context.scene.screenwriter.conversations}
    with open(path, "rb") as handle:
        blob = handle.read()
    key = os.environ["LSW_API_KEY"].encode()
    return {
        "same": before == after,
        "kinds": sorted(after),
        "exchanges": {k: v[0] for k, v in after.items()},
        "key_in_file": key in blob,
        "dialogue_turns": len(conversation("dialogue")),
    }


def main() -> dict:
    install()
    configure()
    screenplay()
    log = capture_log()
    bridge = package("bridge")
    places = editor_areas()
    places["TEXT_EDITOR"][1].spaces.active.text = bpy.data.texts["Script"]
    bpy.context.scene.screenwriter.source = "Script"
    bpy.context.scene.screenwriter.prompt = "Who lit the lamp?"
    result: dict = {"pointers": {s: p[2].as_pointer() for s, p in places.items()}}
    result["idle"] = draw_everywhere(places)
    result["polls"] = polls(places)
    result["status"] = status_checks(bridge, places)
    result["progress"] = progress_of_a_paced_stream(bridge, places)
    result["done"] = draw_everywhere(places)
    result["totals"] = vars(package("job_state").totals()).copy()
    result["streaming"] = streaming_state(bridge, places)
    result["failed"] = failed_state(bridge, places)
    job_state = package("job_state")
    snapshot = [dict(vars(j)) for j in job_state.jobs()]
    draw_everywhere(places)
    result["draw_writes_no_job_state"] = snapshot == [dict(vars(j)) for j in job_state.jobs()]
    result["idle_cost"] = idle_cost(bridge, places)
    result["redraw"] = redraw_targets(places)
    result["saved"] = saved_and_loaded(os.environ["LSW_TMP"])
    result["log_errors"] = log.errors()
    result["log"] = log.records
    return result


run(main)
