"""Where the screenwriter points the extension at a LiteLLM server: URL, key, model, limits.

Preferences live in Blender's user preferences, never in a .blend file, so the API key is not
shared with the screenplay. ``client_config()`` turns them into the client's ``ClientConfig``;
the bridge calls it at every submit, so a changed preference applies to the next request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

if TYPE_CHECKING:
    from .client import ClientConfig

__all__ = ["ScreenwriterPreferences", "client_config", "get_preferences"]

DEFAULT_BASE_URL = "http://localhost:4000"
DEFAULT_MODEL = "gpt-4o-mini"
# Prompt tokens per request type: screenplay.kinds.DEFAULT_BUDGET (a 120-page feature fits),
# written out so that loading the preferences does not import screenplay/ at Blender start-up;
# tests/blender/test_grounded.py checks that the two agree.
DEFAULT_BUDGET = 6000
MIN_BUDGET = 1000  # below this not even the scene at the cursor fits


def _budget(kind: str) -> IntProperty:
    """A request type's prompt-token budget (default: the screenplay layer's)."""
    return IntProperty(
        name=kind.capitalize(),
        description=f"Most prompt tokens a {kind} request sends: the scene at the cursor, the "
        "conversation, the outline and the scenes around it, as far as they fit",
        default=DEFAULT_BUDGET,
        min=MIN_BUDGET,
        soft_max=64000,
    )


def _model_items(_self: bpy.types.AddonPreferences, _context: bpy.types.Context) -> list:
    from . import bridge

    return [(m, m, "") for m in bridge.known_models()]


class ScreenwriterPreferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    base_url: StringProperty(
        name="Server URL",
        description="LiteLLM proxy address, with or without /v1 (empty: $LITELLM_BASE_URL, "
        "else http://localhost:4000)",
        default=DEFAULT_BASE_URL,
    )
    api_key: StringProperty(
        name="API Key",
        description="LiteLLM virtual or master key (empty: $LITELLM_API_KEY, else no key). "
        "Stored in your user preferences, never in .blend files",
        subtype="PASSWORD",
    )
    model: StringProperty(
        name="Model",
        description="Model name as the LiteLLM proxy lists it (Refresh Models fills the list)",
        default=DEFAULT_MODEL,
    )
    model_choice: EnumProperty(
        name="Known Models",
        description="Models the server listed at the last refresh",
        items=_model_items,
        update=lambda self, _ctx: setattr(self, "model", self.model_choice),
    )
    temperature: FloatProperty(
        name="Temperature", description="Creativity of answers", default=0.7, min=0.0, max=2.0
    )
    max_retries: IntProperty(
        name="Retries", description="Retries on rate limits and server errors", default=2, min=0
    )
    timeout_scale: FloatProperty(
        name="Timeout Scale",
        description="Multiplies every request type's timeouts (raise for slow local models)",
        default=1.0,
        min=0.1,
        max=20.0,
    )
    verify_tls: BoolProperty(
        name="Verify TLS",
        description="Check the server's certificate (turn off only for a self-signed test server)",
        default=True,
    )
    ca_file: StringProperty(
        name="CA File",
        description="Extra certificate authority bundle (PEM) for a private server",
        subtype="FILE_PATH",
    )
    use_cache: BoolProperty(
        name="Cache Answers",
        description="Reuse answers to identical requests at temperature 0",
        default=False,
    )
    dialogue_budget: _budget("dialogue")
    description_budget: _budget("description")
    suggestions_budget: _budget("suggestions")
    ask_budget: _budget("ask")
    analysis_context_tokens: IntProperty(
        name="Analysis Context",
        description="The model's context window in tokens for Analyze Script, which splits a "
        "script that does not fit into parts of whole scenes (0: ask LiteLLM's model info, "
        "else 32,768)",
        default=0,
        min=0,
    )
    log_file: StringProperty(
        name="Request Log",
        description="Optional JSON-lines log of every request (keys are never written)",
        subtype="FILE_PATH",
    )

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        col = layout.column()
        col.prop(self, "base_url")
        col.prop(self, "api_key")
        row = col.row(align=True)
        row.prop(self, "model")
        row.prop(self, "model_choice", text="", icon="DOWNARROW_HLT")
        row = col.row(align=True)
        row.operator("screenwriter.test_connection", icon="PLUGIN")
        row.operator("screenwriter.detect_server", icon="VIEWZOOM")
        row.operator("screenwriter.refresh_models", icon="FILE_REFRESH")
        from . import bridge

        job = bridge.server_job()
        if job is not None and job.message:
            icon = {"done": "CHECKMARK", "failed": "ERROR"}.get(job.state, "TIME")
            col.label(text=job.message, icon=icon)
        box = layout.box()
        box.label(text="Requests")
        box.prop(self, "temperature")
        box.prop(self, "max_retries")
        box.prop(self, "timeout_scale")
        box.prop(self, "use_cache")
        box = layout.box()
        box.label(text="Context")
        col = box.column(align=True)
        for kind in ("dialogue", "description", "suggestions", "ask"):
            col.prop(self, f"{kind}_budget")
        box.prop(self, "analysis_context_tokens")
        from .grounding import templates_folder

        folder = templates_folder()
        if folder is not None:
            box.label(text=f"Templates override: {folder}", icon="FILE_FOLDER")
        box = layout.box()
        box.label(text="Security and logging")
        box.prop(self, "verify_tls")
        box.prop(self, "ca_file")
        box.prop(self, "log_file")


def get_preferences(context: bpy.types.Context | None = None) -> ScreenwriterPreferences:
    context = context or bpy.context
    return context.preferences.addons[__package__].preferences


def client_config(prefs: ScreenwriterPreferences | None = None) -> ClientConfig:
    """The client configuration the preferences describe (imports the client lazily)."""
    from dataclasses import replace

    from .client import ClientConfig

    prefs = prefs or get_preferences()
    defaults = ClientConfig()
    scale = prefs.timeout_scale
    timeouts = {
        kind: replace(
            t,
            **{
                f: (getattr(t, f) * scale if getattr(t, f) is not None else None)
                for f in ("connect", "first_byte", "idle", "total")
            },
        )
        for kind, t in defaults.timeouts.items()
    }
    return ClientConfig(
        base_url=prefs.base_url.strip() or None,
        api_key=prefs.api_key.strip() or None,
        timeouts=timeouts,
        max_retries=prefs.max_retries,
        verify=prefs.verify_tls,
        ca_file=bpy.path.abspath(prefs.ca_file) if prefs.ca_file else None,
        log_file=bpy.path.abspath(prefs.log_file) if prefs.log_file else None,
        cache_enabled=prefs.use_cache,
    )


classes = (ScreenwriterPreferences,)

register, unregister = bpy.utils.register_classes_factory(classes)
