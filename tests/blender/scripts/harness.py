"""Shared steps of the scripts that run inside real Blender (the ``bpy`` module).

Each script runs in its own process (Blender can hang at exit while a thread lives or classes
stay registered), installs the built zip with Blender's own installer into the temporary
``BLENDER_USER_RESOURCES`` the test chose, and ends with one ``RESULT {json}`` line. The process
always leaves through ``leave`` (``os._exit``) so a stuck thread cannot keep it alive.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Callable

import addon_utils
import bpy

REPO = "user_default"
MODULE = f"bl_ext.{REPO}.litellm_screenwriter"
WORKER_THREAD = "litellm-screenwriter-worker"
HANDLER_LISTS = ("load_pre", "load_post", "save_pre", "save_post", "depsgraph_update_post")


def _raise(exc: BaseException) -> None:
    raise exc


def install() -> float:
    """Install (and enable) the zip from $LSW_ZIP with Blender's extension installer."""
    start = time.perf_counter()
    result = bpy.ops.extensions.package_install_files(
        filepath=os.environ["LSW_ZIP"], repo=REPO, enable_on_install=True
    )
    seconds = time.perf_counter() - start
    assert result == {"FINISHED"}, f"package_install_files returned {result}"
    # The installer reports a failing register() instead of raising it: check it took.
    loaded_default, loaded_state = addon_utils.check(MODULE)
    assert loaded_default, f"{MODULE} is not enabled after install (see the traceback above)"
    assert loaded_state, f"{MODULE} is not loaded after install (see the traceback above)"
    return seconds


def enable() -> None:
    mod = addon_utils.enable(MODULE, default_set=True, handle_error=_raise)
    assert mod is not None, f"addon_utils.enable({MODULE!r}) returned None"


def disable() -> None:
    addon_utils.disable(MODULE, default_set=True, handle_error=_raise)


def package(name: str = ""):
    return sys.modules[f"{MODULE}.{name}" if name else MODULE]


def prefs():
    return bpy.context.preferences.addons[MODULE].preferences


def configure(model: str = "mock-echo") -> None:
    p = prefs()
    p.base_url = os.environ["LSW_SERVER_URL"]
    p.api_key = os.environ.get("LSW_API_KEY", "")
    p.model = model


def worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == WORKER_THREAD and t.is_alive()]


def extension_classes() -> list[type]:
    """Every Blender class (operator, panel, preferences, property group) the extension defines.

    Collected from the loaded submodules; since enabling again does not reload them, the same
    class objects can be checked after a disable.
    """
    found: dict[str, type] = {}
    for name, module in list(sys.modules.items()):
        if not (name == MODULE or name.startswith(f"{MODULE}.")) or module is None:
            continue
        # Module attributes, and the ``classes`` tuples (which hold generated classes too).
        for value in [*vars(module).values(), *getattr(module, "classes", ())]:
            if (
                isinstance(value, type)
                and issubclass(value, bpy.types.bpy_struct)
                and value.__module__.startswith(MODULE)
                and not value.__name__.startswith("_")
            ):
                found[f"{name}.{value.__name__}"] = value
    return [found[key] for key in sorted(found)]


def leftovers(classes: list[type]) -> dict:
    """Everything the extension could leave behind after disable (all empty/false when clean)."""
    handlers = [
        f"{list_name}:{fn.__name__}"
        for list_name in HANDLER_LISTS
        for fn in getattr(bpy.app.handlers, list_name)
        if getattr(fn, "__module__", "").startswith(MODULE)
    ]
    bridge = sys.modules.get(f"{MODULE}.bridge")
    return {
        "classes": sorted(c.__name__ for c in classes if c.is_registered),
        "type_names": sorted(n for n in dir(bpy.types) if n.startswith("SCREENWRITER_")),
        "handlers": handlers,
        "timer": bool(bridge and bpy.app.timers.is_registered(bridge.pump)),
        "threads": len(worker_threads()),
        "scene_property": hasattr(bpy.types.Scene, "screenwriter"),
    }


class PumpImports:
    """The extension's modules first imported on the main thread inside ``pump()``: each is a
    stall of Blender's UI in the middle of an answer (3 ms when the module compiles)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.pumping = False

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        # Asked by the importing thread, only for a module not imported yet; finds nothing.
        if (
            self.pumping
            and name.startswith(MODULE)
            and threading.current_thread() is threading.main_thread()
        ):
            self.names.append(name)


PUMP_IMPORTS = PumpImports()
sys.meta_path.insert(0, PUMP_IMPORTS)


def pump_until(predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
    """Drive the bridge as Blender's timer would (timers never fire in the bpy module)."""
    bridge = package("bridge")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        PUMP_IMPORTS.pumping = True
        try:
            interval = bridge.pump()  # None: the timer would stop (idle, no panel on screen)
        finally:
            PUMP_IMPORTS.pumping = False
        if predicate():
            return True
        time.sleep(min(interval or 0.05, 0.05))
    return predicate()


def screenplay(name: str = "Script") -> bpy.types.Text:
    text = bpy.data.texts.get(name) or bpy.data.texts.new(name)
    text.from_string(
        "INT. LIGHTHOUSE - NIGHT\n\nMARA climbs the stairs.\n\nMARA\nWho lit the lamp?\n"
    )
    return text


def run(main: Callable[[], dict]) -> None:
    """Run a scenario; print its result as JSON; exit 0 only when it raised nothing."""
    try:
        result = main()
        result["blender_version"] = bpy.app.version_string
        result["python_version"] = "{}.{}".format(*sys.version_info[:2])
        print("RESULT " + json.dumps(result, default=str), flush=True)
        code = 0
    except BaseException:
        traceback.print_exc()
        print("RESULT " + json.dumps({"error": traceback.format_exc()}), flush=True)
        code = 1
    leave(code)


def leave(code: int) -> None:
    """Exit now, without Blender's exit path, but first remove what that path would have
    removed: Blender's session temp folder (``bpy.app.tempdir``, a ``blender_*`` folder in
    ``$TMPDIR``), which ``os._exit`` would otherwise leave behind on every run."""
    sys.stdout.flush()
    sys.stderr.flush()
    shutil.rmtree(bpy.app.tempdir, ignore_errors=True)
    os._exit(code)
