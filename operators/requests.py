"""The five request buttons: read the screenplay, build the request, hand it to the bridge.

Each operator returns at once; the answer streams into its own Text datablock (named
"Screenwriter …") while Blender stays responsive. Bad input is refused with a message that says
what to do, before anything is sent.
"""

from __future__ import annotations

import json
import logging

import bpy
from bpy.props import BoolProperty, StringProperty

from .. import bridge, text_io
from ..preferences import get_preferences
from ..prompts import REQUEST_TYPES, RequestType, build_messages
from ..properties import scene_settings
from ..text_normalize import normalize

__all__ = ["classes"]

log = logging.getLogger(__name__)


def find_source_text(context: bpy.types.Context, name: str) -> bpy.types.Text | None:
    """The named text, else the one open in this Text Editor, else the scene's screenplay."""
    if name:
        return bpy.data.texts.get(name)
    space = context.space_data
    text = space.text if space is not None and space.type == "TEXT_EDITOR" else None
    if text is not None and not text.name.startswith("Screenwriter"):
        return text
    settings = scene_settings(context)
    if settings.source:
        return bpy.data.texts.get(settings.source)
    return None


def show_text(context: bpy.types.Context, text_name: str, source_name: str) -> None:
    """Show the answer in a Text Editor: one already on it, else one not showing the script."""
    editors = [
        area
        for window in context.window_manager.windows
        for area in window.screen.areas
        if area.type == "TEXT_EDITOR"
    ]
    if any(a.spaces.active.text and a.spaces.active.text.name == text_name for a in editors):
        return
    others = [
        a
        for a in editors
        if not (a.spaces.active.text and a.spaces.active.text.name == source_name)
    ]
    target = (others or editors or [None])[0]
    if target is not None:
        target.spaces.active.text = bpy.data.texts[text_name]


class _RequestOperator(bpy.types.Operator):
    bl_options = {"REGISTER"}
    request_kind = "ask"

    source: StringProperty(
        name="Screenplay",
        description="Name of the Text datablock holding the screenplay (empty: the active one)",
        options={"SKIP_SAVE"},
    )
    prompt: StringProperty(
        name="Prompt", description="Extra instructions or the question", options={"SKIP_SAVE"}
    )
    new_conversation: BoolProperty(
        name="New Conversation",
        description="Start a fresh conversation instead of continuing the current one",
        options={"SKIP_SAVE"},
    )

    @classmethod
    def description(cls, _context: bpy.types.Context, _props: object) -> str:
        return REQUEST_TYPES[cls.request_kind].instruction

    def execute(self, context: bpy.types.Context) -> set[str]:
        from ..worker import Request

        rtype = REQUEST_TYPES[self.request_kind]
        settings = scene_settings(context)
        prefs = get_preferences(context)
        source = find_source_text(context, self.source)
        if source is None:
            where = f"No text named '{self.source}'" if self.source else "No screenplay found"
            self.report(
                {"ERROR"},
                f"{where}: open your screenplay in the Text Editor, or pick it in the "
                "Screenwriter panel.",
            )
            return {"CANCELLED"}
        prompt = (self.prompt or (settings.prompt if rtype.needs_prompt else "")).strip()
        if rtype.needs_prompt and not prompt:
            self.report({"ERROR"}, "Type your question in the Prompt field first.")
            return {"CANCELLED"}
        model = prefs.model.strip()
        if not model:
            self.report({"ERROR"}, "Pick a model in the Screenwriter preferences first.")
            return {"CANCELLED"}
        from .server import online_access_problem

        problem = online_access_problem(prefs.base_url.strip())
        if problem:
            self.report({"ERROR"}, problem)
            return {"CANCELLED"}

        busy = [j for j in bridge.active_jobs() if j.text_name == rtype.output_text]
        if busy:
            self.report(
                {"ERROR"},
                f"An answer is still streaming into '{rtype.output_text}': wait for it, or "
                "cancel it first.",
            )
            return {"CANCELLED"}

        from ..client import Conversation

        fresh = self.new_conversation or not settings.continue_conversation
        conversation = Conversation() if fresh else _load_conversation(settings.conversation)
        # The turns so far, trimmed oldest-first to the conversation's own budget (8,000
        # estimated tokens). The screenplay is capped on its own (prompts.MAX_SCRIPT_CHARS) and
        # build_messages puts it in front, so a long script never crowds out the last exchange.
        history = [m for m in conversation.messages_for_request() if m["role"] != "system"]
        messages = build_messages(rtype, text_io.read(source), prompt, history)
        request = Request(
            model, messages, stream=True, params={"temperature": prefs.temperature}, kind=rtype.kind
        )
        question = messages[-1]["content"]
        scene_name = context.scene.name
        header = f"## {prompt}\n\n" if rtype.append else ""

        def on_done(job: bridge.Job) -> None:
            scene = bpy.data.scenes.get(scene_name)
            # As the Text holds it: a StringProperty cannot take a lone surrogate, and the
            # conversation should say what the writer read.
            answer = normalize(job.completion.text) if job.completion is not None else ""
            if scene is not None:
                # Read the stored conversation again: another answer may have ended meanwhile.
                stored = (
                    Conversation() if fresh else _load_conversation(scene.screenwriter.conversation)
                )
                stored.add_exchange(question, answer)
                scene.screenwriter.conversation = stored.to_json()
            if rtype.kind == "analysis":
                from ..analysis import render_analysis

                text = bpy.data.texts.get(job.text_name)
                if text is not None:
                    try:
                        rendered = render_analysis(answer)
                    except ValueError as exc:  # the model drifted from the format: say so
                        job.message = f"{job.message} {exc}"
                        return
                    text_io.replace(text, rendered)

        bridge.submit(
            request,
            title=rtype.label,
            text_name=rtype.output_text,
            header=header,
            append=rtype.append,
            on_done=on_done,
        )
        show_text(context, rtype.output_text, source.name)
        self.report({"INFO"}, f"{rtype.label}: asking {model}…")
        return {"FINISHED"}


def _load_conversation(data: str):  # -> client.Conversation (imported lazily)
    from ..client import Conversation

    if data:
        try:
            return Conversation.from_json(data)
        except (ValueError, json.JSONDecodeError):
            log.warning("Screenwriter: the stored conversation was unreadable; starting anew")
    return Conversation()


def _make(kind: str, idname: str) -> type:
    rtype: RequestType = REQUEST_TYPES[kind]
    return type(
        f"SCREENWRITER_OT_{idname}",
        (_RequestOperator,),
        {"bl_idname": f"screenwriter.{idname}", "bl_label": rtype.label, "request_kind": kind},
    )


classes = (
    _make("analysis", "analyze_script"),
    _make("dialogue", "generate_dialogue"),
    _make("description", "describe_scene"),
    _make("suggestions", "suggest_ideas"),
    _make("ask", "ask"),
)
