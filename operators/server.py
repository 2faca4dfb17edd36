"""The server buttons: check the connection, list the proxy's models, find a local proxy.

Each goes through the worker thread like a chat request (Blender never waits on the network);
what its answer does is declared by its query action (``results.QUERY_ACTIONS``). Greyed out
with the reason while online access forbids reaching the configured server.
"""

from __future__ import annotations

import os

import bpy

from .. import bridge
from ..online import is_loopback, online_access_problem, server_url
from ..preferences import get_preferences

__all__ = ["classes", "is_loopback", "online_access_problem"]

DEFAULT_CANDIDATES = ("http://localhost:4000", "http://127.0.0.1:4000")


class _ServerOperator(bpy.types.Operator):
    bl_options = {"REGISTER"}
    action = "check"

    @classmethod
    def poll(cls, _context: bpy.types.Context) -> bool:
        problem = online_access_problem(server_url())
        if problem:
            cls.poll_message_set(problem)
            return False
        return True

    def execute(self, _context: bpy.types.Context) -> set[str]:
        from ..worker import Query

        url = server_url()
        problem = online_access_problem(url)
        if problem:
            self.report({"ERROR"}, problem)
            return {"CANCELLED"}
        bridge.submit_query(Query(self.action), title=self.bl_label)
        self.report({"INFO"}, f"{self.bl_label}: asking {url}…")
        return {"FINISHED"}


class SCREENWRITER_OT_test_connection(_ServerOperator):
    bl_idname = "screenwriter.test_connection"
    bl_label = "Test Connection"
    bl_description = "Check that the LiteLLM server answers and accepts the API key"
    action = "check"


class SCREENWRITER_OT_refresh_models(_ServerOperator):
    bl_idname = "screenwriter.refresh_models"
    bl_label = "Refresh Models"
    bl_description = "Ask the LiteLLM server which models it offers to your key"
    action = "list_models"


class SCREENWRITER_OT_detect_server(bpy.types.Operator):
    bl_idname = "screenwriter.detect_server"
    bl_label = "Detect Server"
    bl_description = (
        "Look for a LiteLLM proxy at the configured address, $LITELLM_BASE_URL, "
        "$LITELLM_PROXY_URL and localhost:4000, and use the first that answers"
    )
    bl_options = {"REGISTER"}

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
        bridge.submit_query(Query("detect", tuple(candidates)), title="Detect Server")
        self.report({"INFO"}, f"Looking for a LiteLLM server at {', '.join(candidates)}…")
        return {"FINISHED"}


classes = (
    SCREENWRITER_OT_test_connection,
    SCREENWRITER_OT_refresh_models,
    SCREENWRITER_OT_detect_server,
)
