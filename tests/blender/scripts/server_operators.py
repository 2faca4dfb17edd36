"""The server buttons in real Blender: Test Connection, Refresh Models, Detect Server, and
Blender's "Allow Online Access" (off in the bpy module) refusing a server off this computer.

$LSW_SERVER_URL is the test's mock server (key $LSW_API_KEY); $LSW_CLOSED_URL has no server.
"""

from __future__ import annotations

import os

import bpy
from harness import configure, disable, install, package, prefs, pump_until, run


def click(operator: str) -> dict:
    """Run a server operator, pump until its job ends, report how it ended."""
    bridge = package("bridge")
    before = bridge.server_job()
    group, name = operator.split(".")
    returned = getattr(getattr(bpy.ops, group), name)()
    job = bridge.server_job()
    if job is None or job is before:
        return {"returned": sorted(returned), "job": None}
    pump_until(lambda: not job.active, timeout=20.0)
    return {
        "returned": sorted(returned),
        "state": job.state,
        "message": job.message,
        "error": type(job.error).__name__ if job.error is not None else None,
    }


def main() -> dict:
    install()
    configure()
    bridge = package("bridge")
    result: dict = {"online_access": bpy.app.online_access}

    result["check"] = click("screenwriter.test_connection")
    result["refresh"] = click("screenwriter.refresh_models")
    result["known_models"] = bridge.known_models()

    prefs().model = "not-on-this-server"
    result["refresh_unknown_model"] = click("screenwriter.refresh_models")

    prefs().api_key = "sk-wrong-key"
    result["wrong_key"] = click("screenwriter.test_connection")
    prefs().api_key = os.environ.get("LSW_API_KEY", "")

    # Detect: the configured address is dead, $LITELLM_BASE_URL points at the live server.
    prefs().base_url = os.environ["LSW_CLOSED_URL"]
    os.environ["LITELLM_BASE_URL"] = os.environ["LSW_SERVER_URL"]
    result["detect"] = click("screenwriter.detect_server")
    result["base_url_after_detect"] = prefs().base_url

    # A server off this computer while online access is off: refused before any traffic.
    if not bpy.app.online_access:
        prefs().base_url = "https://litellm.example.invalid"
        try:
            bpy.ops.screenwriter.test_connection()
            result["offline_refused"] = False
        except RuntimeError as error:  # an operator's ERROR report raises in background mode
            result["offline_refused"] = True
            result["offline_message"] = str(error)
        bpy.data.texts.new("Script").from_string("INT. HOUSE - DAY\n")
        prefs().model = "mock-echo"
        try:
            bpy.ops.screenwriter.ask(source="Script", prompt="Hello?")
            result["offline_ask_refused"] = False
        except RuntimeError as error:
            result["offline_ask_refused"] = True
            result["offline_ask_message"] = str(error)

    disable()
    return result


run(main)
