"""The real LiteLLM proxy restarted between two requests: the next request succeeds.

$LSW_SERVER_URL is a real LiteLLM proxy (tests/proxy/litellm_config.yaml, mock_response
models) and $LSW_API_KEY its master key. After the first answer this script touches
``restart.sent`` in $LSW_GATES; the test stops the proxy, starts it again on the same port and
touches ``restart.go``. The pooled connection of the first request is then dead: the second
request, with Retries 0 so that no retry can hide a failure, must still succeed.
"""

from __future__ import annotations

import time

import bpy  # noqa: F401  (first: harness imports Blender's own modules)
from harness import configure, install, prefs, run, screenplay, worker_threads
from workflow_support import GATES, capture_log, request

MODEL = "screenwriter-text"


def wait_for_restart(timeout: float = 180.0) -> float:
    """Ask the test to restart the proxy; how long it took (the test gives up past ``timeout``)."""
    started = time.monotonic()
    (GATES / "restart.sent").touch()
    while not (GATES / "restart.go").exists():
        assert time.monotonic() - started < timeout, "the proxy was not restarted in time"
        time.sleep(0.05)
    return time.monotonic() - started


def main() -> dict:
    result: dict = {"install_seconds": install()}
    configure(model=MODEL)
    screenplay()
    log = capture_log()
    result["before"] = request("describe_scene", source="Script", timeout=60.0)
    result["restart_seconds"] = wait_for_restart()
    prefs().max_retries = 0
    result["after"] = request("describe_scene", source="Script", timeout=60.0)
    prefs().max_retries = 2
    result["again"] = request("ask", source="Script", prompt="Still there?", timeout=60.0)
    result["threads"] = len(worker_threads())
    result["log_errors"] = log.errors()
    return result


run(main)
