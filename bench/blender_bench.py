"""The Blender half of ``make bench``, run by the Blender python (the ``bpy`` module).

Installs the built extension zip into a temporary user folder with Blender's own installer,
then measures what the screenwriter could feel: ``register()`` time, the main-thread cost of
``pump()`` while an answer streams at 2,000 chunks/s into a Text datablock, the delay from a
chunk leaving the server to its text being in the Text, the cost of an idle ``pump()``, scene
markers for a feature's 190 scenes, and how long a request operator holds Blender on a
150,000-character script.
Timers never fire in the bpy module, so this loop calls ``pump()`` at its own returned
interval, as Blender's timer would. Prints ``BENCH {json}``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHUNKS = 4000
RATE = 2000
STAMP = re.compile(r"<(\d{19})>")
GROUNDED_REPEATS = 9


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def grounded_figures(bpy, bridge, module: str) -> dict:
    """Scene markers for the 190-scene feature sample and the return time of Generate Dialogue
    on a 150,000-character script, each on new text content (the parse cache cannot answer),
    as after the writer typed; and markers again on unchanged text (parse cached)."""
    from importlib import import_module

    samples = import_module(f"{module}.screenplay.samples")

    def lf(text: str) -> str:  # as a script written in Blender holds its line ends
        return text.replace("\r\n", "\n").replace("\r", "\n")

    feature = lf(samples.feature_screenplay())
    script = bpy.data.texts.new("Bench Feature")
    fresh, again = [], []
    for repeat in range(GROUNDED_REPEATS):
        script.from_string(feature + f"\n[[bench {repeat}]]\n")
        started = time.perf_counter()
        bpy.ops.screenwriter.scene_markers(source=script.name)
        fresh.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        bpy.ops.screenwriter.scene_markers(source=script.name)
        again.append((time.perf_counter() - started) * 1000)
    markers = len(bpy.context.scene.timeline_markers)

    scenes = 190
    while len(lf(samples.feature_screenplay(scenes))) < 150_000:
        scenes += 1
    big_text = lf(samples.feature_screenplay(scenes))
    big = bpy.data.texts.new("Bench Big")
    returned = []
    for repeat in range(GROUNDED_REPEATS):
        big.from_string(big_text + f"\n[[bench {repeat}]]\n")
        big.cursor_set(len(big.lines) // 2)
        started = time.perf_counter()
        bpy.ops.screenwriter.generate_dialogue(source=big.name)
        returned.append((time.perf_counter() - started) * 1000)
        job = bridge.latest_job()
        deadline = time.monotonic() + 30
        while job.active and time.monotonic() < deadline:
            time.sleep(bridge.pump() or 0.0)  # None once idle
        if job.state != "done":
            raise SystemExit(f"the grounded request ended {job.state}: {job.message}")
    return {
        "markers": markers,
        "markers_ms_p50": statistics.median(fresh),
        "markers_ms_max": max(fresh),
        "markers_again_ms_p50": statistics.median(again),
        "request_chars": len(big_text),
        "request_return_ms_p50": statistics.median(returned),
        "request_return_ms_max": max(returned),
        "grounded_repeats": GROUNDED_REPEATS,
    }


def main(url: str) -> dict:
    import bpy  # first: importing bpy puts Blender's scripts (addon_utils) on sys.path

    # isort: split
    import addon_utils

    module = "bl_ext.user_default.litellm_screenwriter"
    zips = sorted((ROOT / "dist").glob("litellm_screenwriter-*-linux_x64.zip"))
    if not zips:
        raise SystemExit("no linux-x64 zip in dist/: run make build")
    # Installing enables once, which also unpacks the bundled wheels (Blender's one-time work).
    result = bpy.ops.extensions.package_install_files(
        filepath=str(zips[-1]), repo="user_default", enable_on_install=True
    )
    assert result == {"FINISHED"}, result

    def fail(error: BaseException) -> None:
        raise error

    # Cold start as at Blender start-up: forget our modules, then enable (import + register).
    addon_utils.disable(module, default_set=True, handle_error=fail)
    for name in [n for n in sys.modules if n == module or n.startswith(module + ".")]:
        del sys.modules[name]
    start = time.perf_counter()
    addon_utils.enable(module, default_set=True, handle_error=fail)
    enable_ms = (time.perf_counter() - start) * 1000
    # register() alone, modules already imported.
    package = sys.modules[module]
    package.unregister()
    start = time.perf_counter()
    package.register()
    register_ms = (time.perf_counter() - start) * 1000

    bridge = sys.modules[f"{module}.bridge"]
    from importlib import import_module

    worker_module = import_module(f"{module}.worker")
    prefs = bpy.context.preferences.addons[module].preferences
    prefs.base_url = url
    prefs.model = "bench"

    text_name = "Screenwriter Bench"
    request = worker_module.Request(
        "bench",
        [{"role": "user", "content": f"chunks:{CHUNKS}:size:4:rate:{RATE}"}],
        kind="dialogue",
    )
    job = bridge.submit(request, title="Bench", text_name=text_name)
    pump_ms: list[float] = []
    delays_ms: list[float] = []
    seen = 0
    deadline = time.monotonic() + 60
    interval = bridge.ACTIVE_INTERVAL
    while job.active and time.monotonic() < deadline:
        began = time.perf_counter()
        interval = bridge.pump() or 0.0  # None once idle: the timer would stop
        pump_ms.append((time.perf_counter() - began) * 1000)
        now = time.time_ns()
        body = bpy.data.texts[text_name].as_string()
        for stamp in STAMP.findall(body, seen):
            delays_ms.append((now - int(stamp)) / 1e6)
        seen = len(body)
        time.sleep(max(0.0, interval - (time.perf_counter() - began)))
    if job.state != "done":
        raise SystemExit(f"the bench job ended {job.state}: {job.message}")
    received = len(STAMP.findall(bpy.data.texts[text_name].as_string()))
    if received != CHUNKS:
        raise SystemExit(f"{received} of {CHUNKS} chunks reached the Text")

    idle_calls = 20000
    start = time.perf_counter()
    for _ in range(idle_calls):
        bridge.pump()
    idle_us = (time.perf_counter() - start) / idle_calls * 1e6

    grounded = grounded_figures(bpy, bridge, module)

    addon_utils.disable(module, default_set=True, handle_error=fail)
    busy = [t for t in pump_ms if t > 0]
    return {
        "blender": bpy.app.version_string,
        "register_ms": register_ms,
        "cold_enable_ms": enable_ms,
        "pump_ms_p50": statistics.median(busy),
        "pump_ms_p99": percentile(busy, 0.99),
        "pump_calls": len(busy),
        "delay_ms_p50": statistics.median(delays_ms),
        "delay_ms_p99": percentile(delays_ms, 0.99),
        "interval_ms": bridge.ACTIVE_INTERVAL * 1000,
        "idle_pump_us": idle_us,
        "chunks": CHUNKS,
        "rate": RATE,
        **grounded,
    }


if __name__ == "__main__":
    code = 1
    with tempfile.TemporaryDirectory(prefix="lsw-bench-") as user:
        os.environ["BLENDER_USER_RESOURCES"] = user
        try:
            print("BENCH " + json.dumps(main(sys.argv[1])), flush=True)
            code = 0
        except BaseException:
            import traceback

            traceback.print_exc()
    sys.stdout.flush()
    sys.stderr.flush()
    # os._exit skips Blender's exit path, so remove what it would: the session temp folder.
    if "bpy" in sys.modules:  # imported by main() once BLENDER_USER_RESOURCES was set
        shutil.rmtree(sys.modules["bpy"].app.tempdir, ignore_errors=True)
    os._exit(code)  # a stuck thread must not keep the process alive
