"""Blender ends while an answer streams: by the script simply finishing, or by ``sys.exit``.

Argument: ``finish``, ``sys_exit`` or ``wedged`` (finish with the worker's event loop blocked,
as if stuck in a call that never returns: the exit must not wait for it). The test's mock
server ($LSW_SERVER_URL) streams one chunk, then stalls.

Unlike the other scripts this one does not leave through ``os._exit``: it prints its RESULT,
with the monotonic time it ends at, and lets Blender's own exit path run (the bpy module's
atexit runs ``addon_utils.disable_all()``, which calls the extension's ``unregister()``). The
test measures how long the process takes to be gone. ``unregister`` is wrapped to print a
second RESULT when it has run, with the threads still alive after it.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import bpy
from harness import WORKER_THREAD, configure, install, package, pump_until, screenplay

MODE = sys.argv[1]


def threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t is not threading.main_thread())


def main() -> dict:
    install()
    configure()
    screenplay()
    bridge = package("bridge")
    assert bpy.ops.screenwriter.ask(prompt="Still there?", source="Script") == {"FINISHED"}
    job = bridge.latest_job()
    streaming = pump_until(lambda: job.chars > 0 and job.state == "running", timeout=10.0)
    if MODE == "wedged":
        bridge._worker._loop.call_soon_threadsafe(time.sleep, 30.0)  # its loop is stuck now
        time.sleep(0.1)
    result = {
        "mode": MODE,
        "streaming": streaming,
        "state": job.state,
        "threads_while_streaming": threads(),
        "worker_is_daemon": [t.daemon for t in threading.enumerate() if t.name == WORKER_THREAD],
        "blender_version": bpy.app.version_string,
    }
    unregister = bridge.unregister

    def traced() -> None:
        started = time.monotonic()
        unregister()
        result["unregister"] = {
            "seconds": time.monotonic() - started,
            "threads_after": threads(),
        }
        print("RESULT " + json.dumps(result), flush=True)

    bridge.unregister = traced
    return result


outcome = main()
outcome["ending_at"] = time.monotonic()
print("RESULT " + json.dumps(outcome), flush=True)
if MODE == "sys_exit":
    sys.exit(0)
