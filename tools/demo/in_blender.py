"""The Blender half of ``make demo``: runs inside the ``bpy`` module, as a screenwriter would
click through the Screenwriter panel. Timers do not fire in the bpy module, so this script
calls the bridge's ``pump()`` at the interval it asks for, as Blender's timer does."""

from __future__ import annotations

import os
import sys
import textwrap
import time
import traceback

import bpy  # first: importing bpy puts Blender's scripts (addon_utils) on sys.path

# isort: split
import addon_utils

MODULE = "bl_ext.user_default.litellm_screenwriter"
SCREENPLAY = """\
Title: The Keeper's Light
Author: Demo

INT. LIGHTHOUSE - NIGHT

Rain hammers the glass. MARA (40s, oilskin coat) climbs the last turn of the iron stairs.
The great lamp is already burning.

MARA
Who lit the lamp?

Nobody answers. On the desk, the logbook lies open. The ink is still wet.
"""

STEPS = (
    ("screenwriter.analyze_script", "demo-analysis", {}),
    ("screenwriter.generate_dialogue", "demo-dialogue", {}),
    ("screenwriter.describe_scene", "demo-scene", {}),
    ("screenwriter.suggest_ideas", "demo-ideas", {}),
    ("screenwriter.ask", "demo-answer", {"prompt": "What does Tomas sound like?"}),
)


def fail(error: BaseException) -> None:
    raise error


def pump_until_idle(bridge, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        interval = bridge.pump()
        if not bridge.active_jobs():
            return
        time.sleep(interval)


def show(title: str, body: str) -> None:
    print(f"--- {title} " + "-" * max(0, 60 - len(title)))
    print(textwrap.indent(body.rstrip(), "  "))
    print()


def main() -> None:
    result = bpy.ops.extensions.package_install_files(
        filepath=os.environ["LSW_ZIP"], repo="user_default", enable_on_install=True
    )
    assert result == {"FINISHED"}, result
    addon_utils.enable(MODULE, default_set=True, handle_error=fail)
    bridge = sys.modules[f"{MODULE}.bridge"]
    prefs = bpy.context.preferences.addons[MODULE].preferences
    prefs.base_url = os.environ["LSW_SERVER_URL"]
    prefs.api_key = os.environ["LSW_API_KEY"]
    print(f"Installed LiteLLM Screenwriter into Blender {bpy.app.version_string}\n")

    script = bpy.data.texts.new("The Keeper's Light.fountain")
    script.from_string(SCREENPLAY)
    bpy.context.scene.screenwriter.source = script.name

    for operator, model, props in STEPS:
        prefs.model = model
        group, name = operator.split(".")
        started = time.perf_counter()
        getattr(getattr(bpy.ops, group), name)(source=script.name, **props)
        returned = time.perf_counter() - started
        job = bridge.latest_job()
        pump_until_idle(bridge)
        print(
            f"[{operator}] returned to Blender in {returned * 1000:.0f} ms; the answer "
            f"{job.state} {time.perf_counter() - started:.2f} s later: {job.message}"
        )
        show(job.text_name, bpy.data.texts[job.text_name].as_string())

    print("What the screenwriter sees when the API key is wrong:")
    prefs.api_key = "sk-wrong-key"
    bpy.ops.screenwriter.ask(source=script.name, prompt="Is anyone there?")
    job = bridge.latest_job()
    pump_until_idle(bridge)
    print(f"  [{job.state}] {job.message}\n")

    addon_utils.disable(MODULE, default_set=True, handle_error=fail)
    print("Disabled the extension: the worker thread stopped, nothing left behind.")


if __name__ == "__main__":
    code = 1
    try:
        main()
        code = 0
    except BaseException:
        traceback.print_exc()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # a stuck thread must not keep Blender alive
