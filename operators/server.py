"""The server buttons: check the connection, list the proxy's models, find a local proxy.

Each goes through the worker thread like a chat request (Blender never waits on the network)
and reports in the panel and the preferences when the answer is back.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from urllib.parse import urlsplit

import bpy

from .. import bridge
from ..preferences import get_preferences

__all__ = ["classes", "online_access_problem"]

DEFAULT_CANDIDATES = ("http://localhost:4000", "http://127.0.0.1:4000")


def _is_loopback(url: str) -> bool:
    host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def online_access_problem(url: str) -> str | None:
    """Why Blender's "Allow Online Access" forbids reaching ``url`` (None when it may go).

    A LiteLLM proxy on this computer is always allowed: it is not online access.
    """
    if getattr(bpy.app, "online_access", True) or _is_loopback(url or "localhost"):
        return None
    return (
        "Online access is off (Preferences > System > Network > Allow Online Access): turn it "
        "on to reach the LiteLLM server, or use one on this computer."
    )


def _server_url() -> str:
    from ..client import ClientConfig

    prefs = get_preferences()
    return ClientConfig(base_url=prefs.base_url.strip() or None).base_url


class _ServerOperator(bpy.types.Operator):
    bl_options = {"REGISTER"}

    def ask_server(self, action: str, done: Callable[[bridge.Job], None]) -> set[str]:
        """Send a Query for the configured server, unless online access forbids it."""
        from ..worker import Query

        url = _server_url()
        problem = online_access_problem(url)
        if problem:
            self.report({"ERROR"}, problem)
            return {"CANCELLED"}
        bridge.submit_query(Query(action), title=self.bl_label, on_done=done)
        self.report({"INFO"}, f"{self.bl_label}: asking {url}…")
        return {"FINISHED"}


class SCREENWRITER_OT_test_connection(_ServerOperator):
    bl_idname = "screenwriter.test_connection"
    bl_label = "Test Connection"
    bl_description = "Check that the LiteLLM server answers and accepts the API key"

    def execute(self, _context: bpy.types.Context) -> set[str]:
        def done(job: bridge.Job) -> None:
            check = job.result
            bridge.set_known_models(list(check.models))
            ready = "" if check.ready is not False else " but reports it is not ready"
            job.message = (
                f"Connected to {check.url}{ready} in {check.latency_ms:.0f} ms; the key is "
                f"accepted and {len(check.models)} models are available."
            )

        return self.ask_server("check", done)


class SCREENWRITER_OT_refresh_models(_ServerOperator):
    bl_idname = "screenwriter.refresh_models"
    bl_label = "Refresh Models"
    bl_description = "Ask the LiteLLM server which models it offers to your key"

    def execute(self, _context: bpy.types.Context) -> set[str]:
        def done(job: bridge.Job) -> None:
            models = list(job.result)
            bridge.set_known_models(models)
            prefs = get_preferences()
            if not models:
                job.message = "The server offers no model to this key."
            elif prefs.model in models:
                job.message = f"{len(models)} models; {prefs.model} is one of them."
            else:
                job.message = (
                    f"{len(models)} models, but not {prefs.model!r}: pick one in the "
                    "preferences (Model)."
                )

        return self.ask_server("list_models", done)


class SCREENWRITER_OT_detect_server(_ServerOperator):
    bl_idname = "screenwriter.detect_server"
    bl_label = "Detect Server"
    bl_description = (
        "Look for a LiteLLM proxy at the configured address, $LITELLM_BASE_URL, "
        "$LITELLM_PROXY_URL and localhost:4000, and use the first that answers"
    )

    def execute(self, _context: bpy.types.Context) -> set[str]:
        from ..worker import Query

        prefs = get_preferences()
        candidates = [prefs.base_url.strip()]
        candidates += [
            os.environ.get(n, "").strip() for n in ("LITELLM_BASE_URL", "LITELLM_PROXY_URL")
        ]
        candidates += DEFAULT_CANDIDATES
        candidates = [c for c in candidates if c and online_access_problem(c) is None]
        if not candidates:
            self.report({"ERROR"}, online_access_problem("") or "No address to try.")
            return {"CANCELLED"}

        def done(job: bridge.Job) -> None:
            found = job.result
            preferences = get_preferences()
            if preferences.base_url.rstrip("/") != found.url:
                preferences.base_url = found.url
            job.message = f"Found a LiteLLM server at {found.url} ({found.latency_ms:.0f} ms)."

        bridge.submit_query(Query("detect", tuple(candidates)), title="Detect Server", on_done=done)
        self.report({"INFO"}, f"Looking for a LiteLLM server at {', '.join(candidates)}…")
        return {"FINISHED"}


classes = (
    SCREENWRITER_OT_test_connection,
    SCREENWRITER_OT_refresh_models,
    SCREENWRITER_OT_detect_server,
)
